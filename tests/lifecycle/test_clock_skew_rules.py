"""When a clock skew is worth a log line or a repair issue, and how it is measured."""

from __future__ import annotations

import pytest

from custom_components.tesla_token.clock_skew import (
    hours_and_minutes,
    is_notable,
    needs_issue,
    stored_clock_offset,
)
from custom_components.tesla_token.const import (
    CONF_ACCESS_TOKEN,
    CONF_EXPIRES_AT,
    CONF_ISSUED_AT,
)
from tests.sso.jwts import make_jwt

HOUR = 3600.0
EIGHT_HOURS = {CONF_ISSUED_AT: 1000.0, CONF_EXPIRES_AT: 1000.0 + 8 * HOUR}


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
