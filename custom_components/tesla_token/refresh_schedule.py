"""When to refresh a token (pure functions); after a failure, see retry_plan.py."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .const import (
    CONF_REFRESH_MINUTES_BEFORE,
    CONF_REFRESH_MODE,
    CONF_REFRESH_SHARE,
    DEFAULT_REFRESH_MINUTES_BEFORE,
    DEFAULT_REFRESH_MODE,
    DEFAULT_REFRESH_SHARE,
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
