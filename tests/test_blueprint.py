"""The "token problem" blueprint notifies when the token needs attention."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
import shutil

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_mock_service,
)

from emulator import Emulator, Fault, FaultKind
from tests.helpers import EMAIL, EXPIRES, STATUS, advance, advance_in_steps

BLUEPRINT = (
    Path(__file__).parents[1]
    / "blueprints"
    / "automation"
    / "tesla_token"
    / "token_problem.yaml"
)


@pytest.fixture
async def notifications(
    hass: HomeAssistant, tmp_path: Path, init_integration: MockConfigEntry
) -> list[ServiceCall]:
    """An automation from the blueprint, sending to a mock notify action."""
    hass.config.config_dir = str(tmp_path)
    target = tmp_path / "blueprints" / "automation" / "tesla_token"
    target.mkdir(parents=True)
    shutil.copy(BLUEPRINT, target / BLUEPRINT.name)
    calls = async_mock_service(hass, "notify", "phone")
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "use_blueprint": {
                    "path": "tesla_token/token_problem.yaml",
                    "input": {
                        "status_sensor": STATUS,
                        "expiry_sensor": EXPIRES,
                        "notify_action": "notify.phone",
                        "warning_minutes": 30,
                    },
                }
            }
        },
    )
    await hass.async_block_till_done()
    return calls


async def test_quiet_while_healthy(
    hass: HomeAssistant,
    frozen_time: FrozenDateTimeFactory,
    notifications: list[ServiceCall],
) -> None:
    """Normal refreshes never notify."""
    await advance_in_steps(
        hass, frozen_time, timedelta(hours=16), timedelta(minutes=10)
    )

    assert notifications == []


async def test_notifies_when_status_leaves_valid_and_before_expiry(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    notifications: list[ServiceCall],
) -> None:
    """A failing refresh notifies at once, and again shortly before the token expires."""
    emulator.state.set_fault("token", Fault(FaultKind.STATUS, status=500, count=None))

    await advance(hass, frozen_time, timedelta(hours=6))
    assert len(notifications) == 1
    assert notifications[0].data["title"] == "Tesla token"
    assert EMAIL in notifications[0].data["message"]
    assert "Refresh failing" in notifications[0].data["message"]

    await advance_in_steps(
        hass, frozen_time, timedelta(minutes=95), timedelta(minutes=1)
    )
    assert len(notifications) == 2
    assert "has not been refreshed" in notifications[1].data["message"]


async def test_notifies_when_sign_in_is_needed(
    hass: HomeAssistant,
    emulator: Emulator,
    frozen_time: FrozenDateTimeFactory,
    notifications: list[ServiceCall],
) -> None:
    """A revoked token notifies once."""
    emulator.state.revoke(EMAIL)

    await advance(hass, frozen_time, timedelta(hours=6))

    assert len(notifications) == 1
    assert "Sign-in required" in notifications[0].data["message"]
