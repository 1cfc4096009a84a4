"""Adding an account with an existing refresh token."""

from __future__ import annotations

import secrets as random
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest

from custom_components.tesla_token.const import DEFAULT_OPTIONS, DOMAIN
from emulator import Emulator, Fault, FaultKind, RefreshRotation

from .conftest import Secrets
from .helpers import CHINA_ACCOUNT, OWNER, account_sub, add_entry, server, start, submit


def token_form(emulator: Emulator, token: str) -> dict[str, object]:
    return {"refresh_token": token, **server(emulator)}


async def test_existing_refresh_token(
    hass: HomeAssistant, emulator: Emulator, secrets: Secrets
) -> None:
    """A valid token is refreshed once; the entry stores the rotated one."""
    emulator.state.scenario.refresh_rotation = RefreshRotation.SINGLE_USE
    token = emulator.state.mint_refresh_token(OWNER)
    secrets.add(token)
    result = await start(hass, "token")
    assert result["step_id"] == "token"

    # Copying may wrap a long token over lines.
    result = await submit(
        hass, result, token_form(emulator, f"{token[:40]}\n{token[40:]} ")
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == OWNER
    entry = result["result"]
    assert entry.unique_id == account_sub(emulator, OWNER)
    assert entry.options == DEFAULT_OPTIONS
    assert entry.data["refresh_token"] != token  # the pasted one is spent
    assert entry.data["issuer"] == emulator.global_sso
    assert entry.data["email"] == OWNER
    assert ("POST", "/oauth2/v3/token") in [
        (r.method, r.path) for r in emulator.state.requests
    ]


@pytest.mark.parametrize(
    "legacy",
    [random.token_hex(32), f"qts-{random.token_hex(32)}", f"cn-{random.token_hex(32)}"],
    ids=["v2", "qts", "cn"],
)
async def test_legacy_token_is_explained(
    hass: HomeAssistant, emulator: Emulator, secrets: Secrets, legacy: str
) -> None:
    """A v2 or exchanged owner token is recognised without asking Tesla."""
    secrets.add(legacy)
    result = await start(hass, "token")
    result = await submit(hass, result, token_form(emulator, legacy))
    assert result["errors"] == {"refresh_token": "legacy_token"}
    assert emulator.state.requests == []

    token = emulator.state.mint_refresh_token(OWNER)
    secrets.add(token)
    result = await submit(hass, result, token_form(emulator, token))
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_refused_token(
    hass: HomeAssistant, emulator: Emulator, secrets: Secrets
) -> None:
    """A revoked token, or text that is no token, is refused on the token field."""
    revoked = emulator.state.mint_refresh_token(OWNER)
    emulator.state.revoke(OWNER)
    secrets.add(revoked)
    result = await start(hass, "token")
    result = await submit(hass, result, token_form(emulator, revoked))
    assert result["errors"] == {"refresh_token": "invalid_refresh_token"}
    # The form is shown again without the token.
    token_field = next(
        key for key in result["data_schema"].schema if key.schema == "refresh_token"
    )
    assert not token_field.description

    result = await submit(hass, result, token_form(emulator, "not-a-token"))
    assert result["errors"] == {"refresh_token": "invalid_refresh_token"}

    token = emulator.state.mint_refresh_token(OWNER)
    secrets.add(token)
    result = await submit(hass, result, token_form(emulator, token))
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_server_trouble(
    hass: HomeAssistant, emulator: Emulator, secrets: Secrets
) -> None:
    """A server error or an unreadable answer is cannot_connect; a retry succeeds."""
    token = emulator.state.mint_refresh_token(OWNER)
    secrets.add(token)
    result = await start(hass, "token")
    emulator.state.set_fault("token", Fault(FaultKind.STATUS, status=503))
    result = await submit(hass, result, token_form(emulator, token))
    assert result["errors"] == {"base": "cannot_connect"}
    emulator.state.set_fault("token", Fault(FaultKind.MALFORMED_JSON))
    result = await submit(hass, result, token_form(emulator, token))
    assert result["errors"] == {"base": "cannot_connect"}
    emulator.state.set_fault("token", Fault(FaultKind.WAF_BLOCK))
    result = await submit(hass, result, token_form(emulator, token))
    assert result["step_id"] == "token"
    assert result["errors"] == {"base": "waf_blocked"}

    result = await submit(hass, result, token_form(emulator, token))
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_invalid_server_url(
    hass: HomeAssistant, emulator: Emulator, secrets: Secrets
) -> None:
    """A custom server that is not https is refused before any request."""
    token = emulator.state.mint_refresh_token(OWNER)
    secrets.add(token)
    result = await start(hass, "token")
    result = await submit(
        hass,
        result,
        {
            "refresh_token": token,
            "region": "global",
            "advanced": {"auth_url": "ftp://example.com"},
        },
    )
    assert result["errors"] == {"advanced": "invalid_auth_url"}
    advanced = next(
        key for key in result["data_schema"].schema if key.schema == "advanced"
    )
    assert (
        result["data_schema"].schema[advanced].schema.schema
    )  # the section is shown again

    result = await submit(hass, result, token_form(emulator, token))
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_china_token(
    hass: HomeAssistant, emulator: Emulator, secrets: Secrets
) -> None:
    """A China account's token is refreshed on the China server."""
    token = emulator.state.mint_refresh_token(CHINA_ACCOUNT)
    secrets.add(token)
    result = await start(hass, "token")
    result = await submit(
        hass,
        result,
        {
            "refresh_token": token,
            "region": "china",
            "advanced": {"auth_url": emulator.china_sso},
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["region"] == "china"
    assert result["data"]["issuer"] == emulator.china_sso
    assert result["title"] == CHINA_ACCOUNT


async def test_token_of_an_account_already_set_up_updates_its_entry(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    emulator: Emulator,
    secrets: Secrets,
) -> None:
    """Checking the pasted token spent it: the entry keeps the token it brought."""
    emulator.state.scenario.refresh_rotation = RefreshRotation.SINGLE_USE
    entry = await add_entry(hass, emulator)
    own = entry.data["refresh_token"]
    pasted = emulator.state.mint_refresh_token(OWNER)
    secrets.add(pasted)
    result = await start(hass, "token")

    result = await submit(hass, result, token_form(emulator, pasted))

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "token_updated"
    await hass.async_block_till_done()
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1
    kept = entry.data["refresh_token"]
    assert kept not in (own, pasted)
    assert emulator.state.refresh_tokens[kept].active
    assert entry.data["email"] == OWNER
    assert hass_storage[f"{DOMAIN}.{entry.entry_id}"]["data"] == dict(entry.data)
    assert entry.state is ConfigEntryState.LOADED
    await hass.services.async_call(
        DOMAIN, "refresh", {"config_entry_id": entry.entry_id}, blocking=True
    )
    assert hass.states.get("sensor.owner_example_com_status").state == "valid"
