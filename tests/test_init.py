"""Setting up an account: continue from the stored token; not ready only when it expired.

Also: tokens Tesla refused need a sign-in, and entries of older releases are migrated.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import DOMAIN as HOMEASSISTANT_DOMAIN, HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_token.const import (
    CONF_ISSUED_AT,
    CONF_REFUSED_ISSUED_AT,
    DEFAULT_OPTIONS,
    DOMAIN,
)
from custom_components.tesla_token.sso import TokenSet
from emulator import Emulator, Fault, FaultKind
from tests.helpers import (
    EMAIL,
    STATUS,
    advance,
    advance_in_steps,
    entry_data,
    mint_token_set,
    reauth_flows,
    token_requests,
)

HOUR = timedelta(hours=1)


async def set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add the entry and set it up."""
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def test_setup_with_fresh_token_makes_no_request(
    hass: HomeAssistant, emulator: Emulator, init_integration: MockConfigEntry
) -> None:
    """A fresh token is used as it is: no token request at setup."""
    assert init_integration.state is ConfigEntryState.LOADED
    assert token_requests(emulator) == 0
    assert hass.states.get(STATUS).state == "valid"


async def test_expired_token_and_tesla_down_is_not_ready(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
) -> None:
    """An expired token that cannot be refreshed: retry the setup until Tesla answers."""
    emulator.state.set_fault("token", Fault(FaultKind.STATUS, status=503, count=None))
    frozen_time.tick(9 * HOUR)

    await set_up(hass, mock_config_entry)
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY

    emulator.state.clear_faults()
    await advance_in_steps(
        hass, frozen_time, 5 * timedelta(minutes=1), timedelta(seconds=30)
    )
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert hass.states.get(STATUS).state == "valid"


async def test_valid_token_and_tesla_down_sets_up(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A due but still valid token sets up at once and retries in the background."""
    emulator.state.set_fault("token", Fault(FaultKind.STATUS, status=500))
    frozen_time.tick(7 * HOUR)

    await set_up(hass, mock_config_entry)
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert hass.states.get(STATUS).state == "refresh_failing"

    await advance_in_steps(
        hass, frozen_time, 2 * timedelta(minutes=1), timedelta(seconds=10)
    )
    assert hass.states.get(STATUS).state == "valid"
    assert token_requests(emulator) == 2


async def test_revoked_at_setup(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Setting up with a due token that Tesla refuses: setup error and a reauth flow."""
    emulator.state.revoke(EMAIL)
    frozen_time.tick(7 * HOUR)

    await set_up(hass, mock_config_entry)

    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    assert len(reauth_flows(hass, mock_config_entry)) == 1
    assert ir.async_get(hass).async_get_issue(
        HOMEASSISTANT_DOMAIN,
        f"config_entry_reauth_{DOMAIN}_{mock_config_entry.entry_id}",
    )
    assert (
        mock_config_entry.data[CONF_REFUSED_ISSUED_AT]
        == (mock_config_entry.data[CONF_ISSUED_AT])
    )


async def test_refused_tokens_are_checked_again_after_restart(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """Tokens Tesla refused are not trusted at the next start, even long before they are due."""
    emulator.state.revoke(EMAIL)
    await hass.services.async_call(
        DOMAIN,
        "refresh",
        {"config_entry_id": init_integration.entry_id},
        blocking=False,
    )
    await hass.async_block_till_done()
    assert hass.states.get(STATUS).state == "reauth_required"

    await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()

    assert init_integration.state is ConfigEntryState.SETUP_ERROR
    assert token_requests(emulator) == 2


async def test_sign_in_again_heals(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """New tokens (as the reauth flow stores them) set up again without a request."""
    emulator.state.revoke(EMAIL)
    await advance(hass, frozen_time, 6 * HOUR)
    emulator.state.clear_requests()
    frozen_time.tick(timedelta(minutes=5))
    tokens = await mint_token_set(emulator)
    emulator.state.clear_requests()
    assert tokens.issued_at != init_integration.data[CONF_ISSUED_AT]

    hass.config_entries.async_update_entry(
        init_integration,
        data={**init_integration.data, **entry_data(emulator, tokens)},
    )
    await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()

    assert init_integration.state is ConfigEntryState.LOADED
    assert hass.states.get(STATUS).state == "valid"
    assert token_requests(emulator) == 0


def entry_of_release_1_1(data: dict[str, Any]) -> MockConfigEntry:
    """An entry as the release before 1.2 stored it (entry_data.build_entry_data's keys)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=EMAIL,
        unique_id="owner",
        data=data,
        options=dict(DEFAULT_OPTIONS),
        version=1,
        minor_version=1,
    )


def refused_issue_of_release_1_1(
    hass: HomeAssistant, entry: MockConfigEntry, issued_at: float
) -> str:
    """Raise the "sign in again" issue as the release before 1.2 did; return its id."""
    issue_id = f"reauth_required_{entry.entry_id}"
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        data={"entry_id": entry.entry_id, "issued_at": issued_at},
        is_fixable=True,
        is_persistent=True,
        severity=ir.IssueSeverity.ERROR,
        translation_key="reauth_required",
        translation_placeholders={"account": EMAIL},
    )
    return issue_id


async def test_an_entry_of_release_1_1_loads_and_refreshes_without_sign_in(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    token_set: TokenSet,
) -> None:
    """The stored data stays as it was; the refresh schedule goes on."""
    data = entry_data(emulator, token_set)
    entry = entry_of_release_1_1(data)

    await set_up(hass, entry)

    assert entry.state is ConfigEntryState.LOADED
    assert (entry.version, entry.minor_version) == (1, 2)
    assert entry.data == data
    await advance(hass, frozen_time, 6 * HOUR)
    assert token_requests(emulator) == 1
    assert hass.states.get(STATUS).state == "valid"


async def test_refused_tokens_of_release_1_1_still_need_a_sign_in(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    token_set: TokenSet,
) -> None:
    """The old "sign in again" issue becomes the entry's note; Home Assistant's issue stays."""
    entry = entry_of_release_1_1(entry_data(emulator, token_set))
    entry.add_to_hass(hass)
    issue_id = refused_issue_of_release_1_1(hass, entry, token_set.issued_at)
    emulator.state.revoke(EMAIL)

    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert (entry.version, entry.minor_version) == (1, 2)
    assert entry.data[CONF_REFUSED_ISSUED_AT] == token_set.issued_at
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    # Checked again at once, though not due for hours: still refused.
    assert token_requests(emulator) == 1
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert len(reauth_flows(hass, entry)) == 1


async def test_a_stale_refusal_of_release_1_1_is_forgotten(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    token_set: TokenSet,
) -> None:
    """An issue about tokens a sign-in has replaced since asks for nothing."""
    entry = entry_of_release_1_1(entry_data(emulator, token_set))
    entry.add_to_hass(hass)
    issue_id = refused_issue_of_release_1_1(hass, entry, token_set.issued_at - 3600)

    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.LOADED
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    assert token_requests(emulator) == 0
    assert hass.states.get(STATUS).state == "valid"
