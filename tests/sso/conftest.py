"""Fixtures for the SSO client tests: a cookie-keeping HTTP session and the request log."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from emulator import Emulator

from .odd_server import OddServer


@pytest.fixture
async def http(emulator: Emulator) -> AsyncIterator[aiohttp.ClientSession]:
    """A client session with its own cookie jar (unsafe=True: the emulator is 127.0.0.1)."""
    emulator.state.clear_requests()
    async with aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True)
    ) as session:
        yield session


@pytest.fixture
async def odd_server(socket_enabled: None) -> AsyncIterator[OddServer]:
    """A canned-answer server for responses the faithful emulator never gives."""
    server = OddServer()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def plain_http(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    """A client session for the canned-answer server."""
    async with aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True)
    ) as session:
        yield session


def served(emulator: Emulator) -> list[tuple[str, str, int]]:
    """The emulator's request log as (method, path, status)."""
    return [(r.method, r.path, r.status) for r in emulator.state.requests]
