"""Where an account's tokens are kept: written to disk at once, spent by one holder at a time.

Home Assistant writes config entries about a second after a change. A rotated single-use
refresh token lost in that second (power cut, kill -9) means signing in again, so every new
token is first saved in the entry's own file, and set-up takes it from there when the entry on
disk is older.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store
from homeassistant.util.hass_dict import HassKey

from .const import (
    CONF_ISSUED_AT,
    CONF_REFRESH_TOKEN,
    CONF_REFUSED_ISSUED_AT,
    DOMAIN,
    LOGGER,
)

DATA_TOKEN_STORES: Final[HassKey[dict[str, TokenStore]]] = HassKey(
    f"{DOMAIN}_token_stores"
)
STORAGE_VERSION: Final = 1


def _issued_at(data: Mapping[str, Any]) -> float | None:
    """The issue time of the tokens in entry data, None when it is not a number."""
    value = data.get(CONF_ISSUED_AT)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def tokens_refused(data: Mapping[str, Any]) -> bool:
    """Return whether Tesla refused the tokens in this entry data (no sign-in since)."""
    refused = data.get(CONF_REFUSED_ISSUED_AT)
    return refused is not None and refused == data.get(CONF_ISSUED_AT)


def without_refusal(data: Mapping[str, Any]) -> dict[str, Any]:
    """Return entry data that no longer remembers refused tokens (new tokens came)."""
    return {key: value for key, value in data.items() if key != CONF_REFUSED_ISSUED_AT}


class TokenStore:
    """One entry's token file, and the lock held while its refresh token is spent."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Keep the tokens of `entry_id` in `.storage/tesla_token.<entry_id>`."""
        self._hass = hass
        # Held across the request that spends the token and the writes of its successor.
        self.lock = asyncio.Lock()
        self._store: Store[dict[str, Any]] = Store(
            hass,
            STORAGE_VERSION,
            f"{DOMAIN}.{entry_id}",
            private=True,
            # fsync: the token must survive a power cut, not only a killed process.
            atomic_writes=True,
        )

    async def async_save(self, entry: ConfigEntry, data: Mapping[str, Any]) -> None:
        """Write the entry's new data to disk now, then into the entry (call under `lock`)."""
        try:
            await self._store.async_save(dict(data))
        finally:
            # Even when the write was cancelled: the token is spent, this is the only copy.
            self._hass.config_entries.async_update_entry(entry, data=dict(data))

    async def async_reconcile(self, entry: ConfigEntry) -> None:
        """Take the file's tokens when they were issued after the entry's on disk."""
        async with self.lock:
            stored = await self._store.async_load()
            if not isinstance(stored, dict) or not stored.get(CONF_REFRESH_TOKEN):
                return
            newer = _issued_at(stored)
            current = _issued_at(entry.data)
            if newer is None or (current is not None and newer <= current):
                return
            LOGGER.info(
                "Home Assistant stopped before it saved the newest token of %s; "
                "continuing with the one written at once",
                entry.title,
            )
            self._hass.config_entries.async_update_entry(
                entry, data={**entry.data, **stored}
            )

    async def async_remove(self) -> None:
        """Delete the file (the entry is being removed)."""
        await self._store.async_remove()


def token_store(hass: HomeAssistant, entry_id: str) -> TokenStore:
    """The token store of an entry: one per entry, whatever state the entry is in."""
    stores = hass.data.setdefault(DATA_TOKEN_STORES, {})
    if (store := stores.get(entry_id)) is None:
        store = stores[entry_id] = TokenStore(hass, entry_id)
    return store


async def async_remove_token_store(hass: HomeAssistant, entry_id: str) -> None:
    """Delete an entry's token file and forget its store."""
    await token_store(hass, entry_id).async_remove()
    hass.data[DATA_TOKEN_STORES].pop(entry_id, None)
