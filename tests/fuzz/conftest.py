"""Fixtures for the fuzz tests: the scripted answer server and request logs of client sessions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import aiohttp_client
import httpx
import pytest

from emulator import Emulator

from .answer_server import AnswerServer
from .request_log import RequestLog
from .tally import print_tally


@pytest.fixture
async def quick_loop() -> AsyncIterator[None]:
    """asyncio's debug mode off during the test (the harness turns it on).

    Debug mode makes each loopback request about ten times slower; a fuzz test sends thousands.
    Home Assistant's own checks (lingering tasks and timers, blocking calls) do not need it.
    """
    loop = asyncio.get_running_loop()
    debug = loop.get_debug()
    loop.set_debug(False)
    yield
    loop.set_debug(debug)


@pytest.fixture
async def answer_server(socket_enabled: None) -> AsyncIterator[AnswerServer]:
    """The scripted answer server on 127.0.0.1."""
    server = AnswerServer()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def ha_request_log(
    hass: HomeAssistant, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> RequestLog:
    """Log every request of every client session Home Assistant makes during the test.

    Home Assistant's session helpers take extra client middlewares; the log's middleware is added
    to each session they create (the flow's own sign-in session and the shared one), and every
    httpx client's `send` goes through the log too. Only the
    emulator may actually be contacted.
    """
    assert not hass.data.get(aiohttp_client.DATA_CLIENTSESSION), (
        "a session existed before the log: its requests would go unseen"
    )
    log = RequestLog()
    log.allow(emulator.base_url)
    create = aiohttp_client._async_create_clientsession

    def create_logged(*args: Any, **kwargs: Any) -> Any:
        kwargs["middlewares"] = (*kwargs.get("middlewares", ()), log.middleware)
        return create(*args, **kwargs)

    monkeypatch.setattr(aiohttp_client, "_async_create_clientsession", create_logged)
    monkeypatch.setattr(
        httpx.AsyncClient, "send", log.httpx_send(httpx.AsyncClient.send)
    )
    # Prove the wiring: a request through each helper's session must show up in the log.
    # (The control API is not in the emulator's request log.)
    probe = f"{emulator.base_url}/__emulator__/scenario"
    for session in (
        aiohttp_client.async_get_clientsession(hass),
        aiohttp_client.async_create_clientsession(hass),
    ):
        async with session.get(probe) as response:
            assert response.status == 200
    async with httpx.AsyncClient() as client:
        assert (await client.get(probe)).status_code == 200
    assert [url.path for url in log.urls] == ["/__emulator__/scenario"] * 3
    log.clear()
    return log


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print how the fuzz examples ended."""
    print_tally(terminalreporter)
