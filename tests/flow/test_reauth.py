"""Signing in again when Tesla no longer accepts the stored token."""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er

from custom_components.tesla_token.const import DOMAIN
from emulator import Emulator

from .conftest import Secrets
from .frontend import literal_text
from .helpers import (
    CAPTCHA_ACCOUNT,
    MFA_ACCOUNT,
    OWNER,
    add_entry,
    browser_sign_in,
    credentials,
    server,
    start,
    submit,
    suggested,
)


async def start_reauth(
    hass: HomeAssistant, entry: ConfigEntry, method: str
) -> dict[str, object]:
    """Open the reauth flow of an entry and choose a sign-in method."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_REAUTH, "entry_id": entry.entry_id},
        data=dict(entry.data),
    )
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "reauth_confirm"
    placeholders = result["description_placeholders"]
    assert placeholders is not None
    assert set(placeholders) == {"email"}
    assert literal_text(placeholders["email"]) == entry.data["email"]
    assert result["menu_options"] == ["password", "browser", "token"]
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": method}
    )


async def test_reauth_with_password_updates_the_entry(
    hass: HomeAssistant, emulator: Emulator, secrets: Secrets
) -> None:
    """Same account: the entry gets the new tokens, keeps its entities, and reloads."""
    entry = await add_entry(hass, emulator)
    entities = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    old_refresh_token = entry.data["refresh_token"]
    emulator.state.revoke(OWNER)

    result = await start_reauth(hass, entry, "password")
    assert result["step_id"] == "password"
    assert suggested(result) == {
        "email": OWNER,
        "region": "global",
        "advanced": {"auth_url": emulator.global_sso},
    }
    result = await submit(hass, result, credentials(emulator))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    secrets.add(entry.data["access_token"], entry.data["refresh_token"])

    await hass.async_block_till_done()
    assert entry.data["refresh_token"] != old_refresh_token
    assert entry.data["email"] == OWNER
    assert entry.state is ConfigEntryState.LOADED
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1
    assert (
        er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        == entities
    )


async def test_reauth_with_another_account_is_refused(
    hass: HomeAssistant, emulator: Emulator, secrets: Secrets
) -> None:
    """Another account's token does not replace this entry's."""
    entry = await add_entry(hass, emulator)
    data = dict(entry.data)
    other = emulator.state.mint_refresh_token(CAPTCHA_ACCOUNT)
    secrets.add(other)

    result = await start_reauth(hass, entry, "token")
    assert suggested(result)["advanced"] == {"auth_url": emulator.global_sso}
    result = await submit(hass, result, {"refresh_token": other, **server(emulator)})

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_account_mismatch"
    assert dict(entry.data) == data


async def test_reauth_in_the_browser_uses_the_entry_server(
    hass: HomeAssistant, emulator: Emulator, secrets: Secrets
) -> None:
    """The browser link points at the entry's server straight away."""
    entry = await add_entry(hass, emulator)
    result = await start_reauth(hass, entry, "browser")
    link = result["description_placeholders"]["authorize_url"]
    assert link.startswith(f"{emulator.global_sso}/authorize?")

    callback = await browser_sign_in(link)
    secrets.add(callback)
    result = await submit(hass, result, {"callback_url": callback, **server(emulator)})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"


async def test_reauth_with_a_passcode_used_moments_ago(
    hass: HomeAssistant,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
    secrets: Secrets,
) -> None:
    """A passcode used moments ago is refused until the next one comes."""
    result = await start(hass, "password")
    result = await submit(hass, result, credentials(emulator, MFA_ACCOUNT))
    watch = result["data_schema"].schema["device"].config["options"][1]["value"]
    result = await submit(hass, result, {"device": watch})
    code = emulator.state.totp(MFA_ACCOUNT, "Watch")
    secrets.add(code)
    result = await submit(hass, result, {"code": code})
    entry = result["result"]
    await hass.async_block_till_done()

    result = await start_reauth(hass, entry, "password")
    result = await submit(hass, result, credentials(emulator, MFA_ACCOUNT))
    result = await submit(hass, result, {"device": watch})
    result = await submit(hass, result, {"code": code})
    assert result["step_id"] == "mfa"
    assert result["errors"] == {"code": "mfa_replay"}

    freezer.tick(30)
    code = emulator.state.totp(MFA_ACCOUNT, "Watch")
    secrets.add(code)
    result = await submit(hass, result, {"code": code})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"


async def test_reauth_tokens_are_the_ones_set_up_uses_next(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    emulator: Emulator,
    secrets: Secrets,
) -> None:
    """The token file that refreshes wrote before cannot bring the refused token back."""
    entry = await add_entry(hass, emulator)
    await hass.services.async_call(
        DOMAIN, "refresh", {"config_entry_id": entry.entry_id}, blocking=True
    )
    refused = entry.data["refresh_token"]
    emulator.state.revoke(OWNER)

    result = await start_reauth(hass, entry, "password")
    result = await submit(hass, result, credentials(emulator))
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    signed_in = entry.data["refresh_token"]
    secrets.add(entry.data["access_token"], signed_in)
    assert signed_in != refused
    assert hass_storage[f"{DOMAIN}.{entry.entry_id}"]["data"] == dict(entry.data)

    # Home Assistant starts again.
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.data["refresh_token"] == signed_in
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get("sensor.owner_example_com_status").state == "valid"
