"""POST /token: the authorization_code grant (strict PKCE S256) and the refresh_token grant.

`ownerapi` is served here; a registered Fleet API app's requests go to routes_app_token.
"""

from __future__ import annotations

from aiohttp import web

from .apps import OWNERAPI
from .connections import connection_of
from .routes_app_token import app_token
from .scenario import RefreshRotation, Region
from .state import State
from .token_checks import (
    MIN_RECEIVED_TOKEN,
    code_refusal,
    missing_code_fields,
    oauth_error,
)
from .urls import REGION_PREFIX, SSO_PATH, sso_base
from .web_util import NO_STORE, basic_auth, json_response, origin, read_fields, state_of


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
        """Exchange a code or a refresh token (JSON or form body), for ownerapi or an app."""
        fields = await read_fields(request)
        if fields is None:
            return oauth_error(
                "invalid_request", "The body must be JSON or form-encoded."
            )
        basic = basic_auth(request)
        client_id = fields.get("client_id") or (basic[0] if basic else "")
        state = state_of(request)
        app = state.scenario.app(client_id)
        if app is not None:
            secret = fields.get("client_secret") or (basic[1] if basic else None)
            return app_token(
                request, state, self.region, app, fields=fields, secret=secret
            )
        if client_id != OWNERAPI:
            return oauth_error(
                "invalid_client", "The client_id is missing or unknown.", 401
            )
        grant = fields.get("grant_type")
        if grant == "authorization_code":
            return self._authorization_code(request, state, fields)
        if grant == "refresh_token":
            return self._refresh(request, state, fields)
        return oauth_error("unsupported_grant_type", "The grant_type is not supported.")

    def _authorization_code(
        self, request: web.Request, state: State, fields: dict[str, str]
    ) -> web.Response:
        missing = missing_code_fields(fields)
        if missing is not None:
            return missing
        state.note_secret(fields["code"], min_length=MIN_RECEIVED_TOKEN)
        state.note_secret(fields["code_verifier"], min_length=43)
        record = state.codes.get(fields["code"])
        refusal = code_refusal(state, self.region, record, fields, OWNERAPI)
        if refusal is not None or record is None:
            return oauth_error(*(refusal or ("invalid_grant", "Unknown code.")))
        account = state.scenario.account(record.email)
        if account is None:
            return oauth_error("invalid_grant", "The account no longer exists.")
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
            return oauth_error("invalid_request", "Missing parameters: refresh_token.")
        state.note_secret(token, min_length=MIN_RECEIVED_TOKEN)
        record = state.refresh_tokens.get(token)
        account = state.scenario.account(record.email) if record is not None else None
        if record is None or not record.active or account is None:
            return oauth_error(
                "login_required",
                "The refresh token is invalid or has been revoked.",
                401,
            )
        if record.client_id != OWNERAPI:
            return oauth_error(
                "invalid_grant", "The refresh token was issued to another client."
            )
        if record.region != self.region:
            return oauth_error(
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
