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

# Every issue of an entry: its id is the key and the entry id.
_ENTRY_ISSUES = (
    ISSUE_REFRESH_FAILING,
    ISSUE_API_REJECTED,
    ISSUE_CLOCK_SKEW,
    ISSUE_REFRESH_TOKEN_EXPIRING,
    ISSUE_SCOPE_NOT_GRANTED,
)


def _issue_id(key: str, entry_id: str) -> str:
    return f"{key}_{entry_id}"


def refresh_failing_issue_id(entry_id: str) -> str:
    """Return the id of an entry's "refreshing keeps failing" issue."""
    return _issue_id(ISSUE_REFRESH_FAILING, entry_id)


def clock_skew_issue_id(entry_id: str) -> str:
    """Return the id of an entry's "the clocks disagree" issue."""
    return _issue_id(ISSUE_CLOCK_SKEW, entry_id)


def _account(entry: ConfigEntry) -> dict[str, str]:
    """The account's email address for a title (plain) and a description (markdown).

    It came from Tesla: shown only cleaned, each text its own way.
    """
    email = str(entry.data.get(CONF_EMAIL) or entry.title)
    return {"account": plain_text(email), "account_text": markdown_text(email)}


def _when(timestamp: datetime) -> str:
    return dt_util.as_local(timestamp).strftime("%Y-%m-%d %H:%M")


@callback
def _async_create(
    hass: HomeAssistant,
    entry: ConfigEntry,
    key: str,
    severity: ir.IssueSeverity,
    placeholders: dict[str, str],
    *,
    translation_key: str | None = None,
) -> None:
    """Raise (or update) an entry's issue `key`; it fixes itself, so none is fixable."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        _issue_id(key, entry.entry_id),
        is_fixable=False,
        severity=severity,
        translation_key=translation_key or key,
        translation_placeholders=placeholders,
    )


@callback
def _async_delete(hass: HomeAssistant, key: str, entry_id: str) -> None:
    ir.async_delete_issue(hass, DOMAIN, _issue_id(key, entry_id))


@callback
def async_create_refresh_failing_issue(
    hass: HomeAssistant, entry: ConfigEntry, since: datetime
) -> None:
    """Tell the person that refreshing has failed for longer than the grace period."""
    _async_create(
        hass,
        entry,
        ISSUE_REFRESH_FAILING,
        ir.IssueSeverity.WARNING,
        {**_account(entry), "since": _when(since)},
    )


@callback
def async_delete_refresh_failing_issue(hass: HomeAssistant, entry_id: str) -> None:
    """Remove the "refreshing keeps failing" issue."""
    _async_delete(hass, ISSUE_REFRESH_FAILING, entry_id)


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
    _async_create(
        hass,
        entry,
        ISSUE_API_REJECTED,
        ir.IssueSeverity.ERROR,
        {**_account(entry), "connections": connections},
    )


@callback
def async_delete_api_rejected_issue(hass: HomeAssistant, entry_id: str) -> None:
    """Remove the "Tesla's API refuses the token" issue."""
    _async_delete(hass, ISSUE_API_REJECTED, entry_id)


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
    if offset is None or not needs_issue(offset, entry.data):
        _async_delete(hass, ISSUE_CLOCK_SKEW, entry.entry_id)
        return
    hours, minutes = hours_and_minutes(offset)
    _async_create(
        hass,
        entry,
        ISSUE_CLOCK_SKEW,
        ir.IssueSeverity.WARNING,
        # The account shows only in the description, which is markdown.
        {
            "account": _account(entry)["account_text"],
            "hours": str(hours),
            "minutes": str(minutes),
        },
        # Home Assistant's clock is ahead of Tesla's when Tesla's is behind.
        translation_key=ISSUE_CLOCK_AHEAD if offset < 0 else ISSUE_CLOCK_BEHIND,
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
    expires_at = refresh_token_expires_at(data)
    if (
        expires_at is None
        or tokens_refused(data)
        or not refresh_token_expiring(data, now)
    ):
        _async_delete(hass, ISSUE_REFRESH_TOKEN_EXPIRING, entry.entry_id)
    else:
        _async_create(
            hass,
            entry,
            ISSUE_REFRESH_TOKEN_EXPIRING,
            ir.IssueSeverity.ERROR,
            {
                **_account(entry),
                "expires": _when(dt_util.utc_from_timestamp(expires_at)),
            },
        )
    if missing := scopes_missing(data):
        _async_create(
            hass,
            entry,
            ISSUE_SCOPE_NOT_GRANTED,
            ir.IssueSeverity.WARNING,
            {**_account(entry), "scopes": ", ".join(missing)},
        )
    else:
        _async_delete(hass, ISSUE_SCOPE_NOT_GRANTED, entry.entry_id)


@callback
def async_delete_issues(hass: HomeAssistant, entry_id: str) -> None:
    """Remove the entry's issues (it is unloaded or removed)."""
    for key in _ENTRY_ISSUES:
        _async_delete(hass, key, entry_id)
