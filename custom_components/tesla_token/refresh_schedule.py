"""When to refresh a token and how long to wait after a failure (pure functions)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
import math
import random
from typing import Any, Final

from .const import (
    CONF_REFRESH_MINUTES_BEFORE,
    CONF_REFRESH_MODE,
    CONF_REFRESH_SHARE,
    CONF_REPAIR_GRACE_MINUTES,
    DEFAULT_REFRESH_MINUTES_BEFORE,
    DEFAULT_REFRESH_MODE,
    DEFAULT_REFRESH_SHARE,
    DEFAULT_REPAIR_GRACE_MINUTES,
    REFRESH_MODE_BEFORE_EXPIRY,
)

# A token younger than this share of its lifetime is never refreshed: a refresh window larger
# than the lifetime must not turn into a refresh loop.
MIN_AGE_SHARE: Final = 0.1
# Refresh at least this long before expiry (or 5 % of a very short lifetime).
MIN_MARGIN_SECONDS: Final = 60.0
MIN_MARGIN_SHARE: Final = 0.05

# Successful refreshes are never closer than this (or this share of the lifetime), whatever
# the token says: a broken expiry must not turn into a refresh storm.
MIN_GAP_SECONDS: Final = 60.0
MIN_GAP_SHARE: Final = 0.1
# Times are stored on this machine's clock, so a token "issued" further in the future than this
# was stored with another clock (an older release kept Tesla's, or the clock was set back): one
# refresh puts it on the local clock again.
ANCHOR_TOLERANCE_SECONDS: Final = 300.0
# An explicit refresh (the action) asks Tesla at most once per this many seconds after the
# last request (whoever made it); in between the last outcome stands.
FORCED_REFRESH_INTERVAL_SECONDS: Final = 60.0

BACKOFF_BASE_SECONDS: Final = 60.0
BACKOFF_CAP_SECONDS: Final = 1800.0
# How far the jitter moves a delay either way (a share of the delay).
JITTER_SHARE: Final = 0.2
# 429 and firewall blocks without a Retry-After wait at least this long: hammering gets the IP
# blocked.
BLOCKED_FLOOR_SECONDS: Final = 900.0
# The longest wait a server's Retry-After can impose: a day, so that an absurd answer cannot
# park the refresh forever (the status shows the token expiring meanwhile).
RETRY_AFTER_CAP_SECONDS: Final = 86400.0


def refresh_due_at(
    issued_at: float, expires_at: float, options: Mapping[str, Any]
) -> float:
    """Return when (epoch seconds) a token should be refreshed.

    Args:
        issued_at: when the access token was issued (epoch seconds).
        expires_at: when the access token expires (epoch seconds).
        options: the entry options (refresh mode, share or minutes before expiry).
    """
    lifetime = expires_at - issued_at
    if lifetime <= 0:
        return expires_at
    if (
        options.get(CONF_REFRESH_MODE, DEFAULT_REFRESH_MODE)
        == REFRESH_MODE_BEFORE_EXPIRY
    ):
        minutes = float(
            options.get(CONF_REFRESH_MINUTES_BEFORE, DEFAULT_REFRESH_MINUTES_BEFORE)
        )
        due = expires_at - minutes * 60
    else:
        share = float(options.get(CONF_REFRESH_SHARE, DEFAULT_REFRESH_SHARE))
        due = issued_at + lifetime * share / 100
    earliest = issued_at + lifetime * MIN_AGE_SHARE
    latest = expires_at - min(MIN_MARGIN_SECONDS, lifetime * MIN_MARGIN_SHARE)
    return min(max(due, earliest), latest)


def min_refresh_gap(lifetime: float) -> float:
    """Return the shortest time between two successful refreshes of a token of this lifetime."""
    return max(MIN_GAP_SECONDS, lifetime * MIN_GAP_SHARE)


def _anchored_elsewhere(now: float, issued_at: float) -> bool:
    """Return whether a stored issue time cannot come from this machine's clock."""
    return issued_at > now + ANCHOR_TOLERANCE_SECONDS


def next_refresh_at(
    now: float, issued_at: float, expires_at: float, options: Mapping[str, Any]
) -> float:
    """Return when (epoch seconds) to refresh a token that was refreshed successfully.

    Never sooner than the minimum gap after `issued_at` (the local time of the last
    successful refresh), never in the past.

    Args:
        now: the current time (epoch seconds).
        issued_at: when the access token arrived (this machine's clock).
        expires_at: when the access token expires (this machine's clock).
        options: the entry options.
    """
    if _anchored_elsewhere(now, issued_at):
        return now
    earliest = issued_at + min_refresh_gap(expires_at - issued_at)
    return max(refresh_due_at(issued_at, expires_at, options), earliest, now)


def retry_at(now: float, delay: float, issued_at: float, expires_at: float) -> float:
    """Return when to retry after a failure: after `delay`, and not within the minimum gap.

    Args:
        now: the current time (epoch seconds).
        delay: the backoff the failure asks for.
        issued_at: when the stored access token arrived (this machine's clock).
        expires_at: when it expires.
    """
    if _anchored_elsewhere(now, issued_at):
        return now + delay
    return max(now + delay, issued_at + min_refresh_gap(expires_at - issued_at))


