"""Fixtures for the token lifecycle tests: an entry with real tokens from the emulator."""

from __future__ import annotations

from typing import Any

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.tesla_token.const import DEFAULT_OPTIONS, DOMAIN
from custom_components.tesla_token.entry_data import build_entry_data
from custom_components.tesla_token.flow_input import ServerChoice
from custom_components.tesla_token.sso import Region, TeslaSso, TokenSet
from emulator import Emulator

EMAIL = "owner@example.com"
FROZEN_START = "2026-03-02 08:00:00+00:00"


@pytest.fixture(autouse=True)
def frozen_time(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    """Freeze the clock before any token is minted (the emulator reads time.time())."""
    freezer.move_to(FROZEN_START)
    return freezer


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots through Home Assistant's extension (ids and times of registries masked)."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


async def mint_token_set(emulator: Emulator, email: str = EMAIL) -> TokenSet:
    """Return tokens as a sign-in would: a minted refresh token, refreshed once for real."""
    async with aiohttp.ClientSession() as session:
        return await TeslaSso(session, emulator.global_sso).refresh(
            emulator.state.mint_refresh_token(email)
        )


def entry_data(
    emulator: Emulator, tokens: TokenSet, email: str = EMAIL
) -> dict[str, Any]:
    """The config entry data the config flow writes for these tokens."""
    server = ServerChoice(region=Region.GLOBAL, auth_url=emulator.global_sso)
    return build_entry_data(tokens, email=email, server=server)


@pytest.fixture
def entry_options() -> dict[str, Any]:
    """The entry's options (the defaults unless a test overrides them)."""
    return dict(DEFAULT_OPTIONS)


@pytest.fixture
async def token_set(emulator: Emulator) -> TokenSet:
    """Fresh tokens of the owner account."""
    tokens = await mint_token_set(emulator)
    emulator.state.clear_requests()
    return tokens


@pytest.fixture
def mock_config_entry(
    emulator: Emulator, token_set: TokenSet, entry_options: dict[str, Any]
) -> MockConfigEntry:
    """A config entry as the config flow creates it."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=EMAIL,
        unique_id=token_set.subject,
        data=entry_data(emulator, token_set),
        options=entry_options,
        version=1,
    )


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    """The integration set up with the mock entry."""
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    return mock_config_entry
