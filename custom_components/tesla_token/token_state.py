"""What the entities show about an account's token, built from the entry (pure functions)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from homeassistant.const import CONF_ACCESS_TOKEN
from homeassistant.util import dt as dt_util

from .account_kind import refresh_token_expires_at, scopes_granted
from .connection_plan import remembered_profile, stored_verdict
from .const import (
    CONF_API_CHECKED_AT,
    CONF_EXPIRES_AT,
    CONF_ISSUED_AT,
    CONF_REFRESH_TOKEN_ISSUED_AT,
)
from .sso import ApiAccess, TokenKind, token_kind
from .token_store import tokens_refused

# How many of the API's last answers diagnostics show.
API_CHECK_HISTORY: Final = 10
# What the "API access" sensor shows when the check is off.
NOT_CHECKED: Final = "not_checked"
API_ACCESS_STATES: Final = (*(access.value for access in ApiAccess), NOT_CHECKED)


class TokenStatus(StrEnum):
    """How healthy an account's token is."""

    VALID = "valid"
    REFRESH_FAILING = "refresh_failing"
    EXPIRED = "expired"
    REAUTH_REQUIRED = "reauth_required"
    API_REJECTED = "api_rejected"  # refreshing works, Tesla's API refuses the tokens


@dataclass(frozen=True, kw_only=True)
class ApiCheck:
    """One answer of Tesla's API about a token (when, over which connection, what it said)."""

    at: datetime
    connection: str
    outcome: ApiAccess


@dataclass(frozen=True, kw_only=True)
class TokenState:
    """What the entities show about an account's token (never the token itself)."""

    status: TokenStatus
    issued_at: datetime
    expires_at: datetime
    next_refresh: datetime | None
    refresh_token_issued_at: datetime | None
    token_kind: TokenKind
    failing_since: datetime | None
    failures: int
    last_failure: str | None
    api_access: str
    api_checked_at: datetime | None
    connection: str
    api_checks: tuple[ApiCheck, ...]
    # Fleet API entries only (None for Owner API entries).
    refresh_token_expires_at: datetime | None = None
    scopes_granted: tuple[str, ...] | None = None


@dataclass(frozen=True)
class FailureRun:
    """The temporary failures in a row since the last success (none while refreshing works)."""

    count: int = 0
    since: float = 0.0  # epoch seconds of the first one (when count > 0)
    last_reason: str | None = None  # also a refusal's, which counts no retry

    def add(self, reason: str, now: float) -> FailureRun:
        """Return the run with one more failure."""
        return FailureRun(self.count + 1, self.since if self.count else now, reason)


def _timestamp(value: Any) -> datetime | None:
    """Return an epoch-seconds value as an aware UTC datetime (None stays None)."""
    return None if value is None else dt_util.utc_from_timestamp(float(value))


def _api_access(data: Mapping[str, Any], api_check: bool) -> str:
    """Return what Tesla's API last said of the account's token, or that nobody asks it."""
    verdict = stored_verdict(data) if api_check else None
    return NOT_CHECKED if verdict is None else verdict


def _status(
    data: Mapping[str, Any], now: float, failures: FailureRun, api_access: str
) -> TokenStatus:
    """Return how healthy the stored token is at `now`."""
    if tokens_refused(data):
        return TokenStatus.REAUTH_REQUIRED
    if float(data[CONF_EXPIRES_AT]) <= now:
        return TokenStatus.EXPIRED
    if api_access == ApiAccess.REJECTED:
        return TokenStatus.API_REJECTED  # a working refresh does not help then
    return TokenStatus.REFRESH_FAILING if failures.count else TokenStatus.VALID


def describe_token(
    data: Mapping[str, Any],
    *,
    now: float,
    failures: FailureRun,
    next_refresh: float | None,
    api_check: bool,
    api_checks: tuple[ApiCheck, ...] = (),
) -> TokenState:
    """Describe the stored token as it stands at `now`.

    Args:
        data: the entry data (the tokens and their times).
        now: the current time (epoch seconds).
        failures: the failures since the last successful refresh.
        next_refresh: when the next request is planned, if one is.
        api_check: whether new tokens are checked against Tesla's API.
        api_checks: the API's last answers, oldest first.
    """
    expires_at = float(data[CONF_EXPIRES_AT])
    api_access = _api_access(data, api_check)
    granted = scopes_granted(data)
    return TokenState(
        status=_status(data, now, failures, api_access),
        issued_at=dt_util.utc_from_timestamp(float(data[CONF_ISSUED_AT])),
        expires_at=dt_util.utc_from_timestamp(expires_at),
        next_refresh=_timestamp(next_refresh),
        refresh_token_issued_at=_timestamp(data.get(CONF_REFRESH_TOKEN_ISSUED_AT)),
        token_kind=token_kind(str(data[CONF_ACCESS_TOKEN])),
        failing_since=_timestamp(failures.since) if failures.count else None,
        failures=failures.count,
        last_failure=failures.last_reason,
        api_access=api_access,
        api_checked_at=_timestamp(data.get(CONF_API_CHECKED_AT)),
        connection=remembered_profile(data).value,
        api_checks=api_checks,
        refresh_token_expires_at=_timestamp(refresh_token_expires_at(data)),
        scopes_granted=None if granted is None else tuple(granted),
    )
