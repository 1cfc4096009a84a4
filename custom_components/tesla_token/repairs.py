"""Repair issues of Tesla Token, and the repair flow that opens the sign-in again."""

from __future__ import annotations

from datetime import datetime

from homeassistant.components.repairs import RepairsFlow, RepairsFlowResult
from homeassistant.components.repairs.const import FlowType
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util

from .clock_skew import hours_and_minutes
from .const import (
    CONF_EMAIL,
    CONF_ISSUED_AT,
    DOMAIN,
    ISSUE_CLOCK_AHEAD,
    ISSUE_CLOCK_BEHIND,
    ISSUE_CLOCK_SKEW,
    ISSUE_REAUTH_REQUIRED,
    ISSUE_REFRESH_FAILING,
)
from .shown_text import markdown_text, plain_text

_DATA_ENTRY_ID = "entry_id"
# Which tokens Tesla refused: a sign-in since then stores tokens issued at another time.
_DATA_ISSUED_AT = "issued_at"


def reauth_issue_id(entry_id: str) -> str:
    """Return the id of an entry's "sign in again" issue."""
    return f"{ISSUE_REAUTH_REQUIRED}_{entry_id}"


def refresh_failing_issue_id(entry_id: str) -> str:
    """Return the id of an entry's "refreshing keeps failing" issue."""
    return f"{ISSUE_REFRESH_FAILING}_{entry_id}"


def _account(entry: ConfigEntry) -> str:
    """Return the account's email address (from Tesla) for plain texts, cleaned and capped.

    An issue's title and description share their placeholders; only the title is plain text.
    """
    return plain_text(str(entry.data.get(CONF_EMAIL) or entry.title))


@callback
def async_create_reauth_issue(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Tell the person that Tesla refused the token and they must sign in again.

    The issue survives a restart, so that tokens Tesla refused are not trusted again.
    """
    ir.async_create_issue(
        hass,
        DOMAIN,
        reauth_issue_id(entry.entry_id),
        data={
            _DATA_ENTRY_ID: entry.entry_id,
            _DATA_ISSUED_AT: entry.data.get(CONF_ISSUED_AT),
        },
        is_fixable=True,
        is_persistent=True,
        severity=ir.IssueSeverity.ERROR,
        translation_key=ISSUE_REAUTH_REQUIRED,
        translation_placeholders={"account": _account(entry)},
    )


@callback
def async_delete_reauth_issue(hass: HomeAssistant, entry_id: str) -> None:
    """Remove the "sign in again" issue."""
    ir.async_delete_issue(hass, DOMAIN, reauth_issue_id(entry_id))


@callback
def reauth_issue_matches(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Return whether the entry still holds the tokens Tesla refused.

    An issue left from tokens that a sign-in has replaced since is removed.
    """
    issue = ir.async_get(hass).async_get_issue(DOMAIN, reauth_issue_id(entry.entry_id))
    if issue is None:
        return False
    if issue.data is not None and issue.data.get(_DATA_ISSUED_AT) == entry.data.get(
        CONF_ISSUED_AT
    ):
        return True
    async_delete_reauth_issue(hass, entry.entry_id)
    return False


@callback
def async_create_refresh_failing_issue(
    hass: HomeAssistant, entry: ConfigEntry, since: datetime
) -> None:
    """Tell the person that refreshing has failed for longer than the grace period."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        refresh_failing_issue_id(entry.entry_id),
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_REFRESH_FAILING,
        translation_placeholders={
            "account": _account(entry),
            "since": dt_util.as_local(since).strftime("%Y-%m-%d %H:%M"),
        },
    )


@callback
def async_delete_refresh_failing_issue(hass: HomeAssistant, entry_id: str) -> None:
    """Remove the "refreshing keeps failing" issue."""
    ir.async_delete_issue(hass, DOMAIN, refresh_failing_issue_id(entry_id))


def clock_skew_issue_id(entry_id: str) -> str:
    """Return the id of an entry's "the clocks disagree" issue."""
    return f"{ISSUE_CLOCK_SKEW}_{entry_id}"


@callback
def async_create_clock_skew_issue(
    hass: HomeAssistant, entry: ConfigEntry, offset: float
) -> None:
    """Tell the person that Home Assistant's clock and Tesla's differ.

    Args:
        hass: Home Assistant.
        entry: the entry whose refresh measured it.
        offset: seconds Tesla's clock is ahead of this one (negative: behind).
    """
    hours, minutes = (str(part) for part in hours_and_minutes(offset))
    account = _account(entry)
    issue_id = clock_skew_issue_id(entry.entry_id)
    if offset < 0:
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_CLOCK_AHEAD,
            translation_placeholders={
                "account": account,
                "hours": hours,
                "minutes": minutes,
            },
        )
    else:
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_CLOCK_BEHIND,
            translation_placeholders={
                "account": account,
                "hours": hours,
                "minutes": minutes,
            },
        )


@callback
def async_delete_clock_skew_issue(hass: HomeAssistant, entry_id: str) -> None:
    """Remove the "the clocks disagree" issue."""
    ir.async_delete_issue(hass, DOMAIN, clock_skew_issue_id(entry_id))


class ReauthRepairFlow(RepairsFlow):
    """Confirm, then open the entry's sign-in (reauth) flow."""

    def __init__(self, entry_id: str) -> None:
        """Remember which entry needs the sign-in."""
        self._entry_id = entry_id

    async def async_step_init(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Start with the confirmation."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Ask for confirmation, then start the reauth flow and hand over to it."""
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        if entry is None:
            return self.async_abort(reason="entry_removed")
        if user_input is None:
            return self.async_show_form(
                step_id="confirm",
                data_schema=None,
                description_placeholders={"account": markdown_text(_account(entry))},
            )
        entry.async_start_reauth(self.hass)
        flows = entry.async_get_active_flows(self.hass, {SOURCE_REAUTH})
        next_flow = next(
            ((FlowType.CONFIG_FLOW, flow["flow_id"]) for flow in flows), None
        )
        return self.async_create_entry(data={}, next_flow=next_flow)


async def async_create_fix_flow(
    hass: HomeAssistant,
    issue_id: str,
    data: dict[str, str | int | float | None] | None,
) -> RepairsFlow:
    """Create the flow that fixes a fixable issue (only "sign in again" is fixable)."""
    entry_id = (data or {}).get(_DATA_ENTRY_ID)
    if not isinstance(entry_id, str):
        entry_id = issue_id.removeprefix(f"{ISSUE_REAUTH_REQUIRED}_")
    return ReauthRepairFlow(entry_id)
