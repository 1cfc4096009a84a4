"""Fixtures for the emulator's own tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A client session with its own cookie jar (unsafe=True: the emulator is 127.0.0.1)."""
    async with aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True)
    ) as session:
        yield session


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Override the suite-wide fixture: the emulator's own tests start no Home Assistant."""
