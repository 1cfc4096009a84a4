"""Whether Tesla's API accepts an account's token: the check, and telling what it said.

One read-only request per new token (Owner API ``/api/1/products``, Fleet API
``/api/1/users/me``); nothing it returns is kept but the verdict. The coordinator decides when
to check and which connection profile to try next (see connection_plan).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable
import time
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_ACCESS_TOKEN, CONF_EMAIL
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .account_kind import is_fleet
from .connection import ConnectionProfile
from .const import (
    CONF_API_ACCESS,
    CONF_API_CHECKED_AT,
    CONF_API_ROUND_FAILED_AT,
    CONF_CONNECTION,
    EVENT_API_REJECTED,
    LOGGER,
)
from .flow_input import ServerChoice
from .repairs import async_create_api_rejected_issue, async_delete_api_rejected_issue
from .sso import ApiAccess, TeslaSso
from .token_state import API_CHECK_HISTORY, ApiCheck


class ApiAccessCheck:
    """Asks Tesla's API about one entry's stored token and reports its verdicts.

    Verdicts are saved beside the tokens (``save``, which writes the token file too); an API
    out of reach leaves the last verdict as it was.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        save: Callable[[dict[str, Any]], Awaitable[None]],
        fire: Callable[..., None],
    ) -> None:
        """Check the tokens of `entry`; `save` changes its data, `fire` fires an event."""
        self._hass = hass
        self._entry = entry
        self._save = save
        self._fire = fire
        # The API's last answers, for diagnostics (never a token).
        self.history: deque[ApiCheck] = deque(maxlen=API_CHECK_HISTORY)

    @property
    def _account(self) -> str:
        return str(self._entry.data.get(CONF_EMAIL) or self._entry.title)

    async def async_check(self, sso: TeslaSso, profile: ConnectionProfile) -> ApiAccess:
        """Ask the API the stored access token is for, over `sso`'s connection (`profile`)."""
        try:
            verdict = await self._async_ask(sso)
        except Exception:  # noqa: BLE001 - a bug in the check must not stop the refresh
            LOGGER.exception("Unexpected error checking the token of %s", self._account)
            verdict = ApiAccess.UNREACHABLE
        now = time.time()
        self.history.append(
            ApiCheck(
                at=dt_util.utc_from_timestamp(now), connection=profile, outcome=verdict
            )
        )
        LOGGER.debug(
            "Tesla's API %s the token of %s (connection %s)",
            verdict,
            self._account,
            profile,
        )
        if verdict is not ApiAccess.UNREACHABLE:
            await self._save({CONF_API_ACCESS: verdict, CONF_API_CHECKED_AT: now})
        return verdict

    async def _async_ask(self, sso: TeslaSso) -> ApiAccess:
        """The Owner API, or the Fleet API (a custom server serves it; Tesla's: per region)."""
        data = self._entry.data
        access_token = str(data[CONF_ACCESS_TOKEN])
        server = ServerChoice.from_entry(data)
        if not is_fleet(data):
            return await sso.check_api_access(access_token, server.api_base)
        return await sso.check_fleet_api_access(
            access_token, server.region, server.api_base if server.auth_url else None
        )

    async def async_report(
        self,
        verdict: ApiAccess | None,
        refused: list[ConnectionProfile],
        round_size: int,
        *,
        was_rejected: bool,
    ) -> None:
        """Tell what the API said of the final token of a request (None: not checked).

        A refusal is logged and fired as an event when it begins, not at every refresh; its
        repair issue names the connections tried.

        Args:
            verdict: the last check's outcome (None when the check is off).
            refused: the profiles whose tokens the API refused, in the order tried.
            round_size: how many profiles the request could try.
            was_rejected: the API had refused the token before this request.
        """
        entry = self._entry
        if verdict is ApiAccess.REJECTED:
            tried = ", ".join(refused)
            if round_size > 1 and len(refused) == round_size:
                # Every profile refused: the next round waits (see connection_plan).
                await self._save({CONF_API_ROUND_FAILED_AT: time.time()})
            if not was_rejected:
                LOGGER.warning(
                    "Tesla's API refuses the token of %s (connections tried: %s)",
                    self._account,
                    tried,
                )
                self._fire(EVENT_API_REJECTED, connections=tried)
            async_create_api_rejected_issue(self._hass, entry, tried)
        elif verdict is not ApiAccess.UNREACHABLE:
            if verdict is ApiAccess.ACCEPTED and (refused or was_rejected):
                LOGGER.info(
                    "Tesla's API accepts the token of %s refreshed over connection %s",
                    self._account,
                    entry.data[CONF_CONNECTION],
                )
            if entry.data.get(CONF_API_ROUND_FAILED_AT) is not None:
                await self._save({CONF_API_ROUND_FAILED_AT: None})
            async_delete_api_rejected_issue(self._hass, entry.entry_id)
