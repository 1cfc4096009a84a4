"""Tests of the options flow: schedule, repair grace, token action, API check, connection."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
import pytest

from custom_components.tesla_token.const import DEFAULT_OPTIONS
from emulator import Emulator

from .flow_helpers import FlowDriver, suggested

CHANGED = {
    "refresh_mode": "before_expiry",
    "refresh_share": 50,
    "refresh_minutes_before": 30,
    "repair_grace_minutes": 120,
    "allow_token_action": True,
    "api_check": False,
    "connection_choice": "tls12",
}


@pytest.fixture
async def entry(flow: FlowDriver, emulator: Emulator) -> ConfigEntry:
    """An entry added through the config flow, loaded."""
    return await flow.add_entry(emulator)


async def test_options_change_and_reload(
    hass: HomeAssistant, flow: FlowDriver, entry: ConfigEntry
) -> None:
    """The form shows the current options; saving stores whole numbers and reloads."""
    coordinator = entry.runtime_data
    result = await flow.start_options(entry)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    assert suggested(result) == DEFAULT_OPTIONS

    # The number selector hands back floats.
    typed = {
        key: float(value) if type(value) is int else value
        for key, value in CHANGED.items()
    }
    result = await flow.submit_options(result, typed)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == CHANGED
    assert all(
        type(entry.options[key]) is type(value) for key, value in CHANGED.items()
    )
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data is not coordinator  # reloaded with the new options

    result = await flow.start_options(entry)
    assert suggested(result) == CHANGED


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("refresh_share", 99),
        ("refresh_share", 9),
        ("refresh_minutes_before", 421),
        ("repair_grace_minutes", 4),
        ("refresh_mode", "sometimes"),
        ("connection_choice", "http3"),
    ],
)
async def test_values_out_of_range_are_refused(
    hass: HomeAssistant,
    flow: FlowDriver,
    entry: ConfigEntry,
    field: str,
    value: Any,
) -> None:
    """The form refuses values outside the allowed ranges; allowed ones are saved."""
    result = await flow.start_options(entry)
    with pytest.raises(InvalidData) as refused:
        await hass.config_entries.options.async_configure(
            result["flow_id"], {**DEFAULT_OPTIONS, field: value}
        )
    assert field in refused.value.schema_errors
    assert entry.options == DEFAULT_OPTIONS

    result = await flow.submit_options(result, CHANGED)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == CHANGED
