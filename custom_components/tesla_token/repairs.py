"""Repair issues: refreshing fails, Tesla's API refuses the token, clocks disagree, and more.

Fleet API entries also get: the refresh token runs out soon, a chosen scope was not granted.

A token Tesla refused needs no issue of its own: Home Assistant's reauth flow raises one.
"""

from __future__ import annotations

from datetime import datetime

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_EMAIL
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util

from .account_kind import (
    refresh_token_expires_at,
    refresh_token_expiring,
    scopes_missing,
)
from .clock_skew import hours_and_minutes, needs_issue
from .const import (
    DOMAIN,
    ISSUE_API_REJECTED,
    ISSUE_CLOCK_AHEAD,
    ISSUE_CLOCK_BEHIND,
    ISSUE_CLOCK_SKEW,
    ISSUE_REFRESH_FAILING,
    ISSUE_REFRESH_TOKEN_EXPIRING,
    ISSUE_SCOPE_NOT_GRANTED,
)
from .shown_text import markdown_text, plain_text
from .token_store import tokens_refused


def refresh_failing_issue_id(entry_id: str) -> str:
    """Return the id of an entry's "refreshing keeps failing" issue."""
    return f"{ISSUE_REFRESH_FAILING}_{entry_id}"


def api_rejected_issue_id(entry_id: str) -> str:
    """Return the id of an entry's "Tesla's API refuses the token" issue."""
    return f"{ISSUE_API_REJECTED}_{entry_id}"


def clock_skew_issue_id(entry_id: str) -> str:
    """Return the id of an entry's "the clocks disagree" issue."""
    return f"{ISSUE_CLOCK_SKEW}_{entry_id}"


def refresh_token_expiring_issue_id(entry_id: str) -> str:
    """Return the id of an entry's "the refresh token runs out soon" issue."""
    return f"{ISSUE_REFRESH_TOKEN_EXPIRING}_{entry_id}"


def scope_not_granted_issue_id(entry_id: str) -> str:
    """Return the id of an entry's "a chosen scope was not granted" issue."""
    return f"{ISSUE_SCOPE_NOT_GRANTED}_{entry_id}"


def _email(entry: ConfigEntry) -> str:
    """Return the account's email address (it came from Tesla: shown only cleaned)."""
    return str(entry.data.get(CONF_EMAIL) or entry.title)


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
        # The title is plain text, the description markdown: each gets the email its own way.
        translation_placeholders={
            "account": plain_text(_email(entry)),
            "account_text": markdown_text(_email(entry)),
            "since": dt_util.as_local(since).strftime("%Y-%m-%d %H:%M"),
        },
    )


@callback
def async_delete_refresh_failing_issue(hass: HomeAssistant, entry_id: str) -> None:
    """Remove the "refreshing keeps failing" issue."""
    ir.async_delete_issue(hass, DOMAIN, refresh_failing_issue_id(entry_id))


@callback
def async_create_api_rejected_issue(
    hass: HomeAssistant, entry: ConfigEntry, connections: str
) -> None:
    """Tell the person that Tesla's API refuses the token, over which connections it was minted.

    Args:
        hass: Home Assistant.
        entry: the entry whose token was refused.
        connections: the connection profiles tried, in order (e.g. "http2, tls12, http11").
    """
    ir.async_create_issue(
        hass,
        DOMAIN,
        api_rejected_issue_id(entry.entry_id),
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=ISSUE_API_REJECTED,
        translation_placeholders={
            "account": plain_text(_email(entry)),
            "account_text": markdown_text(_email(entry)),
            "connections": connections,
        },
    )


@callback
def async_delete_api_rejected_issue(hass: HomeAssistant, entry_id: str) -> None:
    """Remove the "Tesla's API refuses the token" issue."""
    ir.async_delete_issue(hass, DOMAIN, api_rejected_issue_id(entry_id))


@callback
def async_update_clock_skew_issue(
    hass: HomeAssistant, entry: ConfigEntry, offset: float | None
) -> None:
    """Raise the "the clocks disagree" issue when they differ enough, else remove it.

    Args:
        hass: Home Assistant.
        entry: the entry whose refresh measured the offset.
        offset: seconds Tesla's clock is ahead of this one (negative: behind), if known.
    """
    issue_id = clock_skew_issue_id(entry.entry_id)
    if offset is None or not needs_issue(offset, entry.data):
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    hours, minutes = hours_and_minutes(offset)
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        # Home Assistant's clock is ahead of Tesla's when Tesla's is behind.
        translation_key=ISSUE_CLOCK_AHEAD if offset < 0 else ISSUE_CLOCK_BEHIND,
        # The account shows only in the description, which is markdown.
        translation_placeholders={
            "account": markdown_text(_email(entry)),
            "hours": str(hours),
            "minutes": str(minutes),
        },
    )


@callback
def async_update_fleet_issues(
    hass: HomeAssistant, entry: ConfigEntry, now: float
) -> None:
    """Raise or remove a Fleet API entry's issues, from what the entry holds at `now`.

    The refresh token runs out soon: only while refreshing keeps failing (each refresh brings
    a new one) and Tesla has not refused it yet (then Home Assistant's reauth issue tells). A
    scope the person chose that Tesla did not grant: until a sign-in grants it.
    """
    data = entry.data
    account = {
        "account": plain_text(_email(entry)),
        "account_text": markdown_text(_email(entry)),
    }
    expiring_id = refresh_token_expiring_issue_id(entry.entry_id)
    expires_at = refresh_token_expires_at(data)
    if (
        expires_at is None
        or tokens_refused(data)
        or not refresh_token_expiring(data, now)
    ):
        ir.async_delete_issue(hass, DOMAIN, expiring_id)
    else:
        ir.async_create_issue(
            hass,
            DOMAIN,
            expiring_id,
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=ISSUE_REFRESH_TOKEN_EXPIRING,
            translation_placeholders={
                **account,
                "expires": dt_util.as_local(
                    dt_util.utc_from_timestamp(expires_at)
                ).strftime("%Y-%m-%d %H:%M"),
            },
        )
    scope_id = scope_not_granted_issue_id(entry.entry_id)
    missing = scopes_missing(data)
    if not missing:
        ir.async_delete_issue(hass, DOMAIN, scope_id)
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        scope_id,
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_SCOPE_NOT_GRANTED,
        translation_placeholders={**account, "scopes": ", ".join(missing)},
    )


@callback
def async_delete_issues(hass: HomeAssistant, entry_id: str) -> None:
    """Remove the entry's issues (it is unloaded or removed)."""
    async_delete_refresh_failing_issue(hass, entry_id)
    async_delete_api_rejected_issue(hass, entry_id)
    ir.async_delete_issue(hass, DOMAIN, clock_skew_issue_id(entry_id))
    ir.async_delete_issue(hass, DOMAIN, refresh_token_expiring_issue_id(entry_id))
    ir.async_delete_issue(hass, DOMAIN, scope_not_granted_issue_id(entry_id))
