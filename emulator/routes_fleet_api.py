"""The Fleet API's cheap read-only calls: GET /api/1/users/me and GET /api/1/users/region.

Only a Fleet API app's access token is good here (an `ownerapi` one gets 401, as the Owner API
gives an app's token 401). A token minted over a refused connection (`x-enc`) gets the same 403
as on /api/1/products; `users/me` without the `user_data` scope gets 403 "missing scopes".
"""

from __future__ import annotations

import uuid

from aiohttp import web

from .records import AccessRecord
from .routes_owner_api import (
    FORBIDDEN_BODY,
    INVALID_TOKEN_BODY,
    bearer_token,
    valid_record,
)
from .scenario import Account, Region
from .web_util import json_response, origin, state_of

USERS_ME_PATH = "/api/1/users/me"
USERS_REGION_PATH = "/api/1/users/region"
MISSING_SCOPES_BODY = {
    "response": None,
    "error": "Unauthorized missing scopes",
    "error_description": "",
}
_VAULT_NAMESPACE = uuid.UUID("0b7d4a5e-2f61-4c8e-9a57-3e4f1c6d8a21")


def _checked(request: web.Request) -> tuple[AccessRecord, Account] | web.Response:
    """The token's record and account, or the 401/403 answer."""
    found = valid_record(state_of(request), bearer_token(request), fleet=True)
    if found is None:
        return json_response(INVALID_TOKEN_BODY, status=401)
    if not found[0].accepted:
        return json_response(FORBIDDEN_BODY, status=403)
    return found


def fleet_region(account: Account) -> str:
    """The account's Fleet API region: `cn` for China, `eu` for ou_code EU, else `na`."""
    if account.region == Region.CHINA:
        return "cn"
    return "eu" if account.ou_code.upper() == "EU" else "na"


async def users_me(request: web.Request) -> web.Response:
    """The account's profile (needs the `user_data` scope)."""
    checked = _checked(request)
    if isinstance(checked, web.Response):
        return checked
    record, account = checked
    if "user_data" not in record.scopes:
        return json_response(MISSING_SCOPES_BODY, status=403)
    return json_response(
        {
            "response": {
                "email": account.email,
                "full_name": account.full_name,
                "profile_image_url": None,
                "vault_uuid": str(uuid.uuid5(_VAULT_NAMESPACE, account.sub)),
            }
        }
    )


async def users_region(request: web.Request) -> web.Response:
    """The account's region and its Fleet API base (the emulator's own origin)."""
    checked = _checked(request)
    if isinstance(checked, web.Response):
        return checked
    _, account = checked
    return json_response(
        {
            "response": {
                "region": fleet_region(account),
                "fleet_api_base_url": origin(request),
            }
        }
    )


def add_to(router: web.UrlDispatcher) -> None:
    """Register the routes (named for fault injection)."""
    router.add_get(USERS_ME_PATH, users_me, name="fleet_api.users_me")
    router.add_get(USERS_REGION_PATH, users_region, name="fleet_api.users_region")
