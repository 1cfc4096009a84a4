"""The coordinator: the token is refreshed ahead of its expiry, with no request in between.

Also: temporary failures and their backoff, tokens Tesla refuses, and where refreshes go.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
import json
import secrets
import time

from aiohttp import web
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import DOMAIN as HOMEASSISTANT_DOMAIN, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.tesla_token.connection import ConnectionProfile
from custom_components.tesla_token.const import (
    CONF_EXPIRES_AT,
    CONF_ISSUED_AT,
    CONF_ISSUER,
    CONF_REFRESH_MINUTES_BEFORE,
    CONF_REFRESH_MODE,
    CONF_REFRESH_SHARE,
    CONF_REFRESH_TOKEN,
    CONF_REFUSED_ISSUED_AT,
    DEFAULT_OPTIONS,
    DOMAIN,
    EVENT_TOKEN_REFRESH_FAILED,
    EVENT_TOKEN_REFRESHED,
    REFRESH_MODE_BEFORE_EXPIRY,
    SERVICE_REFRESH,
)
from custom_components.tesla_token.entry_data import build_entry_data
from custom_components.tesla_token.flow_input import ServerChoice
from custom_components.tesla_token.repairs import refresh_failing_issue_id
from custom_components.tesla_token.sso import Region, TokenSet
from emulator import Emulator, Fault, FaultKind, RefreshRotation
from tests.helpers import (
    EMAIL,
    EXPIRES,
    NEXT_REFRESH,
    STATUS,
    advance,
    advance_in_steps,
    mint_token_set,
    reauth_flows,
    token_request_times,
    token_requests,
)
from tests.leak_guard import LeakGuard
from tests.sso.jwts import make_jwt
from tests.sso.odd_server import OddServer

HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


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


async def test_update_entity_does_not_hurry_the_backoff(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """While refreshing fails, update_entity waits for the planned retry like the schedule."""
    assert await async_setup_component(hass, "homeassistant", {})
    emulator.state.set_fault("token", Fault(FaultKind.STATUS, status=500, count=None))
    await advance(hass, frozen_time, 6 * HOUR)
    assert token_requests(emulator) == 1

    frozen_time.tick(timedelta(seconds=30))
    await hass.services.async_call(
        "homeassistant", "update_entity", {"entity_id": STATUS}, blocking=True
    )

    assert token_requests(emulator) == 1
    assert hass.states.get(STATUS).state == "refresh_failing"


async def test_stopped_coordinator_makes_no_request(
    hass: HomeAssistant, emulator: Emulator, init_integration: MockConfigEntry
) -> None:
    """Once its entry is unloaded, a coordinator refuses to refresh."""
    coordinator = init_integration.runtime_data
    assert await hass.config_entries.async_unload(init_integration.entry_id)

    await coordinator.async_refresh_token()
    assert token_requests(emulator) == 0


# Faults the emulator applies before it handles the request: even single-use refresh tokens
# survive them. A truncated answer (and a late one) comes after the server rotated the token:
# under single-use rotation that token is lost for good, so those run with reusable tokens.
SINGLE = RefreshRotation.SINGLE_USE
REUSE = RefreshRotation.REUSE


@dataclass(frozen=True)
class FaultCase:
    """A fault at the token endpoint, the reason the failure event names, the rotation."""

    fault: Fault
    reason: str
    rotation: RefreshRotation = SINGLE


FAULTS = [
    pytest.param(
        FaultCase(Fault(FaultKind.STATUS, count=None, status=500), "server_error"),
        id="500",
    ),
    pytest.param(
        FaultCase(Fault(FaultKind.STATUS, count=None, status=503), "server_error"),
        id="503",
    ),
    pytest.param(
        FaultCase(
            Fault(FaultKind.RATE_LIMIT, count=None, retry_after=1200), "rate_limited"
        ),
        id="429",
    ),
    pytest.param(
        FaultCase(Fault(FaultKind.DROP, count=None), "connection_error"), id="dropped"
    ),
    pytest.param(
        FaultCase(Fault(FaultKind.MALFORMED_JSON, count=None), "unexpected_response"),
        id="malformed-json",
    ),
    pytest.param(
        FaultCase(Fault(FaultKind.TRUNCATED, count=None), "unexpected_response", REUSE),
        id="truncated",
    ),
    pytest.param(
        FaultCase(Fault(FaultKind.WAF_BLOCK, count=None), "waf_blocked"), id="waf-403"
    ),
    pytest.param(
        FaultCase(Fault(FaultKind.WAF_CHALLENGE, count=None), "waf_challenge"),
        id="waf-challenge",
    ),
]


@pytest.mark.parametrize("case", FAULTS)
async def test_fault_keeps_token_and_recovers(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    case: FaultCase,
) -> None:
    """Refreshing fails: failing, then expired, a repair issue; healed once Tesla answers."""
    fault, reason, rotation = case.fault, case.reason, case.rotation
    emulator.state.scenario.refresh_rotation = rotation
    refresh_token = init_integration.data[CONF_REFRESH_TOKEN]
    failures = async_capture_events(hass, EVENT_TOKEN_REFRESH_FAILED)
    issue_id = refresh_failing_issue_id(init_integration.entry_id)
    emulator.state.set_fault("token", fault)

    await advance(hass, frozen_time, 6 * HOUR)
    assert hass.states.get(STATUS).state == "refresh_failing"
    assert init_integration.data[CONF_REFRESH_TOKEN] == refresh_token
    assert failures[0].data == {
        "entry_id": init_integration.entry_id,
        "account": "owner@example.com",
        "reason": reason,
    }
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None

    # Past the grace period (60 minutes) the repair issue appears; past the expiry: expired.
    await advance_in_steps(hass, frozen_time, 61 * MINUTE, MINUTE)
    assert hass.states.get(STATUS).state == "refresh_failing"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders["account"] == "owner@example.com"
    await advance_in_steps(hass, frozen_time, 60 * MINUTE, MINUTE)
    assert hass.states.get(STATUS).state == "expired"
    assert init_integration.data[CONF_REFRESH_TOKEN] == refresh_token
    assert init_integration.state is ConfigEntryState.LOADED
    # Backoff: a handful of attempts in two hours, not one a minute.
    assert 2 <= token_requests(emulator) <= 10
    assert {event.data["reason"] for event in failures} == {reason}

    emulator.state.clear_faults()
    emulator.state.clear_requests()
    await advance_in_steps(hass, frozen_time, 60 * MINUTE, MINUTE)

    assert hass.states.get(STATUS).state == "valid"
    assert token_requests(emulator) == 1
    assert (init_integration.data[CONF_REFRESH_TOKEN] != refresh_token) is (
        rotation is SINGLE
    )
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_one_failure_retries_after_a_minute(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """A single 500 is retried about a minute later, before anyone is bothered."""
    emulator.state.set_fault("token", Fault(FaultKind.STATUS, status=500))

    await advance(hass, frozen_time, 6 * HOUR)
    assert hass.states.get(STATUS).state == "refresh_failing"
    await advance_in_steps(hass, frozen_time, 2 * MINUTE, 10 * timedelta(seconds=1))

    assert hass.states.get(STATUS).state == "valid"
    assert token_requests(emulator) == 2
    assert not ir.async_get(hass).issues


async def test_retry_after_is_honoured(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """A 429 asking for 20 minutes gets no new request before 20 minutes have passed."""
    emulator.state.set_fault("token", Fault(FaultKind.RATE_LIMIT, retry_after=1200))

    await advance(hass, frozen_time, 6 * HOUR)
    await advance_in_steps(hass, frozen_time, 19 * MINUTE, MINUTE)
    assert token_requests(emulator) == 1
    assert hass.states.get(STATUS).state == "refresh_failing"

    await advance_in_steps(hass, frozen_time, 2 * MINUTE, MINUTE)
    assert token_requests(emulator) == 2
    assert hass.states.get(STATUS).state == "valid"


async def test_an_absurd_retry_after_waits_a_day(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """A Retry-After of three million years neither crashes the schedule nor parks it forever."""
    emulator.state.set_fault(
        "token", Fault(FaultKind.RATE_LIMIT, retry_after=99_999_999_999_999)
    )
    await advance(hass, frozen_time, 6 * HOUR)
    assert token_requests(emulator) == 1
    assert hass.states.get(STATUS).state == "refresh_failing"
    next_refresh = dt_util.parse_datetime(hass.states.get(NEXT_REFRESH).state)
    assert next_refresh == dt_util.utcnow() + timedelta(days=1)

    await advance(hass, frozen_time, 24 * HOUR)
    assert token_requests(emulator) == 2
    assert hass.states.get(STATUS).state == "valid"


async def test_timeout_keeps_token_and_recovers(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """Tesla does not answer within the timeout: the same as any temporary failure."""
    refresh_token = init_integration.data[CONF_REFRESH_TOKEN]
    failures = async_capture_events(hass, EVENT_TOKEN_REFRESH_FAILED)
    emulator.state.set_fault("token", Fault(FaultKind.DELAY, delay=600))

    # The refresh comes due and its request reaches the emulator, which sits on it.
    frozen_time.tick(6 * HOUR)
    async_fire_time_changed(hass)
    for _ in range(10000):
        if not emulator.state.faults.to_list():
            break
        await asyncio.sleep(0)
    assert not emulator.state.faults.to_list()
    # The client gives up after its timeout.
    await advance(hass, frozen_time, timedelta(seconds=31))

    assert hass.states.get(STATUS).state == "refresh_failing"
    assert [event.data["reason"] for event in failures] == ["connection_error"]
    assert init_integration.data[CONF_REFRESH_TOKEN] == refresh_token

    await advance_in_steps(hass, frozen_time, 2 * MINUTE, 10 * timedelta(seconds=1))
    assert hass.states.get(STATUS).state == "valid"

    # Let the emulator finish the request it sat on, so that it can stop.
    await advance(hass, frozen_time, timedelta(minutes=10))


async def test_an_unexpected_error_does_not_stop_the_schedule(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A bug (here: a stored region no release writes) is logged and retried like a failure."""
    failures = async_capture_events(hass, EVENT_TOKEN_REFRESH_FAILED)
    hass.config_entries.async_update_entry(
        init_integration,
        data={**init_integration.data, "auth_url": None, "region": "mars"},
    )

    await advance(hass, frozen_time, 6 * HOUR)

    assert hass.states.get(STATUS).state == "refresh_failing"
    assert [event.data["reason"] for event in failures] == ["unknown_error"]
    assert "Unexpected error refreshing the token of owner@example.com" in caplog.text
    assert token_requests(emulator) == 0

    hass.config_entries.async_update_entry(
        init_integration,
        data={
            **init_integration.data,
            "auth_url": emulator.global_sso,
            "region": "global",
        },
    )
    await advance_in_steps(hass, frozen_time, 2 * MINUTE, 10 * timedelta(seconds=1))
    assert hass.states.get(STATUS).state == "valid"


