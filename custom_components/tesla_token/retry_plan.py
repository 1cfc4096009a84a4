"""How long to wait after a failed refresh, and when failures become a repair (pure functions)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
import math
import random
from typing import Any, Final

from .const import CONF_REPAIR_GRACE_MINUTES, DEFAULT_REPAIR_GRACE_MINUTES
from .refresh_schedule import retry_at

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
