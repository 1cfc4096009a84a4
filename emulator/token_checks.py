"""What the token endpoint checks for every client: OAuth error answers, PKCE and the code."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from aiohttp import web

from .records import AuthCode
from .scenario import Region
from .state import State
from .web_util import NO_STORE, json_response

_VERIFIER_RE = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
# Shorter codes and refresh tokens a client sends are junk, not secrets (see State.secrets).
MIN_RECEIVED_TOKEN = 20


def oauth_error(error: str, description: str, status: int = 400) -> web.Response:
    """An OAuth error answer: `{"error", "error_description"}`, never cached."""
    return json_response(
        {"error": error, "error_description": description},
        status=status,
        headers=NO_STORE,
    )


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of a verifier."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def code_refusal(
    state: State,
    region: Region,
    record: AuthCode | None,
    fields: dict[str, str],
    client_id: str,
) -> tuple[str, str] | None:
    """Why an authorization code may not be redeemed here by `client_id`, as (error, description)."""
    if record is None:
        return "invalid_grant", "The authorization code is invalid."
    if record.used:
        return "invalid_grant", "The authorization code has already been used."
    if state.now() - record.created_at > state.scenario.code_lifetime:
        return "invalid_grant", "The authorization code has expired."
    if record.client_id != client_id:
        return "invalid_grant", "The authorization code was issued to another client."
    if record.region != region:
        return "invalid_grant", "The authorization code was issued by another server."
    if fields["redirect_uri"] != record.redirect_uri:
        return (
            "invalid_grant",
            "The redirect_uri does not match the authorization request.",
        )
    verifier = fields["code_verifier"]
    if not _VERIFIER_RE.match(verifier):
        return (
            "invalid_request",
            "The code_verifier must be 43-128 unreserved characters.",
        )
    if not hmac.compare_digest(s256(verifier), record.code_challenge):
        return "invalid_grant", "The code_verifier does not match the code_challenge."
    return None


def missing_code_fields(fields: dict[str, str]) -> web.Response | None:
    """400 `invalid_request` naming the code-exchange fields that are missing, if any."""
    missing = [
        n for n in ("code", "code_verifier", "redirect_uri") if not fields.get(n)
    ]
    if missing:
        return oauth_error(
            "invalid_request", f"Missing parameters: {', '.join(missing)}."
        )
    return None