# Refreshes at a scripted SSO server (a proxy of the person's choosing).

TOKEN = "/oauth2/v3/token"
PRODUCTS = "/api/1/products"
# Where Tesla's Fleet API tokens come from: a Tesla host, but no SSO server of this client.
FLEET_ISSUER = "https://fleet-auth.prd.vn.cloud.tesla.com/oauth2/v3/nts"
SUB = "2d1f6c4e-0000-4000-8000-00000000f1ee"


@pytest.fixture
async def server(socket_enabled: None) -> AsyncIterator[OddServer]:
    """An SSO server (the person's chosen one) that answers refreshes as scripted."""
    odd = OddServer()
    await odd.start()
    yield odd
    await odd.stop()


@pytest.fixture
def rotated(leak_guard: LeakGuard) -> Iterator[str]:
    """The refresh tokens the server hands out, in order (each refresh spends one)."""
    tokens = [f"rt-{secrets.token_hex(16)}" for _ in range(4)]
    leak_guard.add(*tokens)
    return iter(tokens)


def _access_token(issuer: str, sub: str = SUB) -> str:
    now = time.time()
    return make_jwt({"iss": issuer, "sub": sub, "iat": now, "exp": now + 28800})


def _entry(server: OddServer, refresh_token: str, sub: str = SUB) -> MockConfigEntry:
    """An entry with fresh tokens from the server, as the config flow stores them."""
    tokens = TokenSet(
        access_token=_access_token(server.sso, sub),
        refresh_token=refresh_token,
        id_token=None,
        expires_at=time.time() + 28800,
        issued_at=time.time(),
        issuer=server.sso,
    )
    return MockConfigEntry(
        domain=DOMAIN,
        title=EMAIL,
        unique_id=sub,
        data=build_entry_data(
            tokens,
            email=EMAIL,
            server=ServerChoice(region=Region.GLOBAL, auth_url=server.sso),
            connection=ConnectionProfile.HTTP11,
        ),
        options=dict(DEFAULT_OPTIONS),
        version=1,
        minor_version=3,
    )


