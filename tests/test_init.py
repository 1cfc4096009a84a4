"""Home Assistant loads and unloads the integration."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_token.const import DOMAIN


async def test_setup_and_unload_entry(hass: HomeAssistant) -> None:
    """An entry loads, and unloads again."""
    entry = MockConfigEntry(domain=DOMAIN, title="owner@example.com")
    entry.add_to_hass(hass)

    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED

    assert await hass.config_entries.async_unload(entry.entry_id)
    assert entry.state is ConfigEntryState.NOT_LOADED
