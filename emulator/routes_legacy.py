"""POST /oauth/token: the retired owner-api exchange (jwt-bearer grant) that 2021 clients still call."""

from __future__ import annotations

import secrets

from aiohttp import web

from . import tokens
from .routes_owner_api import bearer_token
from .web_util import json_response, read_fields, state_of

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


async def legacy_token(request: web.Request) -> web.Response:
    """Swap a valid v3 access token (Bearer header) for a `qts-`/`cn-` owner token."""
    state = state_of(request)
    fields = await read_fields(request)
    if fields is None or fields.get("grant_type") != JWT_BEARER:
        return json_response({"error": "unsupported_grant_type"}, status=400)
    record = state.access_tokens.get(bearer_token(request))
    if record is None or record.expires_at < state.now():
        return json_response(
            {"error": "invalid_token", "error_description": "Invalid bearer token."},
            status=401,
        )
    now = int(state.now())
    owner_token = tokens.legacy_owner_token(record.region)
    owner_refresh_token = secrets.token_hex(32)
    state.note_secret(owner_token, owner_refresh_token)
    return json_response(
        {
            "access_token": owner_token,
            "token_type": "bearer",
            "expires_in": state.scenario.legacy_token_lifetime,
            "refresh_token": owner_refresh_token,
            "created_at": now,
        }
    )


def add_to(router: web.UrlDispatcher) -> None:
    """Register the route (named for fault injection)."""
    router.add_post("/oauth/token", legacy_token, name="owner_api.legacy_token")