def _answering(
    rotated: Iterator[str], issuer: str, issued: list[str], cookies: list[str | None]
) -> Callable[[web.Request], web.Response]:
    """A /token answer with the next refresh token; notes what it issued and was sent."""

    def answer(request: web.Request) -> web.Response:
        cookies.append(request.headers.get("Cookie"))
        issued.append(next(rotated))
        response = web.json_response(
            {"access_token": _access_token(issuer), "refresh_token": issued[-1]}
        )
        response.set_cookie("tesla-auth.sid", secrets.token_hex(8))
        return response

    return answer


async def _refresh(
    hass: HomeAssistant, entry_id: str, freezer: FrozenDateTimeFactory
) -> None:
    """Press "refresh", then let the minute pass that keeps presses apart."""
    await hass.services.async_call(
        DOMAIN, "refresh", {"config_entry_id": entry_id}, blocking=True
    )
    freezer.tick(timedelta(seconds=61))


async def test_the_new_token_is_stored_and_the_next_refresh_goes_to_the_same_server(
    hass: HomeAssistant,
    server: OddServer,
    rotated: Iterator[str],
    freezer: FrozenDateTimeFactory,
) -> None:
    """Each refresh spends the token the last one stored, at the server that issued it."""
    first = next(rotated)
    entry = _entry(server, first)
    issued: list[str] = []
    server.on("POST", TOKEN, _answering(rotated, FLEET_ISSUER, issued, []))
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    # Fresh tokens: no refresh at start-up, only the check of a token never checked.
    assert server.requests == [("GET", PRODUCTS)]

    await _refresh(hass, entry.entry_id, freezer)
    await _refresh(hass, entry.entry_id, freezer)

    assert hass.states.get(STATUS).state == "valid"
    assert entry.data[CONF_REFRESH_TOKEN] == issued[-1]
    assert entry.data[CONF_ISSUER] == server.sso
    assert server.requests[1:] == [("POST", TOKEN), ("GET", PRODUCTS)] * 2
    sent = [json.loads(body)["refresh_token"] for body in server.bodies if body]
    assert sent == [
        first,
        issued[0],
    ]  # each refresh spent the token the last one stored


