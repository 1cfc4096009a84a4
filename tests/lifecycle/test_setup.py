"""Setting up an account: continue from the stored token; not ready only when it expired."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_token.const import DOMAIN
from custom_components.tesla_token.repairs import refresh_failing_issue_id
from emulator import Emulator, Fault, FaultKind
from tests.lifecycle.helpers import STATUS, advance, advance_in_steps, token_requests

HOUR = timedelta(hours=1)


async def set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add the entry and set it up."""
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def test_setup_with_fresh_token_makes_no_request(
    hass: HomeAssistant, emulator: Emulator, init_integration: MockConfigEntry
) -> None:
    """A fresh token is used as it is: no token request at setup."""
    assert init_integration.state is ConfigEntryState.LOADED
    assert token_requests(emulator) == 0
    assert hass.states.get(STATUS).state == "valid"


async def test_expired_token_and_tesla_down_is_not_ready(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
) -> None:
    """An expired token that cannot be refreshed: retry the setup until Tesla answers."""
    emulator.state.set_fault("token", Fault(FaultKind.STATUS, status=503, count=None))
    frozen_time.tick(9 * HOUR)

    await set_up(hass, mock_config_entry)
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY

    emulator.state.clear_faults()
    await advance_in_steps(
        hass, frozen_time, 5 * timedelta(minutes=1), timedelta(seconds=30)
    )
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert hass.states.get(STATUS).state == "valid"


async def test_valid_token_and_tesla_down_sets_up(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A due but still valid token sets up at once and retries in the background."""
    emulator.state.set_fault("token", Fault(FaultKind.STATUS, status=500))
    frozen_time.tick(7 * HOUR)

    await set_up(hass, mock_config_entry)
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert hass.states.get(STATUS).state == "refresh_failing"

    await advance_in_steps(
        hass, frozen_time, 2 * timedelta(minutes=1), timedelta(seconds=10)
    )
    assert hass.states.get(STATUS).state == "valid"
    assert token_requests(emulator) == 2


async def test_unload_removes_failure_issue(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """An unloaded entry does not keep a "refresh failing" issue."""
    emulator.state.set_fault("token", Fault(FaultKind.STATUS, status=500, count=None))
    await advance(hass, frozen_time, 6 * HOUR)
    await advance_in_steps(
        hass, frozen_time, 61 * timedelta(minutes=1), timedelta(minutes=1)
    )
    issue_id = refresh_failing_issue_id(init_integration.entry_id)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id)

    assert await hass.config_entries.async_unload(init_integration.entry_id)

    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
