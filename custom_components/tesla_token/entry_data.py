"""The config entry data a sign-in produces (the password and id_token are never stored)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from homeassistant.const import CONF_ACCESS_TOKEN, CONF_EMAIL, CONF_REGION

from .connection import ConnectionProfile
from .const import (
    CONF_API_ACCESS,
    CONF_API_CHECKED_AT,
    CONF_API_ROUND_FAILED_AT,
    CONF_API_URL,
    CONF_AUTH_IMPLEMENTATION,
    CONF_AUTH_URL,
    CONF_CLIENT_ID,
    CONF_CONNECTION,
    CONF_EXPIRES_AT,
    CONF_ISSUED_AT,
    CONF_ISSUER,
    CONF_REFRESH_TOKEN,
    CONF_REFRESH_TOKEN_ISSUED_AT,
    CONF_SCOPES_GRANTED,
    CONF_SCOPES_REQUESTED,
)
from .flow_input import ServerChoice
from .sso import TokenSet


@dataclass(frozen=True)
class FleetApp:
    """What a Fleet API entry knows of the person's own Tesla app (no secret)."""

    auth_implementation: str  # the application credential's implementation id
    client_id: str
    scopes_requested: tuple[str, ...]
    scopes_granted: tuple[str, ...]


def token_data(tokens: TokenSet, *, fleet: bool = False) -> dict[str, Any]:
    """The entry data that changes with every refresh.

    Args:
        tokens: the new tokens.
        fleet: a Fleet API entry: its granted scopes follow the answer, when it names them.
    """
    data: dict[str, Any] = {
        CONF_ISSUER: tokens.issuer,
        CONF_ACCESS_TOKEN: tokens.access_token,
        CONF_REFRESH_TOKEN: tokens.refresh_token,
        CONF_EXPIRES_AT: tokens.expires_at,
        CONF_ISSUED_AT: tokens.issued_at,
        # The kept or the new refresh token's own issue time (None when opaque).
        CONF_REFRESH_TOKEN_ISSUED_AT: tokens.refresh_token_issued_at,
    }
    if fleet and tokens.scopes is not None:
        data[CONF_SCOPES_GRANTED] = list(tokens.scopes)
    return data


def build_entry_data(
    tokens: TokenSet,
    *,
    email: str,
    server: ServerChoice,
    connection: ConnectionProfile,
    fleet: FleetApp | None = None,
) -> dict[str, Any]:
    """The entry data for tokens of a sign-in, minted over `connection`.

    Tesla's API has not judged them yet: set-up checks them (when the check is on). Tokens of
    the person's own app (`fleet`) add what the app is; an Owner API entry has none of it.
    """
    data = {
        CONF_EMAIL: email,
        CONF_REGION: server.region.value,
        CONF_AUTH_URL: server.auth_url,
        CONF_API_URL: server.api_url,  # only a typed one: None follows the default
        **token_data(tokens),
        CONF_CONNECTION: connection.value,
        CONF_API_ACCESS: None,
        CONF_API_CHECKED_AT: None,
        CONF_API_ROUND_FAILED_AT: None,
    }
    if fleet is not None:
        data |= {
            CONF_AUTH_IMPLEMENTATION: fleet.auth_implementation,
            CONF_CLIENT_ID: fleet.client_id,
            CONF_SCOPES_REQUESTED: list(fleet.scopes_requested),
            CONF_SCOPES_GRANTED: list(fleet.scopes_granted),
        }
    return data
