"""Diagnostics of Tesla Token: what the entry and its coordinator hold, with secrets redacted."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_ACCESS_TOKEN, CONF_EMAIL
from homeassistant.core import HomeAssistant

from .clock_skew import stored_clock_offset
from .const import CONF_AUTH_IMPLEMENTATION, CONF_CLIENT_ID, CONF_REFRESH_TOKEN
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
    # A Fleet API app's client id is no secret, but it names the person's app (and HA's
    # implementation id of its application credential carries it).
    CONF_CLIENT_ID,
    CONF_AUTH_IMPLEMENTATION,
}


def _jsonable(value: Any) -> Any:
    """Return datetimes as ISO strings and enums as their values (also inside lists, dicts)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    return value


def _coordinator_state(entry: TeslaTokenConfigEntry) -> dict[str, Any] | None:
    """Return what the coordinator shows, or None for an entry that is not loaded.

    An entry whose set-up failed (Tesla refused the token) has no coordinator: its
    diagnostics matter most then, so they hold what the entry holds.
    """
    coordinator = getattr(entry, "runtime_data", None)
    if entry.state is not ConfigEntryState.LOADED or coordinator is None:
        return None
    return {key: _jsonable(value) for key, value in asdict(coordinator.data).items()}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: TeslaTokenConfigEntry
) -> dict[str, Any]:
    """Return the diagnostics of a config entry."""
    offset = stored_clock_offset(entry.data)
    return async_redact_data(
        {
            "entry": {
                "title": entry.title,
                "unique_id": entry.unique_id,
                "state": entry.state.value,
                "data": dict(entry.data),
                "options": dict(entry.options),
            },
            # Seconds Tesla's clock was ahead of this one at the last refresh (negative: behind).
            "clock_offset_seconds": None if offset is None else round(offset),
            "state": _coordinator_state(entry),
        },
        TO_REDACT,
    )
