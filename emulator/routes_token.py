"""POST /token: the authorization_code grant (strict PKCE S256) and the refresh_token grant."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from aiohttp import web

from .connections import connection_of
from .records import AuthCode
from .scenario import RefreshRotation, Region
from .state import State
from .urls import REGION_PREFIX, SSO_PATH, sso_base
from .web_util import (
    NO_STORE,
    basic_auth_user,
    json_response,
    origin,
    read_fields,
    state_of,
)

CLIENT_ID = "ownerapi"
_VERIFIER_RE = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
# Shorter codes and refresh tokens a client sends are junk, not secrets (see State.secrets).
MIN_RECEIVED_TOKEN = 20


def _oauth_error(error: str, description: str, status: int = 400) -> web.Response:
    return json_response(
        {"error": error, "error_description": description},
        status=status,
        headers=NO_STORE,
    )


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of a verifier."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _code_refusal(
    state: State, region: Region, record: AuthCode | None, fields: dict[str, str]
) -> tuple[str, str] | None:
    """Why an authorization code may not be redeemed here, as (error, description)."""
    if record is None:
        return "invalid_grant", "The authorization code is invalid."
    if record.used:
        return "invalid_grant", "The authorization code has already been used."
    if state.now() - record.created_at > state.scenario.code_lifetime:
        return "invalid_grant", "The authorization code has expired."
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


class TokenRoutes:
    """The token endpoint of one region."""

    def __init__(self, region: Region) -> None:
        """Serve `region` under its path prefix."""
        self.region = region
        self.path = f"{REGION_PREFIX[region]}{SSO_PATH}/token"

    def add_to(self, router: web.UrlDispatcher) -> None:
        """Register the route (its name carries the fault endpoint name)."""
        router.add_post(self.path, self.token, name=f"sso_{self.region.value}.token")

    async def token(self, request: web.Request) -> web.Response:
        """Exchange a code or a refresh token (JSON or form body)."""
        fields = await read_fields(request)
        if fields is None:
            return _oauth_error(
                "invalid_request", "The body must be JSON or form-encoded."
            )
        client_id = fields.get("client_id") or basic_auth_user(request)
        if client_id != CLIENT_ID:
            return _oauth_error(
                "invalid_client", "The client_id is missing or unknown.", 401
            )
        grant = fields.get("grant_type")
        state = state_of(request)
        if grant == "authorization_code":
            return self._authorization_code(request, state, fields)
        if grant == "refresh_token":
            return self._refresh(request, state, fields)
        return _oauth_error(
            "unsupported_grant_type", "The grant_type is not supported."
        )

    def _authorization_code(
        self, request: web.Request, state: State, fields: dict[str, str]
    ) -> web.Response:
        missing = [
            n for n in ("code", "code_verifier", "redirect_uri") if not fields.get(n)
        ]
        if missing:
            return _oauth_error(
                "invalid_request", f"Missing parameters: {', '.join(missing)}."
            )
        state.note_secret(fields["code"], min_length=MIN_RECEIVED_TOKEN)
        state.note_secret(fields["code_verifier"], min_length=43)
        record = state.codes.get(fields["code"])
        refusal = _code_refusal(state, self.region, record, fields)
        if refusal is not None or record is None:
            return _oauth_error(*(refusal or ("invalid_grant", "Unknown code.")))
        account = state.scenario.account(record.email)
        if account is None:
            return _oauth_error("invalid_grant", "The account no longer exists.")
        record.used = True
        body = state.issue_tokens(
            account,
            sso_base(origin(request), self.region),
            record.amr,
            record.scope,
            connection=connection_of(request),
            grant_type="authorization_code",
        )
        if record.state is not None:
            body["state"] = record.state
        return json_response(body, headers=NO_STORE)

    def _refresh(
        self, request: web.Request, state: State, fields: dict[str, str]
    ) -> web.Response:
        token = fields.get("refresh_token")
        if not token:
            return _oauth_error("invalid_request", "Missing parameters: refresh_token.")
        state.note_secret(token, min_length=MIN_RECEIVED_TOKEN)
        record = state.refresh_tokens.get(token)
        account = state.scenario.account(record.email) if record is not None else None
        if record is None or not record.active or account is None:
            return _oauth_error(
                "login_required",
                "The refresh token is invalid or has been revoked.",
                401,
            )
        if record.region != self.region:
            return _oauth_error(
                "invalid_grant", "The refresh token was issued by another region."
            )
        scope = fields.get("scope") or record.scope
        issuer = sso_base(origin(request), self.region)
        connection = connection_of(request)
        if state.scenario.refresh_rotation == RefreshRotation.SINGLE_USE:
            record.active = False
            body = state.issue_tokens(
                account,
                issuer,
                record.amr,
                scope,
                connection=connection,
                grant_type="refresh_token",
            )
        else:
            body = state.issue_tokens(
                account,
                issuer,
                record.amr,
                scope,
                refresh_token=token,
                connection=connection,
                grant_type="refresh_token",
            )
        if not state.scenario.refresh_returns_refresh_token:
            body.pop("refresh_token")
        return json_response(body, headers=NO_STORE)
