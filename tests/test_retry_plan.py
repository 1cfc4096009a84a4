"""How long to wait after a failed refresh, and when failures become a repair."""

from __future__ import annotations

import pytest

from custom_components.tesla_token.const import (
    CONF_REPAIR_GRACE_MINUTES,
    DEFAULT_OPTIONS,
)
from custom_components.tesla_token.retry_plan import (
    BACKOFF_CAP_SECONDS,
    BLOCKED_FLOOR_SECONDS,
    RETRY_AFTER_CAP_SECONDS,
    backoff_delay,
    grace_period_ends_at,
    plan_retry,
    retry_after_seconds,
    retry_delay,
)

HOUR = 3600.0
ISSUED = 1_000_000.0
EXPIRES = ISSUED + 8 * HOUR


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
