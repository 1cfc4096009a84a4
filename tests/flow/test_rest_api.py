"""The flow over Home Assistant's REST API, as the frontend drives it."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiohttp.test_utils import TestClient
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from emulator import Emulator

from .conftest import Secrets
from .frontend import initial_data, submitted
from .helpers import OWNER, PASSWORD, add_entry, browser_sign_in, credentials

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


async def _post(client: TestClient, path: str, payload: dict[str, Any]) -> Any:
    """POST to the flow API as the frontend does; the answer's JSON."""
    response = await client.post(path, json=payload)
    assert response.status == HTTPStatus.OK, await response.text()
    return await response.json()


async def _open(client: TestClient, method: str) -> Any:
    """A new flow's form for one sign-in method, as the frontend gets it."""
    menu = await _post(client, FLOWS, {"handler": "tesla_token"})
    return await _post(client, f"{FLOWS}/{menu['flow_id']}", {"next_step_id": method})


def _section_default(form: dict[str, Any]) -> Any:
    """The default the serialised form gives its Advanced section (None: no default)."""
    fields = {field["name"]: field for field in form["data_schema"]}
    return fields["advanced"].get("default")


async def test_a_password_form_shown_again_keeps_the_chosen_server(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, emulator: Emulator
) -> None:
    """A wrong password, then the right one in the form the frontend fills again: signed in.

    The frontend fills a section from its default alone; an empty default sent the retry to
    Tesla's own server.
    """
    assert await async_setup_component(hass, "config", {})
    client = await hass_client()
    form = await _open(client, "password")
    form = await _post(
        client,
        f"{FLOWS}/{form['flow_id']}",
        credentials(emulator, password="not-the-password"),
    )
    assert form["errors"] == {"base": "invalid_auth"}
    assert _section_default(form) == {"auth_url": emulator.global_sso}

    retry = initial_data(form["data_schema"])
    assert retry["advanced"] == {"auth_url": emulator.global_sso}
    retry["password"] = PASSWORD  # a password is never shown again: typed anew
    done = await _post(client, f"{FLOWS}/{form['flow_id']}", submitted(retry))

    assert done["type"] == "create_entry"
    assert done["title"] == OWNER


async def test_the_browser_path_with_a_custom_server_finishes(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    secrets: Secrets,
) -> None:
    """Choosing the server renews the link; the form shown again keeps that server.

    With the server forgotten, pasting the callback "changed" the server once more, renewed
    the link again, and the sign-in could never finish.
    """
    assert await async_setup_component(hass, "config", {})
    client = await hass_client()
    form = await _open(client, "browser")
    typed = initial_data(form["data_schema"])
    typed["advanced"] = {"auth_url": emulator.global_sso}
    form = await _post(client, f"{FLOWS}/{form['flow_id']}", submitted(typed))
    assert form["errors"] == {"base": "auth_link_changed"}
    link = form["description_placeholders"]["authorize_url"]
    assert link.startswith(f"{emulator.global_sso}/authorize?")
    assert _section_default(form) == {"auth_url": emulator.global_sso}

    callback = await browser_sign_in(link)
    secrets.add(parse_qs(urlsplit(callback).query)["code"][0])
    pasted = initial_data(form["data_schema"]) | {"callback_url": callback}
    done = await _post(client, f"{FLOWS}/{form['flow_id']}", submitted(pasted))

    assert done["type"] == "create_entry"
    assert done["title"] == OWNER


async def test_reconfigure_shows_the_entry_server_to_the_frontend(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, emulator: Emulator
) -> None:
    """Saving the reconfigure form unchanged keeps the entry's own sign-in server."""
    assert await async_setup_component(hass, "config", {})
    entry = await add_entry(hass, emulator)
    client = await hass_client()
    form = await _post(
        client, FLOWS, {"handler": "tesla_token", "entry_id": entry.entry_id}
    )
    assert form["step_id"] == "reconfigure"
    assert _section_default(form) == {"auth_url": emulator.global_sso}

    unchanged = submitted(initial_data(form["data_schema"]))
    done = await _post(client, f"{FLOWS}/{form['flow_id']}", unchanged)

    assert done["type"] == "abort"
    assert done["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.data["auth_url"] == emulator.global_sso
