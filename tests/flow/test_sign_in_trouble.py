"""The password sign-in when something goes wrong midway; each test still ends signed in."""

from __future__ import annotations

from unittest.mock import patch

import aiohttp
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest

from emulator import CaptchaMode, Emulator, Fault, FaultKind

from .conftest import Secrets
from .helpers import (
    CAPTCHA_ACCOUNT,
    MFA_ACCOUNT,
    OWNER,
    credentials,
    server,
    start,
    submit,
)


async def test_captcha_asked_after_the_first_post(
    hass: HomeAssistant, emulator: Emulator, secrets: Secrets
) -> None:
    """A captcha Tesla asks for only after the credentials is shown the same way."""
    emulator.state.scenario.captcha = CaptchaMode.AFTER_FIRST_POST
    result = await start(hass, "password")
    result = await submit(hass, result, credentials(emulator))
    assert result["step_id"] == "captcha"
    answer = emulator.state.latest_captcha_answer()
    secrets.add(answer)
    result = await submit(hass, result, {"captcha": answer})
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_wrong_password_noticed_after_the_captcha(
    hass: HomeAssistant, emulator: Emulator, secrets: Secrets
) -> None:
    """A wrong password found out at the captcha goes back to the password form."""
    result = await start(hass, "password")
    result = await submit(hass, result, credentials(emulator, CAPTCHA_ACCOUNT, "wrong"))
    answer = emulator.state.latest_captcha_answer()
    secrets.add(answer)
    result = await submit(hass, result, {"captcha": answer})
    assert result["step_id"] == "password"
    assert result["errors"] == {"base": "invalid_auth"}

    result = await submit(hass, result, credentials(emulator, CAPTCHA_ACCOUNT))
    answer = emulator.state.latest_captcha_answer()
    secrets.add(answer)
    result = await submit(hass, result, {"captcha": answer})
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_captcha_image_unavailable(
    hass: HomeAssistant, emulator: Emulator, secrets: Secrets
) -> None:
    """No captcha image: the sign-in starts over with cannot_connect."""
    emulator.state.set_fault("captcha", Fault(FaultKind.STATUS, status=502))
    result = await start(hass, "password")
    result = await submit(hass, result, credentials(emulator, CAPTCHA_ACCOUNT))
    assert result["step_id"] == "password"
    assert result["errors"] == {"base": "cannot_connect"}

    result = await submit(hass, result, credentials(emulator, CAPTCHA_ACCOUNT))
    answer = emulator.state.latest_captcha_answer()
    secrets.add(answer)
    result = await submit(hass, result, {"captcha": answer})
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_token_exchange_fails(hass: HomeAssistant, emulator: Emulator) -> None:
    """The sign-in passed but the token endpoint failed: start over, then it works."""
    emulator.state.set_fault("token", Fault(FaultKind.DROP))
    result = await start(hass, "password")
    result = await submit(hass, result, credentials(emulator))
    assert result["step_id"] == "password"
    assert result["errors"] == {"base": "cannot_connect"}

    result = await submit(hass, result, credentials(emulator))
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_single_mfa_device_is_chosen_without_asking(
    hass: HomeAssistant, emulator: Emulator, secrets: Secrets
) -> None:
    """With one device the passcode step comes straight away."""
    account = emulator.state.scenario.account(MFA_ACCOUNT)
    assert account is not None
    account.mfa_devices = account.mfa_devices[:1]
    result = await start(hass, "password")
    result = await submit(hass, result, credentials(emulator, MFA_ACCOUNT))
    assert result["step_id"] == "mfa"
    assert result["description_placeholders"] == {"device": "Phone"}
    code = emulator.state.totp(MFA_ACCOUNT, "Phone")
    secrets.add(code)
    result = await submit(hass, result, {"code": code})
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_too_many_wrong_passcodes(
    hass: HomeAssistant, emulator: Emulator, secrets: Secrets
) -> None:
    """After too many wrong passcodes the sign-in starts over with mfa_locked."""
    result = await start(hass, "password")
    result = await submit(hass, result, credentials(emulator, MFA_ACCOUNT))
    watch = result["data_schema"].schema["device"].config["options"][1]["value"]
    result = await submit(hass, result, {"device": watch})
    wrong = f"{(int(emulator.state.totp(MFA_ACCOUNT, 'Watch')) + 1) % 1_000_000:06d}"
    for _ in range(emulator.state.scenario.mfa_max_attempts):
        result = await submit(hass, result, {"code": wrong})
        assert result["errors"] == {"code": "invalid_mfa_code"}
    result = await submit(hass, result, {"code": wrong})
    assert result["step_id"] == "password"
    assert result["errors"] == {"base": "mfa_locked"}

    result = await submit(hass, result, credentials(emulator, MFA_ACCOUNT))
    result = await submit(hass, result, {"device": watch})
    code = emulator.state.totp(MFA_ACCOUNT, "Watch")
    secrets.add(code)
    result = await submit(hass, result, {"code": code})
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_redirect_uri_refused(hass: HomeAssistant, emulator: Emulator) -> None:
    """Tesla refusing the return address says the integration needs an update."""
    emulator.state.scenario.redirect_uris = ["https://example.com/other"]
    result = await start(hass, "password")
    result = await submit(hass, result, credentials(emulator))
    assert result["step_id"] == "password"
    assert result["errors"] == {"base": "redirect_uri_refused"}

    emulator.state.scenario.redirect_uris = ["tesla://auth/callback"]
    result = await submit(hass, result, credentials(emulator))
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_invalid_server_url(hass: HomeAssistant, emulator: Emulator) -> None:
    """A custom server URL that is not usable is refused on the advanced section."""
    result = await start(hass, "password")
    typed = {
        **credentials(emulator),
        "advanced": {"auth_url": "http://sso.example.com"},
    }
    result = await submit(hass, result, typed)
    assert result["step_id"] == "password"
    assert result["errors"] == {"advanced": "invalid_auth_url"}
    assert emulator.state.requests == []

    result = await submit(hass, result, credentials(emulator))
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_unexpected_error_is_logged(
    hass: HomeAssistant,
    emulator: Emulator,
    secrets: Secrets,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Anything unexpected shows `unknown` and is logged with its traceback."""
    token = emulator.state.mint_refresh_token(OWNER)
    secrets.add(token)
    closed = aiohttp.ClientSession()
    await closed.close()  # a session that can no longer send anything
    result = await start(hass, "token")
    with patch(
        "custom_components.tesla_token.config_flow.async_token_session",
        return_value=closed,
    ):
        result = await submit(
            hass, result, {"refresh_token": token, **server(emulator)}
        )
    assert result["errors"] == {"base": "unknown"}
    assert "Unexpected error while talking to Tesla" in caplog.text
    assert "Traceback" in caplog.text

    result = await submit(hass, result, {"refresh_token": token, **server(emulator)})
    assert result["type"] is FlowResultType.CREATE_ENTRY
