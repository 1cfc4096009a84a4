"""The README's way for other tools to get the access token: Home Assistant's REST API.

Each test makes the README's `curl` call (POST /api/services/tesla_token/get_access_token
?return_response with a bearer token) through Home Assistant's real HTTP server, and reads the
answer where the README says it is.
"""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus
import json
from pathlib import Path
from typing import Any

from homeassistant.auth.models import TOKEN_TYPE_LONG_LIVED_ACCESS_TOKEN
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.tesla_token.const import (
    CONF_ACCESS_TOKEN,
    CONF_ALLOW_TOKEN_ACTION,
    DEFAULT_OPTIONS,
)
from emulator import Emulator
from tests.lifecycle.helpers import token_requests

ALLOWED = {**DEFAULT_OPTIONS, CONF_ALLOW_TOKEN_ACTION: True}
# The README's URL path and query.
URL = "/api/services/tesla_token/get_access_token?return_response"


async def long_lived_token(hass: HomeAssistant, user: MockUser) -> str:
    """A long-lived access token of `user`, as its profile page creates one."""
    refresh_token = await hass.auth.async_create_refresh_token(
        user,
        client_name="tesla token readme",
        token_type=TOKEN_TYPE_LONG_LIVED_ACCESS_TOKEN,
        access_token_expiration=timedelta(days=3650),
    )
    return hass.auth.async_create_access_token(refresh_token)


async def call(
    hass: HomeAssistant,
    client_factory: ClientSessionGenerator,
    user: MockUser,
    entry: MockConfigEntry,
) -> tuple[int, Any]:
    """POST the README's request as `user`; the HTTP status and the answer (JSON or text)."""
    assert await async_setup_component(hass, "api", {})
    client = await client_factory(await long_lived_token(hass, user))
    response = await client.post(URL, json={"config_entry_id": entry.entry_id})
    text = await response.text()
    if response.content_type == "application/json":
        return response.status, json.loads(text)
    return response.status, text


@pytest.mark.parametrize("entry_options", [ALLOWED])
async def test_an_administrators_token_gets_the_access_token(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    hass_admin_user: MockUser,
    emulator: Emulator,
    init_integration: MockConfigEntry,
) -> None:
    """The answer holds the token at .service_response.access_token (the README's jq path)."""
    status, body = await call(hass, hass_client, hass_admin_user, init_integration)

    assert status == HTTPStatus.OK
    assert set(body) == {"changed_states", "service_response"}
    response = body["service_response"]
    assert response["access_token"] == init_integration.data[CONF_ACCESS_TOKEN]
    assert response["token_type"] == "Bearer"
    assert response["expires_at"]
    # A valid token is handed out as it is: asking for it sends nothing to Tesla.
    assert token_requests(emulator) == 0


@pytest.mark.parametrize("entry_options", [ALLOWED])
async def test_a_non_administrators_token_is_refused(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    hass_read_only_user: MockUser,
    init_integration: MockConfigEntry,
) -> None:
    """The README says an administrator's token is needed: anyone else gets 401."""
    status, body = await call(hass, hass_client, hass_read_only_user, init_integration)

    assert status == HTTPStatus.UNAUTHORIZED
    assert init_integration.data[CONF_ACCESS_TOKEN] not in str(body)


async def test_without_the_option_the_answer_says_to_turn_it_on(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    hass_admin_user: MockUser,
    init_integration: MockConfigEntry,
) -> None:
    """The option is off by default: 400, with a message that says to turn it on."""
    status, body = await call(hass, hass_client, hass_admin_user, init_integration)

    assert status == HTTPStatus.BAD_REQUEST
    assert "is turned off. Turn it on in the options" in body["message"]
    assert init_integration.data[CONF_ACCESS_TOKEN] not in str(body)


def test_the_readme_shows_this_call() -> None:
    """The tests above make the call the README documents, and read where it says."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
    assert f'"http://homeassistant.local:8123{URL}"' in readme
    assert "jq -r .service_response.access_token" in readme
    assert '-H "Authorization: Bearer $HA_TOKEN"' in readme
