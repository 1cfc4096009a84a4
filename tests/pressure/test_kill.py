"""kill -9 right after a refresh: the rotated single-use token survives in a real process.

Home Assistant writes config entries about a second after a change. A real Home Assistant
refreshes a single-use token (the emulator rotates it and refuses the old one from then on) and
is killed with SIGKILL the moment it announces the refresh, before it could write anything
more. A second Home Assistant on the same configuration folder must refresh again without
asking anyone to sign in. Run only these: `pytest -m hass_process`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
from homeassistant.const import ATTR_CONFIG_ENTRY_ID
import pytest

from custom_components.tesla_token.const import (
    CONF_REFRESH_TOKEN,
    DOMAIN,
    EVENT_TOKEN_REFRESHED,
    SERVICE_REFRESH,
)
from emulator import Emulator, RefreshRotation
from tests.helpers import STATUS
from tests.leak_guard import LeakGuard

from .hass_process import Api, HassProcess, async_owner_token, async_poll, running
from .helpers import owner_entry

pytestmark = [pytest.mark.hass_process, pytest.mark.timeout(240)]

# Seconds the entry may take to load after Home Assistant answers HTTP.
LOAD_SECONDS = 60
# Seconds the refresh may take from the action's call to its event.
REFRESH_SECONDS = 30


@pytest.fixture
def frozen_time() -> None:
    """The real clock: Home Assistant runs in its own process and reads it."""


def token_statuses(emulator: Emulator) -> list[int]:
    """The HTTP status of every token request the emulator served, in order."""
    return [
        record.status
        for record in emulator.state.requests
        if record.method == "POST" and record.path.endswith("/oauth2/v3/token")
    ]


async def async_wait_loaded(api: Api) -> None:
    """Wait until the entry's status entity exists (the entry is loaded)."""

    async def loaded() -> bool:
        return await api.state(STATUS) is not None

    await async_poll(loaded, LOAD_SECONDS, "the Tesla Token entry did not load")


async def async_refresh_then_kill(
    http: aiohttp.ClientSession, api: Api, hass: HassProcess, entry_id: str
) -> None:
    """Ask for a refresh and SIGKILL Home Assistant as soon as it announces the new token."""
    async with http.ws_connect(f"{api.url}/api/websocket") as ws:
        assert (await ws.receive_json())["type"] == "auth_required"
        await ws.send_json({"type": "auth", "access_token": api.token})
        assert (await ws.receive_json())["type"] == "auth_ok"
        await ws.send_json(
            {"id": 1, "type": "subscribe_events", "event_type": EVENT_TOKEN_REFRESHED}
        )
        assert (await ws.receive_json())["success"]
        await ws.send_json(
            {
                "id": 2,
                "type": "call_service",
                "domain": DOMAIN,
                "service": SERVICE_REFRESH,
                "service_data": {ATTR_CONFIG_ENTRY_ID: entry_id},
            }
        )
        async with asyncio.timeout(REFRESH_SECONDS):
            while True:
                message = await ws.receive_json()
                if message.get("type") == "event":
                    hass.kill()  # at once: whatever Home Assistant still had to write is lost
                    return
                assert message.get("success", True), message


async def test_kill_right_after_a_refresh_keeps_the_rotated_token(
    emulator: Emulator, tmp_path: Path, leak_guard: LeakGuard
) -> None:
    """After kill -9 right after a refresh, the restarted Home Assistant refreshes again."""
    emulator.state.scenario.refresh_rotation = RefreshRotation.SINGLE_USE
    entry = await owner_entry(emulator)
    emulator.state.clear_requests()

    async with running(tmp_path, entry) as hass, aiohttp.ClientSession() as http:
        await hass.async_start("hass-before-kill")
        api = Api(http, hass.url, await async_owner_token(http, hass))
        await async_wait_loaded(api)
        assert token_statuses(emulator) == []  # the stored token was not due yet

        await async_refresh_then_kill(http, api, hass, entry.entry_id)
        await hass.async_wait_killed()
        # Tesla rotated the token: only the new one, which the killed process held, works.
        assert token_statuses(emulator) == [200]
        assert not emulator.state.refresh_tokens[entry.data[CONF_REFRESH_TOKEN]].active

        await hass.async_start("hass-after-kill")
        await async_wait_loaded(api)
        status, body = await api.call(
            DOMAIN, SERVICE_REFRESH, {ATTR_CONFIG_ENTRY_ID: entry.entry_id}
        )
        assert status == 200, f"the refresh after the restart failed: {body}"
        assert token_statuses(emulator) == [200, 200]
        assert await api.state(STATUS) == "valid"  # not reauth_required
        logs = await asyncio.to_thread(hass.logs)
        token_file = hass.config_dir / ".storage" / f"{DOMAIN}.{entry.entry_id}"
        mode = (await asyncio.to_thread(token_file.stat)).st_mode
    assert mode & 0o077 == 0, "the token file is readable by others"

    assert "sign in again" not in logs
    # The entry on disk was older: the second start took the token from the token file.
    assert "continuing with the one written at once" in logs
    leak_guard.expose("the Home Assistant process's log", logs)
