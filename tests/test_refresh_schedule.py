"""When to refresh, and how long to wait after a failure."""

from __future__ import annotations

import pytest

from custom_components.tesla_token.const import (
    CONF_REFRESH_MINUTES_BEFORE,
    CONF_REFRESH_MODE,
    CONF_REFRESH_SHARE,
    CONF_REPAIR_GRACE_MINUTES,
    DEFAULT_OPTIONS,
    REFRESH_MODE_BEFORE_EXPIRY,
)
from custom_components.tesla_token.refresh_schedule import (
    BACKOFF_CAP_SECONDS,
    BLOCKED_FLOOR_SECONDS,
    RETRY_AFTER_CAP_SECONDS,
    backoff_delay,
    forced_refresh_waits,
    grace_period_ends_at,
    is_refresh_due,
    min_refresh_gap,
    next_refresh_at,
    plan_retry,
    refresh_due_at,
    retry_after_seconds,
    retry_at,
    retry_delay,
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
    ("failures", "delay"),
    [(0, 60), (1, 60), (2, 120), (3, 240), (5, 960), (6, 1800), (50, 1800)],
)
def test_backoff_without_jitter(failures: int, delay: float) -> None:
    """1, 2, 4 … minutes, capped at 30 minutes (jitter at its middle)."""
    assert backoff_delay(failures, rand=lambda: 0.5) == pytest.approx(delay)


def test_backoff_jitter_bounds() -> None:
    """Jitter moves a delay by at most 20 %, never beyond the cap."""
    assert backoff_delay(2, rand=lambda: 0.0) == pytest.approx(96)
    assert backoff_delay(2, rand=lambda: 0.999999) == pytest.approx(144, rel=1e-5)
    assert backoff_delay(10, rand=lambda: 0.999999) == BACKOFF_CAP_SECONDS


def test_retry_delay_floors() -> None:
    """Retry-After is honoured; blocks without one wait the long floor."""
    middle = 0.5
    assert retry_delay(1, retry_after=None, blocked=False, rand=lambda: middle) == 60
    assert retry_delay(1, retry_after=600, blocked=True, rand=lambda: middle) == 600
    assert retry_delay(1, retry_after=5, blocked=True, rand=lambda: middle) == 60
    assert retry_delay(1, retry_after=None, blocked=True, rand=lambda: middle) == (
        BLOCKED_FLOOR_SECONDS
    )
    assert retry_delay(1, retry_after=None, blocked=False) <= 72


@pytest.mark.parametrize("advice", [99_999_999_999_999.0, 1e308, float("inf")])
def test_an_absurd_retry_after_waits_a_day_at_most(advice: float) -> None:
    """A server cannot park the refresh forever (or crash the scheduler with a huge time)."""
    assert retry_delay(1, retry_after=advice, blocked=True) == RETRY_AFTER_CAP_SECONDS


def test_a_nan_retry_after_is_no_advice() -> None:
    assert (
        retry_delay(1, retry_after=float("nan"), blocked=False, rand=lambda: 0.5) == 60
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
    ("advice", "seconds"),
    [
        (None, None),
        (float("nan"), None),
        (-5, 0),
        (120, 120),
        (1e308, RETRY_AFTER_CAP_SECONDS),
    ],
)
def test_retry_after_seconds(advice: float | None, seconds: float | None) -> None:
    assert retry_after_seconds(advice) == seconds


@pytest.mark.parametrize(
    ("options", "ends"),
    [
        ({}, ISSUED + HOUR),  # the default: an hour
        ({**DEFAULT_OPTIONS, CONF_REPAIR_GRACE_MINUTES: 10}, ISSUED + 600),
    ],
)
def test_grace_period_ends_at(options: dict[str, object], ends: float) -> None:
    assert grace_period_ends_at(ISSUED, options) == ends


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


@pytest.mark.parametrize(
    ("retry_after", "blocked", "earliest", "latest", "not_before"),
    [
        (None, False, 48, 72, None),  # a minute, moved by up to 20 %
        (None, True, 900, 900, None),  # blocked: 15 minutes at least
        (
            1200,
            True,
            1200,
            1200,
            1200,
        ),  # Tesla's Retry-After, which every trigger keeps
    ],
)
def test_plan_retry(
    retry_after: float | None,
    blocked: bool,
    earliest: float,
    latest: float,
    not_before: float | None,
) -> None:
    """The retry after a first failure six hours into an 8-hour token."""
    now = ISSUED + 6 * HOUR
    retry = plan_retry(
        now,
        1,
        retry_after=retry_after,
        blocked=blocked,
        issued_at=ISSUED,
        expires_at=EXPIRES,
    )
    assert now + earliest <= retry.at <= now + latest
    assert retry.not_before == (None if not_before is None else now + not_before)
