"""Home Assistant's own test checks stay on, and the integration passes them under pressure.

The harness fails a test that leaves tasks or timers behind; tests/conftest.py turns on Home
Assistant's detection of blocking calls in the event loop. Nothing in the suite may switch
either off.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
import time

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.util.async_ import get_scheduled_timer_handles
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.tesla_token.const import CONF_REFRESH_TOKEN
from custom_components.tesla_token.coordinator import TeslaTokenCoordinator
from emulator import Emulator, Fault, FaultKind, RefreshRotation
from tests.helpers import STATUS

from .helpers import advance, load, owner_entry, spin_until

TESTS = Path(__file__).parents[1]
# What switches a harness check off.
SWITCHES = (
    "expected_lingering_tasks",
    "expected_lingering_timers",
    "disable_block_async_io",
    "no_fail_on_log_exception",
)


def test_no_test_switches_a_harness_check_off() -> None:
    """No test or fixture overrides the lingering checks or turns off blocking-call detection."""
    found = [
        f"{path.relative_to(TESTS)}: {switch}"
        for path in sorted(TESTS.rglob("*.py"))
        if path != Path(__file__)  # names them, to look for them
        for switch in SWITCHES
        if switch in path.read_text(encoding="utf-8")
    ]
    assert found == []


async def test_blocking_calls_in_the_loop_are_caught() -> None:
    """A blocking call in the event loop raises, as it does in Home Assistant."""
    with pytest.raises(RuntimeError, match="blocking call to sleep"):
        time.sleep(0)  # noqa: ASYNC251 - the blocking call the check must catch


async def set_up(hass: HomeAssistant, emulator: Emulator) -> MockConfigEntry:
    """An account with fresh single-use tokens, set up."""
    emulator.state.scenario.refresh_rotation = RefreshRotation.SINGLE_USE
    return await load(hass, await owner_entry(emulator))


def pending_timers(hass: HomeAssistant) -> list[str]:
    """The integration's timers still armed on the loop."""
    return [
        text
        for handle in get_scheduled_timer_handles(hass.loop)
        if not handle.cancelled() and "TeslaToken" in (text := repr(handle))
    ]


async def test_unload_while_failing_leaves_no_timer(
    hass: HomeAssistant, emulator: Emulator, frozen_time: FrozenDateTimeFactory
) -> None:
    """Retry, grace-period and expiry timers all go with the entry."""
    entry = await set_up(hass, emulator)
    emulator.state.set_fault("token", Fault(FaultKind.STATUS, status=503, count=None))
    await advance(hass, frozen_time, timedelta(hours=6))
    assert hass.states.get(STATUS).state == "refresh_failing"
    assert len(pending_timers(hass)) == 3  # retry, grace period, expiry

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()

    assert pending_timers(hass) == []


async def test_unload_waits_for_the_refresh_and_keeps_its_token(
    hass: HomeAssistant, emulator: Emulator, frozen_time: FrozenDateTimeFactory
) -> None:
    """Unloading during a refresh waits for it: the rotated token is stored, not dropped."""
    entry = await set_up(hass, emulator)
    coordinator: TeslaTokenCoordinator = entry.runtime_data
    refresh_token = entry.data[CONF_REFRESH_TOKEN]
    held = Fault(FaultKind.DELAY, delay=5)
    emulator.state.set_fault("token", held)
    frozen_time.tick(timedelta(hours=6))
    async_fire_time_changed(hass)
    assert await spin_until(lambda: held.count == 0)  # Tesla is working on it

    unload = asyncio.ensure_future(hass.config_entries.async_unload(entry.entry_id))
    assert await spin_until(lambda: bool(coordinator.refresh_lock._waiters))
    assert not unload.done()
    frozen_time.tick(timedelta(seconds=5))
    async_fire_time_changed(hass)

    assert await unload
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert entry.data[CONF_REFRESH_TOKEN] != refresh_token
    assert emulator.state.refresh_tokens[entry.data[CONF_REFRESH_TOKEN]].active
