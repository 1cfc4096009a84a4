"""Pasting megabytes into a field: refused at once with an error on that field, nothing sent.

Home Assistant's API accepts 16 MB per request. Before the caps, a few kilobytes of blanks in
the callback field blocked the event loop for seconds, and a refresh token or captcha answer
padded with megabytes of blanks went to Tesla.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from emulator import Emulator

from .conftest import Secrets
from .helpers import (
    CAPTCHA_ACCOUNT,
    MFA_ACCOUNT,
    OWNER,
    add_entry,
    browser_sign_in,
    credentials,
    server,
    sso_requests,
    start,
    submit,
)
from .test_reconfigure import start_reconfigure

FLOWS = "/api/config/config_entries/flow"
FOUR_MB = 4 * 1024 * 1024


async def _rest_step(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, method: str
) -> tuple[Any, dict[str, Any]]:
    """A REST client and the form of the chosen sign-in method, as the frontend opens it."""
    assert await async_setup_component(hass, "config", {})
    client = await hass_client()
    response = await client.post(FLOWS, json={"handler": "tesla_token"})
    menu = await response.json()
    response = await client.post(
        f"{FLOWS}/{menu['flow_id']}", json={"next_step_id": method}
    )
    return client, await response.json()


async def _post(client: Any, form: dict[str, Any], data: dict[str, Any]) -> Any:
    response = await client.post(f"{FLOWS}/{form['flow_id']}", json=data)
    assert response.status == HTTPStatus.OK
    return await response.json()


@pytest.mark.timeout(120)  # the old parser took hours on this much text
async def test_a_four_megabyte_paste_into_the_browser_step(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    secrets: Secrets,
) -> None:
    """The real callback with 4 MB of blanks after it: refused, the link stays, then it works."""
    client, form = await _rest_step(hass, hass_client, "browser")
    form = await _post(client, form, server(emulator))  # the emulator: a new link
    link = form["description_placeholders"]["authorize_url"]
    callback = await browser_sign_in(link)

    form = await _post(
        client, form, {"callback_url": callback + " " * FOUR_MB, **server(emulator)}
    )
    assert form["type"] == "form"
    assert form["errors"] == {"callback_url": "input_too_long"}
    assert form["description_placeholders"]["authorize_url"] == link
    assert ("POST", "/oauth2/v3/token") not in sso_requests(emulator)

    done = await _post(client, form, {"callback_url": callback, **server(emulator)})
    assert done["type"] == "create_entry"
    assert done["title"] == OWNER


async def test_a_four_megabyte_paste_into_the_token_step(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    secrets: Secrets,
) -> None:
    """A token lost in 4 MB of blanks is refused without spending it at Tesla."""
    token = emulator.state.mint_refresh_token(OWNER)
    secrets.add(token)
    client, form = await _rest_step(hass, hass_client, "token")

    form = await _post(
        client,
        form,
        {"refresh_token": f"{token}\n" + " " * FOUR_MB, **server(emulator)},
    )
    assert form["type"] == "form"
    assert form["errors"] == {"refresh_token": "input_too_long"}
    assert sso_requests(emulator) == []

    done = await _post(client, form, {"refresh_token": token, **server(emulator)})
    assert done["type"] == "create_entry"


async def test_an_overlong_token_in_reconfigure(
    hass: HomeAssistant, emulator: Emulator, secrets: Secrets
) -> None:
    entry = await add_entry(hass, emulator)
    stored = dict(entry.data)
    token = emulator.state.mint_refresh_token(OWNER)
    secrets.add(token)
    emulator.state.clear_requests()
    result = await start_reconfigure(hass, entry)

    result = await submit(
        hass, result, {"refresh_token": token + "\t" * 20_000, **server(emulator)}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"refresh_token": "input_too_long"}
    assert sso_requests(emulator) == []
    assert dict(entry.data) == stored


async def test_an_overlong_captcha_answer(
    hass: HomeAssistant, emulator: Emulator, secrets: Secrets
) -> None:
    """Refused on the captcha field with a new image; the sign-in goes on."""
    result = await start(hass, "password")
    result = await submit(hass, result, credentials(emulator, CAPTCHA_ACCOUNT))
    assert result["step_id"] == "captcha"
    answer = emulator.state.latest_captcha_answer()
    secrets.add(answer)

    result = await submit(hass, result, {"captcha": answer + " " * 1000})
    assert result["step_id"] == "captcha"
    assert result["errors"] == {"captcha": "input_too_long"}
    assert ("POST", "/oauth2/v3/authorize") not in sso_requests(emulator)[1:]
    assert sso_requests(emulator).count(("GET", "/oauth2/v3/captcha")) == 2

    answer = emulator.state.latest_captcha_answer()
    secrets.add(answer)
    result = await submit(hass, result, {"captcha": answer})
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_an_overlong_mfa_code(
    hass: HomeAssistant, emulator: Emulator, secrets: Secrets
) -> None:
    """A passcode with a megabyte of dashes is no code; Tesla is not asked."""
    result = await start(hass, "password")
    result = await submit(hass, result, credentials(emulator, MFA_ACCOUNT))
    devices = result["data_schema"].schema["device"].config["options"]
    result = await submit(hass, result, {"device": devices[0]["value"]})
    assert result["step_id"] == "mfa"
    served = len(emulator.state.requests)
    code = emulator.state.totp(MFA_ACCOUNT, "Phone")
    secrets.add(code)

    result = await submit(hass, result, {"code": code + "-" * 1_000_000})
    assert result["errors"] == {"code": "invalid_mfa_code"}
    assert len(emulator.state.requests) == served
