"""Owner API or Fleet API entry: which client refreshes, and what the entry knows of scopes.

An entry of one's own Tesla app (Fleet API) carries the app's client id and the scopes asked
for and granted; an Owner API entry has none of these keys (its client is ``ownerapi``). Pure
functions of the entry data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .clock_skew import stored_clock_offset
from .const import (
    CONF_CLIENT_ID,
    CONF_ISSUED_AT,
    CONF_REFRESH_TOKEN_ISSUED_AT,
    CONF_SCOPES_GRANTED,
    CONF_SCOPES_REQUESTED,
)
from .sso import FLEET_REFRESH_TOKEN_LIFETIME

# A repair issue once a Fleet refresh token expires within this many seconds (it is replaced at
# every refresh, so only refreshes failing for weeks leave it this old).
REFRESH_TOKEN_WARNING: Final = 14 * 86400


def is_fleet(data: Mapping[str, Any]) -> bool:
    """Return whether the entry keeps a token of one's own Fleet API app."""
    return data.get(CONF_CLIENT_ID) is not None


def client_id(data: Mapping[str, Any]) -> str | None:
    """Return the app's client id (None: an Owner API entry, client ``ownerapi``)."""
    value = data.get(CONF_CLIENT_ID)
    return None if value is None else str(value)


def scopes_granted(data: Mapping[str, Any]) -> list[str] | None:
    """Return the scopes Tesla granted (None: an Owner API entry)."""
    if not is_fleet(data):
        return None
    return [str(scope) for scope in data.get(CONF_SCOPES_GRANTED) or ()]


def scopes_missing(data: Mapping[str, Any]) -> list[str]:
    """Return the scopes the person chose that Tesla did not grant (in the chosen order)."""
    granted = scopes_granted(data)
    if granted is None:
        return []
    requested = [str(scope) for scope in data.get(CONF_SCOPES_REQUESTED) or ()]
    return [scope for scope in requested if scope not in granted]


def refresh_token_expires_at(data: Mapping[str, Any]) -> float | None:
    """Return when the stored refresh token stops working (epoch seconds, this clock).

    Tesla ends an app's refresh token 3 months after its issue; ``ownerapi`` ones have no
    known end (None). The refresh token's ``iat`` is Tesla's clock, moved by the offset measured
    with the access token; an opaque refresh token counts from its arrival.
    """
    if not is_fleet(data):
        return None
    issued = data.get(CONF_REFRESH_TOKEN_ISSUED_AT)
    offset = stored_clock_offset(data)
    if issued is None:
        start = float(data[CONF_ISSUED_AT])
    else:
        start = float(issued) - (offset or 0.0)
    return start + FLEET_REFRESH_TOKEN_LIFETIME


def refresh_token_expiring(data: Mapping[str, Any], now: float) -> bool:
    """Return whether the refresh token runs out within the warning period."""
    expires_at = refresh_token_expires_at(data)
    return expires_at is not None and expires_at - now <= REFRESH_TOKEN_WARNING
