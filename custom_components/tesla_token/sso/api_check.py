"""Whether Tesla's API accepts an access token: one cheap, read-only request.

Since June 2026 Tesla refuses (403 "forbidden, see …fleet-api") access tokens minted over some
client connections, although the refresh itself answered 200. ``GET /api/1/products`` lists the
account's products without waking a car, so it tells a good token from a refused one. A Fleet
API token (one's own app) is asked about at the Fleet API: ``GET /api/1/users/me``.
"""

from __future__ import annotations

from enum import StrEnum
import logging
from typing import Final

from .errors import TeslaSsoError, TeslaSsoTemporaryError
from .transport import HttpResponse, Transport

_LOGGER = logging.getLogger(__name__)

PRODUCTS_PATH: Final = "/api/1/products"
USERS_ME_PATH: Final = "/api/1/users/me"
# The Fleet API's 403 to a token that works but lacks a scope (users/me needs user_data).
_MISSING_SCOPES = "missing scopes"


class ApiAccess(StrEnum):
    """Tesla's API's verdict on an access token."""

    ACCEPTED = (
        "accepted"  # 200 (or the Fleet API's 403 "missing scopes": the token works)
    )
    REJECTED = "rejected"  # Tesla's 403 "forbidden …": minted over a refused connection
    UNAUTHORIZED = "unauthorized"  # 401: missing, unknown, expired or revoked
    UNREACHABLE = "unreachable"  # no verdict: network, 429, 5xx, firewall, odd answer


def _verdict(response: HttpResponse) -> ApiAccess:
    """What an answer (not 429, 5xx or a firewall's: the transport raised for those) means."""
    if response.status == 401:
        return ApiAccess.UNAUTHORIZED
    if response.status not in (200, 403):
        return ApiAccess.UNREACHABLE
    try:
        body = response.json_object()
    except TeslaSsoTemporaryError:
        return ApiAccess.UNREACHABLE
    if response.status == 200:
        return ApiAccess.ACCEPTED
    error = body.get("error")
    if isinstance(error, str) and error.startswith("forbidden"):
        return ApiAccess.REJECTED
    if isinstance(error, str) and _MISSING_SCOPES in error.lower():
        # The token works; only this call needs a scope the person did not grant.
        _LOGGER.debug("The token lacks a scope of this call; the API accepts it")
        return ApiAccess.ACCEPTED
    return ApiAccess.UNREACHABLE


async def check_api_access(
    transport: Transport, api_base: str, access_token: str, *, fleet: bool = False
) -> ApiAccess:
    """Ask Tesla's API at ``api_base`` whether it accepts ``access_token``.

    Sends one ``GET {api_base}/api/1/products`` (Owner API) or, with ``fleet``,
    ``GET {api_base}/api/1/users/me`` (Fleet API), with ``Authorization: Bearer``. Never raises
    for the server's answers or a failed request: those are UNREACHABLE.
    """
    api = "Fleet API" if fleet else "Owner API"
    url = f"{api_base.rstrip('/')}{USERS_ME_PATH if fleet else PRODUCTS_PATH}"
    try:
        response = await transport.send(
            "GET", url, headers={"Authorization": f"Bearer {access_token}"}
        )
    except TeslaSsoError as err:
        verdict = ApiAccess.UNREACHABLE
        _LOGGER.debug("%s check: %s (%s)", api, verdict, err)
        return verdict
    verdict = _verdict(response)
    _LOGGER.debug("%s check: HTTP %s, %s", api, response.status, verdict)
    return verdict
