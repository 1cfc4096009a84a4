"""Diagnostics of Tesla Token: what the entry and its coordinator hold, with secrets redacted."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any, Final

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .const import CONF_ACCESS_TOKEN, CONF_EMAIL, CONF_REFRESH_TOKEN
from .coordinator import TeslaTokenConfigEntry

# Every token, the email and the account id (the entry's unique_id, the JWT "sub").
TO_REDACT: Final = {
    CONF_ACCESS_TOKEN,
    CONF_REFRESH_TOKEN,
    "id_token",
    CONF_EMAIL,
    "account",
    "unique_id",
    "sub",
    "title",
}


def _jsonable(value: Any) -> Any:
    """Return datetimes as ISO strings."""
    return value.isoformat() if isinstance(value, datetime) else value


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: TeslaTokenConfigEntry
) -> dict[str, Any]:
    """Return the diagnostics of a config entry."""
    coordinator = entry.runtime_data
    state = {key: _jsonable(value) for key, value in asdict(coordinator.data).items()}
    return async_redact_data(
        {
            "entry": {
                "title": entry.title,
                "unique_id": entry.unique_id,
                "data": dict(entry.data),
                "options": dict(entry.options),
            },
            "state": state,
        },
        TO_REDACT,
    )
