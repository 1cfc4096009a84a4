"""The Tesla Token integration: signs in to Tesla's SSO and keeps the token fresh."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv, issue_registry as ir
from homeassistant.helpers.typing import ConfigType

from .connection import ConnectionProfile
from .const import (
    CONF_API_CHECK,
    CONF_CONNECTION,
    CONF_CONNECTION_CHOICE,
    CONF_REFUSED_ISSUED_AT,
    CONNECTION_AUTOMATIC,
    DEFAULT_API_CHECK,
    DOMAIN,
    LOGGER,
)
from .coordinator import TeslaTokenConfigEntry, TeslaTokenCoordinator
from .repairs import async_delete_issues
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
    """Unload an account (the coordinator stops once a running refresh is stored)."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: TeslaTokenConfigEntry) -> None:
    """Remove the account's repair issues and token file with the entry."""
    async_delete_issues(hass, entry.entry_id)
    await async_remove_token_store(hass, entry.entry_id)


async def async_migrate_entry(
    hass: HomeAssistant, entry: TeslaTokenConfigEntry
) -> bool:
    """Bring an entry of version 1.1 or 1.2 to 1.3 (Home Assistant refuses newer ones itself).

    1.1 remembered the tokens Tesla refused in a repair issue of its own; 1.2 in the entry.
    1.3 remembers the connection profile that minted the tokens (earlier releases refreshed
    over aiohttp: HTTP/1.1) and has the API check and connection options.
    """
    data = dict(entry.data)
    if entry.minor_version < 2:
        issue_id = f"reauth_required_{entry.entry_id}"
        issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
        if issue is not None and issue.data is not None:
            data[CONF_REFUSED_ISSUED_AT] = issue.data.get("issued_at")
        ir.async_delete_issue(hass, DOMAIN, issue_id)
    data.setdefault(CONF_CONNECTION, ConnectionProfile.HTTP11.value)
    options = {
        CONF_API_CHECK: DEFAULT_API_CHECK,
        CONF_CONNECTION_CHOICE: CONNECTION_AUTOMATIC,
        **entry.options,
    }
    hass.config_entries.async_update_entry(
        entry, data=data, options=options, minor_version=3
    )
    LOGGER.debug("Migrated %s to version 1.3", entry.title)
    return True
