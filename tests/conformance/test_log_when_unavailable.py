"""log-when-unavailable: one log line when refreshing starts failing, one when it works again."""

from __future__ import annotations

import logging

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_token.connection import ConnectionProfile
from custom_components.tesla_token.const import DEFAULT_OPTIONS
from custom_components.tesla_token.entry_data import build_entry_data
from custom_components.tesla_token.flow_input import ServerChoice
from custom_components.tesla_token.sso import Region, TeslaSso
from emulator import Emulator, Fault, FaultKind
from tests.leak_guard import LeakGuard

from .integration_files import DOMAIN

EMAIL = "owner@example.com"
STATUS = "sensor.owner_example_com_status"
LOGGER_NAME = f"custom_components.{DOMAIN}"


@pytest.fixture
async def entry(hass: HomeAssistant, emulator: Emulator) -> MockConfigEntry:
    """The owner account set up with fresh tokens from the emulator."""
    async with aiohttp.ClientSession() as session:
        tokens = await TeslaSso(session, emulator.global_sso).refresh(
            emulator.state.mint_refresh_token(EMAIL)
        )
    server = ServerChoice(Region.GLOBAL, emulator.global_sso)
    config_entry = MockConfigEntry(
        domain=DOMAIN,
        title=EMAIL,
        unique_id=tokens.subject,
        data=build_entry_data(
            tokens, email=EMAIL, server=server, connection=ConnectionProfile.HTTP11
        ),
        options=dict(DEFAULT_OPTIONS),
    )
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    return config_entry


def notable_lines(caplog: pytest.LogCaptureFixture, since: int) -> list[str]:
    """The integration's log lines at INFO or above, after the first `since` records."""
    return [
        record.getMessage()
        for record in caplog.records[since:]
        if record.name.startswith(LOGGER_NAME) and record.levelno >= logging.INFO
    ]


async def refresh(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    await hass.services.async_call(
        DOMAIN, "refresh", {"config_entry_id": entry.entry_id}, blocking=True
    )


async def test_failures_are_logged_once_and_the_recovery_once(
    *,
    hass: HomeAssistant,
    emulator: Emulator,
    entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    freezer: FrozenDateTimeFactory,
    leak_guard: LeakGuard,
) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER_NAME)
    assert hass.states.get(STATUS).state == "valid"

    failing_from = len(caplog.records)
    emulator.state.set_fault("token", Fault(FaultKind.STATUS, count=None, status=503))
    for _ in range(3):
        with pytest.raises(HomeAssistantError) as err:
            await refresh(hass, entry)
        leak_guard.expose_error(err.value)
        # The action asks Tesla at most once a minute.
        freezer.tick(61)
    assert hass.states.get(STATUS).state == "refresh_failing"
    assert [r.status for r in emulator.state.requests].count(503) == 3
    assert len(notable_lines(caplog, failing_from)) == 1, "one line for the outage"

    recovered_from = len(caplog.records)
    emulator.state.clear_faults()
    await refresh(hass, entry)
    assert hass.states.get(STATUS).state == "valid"
    assert len(notable_lines(caplog, recovered_from)) == 1, "one line when it is back"
