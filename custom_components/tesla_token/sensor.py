"""Sensors that show the health of an account's token."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, override

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .account_kind import is_fleet
from .connection import ConnectionProfile
from .coordinator import TeslaTokenConfigEntry, TeslaTokenCoordinator
from .entity import TeslaTokenEntity
from .sso import TokenKind
from .token_state import API_ACCESS_STATES, TokenState, TokenStatus

# The coordinator does every request; entities never do.
PARALLEL_UPDATES = 0

# The kinds a token of this integration can be; others show as unknown.
_TOKEN_KINDS = (TokenKind.OWNER_API, TokenKind.FLEET_API)


@dataclass(frozen=True, kw_only=True)
class TeslaTokenSensorEntityDescription(SensorEntityDescription):
    """Describes a Tesla Token sensor."""

    value_fn: Callable[[TokenState], str | int | datetime | None]
    # Whether the entry has this sensor (from its data): some apply to Fleet API tokens only.
    exists_fn: Callable[[Mapping[str, Any]], bool] = lambda _: True
    attributes_fn: Callable[[TokenState], dict[str, Any]] | None = None


def _token_kind(state: TokenState) -> str | None:
    """Return the token kind when it is one the enum knows."""
    return state.token_kind.value if state.token_kind in _TOKEN_KINDS else None


SENSORS: tuple[TeslaTokenSensorEntityDescription, ...] = (
    TeslaTokenSensorEntityDescription(
        key="status",
        translation_key="status",
        device_class=SensorDeviceClass.ENUM,
        options=[status.value for status in TokenStatus],
        value_fn=lambda state: state.status.value,
    ),
    TeslaTokenSensorEntityDescription(
        key="access_token_expires",
        translation_key="access_token_expires",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda state: state.expires_at,
    ),
    TeslaTokenSensorEntityDescription(
        key="last_refresh",
        translation_key="last_refresh",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda state: state.issued_at,
    ),
    TeslaTokenSensorEntityDescription(
        key="next_refresh",
        translation_key="next_refresh",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda state: state.next_refresh,
    ),
    TeslaTokenSensorEntityDescription(
        key="token_kind",
        translation_key="token_kind",
        device_class=SensorDeviceClass.ENUM,
        options=[kind.value for kind in _TOKEN_KINDS],
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=_token_kind,
    ),
    TeslaTokenSensorEntityDescription(
        key="refresh_token_issued",
        translation_key="refresh_token_issued",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda state: state.refresh_token_issued_at,
    ),
    TeslaTokenSensorEntityDescription(
        key="api_access",
        translation_key="api_access",
        device_class=SensorDeviceClass.ENUM,
        options=list(API_ACCESS_STATES),
        value_fn=lambda state: state.api_access,
    ),
    TeslaTokenSensorEntityDescription(
        key="last_api_check",
        translation_key="last_api_check",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda state: state.api_checked_at,
    ),
    TeslaTokenSensorEntityDescription(
        key="connection",
        translation_key="connection",
        device_class=SensorDeviceClass.ENUM,
        options=[profile.value for profile in ConnectionProfile],
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda state: state.connection,
    ),
    # Fleet API tokens (one's own app).
    TeslaTokenSensorEntityDescription(
        key="refresh_token_expires",
        translation_key="refresh_token_expires",
        device_class=SensorDeviceClass.TIMESTAMP,
        exists_fn=is_fleet,
        value_fn=lambda state: state.refresh_token_expires_at,
    ),
    TeslaTokenSensorEntityDescription(
        key="granted_scopes",
        translation_key="granted_scopes",
        entity_category=EntityCategory.DIAGNOSTIC,
        exists_fn=is_fleet,
        value_fn=lambda state: len(state.scopes_granted or ()),
        attributes_fn=lambda state: {"scopes": list(state.scopes_granted or ())},
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TeslaTokenConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the token sensors of an account."""
    coordinator = entry.runtime_data
    async_add_entities(
        TeslaTokenSensorEntity(coordinator, description)
        for description in SENSORS
        if description.exists_fn(entry.data)
    )


class TeslaTokenSensorEntity(TeslaTokenEntity, SensorEntity):
    """One fact about an account's token."""

    entity_description: TeslaTokenSensorEntityDescription

    def __init__(
        self,
        coordinator: TeslaTokenCoordinator,
        description: TeslaTokenSensorEntityDescription,
    ) -> None:
        """Create the sensor."""
        super().__init__(coordinator, description.key)
        self.entity_description = description

    @property
    @override
    def native_value(self) -> str | int | datetime | None:
        """Return the sensor's value."""
        return self.entity_description.value_fn(self.coordinator.data)

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the sensor's attributes, if it has any."""
        attributes_fn = self.entity_description.attributes_fn
        return None if attributes_fn is None else attributes_fn(self.coordinator.data)
