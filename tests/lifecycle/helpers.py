"""Helpers for the token lifecycle tests."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from emulator import Emulator

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
