"""GET /api/1/products: the Owner API's cheap read-only call, which tells whether a token is accepted.

It answers 200 with a made-up product list for a good access token, Tesla's 403 "forbidden, see
…fleet-api" for a token minted over a connection the scenario refuses (it carries `x-enc`), and
401 "invalid bearer token" for a missing, unknown, expired or revoked one, and for a Fleet API
app's token (the Owner API does not take those reliably; the emulator never does). It never wakes
a car: there is none.
"""

from __future__ import annotations

import hashlib

from aiohttp import web

from .apps import OWNERAPI
from .records import AccessRecord
from .scenario import Account
from .state import State
from .web_util import json_response, state_of

PRODUCTS_PATH = "/api/1/products"
FORBIDDEN_BODY = {
    "response": None,
    "error": "forbidden, see https://developer.tesla.com/docs/fleet-api",
    "error_description": "",
}
INVALID_TOKEN_BODY = {
    "response": None,
    "error": "invalid bearer token",
    "error_description": "",
}


def bearer_token(request: web.Request) -> str:
    """The token of an `Authorization: Bearer …` header ("" when there is none)."""
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else ""


def valid_record(
    state: State, token: str, *, fleet: bool
) -> tuple[AccessRecord, Account] | None:
    """The record and account of a live access token of the right kind (Fleet API or ownerapi)."""
    record = state.access_tokens.get(token)
    if record is None or record.expires_at < state.now():
        return None
    if (record.client_id != OWNERAPI) != fleet:
        return None
    account = state.scenario.account(record.email)
    return None if account is None else (record, account)


def _products(account: Account) -> list[dict[str, object]]:
    """One parked, asleep vehicle, with ids derived from the account (stable across runs)."""
    number = int.from_bytes(hashlib.sha256(account.sub.encode()).digest()[:8])
    vehicle_id = 1_000_000_000 + number % 1_000_000_000
    return [
        {
            "id": vehicle_id * 10 + 7,
            "vehicle_id": vehicle_id,
            "vin": f"5YJ3E7EA0PF{number % 1_000_000:06d}",
            "display_name": "Emulated Model 3",
            "color": None,
            "access_type": "OWNER",
            "tokens": None,
            "state": "asleep",
            "in_service": False,
            "id_s": str(vehicle_id * 10 + 7),
            "calendar_enabled": True,
            "api_version": 80,
            "backseat_token": None,
            "backseat_token_updated_at": None,
        }
    ]


async def products(request: web.Request) -> web.Response:
    """The account's products, or why the token is not good."""
    state = state_of(request)
    found = valid_record(state, bearer_token(request), fleet=False)
    if found is None:
        return json_response(INVALID_TOKEN_BODY, status=401)
    record, account = found
    if not record.accepted:
        return json_response(FORBIDDEN_BODY, status=403)
    listing = _products(account)
    return json_response({"response": listing, "count": len(listing)})


def add_to(router: web.UrlDispatcher) -> None:
    """Register the route (named for fault injection)."""
    router.add_get(PRODUCTS_PATH, products, name="owner_api.products")
