"""When to refresh a token."""

from __future__ import annotations

import pytest

from custom_components.tesla_token.const import (
    CONF_REFRESH_MINUTES_BEFORE,
    CONF_REFRESH_MODE,
    CONF_REFRESH_SHARE,
    DEFAULT_OPTIONS,
    REFRESH_MODE_BEFORE_EXPIRY,
)
from custom_components.tesla_token.refresh_schedule import (
    forced_refresh_waits,
    is_refresh_due,
    min_refresh_gap,
    next_refresh_at,
    refresh_due_at,
    retry_at,
)

HOUR = 3600.0
ISSUED = 1_000_000.0
EXPIRES = ISSUED + 8 * HOUR


def before_expiry(minutes: int) -> dict[str, object]:
    """Options for "refresh N minutes before expiry"."""
    return {
        **DEFAULT_OPTIONS,
        CONF_REFRESH_MODE: REFRESH_MODE_BEFORE_EXPIRY,
        CONF_REFRESH_MINUTES_BEFORE: minutes,
    }


@pytest.mark.parametrize(
    ("options", "due"),
    [
        (DEFAULT_OPTIONS, ISSUED + 6 * HOUR),  # 75 % of 8 hours
        ({}, ISSUED + 6 * HOUR),  # no options: the defaults
        ({**DEFAULT_OPTIONS, CONF_REFRESH_SHARE: 50}, ISSUED + 4 * HOUR),
        (before_expiry(60), EXPIRES - HOUR),
        (
            before_expiry(600),
            ISSUED + 0.8 * HOUR,
        ),  # longer than the lifetime: 10 % of it
        (before_expiry(0), EXPIRES - 60),  # at least a minute before expiry
        ({**DEFAULT_OPTIONS, CONF_REFRESH_SHARE: 100}, EXPIRES - 60),
    ],
)
def test_refresh_due_at(options: dict[str, object], due: float) -> None:
    """The refresh time follows the options, within sane bounds."""
    assert refresh_due_at(ISSUED, EXPIRES, options) == pytest.approx(due)


def test_short_lifetime_keeps_a_margin() -> None:
    """A 5-minute token is refreshed 5 % of its lifetime before expiry at the latest."""
    assert refresh_due_at(0, 300, before_expiry(0)) == pytest.approx(285)


def test_broken_lifetime_is_due_at_expiry() -> None:
    """A token that expires before it was issued is due at once."""
    assert refresh_due_at(ISSUED, ISSUED - 1, DEFAULT_OPTIONS) == ISSUED - 1


def test_is_refresh_due() -> None:
    """Due from the refresh time on, or when the token expires within min_validity."""
    assert not is_refresh_due(ISSUED + HOUR, ISSUED, EXPIRES, DEFAULT_OPTIONS)
    assert is_refresh_due(ISSUED + 6 * HOUR, ISSUED, EXPIRES, DEFAULT_OPTIONS)
    assert is_refresh_due(
        ISSUED + HOUR, ISSUED, ISSUED + HOUR + 200, DEFAULT_OPTIONS, min_validity=300
    )


@pytest.mark.parametrize(
    ("lifetime", "gap"),
    [(8 * HOUR, 0.8 * HOUR), (300, 60), (30, 60), (0, 60), (-5, 60)],
)
def test_min_refresh_gap(lifetime: float, gap: float) -> None:
    """A tenth of the lifetime, and never less than a minute."""
    assert min_refresh_gap(lifetime) == pytest.approx(gap)


@pytest.mark.parametrize(
    ("now", "issued", "expires", "when"),
    [
        (ISSUED, ISSUED, EXPIRES, ISSUED + 6 * HOUR),  # the options decide
        (ISSUED + 9 * HOUR, ISSUED, EXPIRES, ISSUED + 9 * HOUR),  # overdue: now
        (ISSUED, ISSUED, ISSUED + 30, ISSUED + 60),  # 30 s token: a minute apart
        (ISSUED, ISSUED, ISSUED, ISSUED + 60),  # no lifetime: a minute apart
        (ISSUED, ISSUED, ISSUED - 100, ISSUED + 60),  # negative lifetime too
        (ISSUED, ISSUED + 86400, EXPIRES + 86400, ISSUED),  # another clock: now
        (
            ISSUED,
            ISSUED + 200,
            EXPIRES + 200,
            ISSUED + 200 + 6 * HOUR,
        ),  # within tolerance
    ],
)
def test_next_refresh_at(
    now: float, issued: float, expires: float, when: float
) -> None:
    assert next_refresh_at(now, issued, expires, DEFAULT_OPTIONS) == pytest.approx(when)


def test_nothing_is_due_within_the_minimum_gap() -> None:
    """Not even a token that expires at once (min_validity) or has no lifetime."""
    assert not is_refresh_due(ISSUED + 59, ISSUED, ISSUED + 30, DEFAULT_OPTIONS)
    assert not is_refresh_due(
        ISSUED + 59, ISSUED, ISSUED + 120, DEFAULT_OPTIONS, min_validity=300
    )
    assert is_refresh_due(ISSUED + 60, ISSUED, ISSUED + 30, DEFAULT_OPTIONS)
    assert is_refresh_due(ISSUED + 60, ISSUED, ISSUED, DEFAULT_OPTIONS)


def test_a_token_issued_in_the_future_is_due() -> None:
    """Stored by another clock (or before the clock was set back): refresh once to re-anchor."""
    assert is_refresh_due(ISSUED, ISSUED + 86400, EXPIRES + 86400, DEFAULT_OPTIONS)
    assert not is_refresh_due(ISSUED, ISSUED + 200, EXPIRES + 200, DEFAULT_OPTIONS)


@pytest.mark.parametrize(
    ("now", "issued", "expires", "when"),
    [
        (ISSUED + 6 * HOUR, ISSUED, EXPIRES, ISSUED + 6 * HOUR + 60),  # backoff alone
        (ISSUED + 60, ISSUED, EXPIRES, ISSUED + 0.8 * HOUR),  # not within the gap
        (ISSUED, ISSUED + 86400, EXPIRES + 86400, ISSUED + 60),  # another clock
    ],
)
def test_retry_at(now: float, issued: float, expires: float, when: float) -> None:
    assert retry_at(now, 60, issued, expires) == pytest.approx(when)


@pytest.mark.parametrize(
    ("now", "last_request", "not_before", "waits"),
    [
        (ISSUED, None, None, False),  # never asked
        (ISSUED + 59, ISSUED, None, True),  # a minute apart
        (ISSUED + 60, ISSUED, None, False),
        (ISSUED + 600, ISSUED, ISSUED + 1200, True),  # Tesla's Retry-After
        (ISSUED + 1200, ISSUED, ISSUED + 1200, False),
    ],
)
def test_forced_refresh_waits(
    now: float, last_request: float | None, not_before: float | None, waits: bool
) -> None:
    assert forced_refresh_waits(now, last_request, not_before) is waits
