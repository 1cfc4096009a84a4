"""Which regional Fleet API base serves an account: from its token, else from Tesla.

Tesla's Fleet API has one base per region (North America and Asia-Pacific, Europe, China). An
access token usually says its account's region (``ou_code``); when it does not,
``GET /api/1/users/region`` (any base) tells.
"""

from __future__ import annotations

import logging
from typing import Final

from .const import FLEET_API_BASES, Region
from .errors import TeslaSsoError, TeslaSsoLoginError
from .tokens import decode_jwt_claims
from .transport import Transport

_LOGGER = logging.getLogger(__name__)

USERS_REGION_PATH: Final = "/api/1/users/region"
# The access token's ``ou_code`` → the Fleet API region.
_OU_CODE_REGIONS: Final = {"NA": "na", "EU": "eu"}


def token_fleet_region(access_token: str, region: Region) -> str | None:
    """Return the Fleet API region of the token's account ("na", "eu", "cn"), if it says.

    Accounts of mainland China are served in China whatever the token says.
    """
    if region is Region.CHINA:
        return "cn"
    try:
        ou_code = decode_jwt_claims(access_token).get("ou_code")
    except TeslaSsoLoginError:
        return None
    return _OU_CODE_REGIONS.get(ou_code.upper()) if isinstance(ou_code, str) else None


async def fetch_fleet_region(
    transport: Transport, api_base: str, access_token: str
) -> str | None:
    """Ask the Fleet API at ``api_base`` for the account's region (None: no usable answer).

    Only a region of Tesla's list counts: the base URL the answer also names is not followed.
    """
    url = f"{api_base.rstrip('/')}{USERS_REGION_PATH}"
    try:
        response = await transport.send(
            "GET", url, headers={"Authorization": f"Bearer {access_token}"}
        )
        body = response.json_object() if response.status == 200 else {}
    except TeslaSsoError as err:
        _LOGGER.debug("Fleet API region: no answer (%s)", err)
        return None
    answer = body.get("response")
    region = answer.get("region") if isinstance(answer, dict) else None
    if not isinstance(region, str) or region.lower() not in FLEET_API_BASES:
        _LOGGER.debug("Fleet API region: HTTP %s, no known region", response.status)
        return None
    return region.lower()


async def fleet_api_base(
    transport: Transport, access_token: str, region: Region
) -> str | None:
    """Return the Fleet API base of the token's account (None: Tesla could not tell now).

    Raises nothing: a failed request is None.
    """
    fleet_region = token_fleet_region(access_token, region)
    if fleet_region is None:
        fleet_region = await fetch_fleet_region(
            transport, FLEET_API_BASES["na"], access_token
        )
    return None if fleet_region is None else FLEET_API_BASES[fleet_region]
