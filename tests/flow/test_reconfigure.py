"""Reconfiguring an entry: another region or server, or a replacement refresh token."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigEntryState,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.tesla_token.const import DOMAIN
from emulator import Emulator, Fault, FaultKind, RefreshRotation

from .conftest import Secrets
from .frontend import literal_text
from .helpers import CAPTCHA_ACCOUNT, OWNER, add_entry, server, submit, suggested


async def start_reconfigure(
    hass: HomeAssistant, entry: ConfigEntry
) -> dict[str, object]:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    placeholders = result["description_placeholders"]
    assert placeholders is not None
    assert set(placeholders) == {"email"}
    assert literal_text(placeholders["email"]) == OWNER
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


async def test_waits_for_a_running_refresh_of_the_single_use_token(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """A refresh still under way when the form is saved: the flow uses the token it brings."""
    emulator.state.scenario.refresh_rotation = RefreshRotation.SINGLE_USE
    entry = await add_entry(hass, emulator)
    result = await start_reconfigure(hass, entry)
    emulator.state.set_fault("token", Fault(FaultKind.DELAY, delay=0.3))

    running = hass.async_create_task(
        hass.services.async_call(
            DOMAIN, "refresh", {"config_entry_id": entry.entry_id}, blocking=True
        )
    )
    await asyncio.sleep(0.05)  # the action's request is now waiting in the emulator
    result = await submit(hass, result, server(emulator))
    await running

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get("sensor.owner_example_com_status").state == "valid"
    assert [r.status for r in emulator.state.requests if r.path.endswith("/token")][
        -2:
    ] == [
        200,
        200,
    ]


async def test_a_set_up_retry_and_a_reconfigure_spend_the_single_use_token_once(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """Saving while a set-up retry refreshes waits for it, and uses the token it brings."""
    emulator.state.scenario.refresh_rotation = RefreshRotation.SINGLE_USE
    entry = await add_entry(hass, emulator)
    await hass.config_entries.async_unload(entry.entry_id)
    # The access token expired while Home Assistant was off, and Tesla is down at start.
    now = dt_util.utcnow().timestamp()
    hass.config_entries.async_update_entry(
        entry,
        data={**entry.data, "issued_at": now - 8 * 3600 - 60, "expires_at": now - 60},
    )
    emulator.state.set_fault("token", Fault(FaultKind.STATUS, status=503))
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    result = await start_reconfigure(hass, entry)
    emulator.state.clear_requests()
    emulator.state.set_fault("token", Fault(FaultKind.DELAY, delay=1))

    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=5))
    for _ in range(1000):  # until the retry's request waits at Tesla (took the fault)
        if not emulator.state.faults.to_list():
            break
        await asyncio.sleep(0.01)
    result = await submit(hass, result, server(emulator))
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    # Two refreshes, one after the other; none with a spent token.
    assert [r.status for r in emulator.state.requests if r.path.endswith("/token")] == [
        200,
        200,
    ]
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get("sensor.owner_example_com_status").state == "valid"
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_new_token_for_an_entry_that_could_not_set_up(
    hass: HomeAssistant,
    emulator: Emulator,
    secrets: Secrets,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Tesla refused the stored token at start-up: a pasted token brings the entry back."""
    entry = await add_entry(hass, emulator)
    await hass.config_entries.async_unload(entry.entry_id)
    emulator.state.revoke(OWNER)
    freezer.tick(
        timedelta(hours=9)
    )  # the access token expired while Home Assistant was off
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR

    token = emulator.state.mint_refresh_token(OWNER)
    secrets.add(token)
    result = await start_reconfigure(hass, entry)
    result = await submit(hass, result, {**server(emulator), "refresh_token": token})

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get("sensor.owner_example_com_status").state == "valid"


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
