"""The token sensors: registry entries, states and the device."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from custom_components.tesla_token.const import DOMAIN
from emulator import Emulator, Fault, FaultKind
from tests.helpers import STATUS, TOKEN_KIND, advance


async def test_sensors(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    init_integration: MockConfigEntry,
) -> None:
    """Every sensor's registry entry and state."""
    entries = er.async_entries_for_config_entry(
        entity_registry, init_integration.entry_id
    )

    assert len(entries) == 9
    for entity_entry in entries:
        assert entity_entry == snapshot(name=f"{entity_entry.entity_id}-entry")
        assert hass.states.get(entity_entry.entity_id) == snapshot(
            name=f"{entity_entry.entity_id}-state"
        )


async def test_device(
    hass: HomeAssistant,
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
    init_integration: MockConfigEntry,
) -> None:
    """One service device per account, named after the email address."""
    devices = dr.async_entries_for_config_entry(
        device_registry, init_integration.entry_id
    )

    assert len(devices) == 1
    assert devices[0].identifiers == {(DOMAIN, init_integration.unique_id)}
    assert devices[0] == snapshot


async def test_sensors_stay_available_while_failing(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """A failing refresh shows in the status; the other sensors keep their values."""
    emulator.state.set_fault("token", Fault(FaultKind.STATUS, status=500, count=None))

    await advance(hass, frozen_time, timedelta(hours=6))

    assert hass.states.get(STATUS).state == "refresh_failing"
    assert hass.states.get(TOKEN_KIND).state == "owner_api"
