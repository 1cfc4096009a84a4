"""A sign-in left unfinished is cleaned up: Tesla is told, and the session is released."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType

from emulator import Emulator

from .helpers import MFA_ACCOUNT, credentials, start, submit


def cancel_requests(emulator: Emulator) -> list[str]:
    return [
        record.path
        for record in emulator.state.requests
        if record.method == "POST" and set(record.form) == {"transaction_id", "cancel"}
    ]


async def test_closing_the_dialog_midway_cancels_the_sign_in(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """Closed at the passcode step: the transaction is cancelled at Tesla."""
    result = await start(hass, "password")
    result = await submit(hass, result, credentials(emulator, MFA_ACCOUNT))
    assert result["step_id"] == "mfa_device"

    hass.config_entries.flow.async_abort(result["flow_id"])
    await hass.async_block_till_done(wait_background_tasks=True)

    assert cancel_requests(emulator) == ["/oauth2/v3/authorize"]
    assert hass.config_entries.flow.async_progress() == []


async def test_a_finished_sign_in_cancels_nothing(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """A completed sign-in has nothing to cancel."""
    result = await start(hass, "password")
    result = await submit(hass, result, credentials(emulator))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)
    assert cancel_requests(emulator) == []
