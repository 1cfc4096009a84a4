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

from custom_components.tesla_token.connection import ConnectionProfile
from custom_components.tesla_token.const import (
    CONF_ISSUED_AT,
    CONF_REFUSED_ISSUED_AT,
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
    https_sso,
    mint_over,
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


# The entry data keys and options of releases before 1.3 (entry versions 1.1 and 1.2).
KEYS_BEFORE_1_3 = (
    "email", "region", "auth_url", "issuer", "access_token", "refresh_token",
    "expires_at", "issued_at", "refresh_token_issued_at",
)  # fmt: skip
OPTIONS_BEFORE_1_3 = {
    "refresh_mode": "lifetime_share",
    "refresh_share": 75,
    "refresh_minutes_before": 60,
    "repair_grace_minutes": 60,
    "allow_token_action": False,
}


def data_before_1_3(emulator: Emulator, tokens: TokenSet) -> dict[str, Any]:
    """Entry data as releases before 1.3 stored it."""
    data = entry_data(emulator, tokens)
    return {key: data[key] for key in KEYS_BEFORE_1_3}


def entry_of_release(data: dict[str, Any], minor_version: int) -> MockConfigEntry:
    """An entry as the release of entry version 1.`minor_version` stored it."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=EMAIL,
        unique_id="owner",
        data=data,
        options=dict(OPTIONS_BEFORE_1_3),
        version=1,
        minor_version=minor_version,
    )


def entry_of_release_1_1(data: dict[str, Any]) -> MockConfigEntry:
    """An entry as the release before 1.2 stored it."""
    return entry_of_release(data, 1)


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
    data = data_before_1_3(emulator, token_set)
    entry = entry_of_release_1_1(data)

    await set_up(hass, entry)

    assert entry.state is ConfigEntryState.LOADED
    assert (entry.version, entry.minor_version) == (1, 3)
    assert {key: entry.data[key] for key in data} == data
    assert token_requests(emulator) == 0
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
    entry = entry_of_release_1_1(data_before_1_3(emulator, token_set))
    entry.add_to_hass(hass)
    issue_id = refused_issue_of_release_1_1(hass, entry, token_set.issued_at)
    emulator.state.revoke(EMAIL)

    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert (entry.version, entry.minor_version) == (1, 3)
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
    entry = entry_of_release_1_1(data_before_1_3(emulator, token_set))
    entry.add_to_hass(hass)
    issue_id = refused_issue_of_release_1_1(hass, entry, token_set.issued_at - 3600)

    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.LOADED
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    assert token_requests(emulator) == 0
    assert hass.states.get(STATUS).state == "valid"


async def test_an_entry_of_release_1_2_moves_to_a_connection_tesla_accepts(
    hass: HomeAssistant, trust_emulator: Emulator, frozen_time: FrozenDateTimeFactory
) -> None:
    """An entry stored by the last release (1.2) loads without a sign-in, gets the new options,
    and its HTTP/1.1 token, refused since Tesla takes only HTTP/2, is replaced over HTTP/2."""
    emulator = trust_emulator
    emulator.state.scenario = emulator.state.scenario.updated(
        {"accepted_connections": [{"http": "2"}]}
    )
    tokens = await mint_over(hass, emulator, ConnectionProfile.HTTP11)
    data = {
        **data_before_1_3(emulator, tokens),
        "auth_url": https_sso(emulator),
    }
    entry = entry_of_release(data, 2)
    emulator.state.clear_requests()

    await set_up(hass, entry)

    assert entry.state is ConfigEntryState.LOADED
    assert (entry.version, entry.minor_version) == (1, 3)
    assert entry.options == {
        **OPTIONS_BEFORE_1_3,
        "api_check": True,
        "connection_choice": "automatic",
    }
    assert entry.data["connection"] == "http2"
    assert entry.data["api_access"] == "accepted"
    assert token_requests(emulator) == 1
    assert hass.states.get(STATUS).state == "valid"
    assert not reauth_flows(hass, entry)
