"""PKCE values and the authorize query."""

from __future__ import annotations

import re

from custom_components.tesla_token.sso import REDIRECT_URI
from custom_components.tesla_token.sso.const import CLIENT_ID, SCOPE
from custom_components.tesla_token.sso.pkce import Pkce, s256_challenge


def test_verifier_and_state_are_random_and_url_safe() -> None:
    first, second = Pkce(), Pkce()
    assert len(first.verifier) == 86
    assert re.fullmatch(r"[A-Za-z0-9_-]{86}", first.verifier)
    assert re.fullmatch(r"[A-Za-z0-9_-]+", first.state)
    assert first.verifier != second.verifier
    assert first.state != second.state


def test_challenge_is_s256() -> None:
    # RFC 7636, appendix B.
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert s256_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_repr_shows_no_secret() -> None:
    pkce = Pkce()
    assert pkce.verifier not in repr(pkce)
    assert pkce.state not in repr(pkce)


def test_authorize_params() -> None:
    pkce = Pkce()
    params = pkce.authorize_params(REDIRECT_URI, login_hint="owner@example.com")
    assert params == {
        "client_id": CLIENT_ID,
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": SCOPE,
        "state": pkce.state,
        "login_hint": "owner@example.com",
    }
    assert "login_hint" not in pkce.authorize_params(REDIRECT_URI)
