"""The options: when to refresh, when a problem becomes a repair, and the token action."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
import pytest

from custom_components.tesla_token.const import DEFAULT_OPTIONS
from emulator import Emulator

from .helpers import add_entry, suggested


async def test_options_change_and_reload(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """The form shows the current options; saving stores whole numbers and reloads."""
    entry = await add_entry(hass, emulator)
    coordinator = entry.runtime_data

    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    assert suggested(result) == DEFAULT_OPTIONS

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            "refresh_mode": "before_expiry",
            "refresh_share": 50.0,
            "refresh_minutes_before": 30.0,
            "repair_grace_minutes": 120.0,
            "allow_token_action": True,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {
        "refresh_mode": "before_expiry",
        "refresh_share": 50,
        "refresh_minutes_before": 30,
        "repair_grace_minutes": 120,
        "allow_token_action": True,
    }
    assert all(
        type(entry.options[key]) is int
        for key in ("refresh_share", "refresh_minutes_before", "repair_grace_minutes")
    )
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data is not coordinator  # reloaded with the new options

    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert suggested(result)["refresh_mode"] == "before_expiry"


async def test_options_out_of_range_are_refused(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """The form refuses values outside the allowed ranges."""
    entry = await add_entry(hass, emulator)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    with pytest.raises(InvalidData) as refused:
        await hass.config_entries.options.async_configure(
            result["flow_id"], {**DEFAULT_OPTIONS, "refresh_share": 99}
        )
    assert "refresh_share" in refused.value.schema_errors
    assert entry.options == DEFAULT_OPTIONS
