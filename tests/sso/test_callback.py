"""The browser path: the authorize URL and what a person pastes back."""

from __future__ import annotations

from urllib.parse import parse_qs, quote, urlsplit

import pytest

from custom_components.tesla_token.sso import (
    REDIRECT_URI,
    SSO_BASES,
    BrowserSignIn,
    LoginFailure,
    Region,
)
from custom_components.tesla_token.sso.const import CLIENT_ID, SCOPE
from custom_components.tesla_token.sso.pkce import s256_challenge
from tests.sso.helpers import offline_browser_sign_in, raises_sso

GLOBAL = SSO_BASES[Region.GLOBAL]
ISSUER = quote(GLOBAL, safe="")


def _state(login: BrowserSignIn) -> str:
    return parse_qs(urlsplit(login.authorize_url).query)["state"][0]


def test_authorize_url() -> None:
    login = offline_browser_sign_in(GLOBAL + "/")
    parts = urlsplit(login.authorize_url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{GLOBAL}/authorize"
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == REDIRECT_URI
    assert query["response_type"] == "code"
    assert query["scope"] == SCOPE
    assert query["code_challenge_method"] == "S256"
    assert query["code_challenge"] == s256_challenge(login._pkce.verifier)
    assert len(query["state"]) >= 16
    assert "login_hint" not in query
    assert offline_browser_sign_in(GLOBAL).authorize_url != login.authorize_url


def test_authorize_url_refuses_plain_http() -> None:
    with raises_sso(LoginFailure.INVALID_SERVER_URL):
        offline_browser_sign_in("http://auth.tesla.com/oauth2/v3")


@pytest.mark.parametrize(
    "template",
    [
        "tesla://auth/callback?code=abc123&state={state}&issuer={issuer}",
        "  tesla://auth/callback?code=abc123&state={state}&issuer={issuer}\n",
        '"tesla://auth/callback?code=abc123&state={state}&issuer={issuer}"',
        "'tesla://auth/callback?code=abc123&state={state}&issuer={issuer}'",
        "https://auth.tesla.com/void/callback?code=abc123&state={state}&issuer={issuer}",
        "tesla://auth/callback?state={state}&code=abc123&issuer={issuer}#fragment",
        (
            "Failed to launch 'tesla://auth/callback?code=abc123&state={state}&issuer={issuer}'"
            " because the scheme does not have a registered handler."
        ),
        "tesla://auth/callback/?code=abc123&state={state}&issuer={issuer}.",
        # Copied from a wrapped line: the breaks are not part of the address.
        "tesla://auth/callback?code=abc\n123&state={state}\r\n  &issuer={issuer}",
        (
            "Failed to launch 'tesla://auth/callback?code=abc123&sta\nte={state}&issuer={issuer}'"
            " because the scheme\ndoes not have a registered handler."
        ),
    ],
)
def test_accepted_callbacks(template: str) -> None:
    login = offline_browser_sign_in(GLOBAL)
    authorized = login.parse_callback(
        template.format(state=_state(login), issuer=ISSUER)
    )
    assert authorized.code == "abc123"
    assert authorized.issuer == GLOBAL
    assert "abc123" not in repr(authorized)


def test_callback_without_issuer_uses_the_chosen_server() -> None:
    login = offline_browser_sign_in(GLOBAL)
    authorized = login.parse_callback(
        f"tesla://auth/callback?code=c1&state={_state(login)}"
    )
    assert authorized.issuer == GLOBAL


def test_china_issuer_is_trusted_from_the_global_server() -> None:
    login = offline_browser_sign_in(GLOBAL)
    china = quote(SSO_BASES[Region.CHINA], safe="")
    authorized = login.parse_callback(
        f"tesla://auth/callback?code=c1&state={_state(login)}&issuer={china}"
    )
    assert authorized.issuer == SSO_BASES[Region.CHINA]


def test_wrong_state() -> None:
    login = offline_browser_sign_in(GLOBAL)
    with raises_sso(LoginFailure.STATE_MISMATCH):
        login.parse_callback(
            f"tesla://auth/callback?code=c1&state=other&issuer={ISSUER}"
        )
    with raises_sso(LoginFailure.STATE_MISMATCH):
        login.parse_callback(f"tesla://auth/callback?code=c1&issuer={ISSUER}")


@pytest.mark.parametrize(
    "pasted",
    [
        "",
        "just some words",
        "tesla://auth/callback",
        "tesla://auth/callback?state={state}",
        "tesla://auth/callback?code=&state={state}",
        "tesla://auth/callback?code=a&code=b&state={state}",
        "https://evil.example/callback?code=c1&state={state}",
        "tesla://auth/callback?code=c1&state={state}&issuer=https%3A%2F%2Fevil.example%2Foauth2%2Fv3",
        "tesla://auth/callback?code=c1&state={state}&issuer=http%3A%2F%2Fauth.tesla.com%2Foauth2%2Fv3",
    ],
)
def test_rejected_callbacks(pasted: str) -> None:
    login = offline_browser_sign_in(GLOBAL)
    with raises_sso(LoginFailure.INVALID_CALLBACK_URL) as err:
        login.parse_callback(pasted.format(state=_state(login)))
    assert "c1" not in str(err.value)


def test_error_callback_names_the_error() -> None:
    login = offline_browser_sign_in(GLOBAL)
    with raises_sso(LoginFailure.CALLBACK_ERROR) as err:
        login.parse_callback(
            f"tesla://auth/callback?error=login_cancelled&state={_state(login)}&issuer={ISSUER}"
        )
    assert "login_cancelled" in str(err.value)
    for echoed in ("%3Cscript%3E", "123456", "eyJhbGciOiJSUzI1NiJ9", "a" * 65):
        with raises_sso(LoginFailure.CALLBACK_ERROR) as err:
            login.parse_callback(f"tesla://auth/callback?error={echoed}")
        assert "'unknown'" in str(err.value)
        assert echoed not in str(err.value)


MEBIBYTE = 1024 * 1024


@pytest.mark.timeout(60)  # the quadratic scan took hours on this much text
@pytest.mark.parametrize(
    "template",
    [
        "{callback}" + " " * MEBIBYTE,
        "{callback}" + "\t " * (MEBIBYTE // 2) + ".",
        " " * MEBIBYTE + "x:\n{callback}",
        "a" * MEBIBYTE + " {callback}",
        "Failed" + "x1+" * (MEBIBYTE // 3) + " '{callback}'",
    ],
    ids=[
        "blanks-after",
        "tabs-after",
        "blanks-before",
        "letters-before",
        "scheme-like",
    ],
)
def test_a_megabyte_around_the_callback_is_read_in_linear_time(
    template: str,
) -> None:
    """Long runs of blanks or letters: once quadratic (a 64 kB paste blocked the loop 20 s)."""
    login = offline_browser_sign_in(GLOBAL)
    callback = (
        f"tesla://auth/callback?code=abc123&state={_state(login)}&issuer={ISSUER}"
    )
    authorized = login.parse_callback(template.format(callback=callback))
    assert authorized.code == "abc123"


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "text",
    [" " * MEBIBYTE, "a" * MEBIBYTE, "a:/" * MEBIBYTE, "1://" * (MEBIBYTE // 4)],
    ids=["blanks", "letters", "almost-schemes", "schemes-without-a-letter"],
)
def test_a_megabyte_without_a_url_is_refused_in_linear_time(text: str) -> None:
    with raises_sso(LoginFailure.INVALID_CALLBACK_URL):
        offline_browser_sign_in(GLOBAL).parse_callback(text)
