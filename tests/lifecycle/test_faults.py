"""Faults at Tesla never lose the refresh token, show the right status, and heal by themselves."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.tesla_token.const import (
    CONF_REFRESH_TOKEN,
    DOMAIN,
    EVENT_TOKEN_REFRESH_FAILED,
)
from custom_components.tesla_token.coordinator import failure_reason
from custom_components.tesla_token.repairs import refresh_failing_issue_id
from emulator import Emulator, Fault, FaultKind, RefreshRotation
from tests.lifecycle.helpers import (
    NEXT_REFRESH,
    STATUS,
    advance,
    advance_in_steps,
    token_requests,
)

HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)

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


def test_unexpected_errors_have_a_reason() -> None:
    """An error that is not Tesla's still gets a short, secret-free reason."""
    assert failure_reason(ValueError("boom")) == "unknown_error"
