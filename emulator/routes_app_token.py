"""POST /token for a Fleet API app: the code exchange (secret required) and the rotating refresh.

Tesla serves these at fleet-auth.prd.vn.cloud.tesla.com/oauth2/v3/token; here the same
`/oauth2/v3/token` path as `ownerapi` does. An app's refresh token is single-use (every refresh
rotates it, whatever `refresh_rotation` says) and ends `fleet_refresh_token_lifetime` after issue.
"""

from __future__ import annotations

import hmac

from aiohttp import web

from .apps import App
from .connections import connection_of
from .scenario import Region
from .state import State
from .token_checks import (
    MIN_RECEIVED_TOKEN,
    code_refusal,
    missing_code_fields,
    oauth_error,
)
from .tokens import AppGrant, Grant
from .urls import sso_base
from .web_util import NO_STORE, json_response, origin

# A secret a client sends that is shorter is junk, not a secret (see State.secrets).
MIN_RECEIVED_SECRET = 8


def _client_refusal(
    state: State, app: App, secret: str | None, *, required: bool
) -> web.Response | None:
    """401 `invalid_client` for a missing (when required) or wrong client secret."""
    state.note_secret(secret, min_length=MIN_RECEIVED_SECRET)
    if secret is None and not required:
        return None
    if secret is None or not hmac.compare_digest(
        secret.encode(), app.client_secret.encode()
    ):
        return oauth_error("invalid_client", "Client authentication failed.", 401)
    return None


def app_token(
    request: web.Request,
    state: State,
    region: Region,
    app: App,
    *,
    fields: dict[str, str],
    secret: str | None,
) -> web.Response:
    """Answer an app's token request (`secret`: from the body or HTTP Basic)."""
    grant = fields.get("grant_type")
    if grant == "authorization_code":
        return _exchange(request, state, region, app, fields=fields, secret=secret)
    if grant == "refresh_token":
        return _refresh(request, state, region, app, fields=fields, secret=secret)
    return oauth_error("unsupported_grant_type", "The grant_type is not supported.")


def _exchange(
    request: web.Request,
    state: State,
    region: Region,
    app: App,
    *,
    fields: dict[str, str],
    secret: str | None,
) -> web.Response:
    refused = _client_refusal(state, app, secret, required=True)
    if refused is not None:
        return refused
    missing = missing_code_fields(fields)
    if missing is not None:
        return missing
    state.note_secret(fields["code"], min_length=MIN_RECEIVED_TOKEN)
    state.note_secret(fields["code_verifier"], min_length=43)
    record = state.codes.get(fields["code"])
    refusal = code_refusal(state, region, record, fields, app.client_id)
    if refusal is not None or record is None:
        return oauth_error(*(refusal or ("invalid_grant", "Unknown code.")))
    account = state.scenario.account(record.email)
    if account is None:
        return oauth_error("invalid_grant", "The account no longer exists.")
    record.used = True
    grant = Grant(account, sso_base(origin(request), region), record.amr, record.scope)
    body = state.issue_app_tokens(
        AppGrant(grant, app.client_id, fields.get("audience")),
        connection=connection_of(request),
        grant_type="authorization_code",
    )
    if record.state is not None:
        body["state"] = record.state
    return json_response(body, headers=NO_STORE)


def _refresh(
    request: web.Request,
    state: State,
    region: Region,
    app: App,
    *,
    fields: dict[str, str],
    secret: str | None,
) -> web.Response:
    token = fields.get("refresh_token")
    if not token:
        return oauth_error("invalid_request", "Missing parameters: refresh_token.")
    refused = _client_refusal(state, app, secret, required=False)
    if refused is not None:
        return refused
    state.note_secret(token, min_length=MIN_RECEIVED_TOKEN)
    record = state.refresh_tokens.get(token)
    account = state.scenario.account(record.email) if record is not None else None
    if record is None or not record.active or account is None:
        return oauth_error(
            "login_required", "The refresh token is invalid or has been revoked.", 401
        )
    if record.client_id != app.client_id:
        return oauth_error(
            "invalid_grant", "The refresh token was issued to another client."
        )
    if record.expires_at is not None and state.now() >= record.expires_at:
        return oauth_error("login_required", "The refresh token has expired.", 401)
    if record.region != region:
        return oauth_error(
            "invalid_grant", "The refresh token was issued by another region."
        )
    record.active = False  # single-use: the answer carries its successor
    grant = Grant(account, sso_base(origin(request), region), record.amr, record.scope)
    body = state.issue_app_tokens(
        AppGrant(grant, app.client_id, fields.get("audience")),
        connection=connection_of(request),
        grant_type="refresh_token",
    )
    return json_response(body, headers=NO_STORE)
