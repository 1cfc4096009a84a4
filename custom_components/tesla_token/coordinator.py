"""The coordinator that keeps one account's token fresh."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from functools import partial
import time
from typing import Any, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_ACCESS_TOKEN, CONF_EMAIL, CONF_REGION
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .clock_skew import hours_and_minutes, is_notable, stored_clock_offset
from .const import (
    CONF_AUTH_URL,
    CONF_EXPIRES_AT,
    CONF_ISSUED_AT,
    CONF_ISSUER,
    CONF_REFRESH_TOKEN,
    CONF_REFRESH_TOKEN_ISSUED_AT,
    CONF_REFUSED_ISSUED_AT,
    DOMAIN,
    EVENT_TOKEN_REFRESH_FAILED,
    EVENT_TOKEN_REFRESHED,
    LOGGER,
)
from .entry_data import token_data
from .refresh_errors import (
    BLOCKED_REASONS,
    InvalidLifetimeError,
    RefreshFailedError,
    TokenRefusedError,
    failure_reason,
)
from .refresh_schedule import (
    forced_refresh_waits,
    grace_period_ends_at,
    is_refresh_due,
    next_refresh_at,
    retry_after_seconds,
    retry_at,
    retry_delay,
)
from .repairs import (
    async_create_refresh_failing_issue,
    async_delete_issues,
    async_delete_refresh_failing_issue,
    async_update_clock_skew_issue,
)
from .sso import (
    SSO_BASES,
    Region,
    TeslaSso,
    TeslaSsoError,
    TeslaSsoTemporaryError,
    TokenKind,
    TokenSet,
    token_kind,
)
from .token_session import async_token_session
from .token_store import token_store, tokens_refused, without_refusal

type TeslaTokenConfigEntry = ConfigEntry[TeslaTokenCoordinator]


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


def _timestamp(value: Any) -> datetime | None:
    """Return an epoch-seconds value as an aware UTC datetime (None stays None)."""
    return None if value is None else dt_util.utc_from_timestamp(float(value))


def _cancel(unsubscribe: CALLBACK_TYPE | None) -> None:
    """Cancel a timer, if one is set."""
    if unsubscribe is not None:
        unsubscribe()


class TeslaTokenCoordinator(DataUpdateCoordinator[TokenState]):
    """Refreshes one account's token ahead of its expiry; never polls.

    Every trigger (the schedule, an action, update_entity, a caller that needs a valid token)
    goes through `async_refresh_token`, under the entry's lock: a trigger that waited while
    another one asked Tesla finds its outcome, and asks no more within a minute.
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
        self._stopped = False
        # The current run of failures (none while refreshing works).
        self._failures = 0
        self._failing_since: float | None = None
        self._last_failure: str | None = None
        # Limits of the triggers other than the schedule: a minute apart, Tesla's Retry-After.
        self._last_request: float | None = None
        self._not_before: float | None = None
        self._next_refresh: float | None = None
        self._unsub_refresh_timer: CALLBACK_TYPE | None = None
        self._unsub_expiry_timer: CALLBACK_TYPE | None = None
        self._unsub_grace_timer: CALLBACK_TYPE | None = None
        self._clock_warned = False

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
        """Held while the refresh token is in use (the entry's, shared with its flows)."""
        return self._token_store.lock

    @property
    def reauth_required(self) -> bool:
        """Whether Tesla refused the stored tokens, so the person must sign in again."""
        return tokens_refused(self.config_entry.data)

    async def async_refresh_token(
        self, *, force: bool = True, min_validity: float = 0, scheduled: bool = False
    ) -> None:
        """Refresh the token (or only when due) and publish the outcome.

        Args:
            force: refresh even when not due yet (and even tokens Tesla refused); without a
                request (a minute apart, Tesla's Retry-After) the last outcome is raised again.
            min_validity: when not forced, also refresh when the token expires within this
                many seconds.
            scheduled: the schedule's own timer (its times already keep every limit).

        Raises:
            TokenRefusedError: Tesla refused the tokens (also when nobody asked it now).
            RefreshFailedError: the refresh failed for now; the stored token stays.
        """
        async with self.refresh_lock:
            if self._stopped:
                return
            requested = self._should_request(force, scheduled, min_validity)
            if requested:
                await self._async_request()
            if self.reauth_required:
                raise TokenRefusedError(self.account)
            if (requested or force) and self._last_failure is not None:
                raise RefreshFailedError(self._last_failure)

    @callback
    def _should_request(
        self, force: bool, scheduled: bool, min_validity: float
    ) -> bool:
        """Return whether this trigger asks Tesla now (else the last outcome stands)."""
        now = time.time()
        if scheduled:
            return True
        if force:
            return not forced_refresh_waits(now, self._last_request, self._not_before)
        if self.reauth_required or (
            self._not_before is not None and now < self._not_before
        ):
            # Refused tokens wait for a sign-in; Tesla's Retry-After is not hurried.
            return False
        if (
            self._failures
            and self._next_refresh is not None
            and now < self._next_refresh
            and self.expires_at - now > min_validity
        ):
            # The backoff's retry comes first, unless the token runs out sooner.
            return False
        data = self.config_entry.data
        return is_refresh_due(
            now,
            float(data[CONF_ISSUED_AT]),
            self.expires_at,
            self.config_entry.options,
            min_validity=min_validity,
        )

    async def _async_request(self) -> None:
        """Ask Tesla for new tokens, store them first, then tell everyone."""
        data = self.config_entry.data
        self._last_request = time.time()
        try:
            sso = TeslaSso(
                self._session,
                data.get(CONF_AUTH_URL) or SSO_BASES[Region(data[CONF_REGION])],
            )
            tokens = await sso.refresh(
                str(data[CONF_REFRESH_TOKEN]), issuer=str(data[CONF_ISSUER])
            )
        except TeslaSsoTemporaryError as err:
            self._handle_temporary_failure(err)
        except TeslaSsoError as err:
            # Refused, or an issuer not to trust: retrying cannot help, signing in again does.
            self._handle_refused(err)
        except Exception as err:  # noqa: BLE001 - a bug must not stop the schedule
            LOGGER.exception(
                "Unexpected error refreshing the token of %s", self.account
            )
            self._handle_temporary_failure(err)
        else:
            if tokens.expires_at > tokens.issued_at:
                await self._async_store(tokens)
                self._handle_success(tokens)
                return
            # No lifetime: keep its refresh token (the old one may be spent), not its
            # access token, and retry as after a failure.
            await self._async_store(
                replace(
                    tokens,
                    access_token=self.access_token,
                    issued_at=float(data[CONF_ISSUED_AT]),
                    expires_at=self.expires_at,
                )
            )
            self._handle_temporary_failure(InvalidLifetimeError("no lifetime left"))

    async def _async_store(self, tokens: TokenSet) -> None:
        """Write new tokens to disk at once: a rotated refresh token must never be lost."""
        data = without_refusal(self.config_entry.data)
        await self._token_store.async_save(self.config_entry, data | token_data(tokens))

    @override
    async def _async_setup(self) -> None:
        """Decide once whether the entry can be set up, refreshing when due.

        Tokens Tesla refused before (and no sign-in since) are tried again at once.
        """
        data = self.config_entry.data
        if not self.reauth_required and not is_refresh_due(
            time.time(),
            float(data[CONF_ISSUED_AT]),
            float(data[CONF_EXPIRES_AT]),
            self.config_entry.options,
        ):
            # Continue from the stored expiry without a request.
            self._schedule_refresh_at(self._regular_refresh_time())
            self._check_clock(stored_clock_offset(data))
            self._publish()
            return
        try:
            await self.async_refresh_token(force=True)
        except TokenRefusedError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN,
                translation_key="reauth_required",
                translation_placeholders={"account": self.account},
            ) from err
        except RefreshFailedError as err:
            if self.expires_at <= time.time():
                raise ConfigEntryNotReady(
                    translation_domain=DOMAIN,
                    translation_key="refresh_failed",
                    translation_placeholders={"reason": err.reason},
                ) from err

    @override
    async def _async_update_data(self) -> TokenState:
        """Refresh when due (homeassistant.update_entity); failures show in the state."""
        with suppress(TokenRefusedError, RefreshFailedError):
            await self.async_refresh_token(force=False)
        return self._build_state()

    @override
    async def async_shutdown(self) -> None:
        """Stop: after a running refresh has stored its tokens, cancel every timer."""
        async with self.refresh_lock:
            self._stopped = True
        self._cancel_timers()
        async_delete_issues(self.hass, self.config_entry.entry_id)
        await super().async_shutdown()

    # Outcomes.

    @callback
    def _handle_success(self, tokens: TokenSet) -> None:
        """Tell everyone about the new tokens (already stored)."""
        if self._failures:
            LOGGER.info("Refreshing the token of %s works again", self.account)
        self._failures = 0
        self._failing_since = self._last_failure = self._not_before = None
        _cancel(self._unsub_grace_timer)
        self._unsub_grace_timer = None
        self._schedule_refresh_at(self._regular_refresh_time())
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
        retry_after = (
            err.retry_after if isinstance(err, TeslaSsoTemporaryError) else None
        )
        delay = retry_delay(
            self._failures,
            retry_after=retry_after,
            blocked=reason in BLOCKED_REASONS,
        )
        _cancel(self._unsub_grace_timer)
        self._unsub_grace_timer = self._track(
            grace_period_ends_at(self._failing_since, self.config_entry.options),
            partial(self._grace_period_ended, self._failing_since),
        )
        advice = retry_after_seconds(retry_after)
        self._not_before = None if advice is None else now + advice
        data = self.config_entry.data
        self._schedule_refresh_at(
            retry_at(now, delay, float(data[CONF_ISSUED_AT]), self.expires_at)
        )
        self._publish()
        self._fire_failed(reason)

    @callback
    def _handle_refused(self, err: Exception) -> None:
        """Tesla refused the refresh token: remember it, stop refreshing, ask for a sign-in."""
        reason = failure_reason(err)
        entry = self.config_entry
        if not self.reauth_required:
            LOGGER.warning(
                "Tesla refused the refresh token of %s (%s); sign in again",
                self.account,
                reason,
            )
        # In the entry: tokens Tesla refused are not trusted again after a restart.
        self.hass.config_entries.async_update_entry(
            entry,
            data={**entry.data, CONF_REFUSED_ISSUED_AT: entry.data[CONF_ISSUED_AT]},
        )
        self._last_failure = reason
        self._cancel_timers()
        self._next_refresh = None
        self._publish()
        self._fire_failed(reason)
        async_delete_refresh_failing_issue(self.hass, entry.entry_id)
        # Home Assistant's reauth flow raises its own issue (once, however often called).
        entry.async_start_reauth(self.hass)

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

    @callback
    def _check_clock(self, offset: float | None) -> None:
        """Say so (once) when Tesla's clock and this one disagree by more than a few minutes."""
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
        async_update_clock_skew_issue(self.hass, self.config_entry, offset)

    # Publishing and timers.

    @callback
    def _publish(self) -> None:
        """Hand the current state to the entities."""
        self.async_set_updated_data(self._build_state())

    @callback
    def _build_state(self) -> TokenState:
        """Describe the stored token as it stands now."""
        data = self.config_entry.data
        if self.reauth_required:
            status = TokenStatus.REAUTH_REQUIRED
        elif self.expires_at <= time.time():
            status = TokenStatus.EXPIRED
        elif self._failures:
            status = TokenStatus.REFRESH_FAILING
        else:
            status = TokenStatus.VALID
        return TokenState(
            status=status,
            issued_at=dt_util.utc_from_timestamp(float(data[CONF_ISSUED_AT])),
            expires_at=dt_util.utc_from_timestamp(self.expires_at),
            next_refresh=_timestamp(self._next_refresh),
            refresh_token_issued_at=_timestamp(data.get(CONF_REFRESH_TOKEN_ISSUED_AT)),
            token_kind=token_kind(self.access_token),
            failing_since=_timestamp(self._failing_since),
            failures=self._failures,
            last_failure=self._last_failure,
        )

    @callback
    def _regular_refresh_time(self) -> float:
        """Return when to refresh the stored token, from its times and the options."""
        data = self.config_entry.data
        return next_refresh_at(
            time.time(),
            float(data[CONF_ISSUED_AT]),
            self.expires_at,
            self.config_entry.options,
        )

    @callback
    def _schedule_refresh_at(self, when: float) -> None:
        """Make the next request at `when` (epoch seconds), and watch the expiry meanwhile."""
        self._next_refresh = when
        _cancel(self._unsub_refresh_timer)
        _cancel(self._unsub_expiry_timer)
        self._unsub_refresh_timer = self._track(when, self._refresh_time_came)
        self._unsub_expiry_timer = self._track(self.expires_at, self._expiry_came)

    @callback
    def _cancel_timers(self) -> None:
        """Cancel the refresh, the expiry and the grace period timers."""
        for unsubscribe in (
            self._unsub_refresh_timer,
            self._unsub_expiry_timer,
            self._unsub_grace_timer,
        ):
            _cancel(unsubscribe)
        self._unsub_refresh_timer = self._unsub_expiry_timer = (
            self._unsub_grace_timer
        ) = None

    @callback
    def _track(self, when: float, action: Callable[[datetime], None]) -> CALLBACK_TYPE:
        """Call `action` at `when` (epoch seconds)."""
        return async_track_point_in_utc_time(
            self.hass, action, dt_util.utc_from_timestamp(when)
        )

    @callback
    def _refresh_time_came(self, _now: datetime) -> None:
        """Refresh now (an entry task: unloading waits for it, its tokens must be stored)."""
        self._unsub_refresh_timer = None
        self.config_entry.async_create_task(
            self.hass, self._async_scheduled_refresh(), f"{DOMAIN} scheduled refresh"
        )

    async def _async_scheduled_refresh(self) -> None:
        """The schedule's refresh: its outcome is published, nobody waits for an answer."""
        with suppress(TokenRefusedError, RefreshFailedError):
            await self.async_refresh_token(scheduled=True)

    @callback
    def _expiry_came(self, _now: datetime) -> None:
        """The access token just expired: show it."""
        self._unsub_expiry_timer = None
        self._publish()

    @callback
    def _grace_period_ended(self, failing_since: float, _now: datetime) -> None:
        """Failures have lasted the grace period (a success cancels this): raise the issue."""
        self._unsub_grace_timer = None
        async_create_refresh_failing_issue(
            self.hass, self.config_entry, dt_util.utc_from_timestamp(failing_since)
        )