async def test_token_requests_carry_no_cookies(
    hass: HomeAssistant,
    server: OddServer,
    rotated: Iterator[str],
    freezer: FrozenDateTimeFactory,
) -> None:
    """Another integration's cookie in the shared session never reaches the token server."""
    async_get_clientsession(hass).cookie_jar.update_cookies(
        {"other_integration": "its-own-session"}
    )
    issued: list[str] = []
    cookies: list[str | None] = []
    server.on("POST", TOKEN, _answering(rotated, server.sso, issued, cookies))

    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "token"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "refresh_token": next(rotated),
            "region": "global",
            "advanced": {"auth_url": server.sso},
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    await _refresh(hass, result["result"].entry_id, freezer)
    await _refresh(hass, result["result"].entry_id, freezer)

    assert result["result"].data[CONF_REFRESH_TOKEN] == issued[-1]
    # Each new token is checked at the API (this server has none: the check finds it out
    # of reach and changes nothing).
    assert server.requests == [("POST", TOKEN), ("GET", PRODUCTS)] * 3
    assert cookies == [None, None, None]


async def test_unloading_one_entry_leaves_the_others_able_to_refresh(
    hass: HomeAssistant,
    server: OddServer,
    rotated: Iterator[str],
    freezer: FrozenDateTimeFactory,
) -> None:
    """The entries share one token session: the first entry's unload must not end it."""
    first = _entry(server, next(rotated), sub="account-one")
    second = _entry(server, next(rotated), sub="account-two")
    issued: list[str] = []
    server.on("POST", TOKEN, _answering(rotated, server.sso, issued, []))
    for entry in (first, second):
        entry.add_to_hass(hass)
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()

    assert await hass.config_entries.async_unload(first.entry_id)
    await _refresh(hass, second.entry_id, freezer)

    assert second.data[CONF_REFRESH_TOKEN] == issued[-1]


