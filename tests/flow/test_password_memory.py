"""The flow forgets the password as soon as Tesla has accepted it.

Only a captcha step sends the credentials again; from the MFA step on, the password has no
use, and a flow left open at that step must not keep it in memory. Nothing a person sees
tells this apart, so these tests look into the flow object itself.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType

from custom_components.tesla_token.config_flow import TeslaTokenConfigFlow
from emulator import CaptchaMode, Emulator

from .conftest import Secrets
from .helpers import MFA_ACCOUNT, PASSWORD, credentials, start, submit


def flow_object(hass: HomeAssistant, flow_id: str) -> TeslaTokenConfigFlow:
    """The running flow (Home Assistant keeps it in the flow manager's progress)."""
    flow = hass.config_entries.flow._progress[flow_id]
    assert isinstance(flow, TeslaTokenConfigFlow)
    return flow


def holds_password(flow: TeslaTokenConfigFlow) -> bool:
    """Whether any attribute of the flow still holds the password."""
    return any(value == PASSWORD for value in vars(flow).values())


async def test_the_mfa_step_no_longer_holds_the_password(
    hass: HomeAssistant, emulator: Emulator, secrets: Secrets
) -> None:
    """Credentials accepted, MFA asked: the password is gone; the sign-in still finishes."""
    result = await start(hass, "password")
    result = await submit(hass, result, credentials(emulator, MFA_ACCOUNT))
    assert result["step_id"] == "mfa_device"
    assert not holds_password(flow_object(hass, result["flow_id"]))

    options = result["data_schema"].schema["device"].config["options"]
    result = await submit(hass, result, {"device": options[0]["value"]})
    code = emulator.state.totp(MFA_ACCOUNT, "Phone")
    secrets.add(code)
    result = await submit(hass, result, {"code": code})
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_the_captcha_step_keeps_it_until_the_credentials_pass(
    hass: HomeAssistant, emulator: Emulator, secrets: Secrets
) -> None:
    """A captcha (even a wrong answer) needs the password again; once accepted it is gone."""
    account = emulator.state.scenario.account(MFA_ACCOUNT)
    assert account is not None
    account.captcha = CaptchaMode.FIRST_PAGE
    result = await start(hass, "password")
    result = await submit(hass, result, credentials(emulator, MFA_ACCOUNT))
    assert result["step_id"] == "captcha"
    flow = flow_object(hass, result["flow_id"])
    assert holds_password(flow)

    result = await submit(hass, result, {"captcha": "wrong"})
    assert result["errors"] == {"captcha": "captcha_invalid"}
    assert holds_password(flow)

    answer = emulator.state.latest_captcha_answer()
    secrets.add(answer)
    result = await submit(hass, result, {"captcha": answer})
    assert result["step_id"] == "mfa_device"
    assert not holds_password(flow)
