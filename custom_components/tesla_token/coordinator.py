"""The coordinator that keeps one account's token fresh."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import suppress
from dataclasses import replace
from datetime import datetime
from functools import partial
import time
from typing import Any, Final, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_ACCESS_TOKEN, CONF_EMAIL, CONF_REGION
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .account_kind import client_id, is_fleet
from .api_access import ApiAccessCheck
from .clock_skew import is_notable, log_skew, stored_clock_offset
from .connection import ConnectionProfile, async_token_transport
from .connection_plan import (
    api_check_enabled,
    profiles_to_try,
    remembered_profile,
    stored_token_checked,
    stored_verdict,
)
from .const import (
    CONF_AUTH_URL,
    CONF_CONNECTION,
    CONF_EXPIRES_AT,
    CONF_ISSUED_AT,
    CONF_ISSUER,
    CONF_REFRESH_TOKEN,
    CONF_REFUSED_ISSUED_AT,
    DOMAIN,
    EVENT_TOKEN_REFRESH_FAILED,
    EVENT_TOKEN_REFRESHED,
    LOGGER,
)
from .entry_data import token_data
from .refresh_errors import (
    InvalidLifetimeError,
    RefreshFailedError,
    TokenRefusedError,
    failure_reason,
)
from .refresh_schedule import forced_refresh_waits, is_refresh_due, next_refresh_at
from .repairs import (
    async_create_refresh_failing_issue,
    async_delete_issues,
    async_delete_refresh_failing_issue,
    async_update_clock_skew_issue,
    async_update_fleet_issues,
)
from .retry_plan import grace_period_ends_at, plan_retry
from .sso import (
    SSO_BASES,
    ApiAccess,
    Region,
    TemporaryFailure,
    TeslaSso,
    TeslaSsoError,
    TeslaSsoTemporaryError,
    TokenSet,
)
from .token_state import FailureRun, TokenState, describe_token
from .token_store import token_store, tokens_refused, without_refusal

type TeslaTokenConfigEntry = ConfigEntry[TeslaTokenCoordinator]

# Tesla asked this network to back off: retries wait longer.
_BLOCKED: Final = {
    TemporaryFailure.RATE_LIMITED,
    TemporaryFailure.WAF_BLOCKED,
    TemporaryFailure.WAF_CHALLENGE,
}


def _cancel(unsubscribe: CALLBACK_TYPE | None) -> None:
    """Cancel a timer, if one is set."""
    if unsubscribe is not None:
        unsubscribe()


class TeslaTokenCoordinator(DataUpdateCoordinator[TokenState]):
    """Refreshes one account's token ahead of its expiry; never polls.

    Every trigger (the schedule, an action, update_entity, a caller that needs a valid token)
    goes through `async_refresh_token`, under the entry's lock. An explicit refresh asks Tesla
    at most once a minute after any request: one that waited for a running refresh gets its
    outcome.
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
        self._token_store = token_store(hass, entry.entry_id)
        self._stopped = False
        self._failures = FailureRun()
        self._last_request: float | None = None
        self._not_before: float | None = None  # Tesla's Retry-After
        self._next_refresh: float | None = None
        self._unsub_refresh_timer: CALLBACK_TYPE | None = None
        self._unsub_expiry_timer: CALLBACK_TYPE | None = None
        self._unsub_grace_timer: CALLBACK_TYPE | None = None
        self._clock_warned = False
        self._api = ApiAccessCheck(hass, entry, self._async_save, self._fire)

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
                await self._async_request(new_round=force and not scheduled)
            if self.reauth_required:
                raise TokenRefusedError(self.account)
            if (requested or force) and self._failures.last_reason is not None:
                raise RefreshFailedError(self._failures.last_reason)

    def _is_due(self, min_validity: float = 0) -> bool:
        """Return whether the stored token is due for a refresh (see refresh_schedule)."""
        return is_refresh_due(
            time.time(),
            float(self.config_entry.data[CONF_ISSUED_AT]),
            self.expires_at,
            self.config_entry.options,
            min_validity=min_validity,
        )

    def _should_request(
        self, force: bool, scheduled: bool, min_validity: float
    ) -> bool:
        """Return whether this trigger asks Tesla now (else the last outcome stands)."""
        now = time.time()
        if scheduled:
            return True
        if force:
            return not forced_refresh_waits(now, self._last_request, self._not_before)
        if self.reauth_required or (self._not_before or 0) > now:
            # Refused tokens wait for a sign-in; Tesla's Retry-After is not hurried.
            return False
        waiting = self._failures.count and (self._next_refresh or 0) > now
        if waiting and self.expires_at - now > min_validity:
            # The backoff's retry comes first, unless the token runs out sooner.
            return False
        return self._is_due(min_validity)

    async def _async_request(
        self, *, new_round: bool = False, check_first: bool = False
    ) -> None:
        """Ask Tesla for new tokens, over further profiles while its API refuses them.

        Every new token is stored first, then checked against Tesla's API (when the check is
        on). In automatic mode a refused token is refreshed at once over the next profile,
        one refresh per profile; a token the API does not know (401) is refreshed once more.

        Args:
            new_round: a person asked: a failed round's pause does not hold this one back.
            check_first: check the stored token before refreshing (it was never checked).
        """
        profiles = list(
            profiles_to_try(
                self.config_entry.options,
                self.config_entry.data,
                now=time.time(),
                new_round=new_round,
            )
        )
        if check_first:
            # The stored token's own profile comes first: it is the one to judge.
            stored = remembered_profile(self.config_entry.data)
            profiles = [stored, *(p for p in profiles if p != stored)]
        round_size = len(profiles)
        was_rejected = stored_verdict(self.config_entry.data) == ApiAccess.REJECTED
        refused: list[ConnectionProfile] = []
        verdict: ApiAccess | None = None
        asked_again = False
        need_tokens = not check_first
        while profiles:
            profile = profiles[0]
            if need_tokens and not await self._async_refresh_over(profile):
                return  # a failure, handled (backoff, events) like any other
            need_tokens = True
            if not api_check_enabled(self.config_entry.options):
                break
            verdict = await self._async_check(profile)
            if verdict is ApiAccess.UNAUTHORIZED and not asked_again:
                asked_again = True  # the API does not know it yet: one more refresh
                continue
            if verdict is not ApiAccess.REJECTED:
                break
            refused.append(profiles.pop(0))
        await self._api.async_report(
            verdict, refused, round_size, was_rejected=was_rejected
        )
        self._publish()

    async def _async_refresh_over(self, profile: ConnectionProfile) -> bool:
        """Refresh once over `profile`; return whether new tokens were stored and published."""
        data = self.config_entry.data
        self._last_request = time.time()
        try:
            sso = TeslaSso(
                await async_token_transport(self.hass, profile),
                data.get(CONF_AUTH_URL) or SSO_BASES[Region(data[CONF_REGION])],
            )
            tokens = await sso.refresh(
                str(data[CONF_REFRESH_TOKEN]),
                issuer=str(data[CONF_ISSUER]),
                client_id=client_id(data),  # None: ownerapi
            )
        except TeslaSsoTemporaryError as err:
            self._handle_temporary_failure(err, err.retry_after)
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
                await self._async_store(tokens, profile)
                self._handle_success(tokens)
                return True
            # No lifetime: keep its refresh token (the old one may be spent), not its
            # access token, and retry as after a failure.
            await self._async_store(
                replace(
                    tokens,
                    access_token=self.access_token,
                    issued_at=float(data[CONF_ISSUED_AT]),
                    expires_at=self.expires_at,
                ),
                profile,
            )
            self._handle_temporary_failure(InvalidLifetimeError("no lifetime left"))
        return False

    async def _async_check(self, profile: ConnectionProfile) -> ApiAccess:
        """Ask Tesla's API, over `profile`, whether it accepts the stored access token."""
        data = self.config_entry.data
        sso = TeslaSso(
            await async_token_transport(self.hass, profile),
            data.get(CONF_AUTH_URL) or SSO_BASES[Region(data[CONF_REGION])],
        )
        return await self._api.async_check(sso, profile)

    async def _async_save(self, changes: dict[str, Any]) -> None:
        """Change entry data beside the tokens (the token file keeps mirroring the entry)."""
        await self._token_store.async_save(
            self.config_entry, {**self.config_entry.data, **changes}
        )

    async def _async_store(self, tokens: TokenSet, profile: ConnectionProfile) -> None:
        """Write new tokens to disk at once: a rotated refresh token must never be lost."""
        data = without_refusal(self.config_entry.data)
        await self._token_store.async_save(
            self.config_entry,
            data
            | token_data(tokens, fleet=is_fleet(data))
            | {CONF_CONNECTION: profile},
        )

    @override
    async def _async_setup(self) -> None:
        """Decide once whether the entry can be set up, refreshing when due.

        Tokens Tesla refused before (and no sign-in since) are tried again at once; a token
        Tesla's API never judged (a new sign-in, an entry of an earlier release) is checked.
        """
        data = self.config_entry.data
        try:
            if not self.reauth_required and not self._is_due():
                # Continue from the stored expiry without a refresh.
                self._check_clock(stored_clock_offset(data))
                if api_check_enabled(
                    self.config_entry.options
                ) and not stored_token_checked(data):
                    await self._async_check_stored_token()
                if self._next_refresh is None:  # no refresh since: the stored schedule
                    self._schedule_refresh_at(self._regular_refresh_time())
                self._publish()
                return
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

    async def _async_check_stored_token(self) -> None:
        """Check the stored token (refreshing over other profiles if refused).

        Raises:
            TokenRefusedError: a fallback refresh found the refresh token refused.
        """
        async with self.refresh_lock:
            await self._async_request(check_first=True)
            if self.reauth_required:
                raise TokenRefusedError(self.account)

    @override
    async def _async_update_data(self) -> TokenState:
        """Refresh when due (homeassistant.update_entity); failures show in the state."""
        with suppress(TokenRefusedError, RefreshFailedError):
            await self.async_refresh_token(force=False)
        return self._state()

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
        if self._failures.count:
            LOGGER.info("Refreshing the token of %s works again", self.account)
        self._failures = FailureRun()
        self._not_before = None
        _cancel(self._unsub_grace_timer)
        self._unsub_grace_timer = None
        self._schedule_refresh_at(self._regular_refresh_time())
        self._check_clock(tokens.clock_offset)
        self._publish()
        expires_at = dt_util.utc_from_timestamp(tokens.expires_at).isoformat()
        self._fire(EVENT_TOKEN_REFRESHED, expires_at=expires_at)
        async_delete_refresh_failing_issue(self.hass, self.config_entry.entry_id)

    @callback
    def _handle_temporary_failure(
        self, err: Exception, retry_after: float | None = None
    ) -> None:
        """Keep the stored tokens, retry with backoff, and tell when it lasts.

        Args:
            err: what went wrong.
            retry_after: the seconds Tesla asked to wait (Retry-After), if it did.
        """
        now = time.time()
        reason = failure_reason(err)
        if self._failures.count:
            LOGGER.debug(
                "Refreshing the token of %s failed again (%s)", self.account, reason
            )
        else:
            LOGGER.info(
                "Refreshing the token of %s failed (%s: %s); retrying in the background",
                self.account,
                reason,
                err,
            )
        self._failures = failures = self._failures.add(reason, now)
        retry = plan_retry(
            now,
            failures.count,
            retry_after=retry_after,
            blocked=reason in _BLOCKED,
            issued_at=float(self.config_entry.data[CONF_ISSUED_AT]),
            expires_at=self.expires_at,
        )
        self._not_before = retry.not_before
        self._schedule_refresh_at(retry.at)
        _cancel(self._unsub_grace_timer)
        self._unsub_grace_timer = self._track(
            grace_period_ends_at(failures.since, self.config_entry.options),
            partial(self._grace_period_ended, failures.since),
        )
        self._publish()
        self._fire(EVENT_TOKEN_REFRESH_FAILED, reason=reason)

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
        self._failures = replace(self._failures, last_reason=reason)
        self._cancel_timers()
        self._next_refresh = None
        self._publish()
        self._fire(EVENT_TOKEN_REFRESH_FAILED, reason=reason)
        async_delete_refresh_failing_issue(self.hass, entry.entry_id)
        # Home Assistant's reauth flow raises its own issue (once, however often called).
        entry.async_start_reauth(self.hass)

    @callback
    def _fire(self, event_type: str, **data: str) -> None:
        """Fire an event about this account (with a time or a short reason; never a token)."""
        entry_id = self.config_entry.entry_id
        self.hass.bus.async_fire(
            event_type, {"entry_id": entry_id, "account": self.account, **data}
        )

    @callback
    def _check_clock(self, offset: float | None) -> None:
        """Say so (once) when Tesla's clock and this one disagree by more than a few minutes."""
        if not is_notable(offset):
            self._clock_warned = False
        elif not self._clock_warned and offset is not None:
            self._clock_warned = True
            log_skew(self.account, offset)
        async_update_clock_skew_issue(self.hass, self.config_entry, offset)

    # Publishing and timers.

    def _state(self) -> TokenState:
        """Describe the stored token as it stands now."""
        return describe_token(
            self.config_entry.data,
            now=time.time(),
            failures=self._failures,
            next_refresh=self._next_refresh,
            api_check=api_check_enabled(self.config_entry.options),
            api_checks=tuple(self._api.history),
        )

    @callback
    def _publish(self) -> None:
        """Hand the current state to the entities (and keep the Fleet API issues current)."""
        async_update_fleet_issues(self.hass, self.config_entry, time.time())
        self.async_set_updated_data(self._state())

    def _regular_refresh_time(self) -> float:
        """Return when to refresh the stored token, from its times and the options."""
        return next_refresh_at(
            time.time(),
            float(self.config_entry.data[CONF_ISSUED_AT]),
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
        self._unsub_refresh_timer = None
        self._unsub_expiry_timer = self._unsub_grace_timer = None

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
