"""The token file: written before anyone hears of a new token, read back at set-up when newer.

`hass_storage` is `.storage/` as the test harness keeps it: `tesla_token.<entry_id>` is the
entry's token file, `core.config_entries` the entries Home Assistant writes a second late.
"""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Any

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Event, HomeAssistant, callback
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_token.const import (
    CONF_API_ACCESS,
    CONF_API_CHECKED_AT,
    CONF_ISSUED_AT,
    CONF_REFRESH_TOKEN,
    DOMAIN,
    EVENT_TOKEN_REFRESHED,
)
from custom_components.tesla_token.sso import TeslaSso, TokenSet
from emulator import Emulator, RefreshRotation
from tests.helpers import STATUS, entry_data, token_requests

CONFIG_ENTRIES = "core.config_entries"


def without_verdict(data: Any) -> dict[str, Any]:
    """Entry data less what set-up's API check adds (its verdict and when)."""
    return {
        key: value
        for key, value in data.items()
        if key not in (CONF_API_ACCESS, CONF_API_CHECKED_AT)
    }


def token_file(entry: MockConfigEntry) -> str:
    """The key of the entry's token file in `.storage/`."""
    return f"{DOMAIN}.{entry.entry_id}"


def write_token_file(
    hass_storage: dict[str, Any], entry: MockConfigEntry, data: Any
) -> None:
    """Leave a token file for the entry in `.storage/`, as an earlier run would have."""
    hass_storage[token_file(entry)] = {
        "version": 1,
        "minor_version": 1,
        "key": token_file(entry),
        "data": data,
    }


async def set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add the entry and set it up, as Home Assistant does at start."""
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


def stored_token(hass_storage: dict[str, Any], key: str) -> str | None:
    """The refresh token a `.storage/` file holds (config entries: the only entry's)."""
    document = hass_storage.get(key)
    if document is None:
        return None
    data = document["data"]
    if key == CONFIG_ENTRIES:
        data = data["entries"][0]["data"]
    token: str | None = data.get(CONF_REFRESH_TOKEN)
    return token


async def rotate(emulator: Emulator, tokens: TokenSet) -> TokenSet:
    """Refresh `tokens` once at the emulator, as a Home Assistant that then died did."""
    async with aiohttp.ClientSession() as session:
        return await TeslaSso(session, emulator.global_sso).refresh(
            tokens.refresh_token
        )


async def refresh(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Refresh now, through the action."""
    await hass.services.async_call(
        DOMAIN, "refresh", {"config_entry_id": entry.entry_id}, blocking=True
    )


async def test_the_token_file_is_written_before_anyone_hears_of_the_new_token(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    emulator: Emulator,
    init_integration: MockConfigEntry,
) -> None:
    """When the refresh event fires, the rotated token is on disk already."""
    emulator.state.scenario.refresh_rotation = RefreshRotation.SINGLE_USE
    seen: list[str | None] = []

    @callback
    def on_refreshed(_event: Event) -> None:
        seen.append(stored_token(hass_storage, token_file(init_integration)))

    hass.bus.async_listen(EVENT_TOKEN_REFRESHED, on_refreshed)
    await refresh(hass, init_integration)

    assert seen == [init_integration.data[CONF_REFRESH_TOKEN]]
    assert hass_storage[token_file(init_integration)]["data"] == dict(
        init_integration.data
    )


async def test_set_up_takes_the_newer_token_from_the_token_file(
    *,
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    emulator: Emulator,
    token_set: TokenSet,
    mock_config_entry: MockConfigEntry,
    frozen_time: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Home Assistant died before it wrote the entry: set-up continues from the file."""
    emulator.state.scenario.refresh_rotation = RefreshRotation.SINGLE_USE
    frozen_time.tick(timedelta(hours=6))
    rotated = await rotate(emulator, token_set)
    write_token_file(hass_storage, mock_config_entry, entry_data(emulator, rotated))
    emulator.state.clear_requests()
    caplog.set_level(logging.INFO)

    await set_up(hass, mock_config_entry)

    assert without_verdict(mock_config_entry.data) == without_verdict(
        entry_data(emulator, rotated)
    )
    assert "continuing with the one written at once" in caplog.text
    await refresh(hass, mock_config_entry)  # the spent token would be refused here
    assert token_requests(emulator) == 1
    assert hass.states.get(STATUS).state == "valid"


async def test_an_older_token_file_does_not_override_a_newer_entry(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    emulator: Emulator,
    token_set: TokenSet,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Tokens a sign-in wrote into the entry after the file stay, whatever the file says."""
    older = {**entry_data(emulator, token_set), CONF_REFRESH_TOKEN: "older-token"}
    older[CONF_ISSUED_AT] = token_set.issued_at - 3600
    write_token_file(hass_storage, mock_config_entry, older)
    data = dict(mock_config_entry.data)

    await set_up(hass, mock_config_entry)

    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert without_verdict(mock_config_entry.data) == without_verdict(data)


@pytest.mark.parametrize(
    "content",
    [
        {"issued_at": 4102444800},  # no token
        {"refresh_token": "t" * 40, "issued_at": "tomorrow"},
        {"refresh_token": "t" * 40, "issued_at": True},
        ["not", "an", "object"],
    ],
    ids=["no_token", "text_time", "bool_time", "list"],
)
async def test_a_token_file_that_makes_no_sense_is_ignored(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    mock_config_entry: MockConfigEntry,
    content: Any,
) -> None:
    """The entry's own tokens are used."""
    write_token_file(hass_storage, mock_config_entry, content)
    data = dict(mock_config_entry.data)

    await set_up(hass, mock_config_entry)

    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert without_verdict(mock_config_entry.data) == without_verdict(data)


async def test_an_entry_of_the_previous_release_loads_unchanged(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """No token file yet: the entry's tokens are used as stored; the file follows the entry."""
    data = dict(mock_config_entry.data)
    await set_up(hass, mock_config_entry)

    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert without_verdict(mock_config_entry.data) == without_verdict(data)
    # The API check's verdict is saved like the tokens: the file mirrors the entry.
    assert hass_storage[token_file(mock_config_entry)]["data"] == dict(
        mock_config_entry.data
    )

    await refresh(hass, mock_config_entry)
    assert hass_storage[token_file(mock_config_entry)]["data"] == dict(
        mock_config_entry.data
    )


async def test_removing_the_entry_deletes_its_token_file(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    init_integration: MockConfigEntry,
) -> None:
    """No token stays behind on disk."""
    await refresh(hass, init_integration)
    assert token_file(init_integration) in hass_storage

    await hass.config_entries.async_remove(init_integration.entry_id)
    await hass.async_block_till_done()

    assert token_file(init_integration) not in hass_storage
