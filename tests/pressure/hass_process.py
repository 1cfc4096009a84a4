"""A real Home Assistant process with Tesla Token, driven over its HTTP and WebSocket APIs.

The configuration folder comes from scripts/develop_demo.py (through tests_ui/servers.py, which
also starts and stops the processes), with a smaller configuration.yaml and the config entry
written to `.storage` before the start, as Home Assistant itself would have stored it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
import contextlib
import json
import os
from pathlib import Path
import signal
import subprocess
import sys
import time
from typing import Any

import aiohttp
from homeassistant import config_entries
from homeassistant.config_entries import ConfigEntry
from homeassistant.helpers.json import json_bytes

from tests_ui.servers import DEMO, LOOPBACK, _Children, _wait_for_hass, free_port

# Only what the test talks to: the REST and WebSocket APIs and onboarding for the owner user.
CONFIGURATION_YAML = """\
homeassistant:
  name: Tesla Token kill test
  time_zone: UTC
  country: US
  unit_system: metric
api:
websocket_api:
onboarding:
logger:
  default: warning
  logs:
    custom_components.tesla_token: debug
    homeassistant.components.camera.img_util: critical
    haffmpeg: critical
"""
OWNER = {"name": "Owner", "username": "owner", "password": "kill-test-password"}
# Seconds a poll waits between two looks (the deadline bounds the whole wait).
POLL_INTERVAL = 0.05


def prepare_config(config_dir: Path, port: int, entry: ConfigEntry) -> None:
    """Write the configuration folder with `entry` stored as Home Assistant stores it."""
    DEMO.prepare_config(config_dir, port)
    (config_dir / "configuration.yaml").write_text(CONFIGURATION_YAML, encoding="utf-8")
    stored = json.loads(json_bytes(entry.as_dict()))
    DEMO.write_store(
        config_dir,
        config_entries.STORAGE_KEY,
        config_entries.STORAGE_VERSION,
        {"entries": [stored]},
        minor=config_entries.STORAGE_VERSION_MINOR,
    )


class HassProcess:
    """Home Assistant processes, one after the other, on one configuration folder."""

    def __init__(self, work_dir: Path, entry: ConfigEntry) -> None:
        """Prepare the configuration folder under `work_dir`; nothing runs yet."""
        self.config_dir = work_dir / "config"
        self.port = free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        self._children = _Children(work_dir)
        self._names: list[str] = []
        self._process: subprocess.Popen[bytes] | None = None
        prepare_config(self.config_dir, self.port, entry)

    async def async_start(self, name: str) -> None:
        """Start Home Assistant (output to <work_dir>/<name>.log) and wait for its HTTP."""
        self._names.append(name)
        self._process = self._children.start(
            name,
            [
                sys.executable,
                "-m",
                "homeassistant",
                "--config",
                str(self.config_dir),
                "--skip-pip",
            ],
        )
        await asyncio.to_thread(_wait_for_hass, self._children, self._process, self.url)

    def kill(self) -> None:
        """SIGKILL the running Home Assistant: no shutdown, no last write."""
        assert self._process is not None
        os.killpg(self._process.pid, signal.SIGKILL)

    async def async_wait_killed(self) -> None:
        """Wait until the killed process is gone."""
        assert self._process is not None
        returncode = await asyncio.to_thread(self._process.wait, 30)
        assert returncode == -signal.SIGKILL

    def stop(self) -> None:
        """Stop whatever still runs."""
        self._children.stop()

    def logs(self) -> str:
        """Everything every process printed, and Home Assistant's own log file."""
        own_log = self.config_dir / "home-assistant.log"
        return "\n".join(
            [
                *(self._children.log(name) for name in self._names),
                own_log.read_text(encoding="utf-8", errors="replace")
                if own_log.exists()
                else "",
            ]
        )


@contextlib.asynccontextmanager
async def running(work_dir: Path, entry: ConfigEntry) -> AsyncIterator[HassProcess]:
    """A `HassProcess` whose processes are stopped on the way out (output shown on failure)."""
    hass = HassProcess(work_dir, entry)
    try:
        yield hass
    except BaseException:
        logs = await asyncio.to_thread(hass.logs)
        sys.stderr.write(f"--- Home Assistant's output ---\n{logs[-6000:]}\n")
        raise
    finally:
        await asyncio.to_thread(hass.stop)


async def async_owner_token(http: aiohttp.ClientSession, hass: HassProcess) -> str:
    """Create the owner through onboarding; return an access token that outlives a restart.

    Home Assistant writes its auth data shortly after a change: wait until the file holds the
    new refresh token, so a kill afterwards keeps the access token valid.
    """
    client_id = f"{hass.url}/"
    async with http.post(
        f"{hass.url}/api/onboarding/users",
        json={**OWNER, "client_id": client_id, "language": "en"},
    ) as answer:
        assert answer.status == 200, await answer.text()
        code = (await answer.json())["auth_code"]
    async with http.post(
        f"{hass.url}/auth/token",
        data={"grant_type": "authorization_code", "code": code, "client_id": client_id},
    ) as answer:
        assert answer.status == 200, answer.status
        tokens = await answer.json()
    auth_file = hass.config_dir / ".storage" / "auth"

    def stored() -> bool:
        return auth_file.exists() and tokens["refresh_token"] in auth_file.read_text(
            encoding="utf-8"
        )

    await async_poll(
        lambda: asyncio.to_thread(stored),
        30,
        "Home Assistant did not write the owner's token",
    )
    access_token: str = tokens["access_token"]
    return access_token


async def async_poll(
    check: Callable[[], Awaitable[bool]], seconds: float, failure: str
) -> None:
    """Wait until `check()` is true, looking again and again until a deadline."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(POLL_INTERVAL)
    raise AssertionError(failure)


class Api:
    """Home Assistant's REST API as the owner."""

    def __init__(self, http: aiohttp.ClientSession, url: str, token: str) -> None:
        """Talk to `url` with the owner's access token."""
        self._http = http
        self.url = url
        self.token = token
        self.headers = {"Authorization": f"Bearer {token}"}

    async def state(self, entity_id: str) -> str | None:
        """The entity's state, None while it does not exist."""
        async with self._http.get(
            f"{self.url}/api/states/{entity_id}", headers=self.headers
        ) as answer:
            if answer.status == 404:
                return None
            assert answer.status == 200, answer.status
            state: str = (await answer.json())["state"]
            return state

    async def call(
        self, domain: str, service: str, data: Mapping[str, Any]
    ) -> tuple[int, str]:
        """Call an action; return the HTTP status and the body."""
        async with self._http.post(
            f"{self.url}/api/services/{domain}/{service}",
            headers=self.headers,
            json=dict(data),
        ) as answer:
            return answer.status, await answer.text()