def is_refresh_due(
    now: float,
    issued_at: float,
    expires_at: float,
    options: Mapping[str, Any],
    *,
    min_validity: float = 0,
) -> bool:
    """Return whether a token must be refreshed now (never within the minimum gap).

    Args:
        now: the current time (epoch seconds).
        issued_at: when the access token arrived (this machine's clock).
        expires_at: when the access token expires.
        options: the entry options.
        min_validity: also refresh when the token expires within this many seconds.
    """
    if _anchored_elsewhere(now, issued_at):
        return True
    if now < issued_at + min_refresh_gap(expires_at - issued_at):
        return False
    return (
        now >= refresh_due_at(issued_at, expires_at, options)
        or expires_at - now <= min_validity
    )


def backoff_delay(
    failures: int,
    *,
    base: float = BACKOFF_BASE_SECONDS,
    cap: float = BACKOFF_CAP_SECONDS,
    rand: Callable[[], float] = random.random,
) -> float:
    """Return the seconds to wait after the n-th failure in a row: 1, 2, 4 … minutes, capped.

    Each delay is moved by up to ±20 % so that many installations do not retry in step.

    Args:
        failures: how many attempts in a row have failed (1 after the first failure).
        base: the first delay.
        cap: the longest delay.
        rand: a source of numbers in [0, 1) (tests pass a fixed one).
    """
    exponent = min(max(failures, 1) - 1, 30)
    delay = min(cap, base * 2.0**exponent)
    jittered = delay * (1 - JITTER_SHARE + 2 * JITTER_SHARE * rand())
    return min(cap, jittered)


def retry_delay(
    failures: int,
    *,
    retry_after: float | None,
    blocked: bool,
    rand: Callable[[], float] = random.random,
) -> float:
    """Return the seconds to wait before the next attempt after a temporary failure.

    Args:
        failures: how many attempts in a row have failed.
        retry_after: the server's Retry-After advice, if it gave one.
        blocked: the server rate-limited or firewalled the request (429, WAF).
        rand: a source of numbers in [0, 1).
    """
    delay = backoff_delay(failures, rand=rand)
    advice = retry_after_seconds(retry_after)
    if advice is not None:
        return max(delay, advice)
    if blocked:
        return max(delay, BLOCKED_FLOOR_SECONDS)
    return delay


def grace_period_ends_at(failing_since: float, options: Mapping[str, Any]) -> float:
    """Return when failures that began at `failing_since` become a repair issue.

    Args:
        failing_since: when the first failure in a row happened (epoch seconds).
        options: the entry options (the grace period in minutes).
    """
    grace = float(options.get(CONF_REPAIR_GRACE_MINUTES, DEFAULT_REPAIR_GRACE_MINUTES))
    return failing_since + grace * 60


def forced_refresh_waits(
    now: float, last_request: float | None, not_before: float | None
) -> bool:
    """Return whether an explicit refresh must not ask Tesla now.

    Args:
        now: the current time (epoch seconds).
        last_request: when Tesla was last asked, if it was.
        not_before: the end of the wait Tesla's Retry-After asked for, if it did.
    """
    if not_before is not None and now < not_before:
        return True
    return (
        last_request is not None
        and now < last_request + FORCED_REFRESH_INTERVAL_SECONDS
    )


def retry_after_seconds(retry_after: float | None) -> float | None:
    """Return a server's Retry-After advice as a usable wait (capped), or None for none.

    Args:
        retry_after: the seconds the server asked for, if it did.
    """
    if retry_after is None or math.isnan(retry_after):  # NaN is no advice
        return None
    return min(max(retry_after, 0.0), RETRY_AFTER_CAP_SECONDS)


@dataclass(frozen=True)
class Retry:
    """When to ask again after a temporary failure."""

    at: float  # epoch seconds of the next attempt
    not_before: (
        float | None
    )  # the end of Tesla's Retry-After, which every trigger keeps


def plan_retry(
    now: float,
    failures: int,
    *,
    retry_after: float | None,
    blocked: bool,
    issued_at: float,
    expires_at: float,
) -> Retry:
    """Return the retry after the n-th failure in a row: backoff, floors, Retry-After, gap.

    Args:
        now: the current time (epoch seconds).
        failures: how many attempts in a row have failed.
        retry_after: the server's Retry-After advice, if it gave one.
        blocked: the server rate-limited or firewalled the request (429, WAF).
        issued_at: when the stored access token arrived (this machine's clock).
        expires_at: when it expires.
    """
    delay = retry_delay(failures, retry_after=retry_after, blocked=blocked)
    advice = retry_after_seconds(retry_after)
    return Retry(
        at=retry_at(now, delay, issued_at, expires_at),
        not_before=None if advice is None else now + advice,
    )
