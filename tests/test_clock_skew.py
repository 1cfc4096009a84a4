"""Tesla's clock and Home Assistant's may disagree: refreshes follow the local clock, no storm."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise
import logging
import time

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_ACCESS_TOKEN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.tesla_token.clock_skew import (
    hours_and_minutes,
    is_notable,
    needs_issue,
    stored_clock_offset,
)
from custom_components.tesla_token.const import (
    CONF_EXPIRES_AT,
    CONF_ISSUED_AT,
    CONF_REFRESH_TOKEN,
    DEFAULT_OPTIONS,
    DOMAIN,
    EVENT_TOKEN_REFRESH_FAILED,
)
from custom_components.tesla_token.diagnostics import async_get_config_entry_diagnostics
from custom_components.tesla_token.repairs import clock_skew_issue_id
from custom_components.tesla_token.sso.tokens import decode_jwt_claims
from emulator import Emulator, RefreshRotation
from tests.frontend import literal_text
from tests.helpers import (
    EMAIL,
    EXPIRES,
    STATUS,
    advance_in_steps,
    entry_data,
    mint_token_set,
    token_request_times,
    token_requests,
)
from tests.sso.jwts import make_jwt

DAY = 86400
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
SECOND = timedelta(seconds=1)
# Tesla's clock a day ahead of Home Assistant's, and a day behind it.
OFFSETS = [pytest.param(DAY, id="tesla-ahead"), pytest.param(-DAY, id="tesla-behind")]

# hass_client signs its requests: the clock must be frozen before it is made.
pytestmark = pytest.mark.usefixtures("frozen_time")


def our_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The integration's warnings so far."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.WARNING
        and record.name.startswith("custom_components.tesla_token")
    ]


async def set_up_skewed(
    hass: HomeAssistant, emulator: Emulator, offset: int, *, as_stored_before: bool
) -> MockConfigEntry:
    """Sign in while Tesla's clock is `offset` seconds off, then set the entry up.

    Args:
        hass: Home Assistant.
        emulator: the emulator.
        offset: seconds Tesla's clock is ahead.
        as_stored_before: store the times as releases before the fix did (Tesla's iat/exp).
    """
    emulator.state.scenario.clock_offset_seconds = offset
    tokens = await mint_token_set(emulator)
    emulator.state.clear_requests()
    data = entry_data(emulator, tokens)
    if as_stored_before:
        claims = decode_jwt_claims(tokens.access_token)
        data |= {CONF_ISSUED_AT: claims["iat"], CONF_EXPIRES_AT: claims["exp"]}
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=EMAIL,
        unique_id=tokens.subject,
        data=data,
        options=dict(DEFAULT_OPTIONS),
        version=1,
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


@pytest.mark.timeout(60)  # the old schedule refreshed in a loop without end
@pytest.mark.parametrize("offset", OFFSETS)
async def test_a_day_of_clock_skew_makes_no_refresh_storm(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    offset: int,
) -> None:
    """Tesla's clock a day off: a handful of requests in a minute at most, then 6-hourly."""
    start = time.time()
    entry = await set_up_skewed(hass, emulator, offset, as_stored_before=False)

    await advance_in_steps(hass, frozen_time, MINUTE, SECOND)
    assert token_requests(emulator) <= 3
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get(STATUS).state == "valid"
    assert dt_util.parse_datetime(hass.states.get(EXPIRES).state) == (
        dt_util.utc_from_timestamp(start + 8 * 3600)
    )

    await advance_in_steps(hass, frozen_time, 24 * HOUR - MINUTE, 5 * MINUTE)
    hours = [round((at - start) / 3600, 1) for at in token_request_times(emulator)]
    assert hours == [6.0, 12.0, 18.0, 24.0]
    assert hass.states.get(STATUS).state == "valid"


@pytest.mark.timeout(60)
@pytest.mark.parametrize("offset", OFFSETS)
async def test_times_stored_with_tesla_s_clock_are_put_right_by_one_refresh(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    offset: int,
) -> None:
    """An entry an older release stored (Tesla's times) gets one refresh at setup, then peace."""
    await set_up_skewed(hass, emulator, offset, as_stored_before=True)
    await advance_in_steps(hass, frozen_time, MINUTE, SECOND)
    assert token_requests(emulator) == 1
    assert hass.states.get(STATUS).state == "valid"

    await advance_in_steps(hass, frozen_time, 5 * HOUR, 5 * MINUTE)
    assert token_requests(emulator) == 1
    assert hass.states.get(STATUS).state == "valid"


@pytest.mark.parametrize(
    ("offset", "key", "placeholders"),
    [
        (-DAY, "clock_ahead", {"hours": "24", "minutes": "0"}),
        (2 * 3600 + 30 * 60, "clock_behind", {"hours": "2", "minutes": "30"}),
    ],
)
async def test_a_large_skew_is_told_once_and_cleared_when_the_clocks_agree(
    hass: HomeAssistant,
    frozen_time: FrozenDateTimeFactory,
    hass_client: ClientSessionGenerator,
    *,
    emulator: Emulator,
    caplog: pytest.LogCaptureFixture,
    offset: int,
    key: str,
    placeholders: dict[str, str],
) -> None:
    """A warning in the log (once), the offset in diagnostics, and a repair issue."""
    entry = await set_up_skewed(hass, emulator, offset, as_stored_before=False)
    issue_id = clock_skew_issue_id(entry.entry_id)

    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == key
    assert not issue.is_fixable
    shown = dict(issue.translation_placeholders or {})
    # The description is markdown: the email is escaped there and reads as itself.
    assert literal_text(shown.pop("account")) == EMAIL
    assert shown == placeholders
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics["clock_offset_seconds"] == offset

    await advance_in_steps(hass, frozen_time, 13 * HOUR, HOUR)
    assert token_requests(emulator) == 2
    assert len(our_warnings(caplog)) == 1
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None

    emulator.state.scenario.clock_offset_seconds = 0
    await advance_in_steps(hass, frozen_time, 6 * HOUR, HOUR)
    assert token_requests(emulator) == 3
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    # (The test client's own sign-in has expired by now: asked directly.)
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics["clock_offset_seconds"] == 0


async def test_a_small_skew_is_logged_but_raises_no_issue(
    hass: HomeAssistant,
    emulator: Emulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Ten minutes off: worth a log line, not a repair (less than a tenth of the lifetime)."""
    entry = await set_up_skewed(hass, emulator, 600, as_stored_before=False)

    assert not ir.async_get(hass).async_get_issue(
        DOMAIN, clock_skew_issue_id(entry.entry_id)
    )
    assert [
        "about 0 h 10 min behind" in message for message in our_warnings(caplog)
    ] == [True]


async def test_clocks_that_agree_are_not_mentioned(
    hass: HomeAssistant, emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    entry = await set_up_skewed(hass, emulator, 120, as_stored_before=False)

    assert not ir.async_get(hass).issues
    assert entry.state is ConfigEntryState.LOADED
    assert not our_warnings(caplog)


@pytest.mark.timeout(60)  # the old schedule refreshed such a token in a loop
async def test_an_answer_without_lifetime_is_a_failure_with_backoff(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """A token that expires as it is issued: its refresh token is kept, the rest is a failure."""
    emulator.state.scenario.refresh_rotation = RefreshRotation.SINGLE_USE
    emulator.state.scenario.access_token_lifetime = 0
    failures = async_capture_events(hass, EVENT_TOKEN_REFRESH_FAILED)
    access_token = init_integration.data[CONF_ACCESS_TOKEN]
    refresh_token = init_integration.data[CONF_REFRESH_TOKEN]

    await advance_in_steps(hass, frozen_time, 6 * HOUR + 30 * SECOND, 30 * SECOND)

    assert token_requests(emulator) == 1
    assert hass.states.get(STATUS).state == "refresh_failing"
    assert [event.data["reason"] for event in failures] == ["invalid_lifetime"]
    # The old refresh token is spent: the new one must be the one stored.
    assert init_integration.data[CONF_REFRESH_TOKEN] != refresh_token
    assert init_integration.data[CONF_ACCESS_TOKEN] == access_token

    # Backoff: 1, 2, 4 … minutes, never a loop.
    await advance_in_steps(hass, frozen_time, 10 * MINUTE, 10 * SECOND)
    assert 2 <= token_requests(emulator) <= 5
    assert hass.states.get(STATUS).state == "refresh_failing"

    emulator.state.scenario.access_token_lifetime = 28800
    await advance_in_steps(hass, frozen_time, 30 * MINUTE, MINUTE)
    assert hass.states.get(STATUS).state == "valid"
    assert all(record.status == 200 for record in emulator.state.requests)


@pytest.mark.timeout(60)
async def test_a_very_short_lifetime_is_refreshed_once_a_minute_at_most(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
) -> None:
    """30-second tokens: successful refreshes keep a minute apart (not every 22 seconds)."""
    emulator.state.scenario.access_token_lifetime = 30
    await set_up_skewed(hass, emulator, 0, as_stored_before=False)

    await advance_in_steps(hass, frozen_time, 10 * MINUTE, 5 * SECOND)

    times = token_request_times(emulator)
    assert 8 <= len(times) <= 10
    assert all(later - earlier >= 60 for earlier, later in pairwise(times))


EIGHT_HOURS = {CONF_ISSUED_AT: 1000.0, CONF_EXPIRES_AT: 1000.0 + 8 * 3600.0}


@pytest.mark.parametrize(
    ("offset", "notable", "issue"),
    [
        (None, False, False),
        (4, False, False),  # network delay and whole-second claims
        (-300, False, False),
        (301, True, False),  # a few minutes: logged
        (-47 * 60, True, False),
        (49 * 60, True, True),  # a tenth of 8 hours: a repair issue
        (-86400, True, True),
    ],
)
def test_thresholds(offset: float | None, notable: bool, issue: bool) -> None:
    assert is_notable(offset) is notable
    assert needs_issue(offset, EIGHT_HOURS) is issue


def test_short_lifetimes_still_need_a_few_minutes_for_an_issue() -> None:
    five_minutes = {CONF_ISSUED_AT: 0.0, CONF_EXPIRES_AT: 300.0}
    assert not needs_issue(299, five_minutes)
    assert needs_issue(301, five_minutes)


@pytest.mark.parametrize(
    ("offset", "parts"),
    [(-86400, (24, 0)), (9000, (2, 30)), (600, (0, 10)), (-29, (0, 0)), (90, (0, 2))],
)
def test_hours_and_minutes(offset: float, parts: tuple[int, int]) -> None:
    assert hours_and_minutes(offset) == parts


@pytest.mark.parametrize(
    ("access_token", "offset"),
    [
        (make_jwt({"iat": 1000 + 86400}), 86400.0),
        (make_jwt({"iat": 400}), -600.0),
        (make_jwt({"sub": "no iat"}), None),
        ("qts-" + "0" * 64, None),  # not a JWT
    ],
)
def test_stored_clock_offset(access_token: str, offset: float | None) -> None:
    """The access token's iat against the local time it arrived (both stored)."""
    data = {**EIGHT_HOURS, CONF_ACCESS_TOKEN: access_token}
    assert stored_clock_offset(data) == offset
