"""Diagnostics tell what happened without a single secret."""

from __future__ import annotations

import json

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_ACCESS_TOKEN
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.tesla_token.const import CONF_REFRESH_TOKEN
from emulator import Emulator
from tests.helpers import EMAIL

# hass_client signs its requests: the clock must be frozen before it is made.
pytestmark = pytest.mark.usefixtures("frozen_time")


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


async def test_diagnostics_of_an_entry_whose_setup_failed(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Tesla refused the token at setup: the download works and holds what the entry holds."""
    emulator.state.revoke(EMAIL)
    # Stored 7 hours ago: due at setup (the clock stays, so the test client stays signed in).
    data = mock_config_entry.data
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry,
        data={
            **data,
            "issued_at": data["issued_at"] - 7 * 3600,
            "expires_at": data["expires_at"] - 7 * 3600,
        },
    )
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR

    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, mock_config_entry
    )

    assert diagnostics["state"] is None
    assert diagnostics["entry"]["state"] == "setup_error"
    assert diagnostics["entry"]["options"] == dict(mock_config_entry.options)
    data = diagnostics["entry"]["data"]
    assert data[CONF_ACCESS_TOKEN] == data[CONF_REFRESH_TOKEN] == "**REDACTED**"
    assert data["expires_at"] == mock_config_entry.data["expires_at"]
    assert "clock_offset_seconds" in diagnostics
    for secret in (EMAIL, mock_config_entry.unique_id):
        assert secret not in json.dumps(diagnostics)
