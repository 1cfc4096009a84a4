"""Whether the Owner API accepts an access token: one cheap, read-only request.

Since June 2026 Tesla refuses (403 "forbidden, see …fleet-api") access tokens minted over some
client connections, although the refresh itself answered 200. ``GET /api/1/products`` lists the
account's products without waking a car, so it tells a good token from a refused one.
"""

from __future__ import annotations

from enum import StrEnum
import logging
from typing import Final

from .errors import TeslaSsoError, TeslaSsoTemporaryError
from .transport import HttpResponse, Transport

_LOGGER = logging.getLogger(__name__)

PRODUCTS_PATH: Final = "/api/1/products"


class ApiAccess(StrEnum):
    """The Owner API's verdict on an access token."""

    ACCEPTED = "accepted"  # 200 with the product list
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
    return ApiAccess.UNREACHABLE


async def check_api_access(
    transport: Transport, api_base: str, access_token: str
) -> ApiAccess:
    """Ask the Owner API at ``api_base`` whether it accepts ``access_token``.

    Sends one ``GET {api_base}/api/1/products`` with ``Authorization: Bearer``. Never raises
    for the server's answers or a failed request: those are UNREACHABLE.
    """
    url = f"{api_base.rstrip('/')}{PRODUCTS_PATH}"
    try:
        response = await transport.send(
            "GET", url, headers={"Authorization": f"Bearer {access_token}"}
        )
    except TeslaSsoError as err:
        verdict = ApiAccess.UNREACHABLE
        _LOGGER.debug("Owner API check: %s (%s)", verdict, err)
        return verdict
    verdict = _verdict(response)
    _LOGGER.debug("Owner API check: HTTP %s, %s", response.status, verdict)
    return verdict
