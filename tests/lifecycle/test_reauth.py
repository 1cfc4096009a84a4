"""A refused refresh token asks the person to sign in again, and nothing else."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.repairs import repairs_flow_manager
from homeassistant.components.repairs.const import FlowType
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.tesla_token.const import (
    CONF_ISSUED_AT,
    CONF_REFRESH_TOKEN,
    DEFAULT_OPTIONS,
    DOMAIN,
    EVENT_TOKEN_REFRESH_FAILED,
)
from custom_components.tesla_token.repairs import reauth_issue_id
from emulator import Account, Emulator
from tests.frontend import literal_text
from tests.lifecycle.conftest import EMAIL, entry_data, mint_token_set
from tests.lifecycle.helpers import (
    NEXT_REFRESH,
    STATUS,
    advance,
    advance_in_steps,
    token_requests,
)

HOUR = timedelta(hours=1)


def reauth_flows(hass: HomeAssistant, entry: MockConfigEntry) -> list[str]:
    """The ids of the reauth flows in progress for the entry."""
    return [
        flow["flow_id"] for flow in entry.async_get_active_flows(hass, {SOURCE_REAUTH})
    ]


async def test_revoked_token_needs_sign_in(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """Revocation: status, a fixable repair issue, a reauth flow, and no more requests."""
    refresh_token = init_integration.data[CONF_REFRESH_TOKEN]
    failures = async_capture_events(hass, EVENT_TOKEN_REFRESH_FAILED)
    emulator.state.revoke(EMAIL)

    await advance(hass, frozen_time, 6 * HOUR)

    assert hass.states.get(STATUS).state == "reauth_required"
    assert hass.states.get(NEXT_REFRESH).state == "unknown"
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, reauth_issue_id(init_integration.entry_id)
    )
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_placeholders == {"account": EMAIL}
    assert len(reauth_flows(hass, init_integration)) == 1
    assert [event.data["reason"] for event in failures] == ["login_required"]
    assert init_integration.data[CONF_REFRESH_TOKEN] == refresh_token

    # Refused tokens are not tried again and again.
    await advance_in_steps(hass, frozen_time, 24 * HOUR, HOUR)
    assert token_requests(emulator) == 1
    assert hass.states.get(STATUS).state == "reauth_required"


async def test_repair_flow_opens_sign_in(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """Fixing the repair issue hands over to the entry's reauth flow."""
    assert await async_setup_component(hass, "repairs", {})
    emulator.state.revoke(EMAIL)
    await advance(hass, frozen_time, 6 * HOUR)
    issue_id = reauth_issue_id(init_integration.entry_id)
    manager = repairs_flow_manager(hass)
    assert manager is not None

    flow = await manager.async_init(DOMAIN, context={"issue_id": issue_id})
    assert flow["step_id"] == "confirm"
    assert set(flow["description_placeholders"]) == {"account"}
    assert literal_text(flow["description_placeholders"]["account"]) == EMAIL
    result = await manager.async_configure(flow["flow_id"], {})
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["next_flow"] == (
        FlowType.CONFIG_FLOW,
        reauth_flows(hass, init_integration)[0],
    )


async def test_repair_flow_for_removed_entry(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """An issue whose entry is gone cannot open a sign-in; the flow says so."""
    assert await async_setup_component(hass, "repairs", {})
    emulator.state.revoke(EMAIL)
    await advance(hass, frozen_time, 6 * HOUR)
    issue_id = reauth_issue_id(init_integration.entry_id)
    # Removing the entry removes its issues; an issue left from elsewhere still behaves.
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=True,
        is_persistent=True,
        severity=ir.IssueSeverity.ERROR,
        translation_key="reauth_required",
        translation_placeholders={"account": EMAIL},
    )
    assert await hass.config_entries.async_remove(init_integration.entry_id)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=True,
        severity=ir.IssueSeverity.ERROR,
        translation_key="reauth_required",
        translation_placeholders={"account": EMAIL},
    )
    manager = repairs_flow_manager(hass)
    assert manager is not None

    result = await manager.async_init(DOMAIN, context={"issue_id": issue_id})

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "entry_removed"


async def test_revoked_at_setup(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Setting up with a due token that Tesla refuses: setup error and a reauth flow."""
    emulator.state.revoke(EMAIL)
    frozen_time.tick(7 * HOUR)
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    assert len(reauth_flows(hass, mock_config_entry)) == 1
    assert ir.async_get(hass).async_get_issue(
        DOMAIN, reauth_issue_id(mock_config_entry.entry_id)
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
    """New tokens (as the reauth flow stores them) clear the issue without a request."""
    emulator.state.revoke(EMAIL)
    await advance(hass, frozen_time, 6 * HOUR)
    emulator.state.clear_requests()
    frozen_time.tick(timedelta(minutes=5))
    tokens = await mint_token_set(emulator)
    emulator.state.clear_requests()
    assert tokens.issued_at != init_integration.data[CONF_ISSUED_AT]

    hass.config_entries.async_update_entry(
        init_integration, data=entry_data(emulator, tokens)
    )
    await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()

    assert init_integration.state is ConfigEntryState.LOADED
    assert hass.states.get(STATUS).state == "valid"
    assert token_requests(emulator) == 0
    assert not ir.async_get(hass).async_get_issue(
        DOMAIN, reauth_issue_id(init_integration.entry_id)
    )


async def test_reauth_by_action_refresh_heals(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """If Tesla accepts the token again, a refresh clears everything."""
    emulator.state.revoke(EMAIL)
    await advance(hass, frozen_time, 6 * HOUR)
    # The same account signed in elsewhere; its new refresh token reaches the entry.
    tokens = await mint_token_set(emulator)
    hass.config_entries.async_update_entry(
        init_integration,
        data={**init_integration.data, CONF_REFRESH_TOKEN: tokens.refresh_token},
    )

    await hass.services.async_call(
        DOMAIN, "refresh", {"config_entry_id": init_integration.entry_id}, blocking=True
    )

    assert hass.states.get(STATUS).state == "valid"
    assert not [key for key in ir.async_get(hass).issues if key[0] == DOMAIN]


async def test_untrusted_issuer_needs_sign_in(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Tokens whose issuer is not a trusted server are never sent there; sign in again."""
    failures = async_capture_events(hass, EVENT_TOKEN_REFRESH_FAILED)
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, data={**mock_config_entry.data, "auth_url": None}
    )
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    await advance(hass, frozen_time, 6 * HOUR)

    assert hass.states.get(STATUS).state == "reauth_required"
    assert [event.data["reason"] for event in failures] == ["untrusted_issuer"]
    assert token_requests(emulator) == 0


async def test_repair_shows_an_email_from_tesla_as_text(
    hass: HomeAssistant, emulator: Emulator, frozen_time: FrozenDateTimeFactory
) -> None:
    """An address with markdown and a bidi override: clean in the issue, literal in its dialog."""
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
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert await async_setup_component(hass, "repairs", {})
    emulator.state.revoke(email)
    await advance(hass, frozen_time, 6 * HOUR)

    issue_id = reauth_issue_id(entry.entry_id)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders == {"account": shown}
    manager = repairs_flow_manager(hass)
    assert manager is not None
    flow = await manager.async_init(DOMAIN, context={"issue_id": issue_id})
    assert literal_text(flow["description_placeholders"]["account"]) == shown
