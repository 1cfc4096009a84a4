"""The coordinator that keeps one account's token fresh."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from functools import partial
import time
from typing import Any, Final, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .clock_skew import hours_and_minutes, is_notable, needs_issue, stored_clock_offset
from .const import (
    CONF_ACCESS_TOKEN,
    CONF_AUTH_URL,
    CONF_EMAIL,
    CONF_EXPIRES_AT,
    CONF_ISSUED_AT,
    CONF_ISSUER,
    CONF_REFRESH_TOKEN,
    CONF_REFRESH_TOKEN_ISSUED_AT,
    CONF_REGION,
    CONF_REPAIR_GRACE_MINUTES,
    DEFAULT_REPAIR_GRACE_MINUTES,
    DOMAIN,
    EVENT_TOKEN_REFRESH_FAILED,
    EVENT_TOKEN_REFRESHED,
    LOGGER,
)
from .entry_data import token_data
from .refresh_schedule import (
    FORCED_REFRESH_INTERVAL_SECONDS,
    is_refresh_due,
    next_refresh_at,
    retry_after_seconds,
    retry_at,
    retry_delay,
)
from .repairs import (
    async_create_clock_skew_issue,
    async_create_reauth_issue,
    async_create_refresh_failing_issue,
    async_delete_clock_skew_issue,
    async_delete_reauth_issue,
    async_delete_refresh_failing_issue,
    reauth_issue_matches,
)
from .sso import (
    SSO_BASES,
    LoginFailure,
    Region,
    TemporaryFailure,
    TeslaSso,
    TeslaSsoError,
    TeslaSsoLoginError,
    TeslaSsoTemporaryError,
    TeslaSsoTokenRefusedError,
    TokenKind,
    TokenSet,
    token_kind,
)
from .token_session import async_token_session
from .token_store import token_store

# Tesla asked us to back off: retries wait longer.
_BLOCKED: Final = frozenset(
    {
        TemporaryFailure.RATE_LIMITED,
        TemporaryFailure.WAF_BLOCKED,
        TemporaryFailure.WAF_CHALLENGE,
    }
)

type TeslaTokenConfigEntry = ConfigEntry[TeslaTokenCoordinator]

_TIMER_REFRESH: Final = "refresh"
_TIMER_EXPIRY: Final = "expiry"
_TIMER_GRACE: Final = "grace"


class TokenStatus(StrEnum):
    """How healthy an account's token is."""

    VALID = "valid"
    REFRESH_FAILING = "refresh_failing"
    EXPIRED = "expired"
    REAUTH_REQUIRED = "reauth_required"


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


class InvalidLifetimeError(Exception):
    """Tesla's answer gives the access token no lifetime (it expires as it is issued)."""


def failure_reason(err: BaseException) -> str:
    """Return a short, secret-free code for why a refresh failed."""
    if isinstance(err, InvalidLifetimeError):
        return "invalid_lifetime"
    if isinstance(err, TeslaSsoTemporaryError):
        return err.reason.value
    if isinstance(err, TeslaSsoTokenRefusedError):
        return "login_required"
    if isinstance(err, TeslaSsoLoginError) and (
        err.reason is LoginFailure.INVALID_SERVER_URL
    ):
        return "untrusted_issuer"
    if isinstance(err, TeslaSsoError):
        return "sso_error"
    return "unknown_error"


def _timestamp(value: Any) -> datetime | None:
    """Return an epoch-seconds value as an aware UTC datetime (None stays None)."""
    if value is None:
        return None
    return dt_util.utc_from_timestamp(float(value))


