"""Shared fixtures for the Tesla Token tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from emulator import Emulator


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration from custom_components/."""


@pytest.fixture
async def emulator(socket_enabled: None) -> AsyncIterator[Emulator]:
    """A running Tesla SSO emulator (default scenario) on 127.0.0.1, any free port.

    `socket_enabled` lifts pytest-socket's block; connections stay limited to 127.0.0.1.
    """
    server = Emulator()
    await server.start(host="127.0.0.1", port=0)
    yield server
    await server.stop()
