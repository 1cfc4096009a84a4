"""The Tesla Token integration: signs in to Tesla's SSO and keeps the token fresh."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from .const import DOMAIN
from .coordinator import TeslaTokenConfigEntry, TeslaTokenCoordinator
from .repairs import async_delete_reauth_issue, async_delete_refresh_failing_issue
from .services import async_setup_services
from .token_store import async_remove_token_store, token_store

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)
PLATFORMS: list[Platform] = [Platform.SENSOR]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Set up the integration: register its actions."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: TeslaTokenConfigEntry) -> bool:
    """Set up an account: continue from the stored token, refreshing when it is due."""
    # A crash may have lost the entry's last write; the token file was written at once.
    await token_store(hass, entry.entry_id).async_reconcile(entry)
    coordinator = TeslaTokenCoordinator(hass, entry)
    await coordinator.async_config_entry_first_refresh()
    # No update listener: storing rotated tokens must not reload the entry, and the options
    # flow reloads the entry itself (the coordinator then follows the new options).
    entry.runtime_data = coordinator
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: TeslaTokenConfigEntry) -> bool:
    """Unload an account, after a running refresh has stored its tokens."""
    await entry.runtime_data.async_stop()
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: TeslaTokenConfigEntry) -> None:
    """Remove the account's repair issues and token file with the entry."""
    async_delete_reauth_issue(hass, entry.entry_id)
    async_delete_refresh_failing_issue(hass, entry.entry_id)
    await async_remove_token_store(hass, entry.entry_id)
