"""Repair issues: refreshing keeps failing past the grace period (the clocks: test_clock_skew).

A token Tesla refused raises Home Assistant's own reauth issue, none of the integration's
(test_coordinator.py).
"""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_token.const import (
    CONF_REPAIR_GRACE_MINUTES,
    DEFAULT_OPTIONS,
    DOMAIN,
)
from custom_components.tesla_token.repairs import refresh_failing_issue_id
from emulator import Account, Emulator, Fault, FaultKind
from tests.frontend import literal_text
from tests.helpers import EMAIL, advance, advance_in_steps, entry_data, mint_token_set

HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


def failing_issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    """The entry's "refreshing keeps failing" issue, if there is one."""
    return ir.async_get(hass).async_get_issue(
        DOMAIN, refresh_failing_issue_id(entry.entry_id)
    )


async def fail_for(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    duration: timedelta,
) -> None:
    """Let every refresh fail from its due time (6 hours in) for `duration`."""
    emulator.state.set_fault("token", Fault(FaultKind.STATUS, status=500, count=None))
    await advance(hass, frozen_time, 6 * HOUR)
    await advance_in_steps(hass, frozen_time, duration, MINUTE)


@pytest.mark.parametrize(
    "entry_options",
    [DEFAULT_OPTIONS, {**DEFAULT_OPTIONS, CONF_REPAIR_GRACE_MINUTES: 10}],
    ids=["default-hour", "ten-minutes"],
)
async def test_the_issue_waits_for_the_grace_period(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """No issue within the grace period; then one that says since when."""
    grace = init_integration.options[CONF_REPAIR_GRACE_MINUTES] * MINUTE
    await fail_for(hass, emulator, frozen_time, grace - MINUTE)
    assert failing_issue(hass, init_integration) is None

    await advance_in_steps(hass, frozen_time, 2 * MINUTE, MINUTE)

    issue = failing_issue(hass, init_integration)
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.WARNING
    assert not issue.is_fixable
    shown = dict(issue.translation_placeholders or {})
    # The description is markdown: it gets the email escaped, the (plain) title as it is.
    assert literal_text(shown.pop("account_text")) == EMAIL
    assert shown == {
        "account": EMAIL,
        "since": "2026-03-02 06:00",  # the first failure, in the local time zone
    }


@pytest.mark.parametrize("leave", ["async_unload", "async_remove"])
async def test_an_entry_unloaded_or_removed_leaves_no_issue(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    leave: str,
) -> None:
    """An entry that is unloaded or removed keeps no "refresh failing" issue behind."""
    await fail_for(hass, emulator, frozen_time, 61 * MINUTE)
    assert failing_issue(hass, init_integration)

    assert await getattr(hass.config_entries, leave)(init_integration.entry_id)

    assert failing_issue(hass, init_integration) is None
    assert not [key for key in ir.async_get(hass).issues if key[0] == DOMAIN]


async def test_an_email_from_tesla_is_shown_as_text(
    hass: HomeAssistant, emulator: Emulator, frozen_time: FrozenDateTimeFactory
) -> None:
    """An address with markdown and a bidi override shows cleaned in the issue."""
    email = "\u202e[x](https://evil.example)@example.com"
    shown = "[x](https://evil.example)@example.com"
    emulator.state.scenario.accounts.append(Account(email=email))
    tokens = await mint_token_set(emulator, email)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=shown,
        unique_id=tokens.subject,
        data=entry_data(emulator, tokens, email),
        options=dict(DEFAULT_OPTIONS),
        version=1,
        minor_version=3,
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    await fail_for(hass, emulator, frozen_time, 61 * MINUTE)

    issue = failing_issue(hass, entry)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["account"] == shown
    # The description renders markdown: there the address is escaped and shows literally.
    assert literal_text(issue.translation_placeholders["account_text"]) == shown
