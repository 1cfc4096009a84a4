"""The flow over Home Assistant's REST API, as the frontend drives it."""

from __future__ import annotations

from http import HTTPStatus

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from emulator import Emulator

from .helpers import OWNER, credentials

FLOWS = "/api/config/config_entries/flow"


async def test_password_sign_in_over_the_rest_api(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, emulator: Emulator
) -> None:
    """Menu, the serialized password form (with its collapsed section), then the entry."""
    assert await async_setup_component(hass, "config", {})
    client = await hass_client()

    response = await client.post(FLOWS, json={"handler": "tesla_token"})
    assert response.status == HTTPStatus.OK
    menu = await response.json()
    assert menu["type"] == "menu"
    assert menu["menu_options"] == ["password", "browser", "token"]

    response = await client.post(
        f"{FLOWS}/{menu['flow_id']}", json={"next_step_id": "password"}
    )
    form = await response.json()
    assert form["step_id"] == "password"
    fields = {field["name"]: field for field in form["data_schema"]}
    assert fields["email"]["selector"]["text"]["type"] == "email"
    assert fields["password"]["selector"]["text"]["type"] == "password"
    assert fields["region"]["selector"]["select"]["translation_key"] == "region"
    assert fields["advanced"]["type"] == "expandable"
    assert fields["advanced"]["expanded"] is False
    assert [field["name"] for field in fields["advanced"]["schema"]] == ["auth_url"]

    response = await client.post(
        f"{FLOWS}/{form['flow_id']}", json=credentials(emulator)
    )
    assert response.status == HTTPStatus.OK
    done = await response.json()
    assert done["type"] == "create_entry"
    assert done["title"] == OWNER
    assert "data" not in done  # the API never hands the tokens out
