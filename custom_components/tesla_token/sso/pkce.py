"""PKCE verifier/challenge and the OAuth state for one sign-in."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
import hashlib
import secrets

from .const import CLIENT_ID, SCOPE


def make_verifier() -> str:
    """Return a new code_verifier: 86 random URL-safe characters (as Tesla's own clients use)."""
    return secrets.token_urlsafe(64)


def s256_challenge(verifier: str) -> str:
    """Return base64url(SHA-256(verifier)) without padding (method S256)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def make_state() -> str:
    """Return a new random OAuth state."""
    return secrets.token_urlsafe(16)


@dataclass(frozen=True)
class Pkce:
    """The per-sign-in secrets: PKCE verifier and the state that must come back."""

    verifier: str = field(default_factory=make_verifier, repr=False)
    state: str = field(default_factory=make_state, repr=False)

    @property
    def challenge(self) -> str:
        """The S256 code_challenge for the verifier."""
        return s256_challenge(self.verifier)

    def authorize_params(
        self, redirect_uri: str, login_hint: str | None = None
    ) -> dict[str, str]:
        """Return the query of the authorize request (GET and the POSTs use the same one)."""
        params = {
            "client_id": CLIENT_ID,
            "code_challenge": self.challenge,
            "code_challenge_method": "S256",
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": SCOPE,
            "state": self.state,
        }
        if login_hint:
            params["login_hint"] = login_hint
        return params
