"""Diagnostics tell what happened without a single secret."""

from __future__ import annotations

import json

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.tesla_token.const import CONF_ACCESS_TOKEN, CONF_REFRESH_TOKEN
from emulator import Emulator
from tests.lifecycle.conftest import EMAIL


async def test_diagnostics_hold_no_secret(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    snapshot: SnapshotAssertion,
    init_integration: MockConfigEntry,
) -> None:
    """No token, email or account id appears in the diagnostics."""
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, init_integration
    )

    dumped = json.dumps(diagnostics)
    for secret in (
        init_integration.data[CONF_ACCESS_TOKEN],
        init_integration.data[CONF_REFRESH_TOKEN],
        EMAIL,
        init_integration.unique_id,
    ):
        assert secret not in dumped
    # The emulator's port changes from run to run.
    data = diagnostics["entry"]["data"]
    for key in ("auth_url", "issuer"):
        data[key] = data[key].replace(emulator.base_url, "http://127.0.0.1:<port>")
    assert diagnostics == snapshot
