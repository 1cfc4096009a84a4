"""The token is refreshed ahead of its expiry, with no request in between."""

from __future__ import annotations

import asyncio
from datetime import timedelta
import time

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.tesla_token.const import (
    CONF_EXPIRES_AT,
    CONF_ISSUED_AT,
    CONF_REFRESH_MINUTES_BEFORE,
    CONF_REFRESH_MODE,
    CONF_REFRESH_SHARE,
    CONF_REFRESH_TOKEN,
    DEFAULT_OPTIONS,
    DOMAIN,
    EVENT_TOKEN_REFRESHED,
    REFRESH_MODE_BEFORE_EXPIRY,
    SERVICE_REFRESH,
)
from emulator import Emulator, Fault, FaultKind, RefreshRotation
from tests.lifecycle.helpers import (
    EXPIRES,
    NEXT_REFRESH,
    STATUS,
    advance,
    advance_in_steps,
    token_request_times,
    token_requests,
)

HOUR = timedelta(hours=1)


async def test_a_day_of_8_hour_tokens(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """Over 24 hours the token is refreshed at 75 % of each 8-hour lifetime: 4 requests."""
    start = time.time()
    events = async_capture_events(hass, EVENT_TOKEN_REFRESHED)

    await advance_in_steps(hass, frozen_time, 24 * HOUR, timedelta(minutes=5))

    hours = [round((at - start) / 3600, 1) for at in token_request_times(emulator)]
    assert hours == [6.0, 12.0, 18.0, 24.0]
    assert len(events) == 4
    assert hass.states.get(STATUS).state == "valid"
    assert dt_util.parse_datetime(
        hass.states.get(EXPIRES).state
    ) == dt_util.utc_from_timestamp(init_integration.data[CONF_EXPIRES_AT])


async def test_refresh_stores_tokens_and_fires_event(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """A refresh stores the new token and tells the expiry, never a token."""
    old_access = init_integration.data["access_token"]
    events = async_capture_events(hass, EVENT_TOKEN_REFRESHED)

    await advance(hass, frozen_time, 6 * HOUR)

    assert init_integration.data["access_token"] != old_access
    assert init_integration.data[CONF_ISSUED_AT] == pytest.approx(time.time(), abs=1)
    assert init_integration.state is ConfigEntryState.LOADED
    assert [event.data for event in events] == [
        {
            "entry_id": init_integration.entry_id,
            "account": "owner@example.com",
            "expires_at": dt_util.utc_from_timestamp(
                init_integration.data[CONF_EXPIRES_AT]
            ).isoformat(),
        }
    ]
    next_refresh = dt_util.parse_datetime(hass.states.get(NEXT_REFRESH).state)
    assert next_refresh == dt_util.utc_from_timestamp(
        init_integration.data[CONF_ISSUED_AT] + 6 * 3600
    )


@pytest.mark.parametrize(
    "entry_options",
    [
        {
            **DEFAULT_OPTIONS,
            CONF_REFRESH_MODE: REFRESH_MODE_BEFORE_EXPIRY,
            CONF_REFRESH_MINUTES_BEFORE: 30,
        }
    ],
)
async def test_refresh_minutes_before_expiry(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """With "before expiry" the refresh comes the chosen minutes before the token expires."""
    start = time.time()
    await advance_in_steps(hass, frozen_time, 8 * HOUR, timedelta(minutes=5))

    assert [round((at - start) / 60) for at in token_request_times(emulator)] == [450]


async def test_changed_options_reschedule_without_request(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """New options (the options flow reloads the entry) move the next refresh; no request."""
    issued_at = init_integration.data[CONF_ISSUED_AT]
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**DEFAULT_OPTIONS, CONF_REFRESH_SHARE: 50}
    )
    await hass.async_block_till_done()

    assert init_integration.options[CONF_REFRESH_SHARE] == 50
    assert init_integration.state is ConfigEntryState.LOADED
    assert token_requests(emulator) == 0
    assert dt_util.parse_datetime(hass.states.get(NEXT_REFRESH).state) == (
        dt_util.utc_from_timestamp(issued_at + 4 * 3600)
    )
    await advance(hass, frozen_time, 4 * HOUR)
    assert token_requests(emulator) == 1


@pytest.mark.parametrize(
    "age_and_requests",
    [
        (
            timedelta(hours=5, minutes=59),
            0,
        ),  # before the window: continue from the expiry
        (timedelta(hours=7), 1),  # inside the window: refresh at once
        (timedelta(hours=9), 1),  # expired: refresh at once
    ],
)
async def test_restart_continues_from_stored_expiry(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
    age_and_requests: tuple[timedelta, int],
) -> None:
    """After a restart the stored expiry decides: refresh at once only when due."""
    age, requests = age_and_requests
    frozen_time.tick(age)
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert token_requests(emulator) == requests
    assert hass.states.get(STATUS).state == "valid"


async def test_single_use_rotation_survives_refreshes_and_reloads(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Single-use refresh tokens: each new one is stored before it is needed, across reloads."""
    emulator.state.scenario.refresh_rotation = RefreshRotation.SINGLE_USE
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    seen = {mock_config_entry.data[CONF_REFRESH_TOKEN]}

    for round_ in range(6):
        await advance_in_steps(hass, frozen_time, 6 * HOUR, timedelta(minutes=30))
        seen.add(mock_config_entry.data[CONF_REFRESH_TOKEN])
        if round_ % 2:
            # A reload (as after a restart) in the middle of the refresh window.
            frozen_time.tick(timedelta(minutes=1))
            assert await hass.config_entries.async_reload(mock_config_entry.entry_id)
            await hass.async_block_till_done()
        assert hass.states.get(STATUS).state == "valid"

    await hass.services.async_call(
        DOMAIN,
        SERVICE_REFRESH,
        {"config_entry_id": mock_config_entry.entry_id},
        blocking=True,
    )
    assert hass.states.get(STATUS).state == "valid"
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert len(seen) == 7
    assert token_requests(emulator) == 7
    assert all(record.status == 200 for record in emulator.state.requests)


async def test_two_triggers_at_once_make_one_request(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """The schedule and an action at the same moment share one token request."""
    emulator.state.scenario.refresh_rotation = RefreshRotation.SINGLE_USE
    frozen_time.tick(6 * HOUR)
    call = {"config_entry_id": init_integration.entry_id}

    await asyncio.gather(
        hass.services.async_call(DOMAIN, SERVICE_REFRESH, call, blocking=True),
        hass.services.async_call(DOMAIN, SERVICE_REFRESH, call, blocking=True),
        init_integration.runtime_data.async_refresh_token(),
    )
    await hass.async_block_till_done()

    assert token_requests(emulator) == 1
    assert hass.states.get(STATUS).state == "valid"


async def test_response_without_refresh_token_keeps_the_old_one(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """When Tesla sends no new refresh token the stored one stays."""
    refresh_token = init_integration.data[CONF_REFRESH_TOKEN]
    access_token = init_integration.data["access_token"]
    emulator.state.scenario.refresh_returns_refresh_token = False

    await advance(hass, frozen_time, 6 * HOUR)

    assert token_requests(emulator) == 1
    assert init_integration.data[CONF_REFRESH_TOKEN] == refresh_token
    assert init_integration.data["access_token"] != access_token


async def test_reload_waits_for_a_running_refresh(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """A reload during a refresh lets it store the rotated token first: no sign-in needed."""
    emulator.state.scenario.refresh_rotation = RefreshRotation.SINGLE_USE
    emulator.state.set_fault("token", Fault(FaultKind.DELAY, delay=10))
    old_refresh_token = init_integration.data[CONF_REFRESH_TOKEN]

    frozen_time.tick(6 * HOUR)
    async_fire_time_changed(hass)
    for _ in range(10000):
        if not emulator.state.faults.to_list():
            break
        await asyncio.sleep(0)
    reload = hass.async_create_task(
        hass.config_entries.async_reload(init_integration.entry_id)
    )
    await asyncio.sleep(0)
    frozen_time.tick(timedelta(seconds=11))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()

    assert reload.result() is True
    assert init_integration.state is ConfigEntryState.LOADED
    assert init_integration.data[CONF_REFRESH_TOKEN] != old_refresh_token
    assert token_requests(emulator) == 1
    await advance(hass, frozen_time, 6 * HOUR)
    assert token_requests(emulator) == 2
    assert hass.states.get(STATUS).state == "valid"


async def test_unload_stops_refreshing(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """An unloaded entry leaves no timer behind: a day later nothing was requested."""
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()

    await advance_in_steps(hass, frozen_time, 24 * HOUR, HOUR)

    assert init_integration.state is ConfigEntryState.NOT_LOADED
    assert token_requests(emulator) == 0
    assert hass.states.get(STATUS).state == "unavailable"


async def test_update_entity_refreshes_only_when_due(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """homeassistant.update_entity asks Tesla only once the token is due."""
    assert await async_setup_component(hass, "homeassistant", {})

    await hass.services.async_call(
        "homeassistant", "update_entity", {"entity_id": STATUS}, blocking=True
    )
    assert token_requests(emulator) == 0

    frozen_time.tick(6 * HOUR)
    await hass.services.async_call(
        "homeassistant", "update_entity", {"entity_id": STATUS}, blocking=True
    )
    await hass.async_block_till_done()
    assert token_requests(emulator) == 1
    assert hass.states.get(STATUS).state == "valid"


async def test_stopped_coordinator_makes_no_request(
    hass: HomeAssistant, emulator: Emulator, init_integration: MockConfigEntry
) -> None:
    """Once its entry is unloaded, a coordinator refuses to refresh."""
    coordinator = init_integration.runtime_data
    assert await hass.config_entries.async_unload(init_integration.entry_id)

    assert await coordinator.async_refresh_token() is None
    assert token_requests(emulator) == 0
