"""Many refresh triggers at once (actions, the schedule, a reload) make one token request.

Refresh tokens are single-use here: a second request with the same token would be refused and
sign the account out, so "one request, every caller served" is what keeps the account alive.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_ACCESS_TOKEN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.tesla_token.const import (
    CONF_ALLOW_TOKEN_ACTION,
    CONF_REFRESH_TOKEN,
    DOMAIN,
    SERVICE_GET_ACCESS_TOKEN,
    SERVICE_REFRESH,
)
from custom_components.tesla_token.coordinator import TeslaTokenCoordinator
from emulator import Emulator, Fault, FaultKind, RefreshRotation
from tests.helpers import STATUS, token_requests

from .helpers import load, owner_entry, spin_until

REFRESH_ACTIONS = 8
TOKEN_ACTIONS = 4
# The token request waits this long at the emulator, so that every trigger queues up behind it.
HELD_FOR = timedelta(seconds=5)


@pytest.fixture
async def entry(hass: HomeAssistant, emulator: Emulator) -> MockConfigEntry:
    """An account whose token action is allowed, set up with fresh single-use tokens."""
    emulator.state.scenario.refresh_rotation = RefreshRotation.SINGLE_USE
    stored = await owner_entry(emulator, {CONF_ALLOW_TOKEN_ACTION: True})
    config_entry = await load(hass, stored)
    emulator.state.clear_requests()
    return config_entry


def waiting_for_the_lock(coordinator: TeslaTokenCoordinator) -> int:
    """How many refresh triggers wait for the refresh that is running."""
    return len(coordinator.refresh_lock._waiters or ())


async def test_every_trigger_at_once_makes_one_request(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    entry: MockConfigEntry,
) -> None:
    """Actions, get_access_token, the schedule and a reload share one refresh."""
    coordinator: TeslaTokenCoordinator = entry.runtime_data
    refresh_token = entry.data[CONF_REFRESH_TOKEN]
    held = Fault(FaultKind.DELAY, delay=HELD_FOR.total_seconds())
    emulator.state.set_fault("token", held)
    target = {"config_entry_id": entry.entry_id}

    def refresh() -> Coroutine[Any, Any, Any]:
        return hass.services.async_call(DOMAIN, SERVICE_REFRESH, target, blocking=True)

    def get_token() -> Coroutine[Any, Any, Any]:
        return hass.services.async_call(
            DOMAIN,
            SERVICE_GET_ACCESS_TOKEN,
            target,
            blocking=True,
            return_response=True,
        )

    # The refresh comes due: the schedule fires and its request reaches Tesla, which sits on it.
    frozen_time.tick(timedelta(hours=6))
    async_fire_time_changed(hass)
    assert await spin_until(lambda: held.count == 0)
    callers = [
        *(asyncio.ensure_future(refresh()) for _ in range(REFRESH_ACTIONS)),
        *(asyncio.ensure_future(get_token()) for _ in range(TOKEN_ACTIONS)),
        asyncio.ensure_future(hass.config_entries.async_reload(entry.entry_id)),
    ]
    # Every trigger queues behind the running refresh (the reload's unload waits for it too).
    assert await spin_until(lambda: waiting_for_the_lock(coordinator) == len(callers))

    frozen_time.tick(HELD_FOR)
    async_fire_time_changed(hass)
    results = await asyncio.gather(*callers)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert token_requests(emulator) == 1
    new_access_token = entry.data[CONF_ACCESS_TOKEN]
    assert results[:REFRESH_ACTIONS] == [None] * REFRESH_ACTIONS
    assert [r["access_token"] for r in results[REFRESH_ACTIONS:-1]] == (
        [new_access_token] * TOKEN_ACTIONS
    )
    assert results[-1] is True  # reloaded
    assert entry.state is ConfigEntryState.LOADED
    assert entry.data[CONF_REFRESH_TOKEN] != refresh_token
    assert emulator.state.refresh_tokens[entry.data[CONF_REFRESH_TOKEN]].active
    assert hass.states.get(STATUS).state == "valid"
    assert not ir.async_get(hass).issues


async def test_triggers_right_after_a_refresh_make_no_request(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    entry: MockConfigEntry,
) -> None:
    """Once refreshed, get_access_token and a reload use the new token without asking again."""
    target = {"config_entry_id": entry.entry_id}
    frozen_time.tick(timedelta(hours=6))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert token_requests(emulator) == 1

    responses = await asyncio.gather(
        *(
            hass.services.async_call(
                DOMAIN,
                SERVICE_GET_ACCESS_TOKEN,
                target,
                blocking=True,
                return_response=True,
            )
            for _ in range(TOKEN_ACTIONS)
        ),
        hass.config_entries.async_reload(entry.entry_id),
    )
    await hass.async_block_till_done()

    assert token_requests(emulator) == 1
    assert {r["access_token"] for r in responses[:-1]} == {
        entry.data[CONF_ACCESS_TOKEN]
    }
    assert hass.states.get(STATUS).state == "valid"
