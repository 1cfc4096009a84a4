"""A restart between a rotated refresh token and the next refresh loses nothing.

Home Assistant writes config entries to `.storage/core.config_entries` shortly after a change;
the test harness keeps that file in `hass_storage`. The first Home Assistant receives a rotated
single-use token and writes it; then the process "dies" (whatever it writes on the way out is
thrown away). A second Home Assistant starts from the file alone and refreshes with it.
"""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant import config_entries, core, loader
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_ACCESS_TOKEN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import (
    async_fire_time_changed,
    async_test_home_assistant,
)

from custom_components.tesla_token.const import CONF_REFRESH_TOKEN
from emulator import Emulator, RefreshRotation
from tests.helpers import STATUS, token_requests
from tests.leak_guard import LeakGuard

from .helpers import advance, load, owner_entry

STORAGE_KEY = "core.config_entries"
# Home Assistant writes config entries this long after a change (config_entries.SAVE_DELAY).
WRITE_DELAY = timedelta(seconds=config_entries.SAVE_DELAY + 1)


def stored_entry(hass_storage: dict[str, Any], entry_id: str) -> dict[str, Any]:
    """The entry as `.storage/core.config_entries` holds it."""
    entries = hass_storage[STORAGE_KEY]["data"]["entries"]
    found: dict[str, Any] = next(e for e in entries if e["entry_id"] == entry_id)
    return found


async def receive_rotated_token(
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    leak_guard: LeakGuard,
) -> tuple[str, str, str]:
    """Run a first Home Assistant until the scheduled refresh rotated the token, then crash.

    Returns:
        The entry id, the refresh token before and the one after the rotation.
    """
    async with async_test_home_assistant() as first:
        first.data.pop(loader.DATA_CUSTOM_COMPONENTS)  # load custom integrations
        unsubscribe = leak_guard.watch_hass(first)
        entry = await load(first, await owner_entry(emulator))
        before = entry.data[CONF_REFRESH_TOKEN]

        await advance(first, freezer, timedelta(hours=6))  # the scheduled refresh
        after = entry.data[CONF_REFRESH_TOKEN]
        assert after != before
        # Home Assistant writes the entry shortly after the change.
        freezer.tick(WRITE_DELAY)
        async_fire_time_changed(first)
        await first.async_block_till_done()

        on_disk = stored_entry(hass_storage, entry.entry_id)
        assert on_disk["data"][CONF_REFRESH_TOKEN] == after
        assert on_disk["data"][CONF_ACCESS_TOKEN] == entry.data[CONF_ACCESS_TOKEN]
        # The process dies here: nothing it would write while shutting down counts.
        file_at_crash = copy.deepcopy(hass_storage[STORAGE_KEY])
        await leak_guard.async_expose_hass(first)
        unsubscribe()
        await first.config_entries.async_unload(entry.entry_id)
        await first.async_stop(force=True)
    hass_storage[STORAGE_KEY] = file_at_crash
    return entry.entry_id, before, after


async def test_restart_keeps_the_rotated_refresh_token(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    leak_guard: LeakGuard,
) -> None:
    """The next Home Assistant refreshes with the rotated token read from disk."""
    emulator.state.scenario.refresh_rotation = RefreshRotation.SINGLE_USE
    entry_id, before, after = await receive_rotated_token(
        emulator, frozen_time, hass_storage, leak_guard
    )
    core._hass.hass = hass  # the first instance made itself the current one
    # Tesla has spent the old token: a Home Assistant holding it would be signed out.
    assert not emulator.state.refresh_tokens[before].active

    # Home Assistant starts again and reads its config entries from disk.
    hass.config_entries = config_entries.ConfigEntries(hass, {})
    await hass.config_entries.async_initialize()
    entry = hass.config_entries.async_get_entry(entry_id)
    assert entry is not None
    assert entry.data[CONF_REFRESH_TOKEN] == after
    assert await hass.config_entries.async_setup(entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get(STATUS).state == "valid"
    emulator.state.clear_requests()

    await advance(hass, frozen_time, timedelta(hours=6))  # the next scheduled refresh

    assert token_requests(emulator) == 1
    assert hass.states.get(STATUS).state == "valid"
    assert entry.data[CONF_REFRESH_TOKEN] not in (before, after)
    assert emulator.state.refresh_tokens[entry.data[CONF_REFRESH_TOKEN]].active
    assert not ir.async_get(hass).issues
    assert not hass.config_entries.flow.async_progress()  # no sign-in asked for
