"""The base entity of Tesla Token: one service device per account."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import TeslaTokenCoordinator


class TeslaTokenEntity(CoordinatorEntity[TeslaTokenCoordinator]):
    """An entity that describes one account's token."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: TeslaTokenCoordinator, key: str) -> None:
        """Attach the entity to the account's device."""
        super().__init__(coordinator)
        entry = coordinator.config_entry
        account_id = entry.unique_id or entry.entry_id
        self._attr_unique_id = f"{account_id}_{key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, account_id)},
            entry_type=DeviceEntryType.SERVICE,
            manufacturer="Tesla",
            model="Tesla account",
            name=coordinator.account,
        )
