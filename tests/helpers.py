"""Helpers for the tests of an entry that keeps its token fresh (entities, requests, time)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntry
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.tesla_token.connection import (
    ConnectionProfile,
    async_token_transport,
)
from custom_components.tesla_token.entry_data import build_entry_data
from custom_components.tesla_token.flow_input import ServerChoice
from custom_components.tesla_token.sso import Region, TeslaSso, TokenSet
from emulator import Emulator

EMAIL = "owner@example.com"

STATUS = "sensor.owner_example_com_status"
EXPIRES = "sensor.owner_example_com_access_token_expires"
LAST_REFRESH = "sensor.owner_example_com_last_refresh"
NEXT_REFRESH = "sensor.owner_example_com_next_refresh"
TOKEN_KIND = "sensor.owner_example_com_token_kind"


def token_request_times(emulator: Emulator) -> list[float]:
    """When the emulator served each token request (POST …/oauth2/v3/token)."""
    return [
        record.time
        for record in emulator.state.requests
        if record.method == "POST" and record.path.endswith("/oauth2/v3/token")
    ]


def token_requests(emulator: Emulator) -> int:
    """How many token requests the emulator served."""
    return len(token_request_times(emulator))


async def advance(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta
) -> None:
    """Move the clock forward and let every timer that came due run to its end."""
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def advance_in_steps(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    total: timedelta,
    step: timedelta,
) -> None:
    """Move the clock forward step by step, as real time would pass."""
    elapsed = timedelta()
    while elapsed < total:
        await advance(hass, freezer, step)
        elapsed += step


async def mint_token_set(emulator: Emulator, email: str = EMAIL) -> TokenSet:
    """Return tokens as a sign-in would: a minted refresh token, refreshed once for real."""
    async with aiohttp.ClientSession() as session:
        return await TeslaSso(session, emulator.global_sso).refresh(
            emulator.state.mint_refresh_token(email)
        )


def https_sso(emulator: Emulator) -> str:
    """The emulator's global SSO base on its HTTPS port (its CA: see `trust_emulator`)."""
    return f"{emulator.https_url}/oauth2/v3"


async def mint_over(
    hass: HomeAssistant, emulator: Emulator, profile: ConnectionProfile
) -> TokenSet:
    """Tokens as a sign-in over `profile` gets them (Tesla judges that connection)."""
    transport = await async_token_transport(hass, profile)
    return await TeslaSso(transport, https_sso(emulator)).refresh(
        emulator.state.mint_refresh_token(EMAIL)
    )


def entry_data(
    emulator: Emulator, tokens: TokenSet, email: str = EMAIL
) -> dict[str, Any]:
    """The config entry data the config flow writes for these tokens."""
    server = ServerChoice(region=Region.GLOBAL, auth_url=emulator.global_sso)
    return build_entry_data(
        tokens, email=email, server=server, connection=ConnectionProfile.HTTP11
    )


def reauth_flows(hass: HomeAssistant, entry: ConfigEntry) -> list[str]:
    """The ids of the reauth flows in progress for the entry."""
    return [
        flow["flow_id"] for flow in entry.async_get_active_flows(hass, {SOURCE_REAUTH})
    ]