class TeslaTokenCoordinator(DataUpdateCoordinator[TokenState]):
    """Refreshes one account's token ahead of its expiry; never polls.

    Every trigger (the schedule, an action, a reload, a caller that needs a valid token) goes
    through `async_refresh_token`, which holds one lock: a caller that arrives while a refresh is
    running waits for it and uses its outcome instead of starting another one.
    """

    config_entry: TeslaTokenConfigEntry

    def __init__(self, hass: HomeAssistant, entry: TeslaTokenConfigEntry) -> None:
        """Create the coordinator of one config entry."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            update_interval=None,
            always_update=False,
        )
        self._session = async_token_session(hass)
        self._token_store = token_store(hass, entry.entry_id)
        # The entry's lock, not this coordinator's: flows and the next set-up attempt share it.
        self._lock = self._token_store.lock
        self._finished_attempts = 0
        self._last_error: Exception | None = None
        self._failures = 0
        self._failing_since: float | None = None
        self._last_failure: str | None = None
        self._reauth_required = False
        self._set_up = False
        self._stopped = False
        self._next_refresh: float | None = None
        self._timers: dict[str, CALLBACK_TYPE] = {}
        # The explicit refreshes' limits: one request a minute, none before Tesla's Retry-After.
        self._last_forced: float | None = None
        self._not_before: float | None = None
        self._clock_warned = False

    # What the rest of the integration reads.

    @property
    def account(self) -> str:
        """The account's email address."""
        return str(self.config_entry.data.get(CONF_EMAIL) or self.config_entry.title)

    @property
    def access_token(self) -> str:
        """The stored access token."""
        return str(self.config_entry.data[CONF_ACCESS_TOKEN])

    @property
    def expires_at(self) -> float:
        """When the stored access token expires (epoch seconds)."""
        return float(self.config_entry.data[CONF_EXPIRES_AT])

    @property
    def refresh_lock(self) -> asyncio.Lock:
        """Held while the refresh token is in use: a single-use token must not be spent twice."""
        return self._lock

    @property
    def reauth_required(self) -> bool:
        """Whether Tesla refused the refresh token, so the person must sign in again."""
        return self._reauth_required

    # The one way to refresh.

    async def async_refresh_token(
        self, *, force: bool = True, min_validity: float = 0, scheduled: bool = False
    ) -> Exception | None:
        """Refresh the token (or only when due) and publish the outcome.

        Args:
            force: refresh even when the schedule says it is not due yet (and even tokens
                Tesla refused before); at most once a minute and never before a Retry-After
                Tesla sent: meanwhile the last outcome is the answer.
            min_validity: when not forced, also refresh when the token expires within this
                many seconds.
            scheduled: the schedule's own timer (its times already keep every limit).

        Returns:
            The error of the attempt that decided the current state, or None when it succeeded
            or no attempt was needed.
        """
        seen = self._finished_attempts
        async with self._lock:
            if self._finished_attempts != seen:
                # Another trigger's refresh finished while this one waited: use its outcome.
                return self._last_error
            if self._stopped:
                return None
            if not self._should_attempt(
                force=force, scheduled=scheduled, min_validity=min_validity
            ):
                return self._last_error if force or self._reauth_required else None
            data = self.config_entry.data
            error: Exception | None = None
            try:
                sso = TeslaSso(
                    self._session,
                    data.get(CONF_AUTH_URL) or SSO_BASES[Region(data[CONF_REGION])],
                )
                tokens = await sso.refresh(
                    str(data[CONF_REFRESH_TOKEN]), issuer=str(data[CONF_ISSUER])
                )
            except TeslaSsoTemporaryError as err:
                error = err
                self._handle_temporary_failure(err)
            except TeslaSsoError as err:
                # Refused (login_required, invalid_grant) or an issuer we must not trust:
                # retrying cannot help, signing in again does.
                error = err
                self._handle_refused(err)
            except Exception as err:  # noqa: BLE001 - a bug must not stop the schedule
                error = err
                LOGGER.exception(
                    "Unexpected error refreshing the token of %s", self.account
                )
                self._handle_temporary_failure(err)
            else:
                if tokens.lifetime > 0:
                    await self._store_tokens(tokens)
                    self._handle_success(tokens)
                else:
                    error = InvalidLifetimeError(
                        "The access token in Tesla's answer has no lifetime left"
                    )
                    await self._async_handle_invalid_lifetime(tokens, error)
            finally:
                self._finished_attempts += 1
            self._last_error = error
            return error

    @callback
    def _should_attempt(
        self, *, force: bool, scheduled: bool, min_validity: float
    ) -> bool:
        """Return whether this trigger sends a request now (else the last outcome stands)."""
        if scheduled:
            return True
        now = time.time()
        if force:
            if self._forced_refresh_waits(now):
                # Pressed again (or in a loop): no request.
                return False
            self._last_forced = now
            return True
        if self._reauth_required:
            # Tesla refused these tokens: only an explicit refresh tries them again.
            return False
        if self._not_before is not None and now < self._not_before:
            # Tesla asked for a pause: a caller that needs a fresh token does not hurry it.
            return False
        data = self.config_entry.data
        return is_refresh_due(
            now,
            float(data[CONF_ISSUED_AT]),
            float(data[CONF_EXPIRES_AT]),
            self.config_entry.options,
            min_validity=min_validity,
        )

    async def async_stop(self) -> None:
        """Wait for a running refresh to finish (its tokens must be stored), then stop."""
        async with self._lock:
            self._stopped = True
        self._cancel_timers()

    @override
    async def async_shutdown(self) -> None:
        """Cancel every timer and drop the failure issue of an entry that is not loaded."""
        self._stopped = True
        self._cancel_timers()
        async_delete_refresh_failing_issue(self.hass, self.config_entry.entry_id)
        async_delete_clock_skew_issue(self.hass, self.config_entry.entry_id)
        await super().async_shutdown()

    # DataUpdateCoordinator: the first refresh at setup, and homeassistant.update_entity.

    @override
    async def _async_update_data(self) -> TokenState:
        """Refresh when due; at setup decide whether the entry can be set up."""
        if self._set_up:
            await self.async_refresh_token(force=False)
            return self.data
        attempts = self._finished_attempts
        # Tokens Tesla already refused (and no sign-in since) are checked again right away.
        error = await self.async_refresh_token(
            force=reauth_issue_matches(self.hass, self.config_entry)
        )
        if self._finished_attempts == attempts:
            # Not due yet: continue from the stored expiry without a request.
            self._schedule_next_refresh()
            self._check_clock(stored_clock_offset(self.config_entry.data))
            self._publish()
        if self._reauth_required:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN,
                translation_key="reauth_required",
                translation_placeholders={"account": self.account},
            )
        if error is not None and self.expires_at <= time.time():
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="refresh_failed",
                translation_placeholders={"reason": failure_reason(error)},
            )
        self._set_up = True
        return self.data

    # Outcomes.

    @callback
    def _handle_success(self, tokens: TokenSet) -> None:
        """Tell everyone about the new tokens (already stored)."""
        if self._failures or self._reauth_required:
            LOGGER.info("Refreshing the token of %s works again", self.account)
        self._failures = 0
        self._failing_since = None
        self._last_failure = None
        self._reauth_required = False
        self._not_before = None
        self._cancel_timer(_TIMER_GRACE)
        self._schedule_next_refresh()
        self._check_clock(tokens.clock_offset)
        self._publish()
        self.hass.bus.async_fire(
            EVENT_TOKEN_REFRESHED,
            {
                "entry_id": self.config_entry.entry_id,
                "account": self.account,
                "expires_at": dt_util.utc_from_timestamp(tokens.expires_at).isoformat(),
            },
        )
        async_delete_refresh_failing_issue(self.hass, self.config_entry.entry_id)
        async_delete_reauth_issue(self.hass, self.config_entry.entry_id)

    async def _store_tokens(self, tokens: TokenSet) -> None:
        """Write the new tokens to disk at once: a rotated refresh token must never be lost."""
        await self._token_store.async_save(
            self.config_entry, {**self.config_entry.data, **token_data(tokens)}
        )

    async def _async_handle_invalid_lifetime(
        self, tokens: TokenSet, err: InvalidLifetimeError
    ) -> None:
        """Keep the answer's refresh token (the old one may be spent), then retry as after a failure.

        The access token that came with it expires as it is issued: the stored one, still
        valid perhaps, stays.
        """
        data = self.config_entry.data
        await self._store_tokens(
            replace(
                tokens,
                access_token=str(data[CONF_ACCESS_TOKEN]),
                issued_at=float(data[CONF_ISSUED_AT]),
                expires_at=float(data[CONF_EXPIRES_AT]),
            )
        )
        self._handle_temporary_failure(err)

    @callback
    def _forced_refresh_waits(self, now: float) -> bool:
        """Return whether an explicit refresh must wait (a minute apart, Tesla's Retry-After)."""
        if self._not_before is not None and now < self._not_before:
            return True
        return (
            self._last_forced is not None
            and now < self._last_forced + FORCED_REFRESH_INTERVAL_SECONDS
        )

    @callback
    def _check_clock(self, offset: float | None) -> None:
        """Say so (once) when Tesla's clock and this one disagree by more than a few minutes."""
        entry = self.config_entry
        if not is_notable(offset):
            self._clock_warned = False
        elif not self._clock_warned and offset is not None:
            self._clock_warned = True
            hours, minutes = hours_and_minutes(offset)
            LOGGER.warning(
                "Home Assistant's clock is about %d h %d min %s the clock of Tesla's "
                "sign-in server (measured refreshing the token of %s); refreshes follow "
                "Home Assistant's clock, but check its time zone and time synchronisation",
                hours,
                minutes,
                "behind" if offset > 0 else "ahead of",
                self.account,
            )
        if offset is not None and needs_issue(offset, entry.data):
            async_create_clock_skew_issue(self.hass, entry, offset)
        else:
            async_delete_clock_skew_issue(self.hass, entry.entry_id)

    @callback
    def _handle_temporary_failure(self, err: Exception) -> None:
        """Keep the stored tokens, retry with backoff, and tell when it lasts."""
        now = time.time()
        reason = failure_reason(err)
        self._failures += 1
        self._last_failure = reason
        if self._failing_since is None:
            self._failing_since = now
            LOGGER.info(
                "Refreshing the token of %s failed (%s: %s); retrying in the background",
                self.account,
                reason,
                err,
            )
        else:
            LOGGER.debug(
                "Refresh %d for %s failed again (%s)",
                self._failures,
                self.account,
                reason,
            )
        retry_after = getattr(err, "retry_after", None)
        delay = retry_delay(
            self._failures,
            retry_after=retry_after,
            blocked=isinstance(err, TeslaSsoTemporaryError) and err.reason in _BLOCKED,
        )
        advice = retry_after_seconds(retry_after)
        self._not_before = None if advice is None else now + advice
        data = self.config_entry.data
        self._schedule_refresh_at(
            retry_at(
                now, delay, float(data[CONF_ISSUED_AT]), float(data[CONF_EXPIRES_AT])
            )
        )
        self._schedule_grace_check(self._failing_since)
        self._publish()
        self._fire_failed(reason)

    @callback
    def _handle_refused(self, err: Exception) -> None:
        """Tesla refused the refresh token: stop refreshing and ask the person to sign in."""
        reason = failure_reason(err)
        if not self._reauth_required:
            LOGGER.warning(
                "Tesla refused the refresh token of %s (%s); sign in again",
                self.account,
                reason,
            )
        self._reauth_required = True
        self._last_failure = reason
        self._cancel_timers()
        self._next_refresh = None
        self._publish()
        self._fire_failed(reason)
        async_delete_refresh_failing_issue(self.hass, self.config_entry.entry_id)
        async_create_reauth_issue(self.hass, self.config_entry)
        if self._set_up:
            # During setup the ConfigEntryAuthFailed raised by the first refresh starts it.
            self.config_entry.async_start_reauth(self.hass)

    @callback
    def _fire_failed(self, reason: str) -> None:
        """Fire the failure event (entry, account and a short reason; never a token)."""
        self.hass.bus.async_fire(
            EVENT_TOKEN_REFRESH_FAILED,
            {
                "entry_id": self.config_entry.entry_id,
                "account": self.account,
                "reason": reason,
            },
        )

    # Publishing.

    @callback
    def _publish(self) -> None:
        """Hand the current state to the entities."""
        self.async_set_updated_data(self._build_state())

    @callback
    def _build_state(self) -> TokenState:
        """Describe the stored token as it stands now."""
        data = self.config_entry.data
        expires_at = float(data[CONF_EXPIRES_AT])
        if self._reauth_required:
            status = TokenStatus.REAUTH_REQUIRED
        elif expires_at <= time.time():
            status = TokenStatus.EXPIRED
        elif self._failures:
            status = TokenStatus.REFRESH_FAILING
        else:
            status = TokenStatus.VALID
        return TokenState(
            status=status,
            issued_at=dt_util.utc_from_timestamp(float(data[CONF_ISSUED_AT])),
            expires_at=dt_util.utc_from_timestamp(expires_at),
            next_refresh=_timestamp(self._next_refresh),
            refresh_token_issued_at=_timestamp(data.get(CONF_REFRESH_TOKEN_ISSUED_AT)),
            token_kind=token_kind(str(data[CONF_ACCESS_TOKEN])),
            failing_since=_timestamp(self._failing_since),
            failures=self._failures,
            last_failure=self._last_failure,
        )

    # Timers.

    @callback
    def _schedule_next_refresh(self) -> None:
        """Schedule the regular refresh from the stored token and the options."""
        data = self.config_entry.data
        self._schedule_refresh_at(
            next_refresh_at(
                time.time(),
                float(data[CONF_ISSUED_AT]),
                float(data[CONF_EXPIRES_AT]),
                self.config_entry.options,
            )
        )

    @callback
    def _schedule_refresh_at(self, when: float) -> None:
        """Make the next request at `when` (epoch seconds), and watch the expiry meanwhile."""
        self._next_refresh = when
        self._set_timer(_TIMER_REFRESH, when, self._refresh_timer_fired)
        self._set_timer(_TIMER_EXPIRY, self.expires_at, self._expiry_timer_fired)

    @callback
    def _schedule_grace_check(self, failing_since: float) -> None:
        """Open the failure issue once failures have lasted the grace period."""
        grace = float(
            self.config_entry.options.get(
                CONF_REPAIR_GRACE_MINUTES, DEFAULT_REPAIR_GRACE_MINUTES
            )
        )
        self._set_timer(
            _TIMER_GRACE,
            failing_since + grace * 60,
            partial(self._grace_timer_fired, failing_since),
        )

    @callback
    def _refresh_timer_fired(self, _now: datetime) -> None:
        """Refresh now (a normal task: unloading waits for it, its tokens must be stored)."""
        self._timers.pop(_TIMER_REFRESH, None)
        self.config_entry.async_create_task(
            self.hass,
            self.async_refresh_token(scheduled=True),
            f"{DOMAIN} scheduled refresh",
        )

    @callback
    def _expiry_timer_fired(self, _now: datetime) -> None:
        """The access token just expired: show it."""
        self._timers.pop(_TIMER_EXPIRY, None)
        self._publish()

    @callback
    def _grace_timer_fired(self, failing_since: float, _now: datetime) -> None:
        """Failures have lasted the grace period (a success cancels this): open the issue."""
        self._timers.pop(_TIMER_GRACE, None)
        async_create_refresh_failing_issue(
            self.hass, self.config_entry, dt_util.utc_from_timestamp(failing_since)
        )

    @callback
    def _set_timer(
        self, name: str, when: float, action: Callable[[datetime], None]
    ) -> None:
        """(Re)arm one named timer."""
        self._cancel_timer(name)
        self._timers[name] = async_track_point_in_utc_time(
            self.hass, action, dt_util.utc_from_timestamp(when)
        )

    @callback
    def _cancel_timer(self, name: str) -> None:
        """Cancel one named timer."""
        if (cancel := self._timers.pop(name, None)) is not None:
            cancel()

    @callback
    def _cancel_timers(self) -> None:
        """Cancel every timer."""
        for name in list(self._timers):
            self._cancel_timer(name)