async def test_revoked_token_needs_sign_in(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """Revocation: status, Home Assistant's reauth flow and issue, and no more requests."""
    refresh_token = init_integration.data[CONF_REFRESH_TOKEN]
    failures = async_capture_events(hass, EVENT_TOKEN_REFRESH_FAILED)
    emulator.state.revoke(EMAIL)

    await advance(hass, frozen_time, 6 * HOUR)

    assert hass.states.get(STATUS).state == "reauth_required"
    assert hass.states.get(NEXT_REFRESH).state == "unknown"
    assert reauth_flows(hass, init_integration)
    # One issue for one problem: Home Assistant's "reauthentication required".
    assert [key for key in ir.async_get(hass).issues if key[0] == DOMAIN] == []
    assert ir.async_get(hass).async_get_issue(
        HOMEASSISTANT_DOMAIN,
        f"config_entry_reauth_{DOMAIN}_{init_integration.entry_id}",
    )
    assert [event.data["reason"] for event in failures] == ["login_required"]
    assert init_integration.data[CONF_REFRESH_TOKEN] == refresh_token

    # Refused tokens are not tried again and again.
    await advance_in_steps(hass, frozen_time, 24 * HOUR, HOUR)
    assert token_requests(emulator) == 1
    assert hass.states.get(STATUS).state == "reauth_required"


async def test_refresh_heals_refused_tokens(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """If Tesla accepts the token again, a refresh clears the refusal."""
    emulator.state.revoke(EMAIL)
    await advance(hass, frozen_time, 6 * HOUR)
    assert (
        init_integration.data[CONF_REFUSED_ISSUED_AT]
        == (init_integration.data[CONF_ISSUED_AT])
    )
    # The same account signed in elsewhere; its new refresh token reaches the entry.
    tokens = await mint_token_set(emulator)
    hass.config_entries.async_update_entry(
        init_integration,
        data={**init_integration.data, CONF_REFRESH_TOKEN: tokens.refresh_token},
    )
    # An explicit refresh asks Tesla a minute after the last request at the earliest.
    await advance(hass, frozen_time, MINUTE)

    await hass.services.async_call(
        DOMAIN, "refresh", {"config_entry_id": init_integration.entry_id}, blocking=True
    )

    assert hass.states.get(STATUS).state == "valid"
    assert CONF_REFUSED_ISSUED_AT not in init_integration.data
    assert not [key for key in ir.async_get(hass).issues if key[0] == DOMAIN]


async def test_untrusted_issuer_needs_sign_in(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Tokens whose issuer is not a trusted server are never sent there; sign in again."""
    failures = async_capture_events(hass, EVENT_TOKEN_REFRESH_FAILED)
    mock_config_entry.add_to_hass(hass)
    # Tesla's own server, and no API check (it would go to Tesla's API).
    hass.config_entries.async_update_entry(
        mock_config_entry,
        data={**mock_config_entry.data, "auth_url": None},
        options={**mock_config_entry.options, "api_check": False},
    )
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    await advance(hass, frozen_time, 6 * HOUR)

    assert hass.states.get(STATUS).state == "reauth_required"
    assert [event.data["reason"] for event in failures] == ["untrusted_issuer"]
    assert token_requests(emulator) == 0
