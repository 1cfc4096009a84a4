"""Reconfiguring an entry: another region or server, or a replacement refresh token."""

from __future__ import annotations

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigEntryState,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType

from custom_components.tesla_token.const import DOMAIN
from emulator import Emulator, RefreshRotation

from .conftest import Secrets
from .helpers import CAPTCHA_ACCOUNT, OWNER, add_entry, server, submit, suggested


async def start_reconfigure(
    hass: HomeAssistant, entry: ConfigEntry
) -> dict[str, object]:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert result["description_placeholders"] == {"email": OWNER}
    return result


async def test_keep_the_server_and_the_stored_token(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """Saving unchanged checks the stored token; the rotated one is stored."""
    emulator.state.scenario.refresh_rotation = RefreshRotation.SINGLE_USE
    entry = await add_entry(hass, emulator)
    spent = entry.data["refresh_token"]
    result = await start_reconfigure(hass, entry)
    assert suggested(result) == {
        "region": "global",
        "advanced": {"auth_url": emulator.global_sso},
    }

    result = await submit(hass, result, server(emulator))

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["refresh_token"] != spent
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_move_to_another_server(
    hass: HomeAssistant, emulator: Emulator, secrets: Secrets
) -> None:
    """Another server with a token from there: the entry follows it and reloads."""
    entry = await add_entry(hass, emulator)
    other_server = Emulator()
    await other_server.start(host="127.0.0.1", port=0)
    try:
        token = other_server.state.mint_refresh_token(OWNER)
        secrets.add(token)
        result = await start_reconfigure(hass, entry)
        result = await submit(
            hass,
            result,
            {
                "refresh_token": token,
                "region": "global",
                "advanced": {"auth_url": other_server.global_sso},
            },
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "reconfigure_successful"
        await hass.async_block_till_done()
        assert entry.data["auth_url"] == other_server.global_sso
        assert entry.data["issuer"] == other_server.global_sso
        assert entry.state is ConfigEntryState.LOADED
        assert entry.title == OWNER
    finally:
        await hass.config_entries.async_unload(entry.entry_id)
        await other_server.stop()


async def test_replace_the_refresh_token(
    hass: HomeAssistant, emulator: Emulator, secrets: Secrets
) -> None:
    """A pasted token of the same account replaces the stored one."""
    entry = await add_entry(hass, emulator)
    emulator.state.revoke(OWNER)
    result = await start_reconfigure(hass, entry)

    result = await submit(hass, result, server(emulator))
    assert result["errors"] == {"refresh_token": "invalid_refresh_token"}

    token = emulator.state.mint_refresh_token(OWNER)
    secrets.add(token)
    result = await submit(hass, result, {"refresh_token": token, **server(emulator)})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert (
        entry.data["refresh_token"] == token
    )  # rotation "reuse" hands the same one back


async def test_wrong_region_then_right(hass: HomeAssistant, emulator: Emulator) -> None:
    """The China server refuses a global account's token; the entry stays as it was."""
    entry = await add_entry(hass, emulator)
    data = dict(entry.data)
    result = await start_reconfigure(hass, entry)

    result = await submit(
        hass, result, {"region": "china", "advanced": {"auth_url": emulator.china_sso}}
    )
    assert result["errors"] == {"refresh_token": "invalid_refresh_token"}
    assert suggested(result)["region"] == "china"
    assert dict(entry.data) == data
    result = await submit(
        hass, result, {"region": "global", "advanced": {"auth_url": "https://"}}
    )
    assert result["errors"] == {"advanced": "invalid_auth_url"}

    result = await submit(hass, result, server(emulator))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"


async def test_token_of_another_account(
    hass: HomeAssistant, emulator: Emulator, secrets: Secrets
) -> None:
    """Another account's token is refused and changes nothing."""
    entry = await add_entry(hass, emulator)
    data = dict(entry.data)
    other = emulator.state.mint_refresh_token(CAPTCHA_ACCOUNT)
    secrets.add(other)
    result = await start_reconfigure(hass, entry)

    result = await submit(hass, result, {"refresh_token": other, **server(emulator)})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_account_mismatch"
    assert dict(entry.data) == data
