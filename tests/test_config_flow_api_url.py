"""The API server URL of the config flow's Advanced section, in every form that shows it.

With a custom sign-in server, the API check after each refresh goes to the API server typed
there, else to the sign-in server's origin (the emulator serves both). Every test talks to the
emulator over real HTTP, as the other config flow tests do.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from homeassistant.config_entries import ConfigEntry, ConfigFlowResult
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest

from custom_components.tesla_token.const import DOMAIN
from emulator import Emulator

from .flow_helpers import (
    FLOWS,
    OWNER,
    PASSWORD,
    FlowDriver,
    RestFlow,
    browser_sign_in,
    credentials,
    section_default,
    server,
    suggested,
)
from .frontend import initial_data, submitted


def api_server(emulator: Emulator, host: str = "localhost") -> str:
    """The emulator's origin under another name: an API server apart from the sign-in one."""
    return f"http://{host}:{urlsplit(emulator.base_url).port}"


def with_api(emulator: Emulator, api_url: str, **fields: Any) -> dict[str, Any]:
    """A form's fields with the emulator as sign-in server and this API server URL."""
    return {
        **fields,
        "region": "global",
        "advanced": {"auth_url": emulator.global_sso, "api_url": api_url},
    }


def link(result: ConfigFlowResult) -> str | None:
    """The sign-in link a form shows (the browser step's only)."""
    return (result["description_placeholders"] or {}).get("authorize_url")


async def add_entry(flow: FlowDriver, emulator: Emulator, api_url: str) -> ConfigEntry:
    """An entry signed in with email and password and this API server URL."""
    result = await flow.start("password")
    result = await flow.submit(
        result, with_api(emulator, api_url, email=OWNER, password=PASSWORD)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    return result["result"]


# --- Set up --------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["password", "token"])
async def test_a_typed_api_server_is_stored(
    flow: FlowDriver, emulator: Emulator, method: str
) -> None:
    """The typed API server is stored as its origin: lower-case, without a trailing slash."""
    typed = f" HTTP://LocalHost:{urlsplit(emulator.base_url).port}/ "
    fields = {
        "password": {"email": OWNER, "password": PASSWORD},
        "token": {"refresh_token": emulator.state.mint_refresh_token(OWNER)},
    }[method]
    result = await flow.start(method)
    result = await flow.submit(result, with_api(emulator, typed, **fields))

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["api_url"] == api_server(emulator)
    assert result["data"]["auth_url"] == emulator.global_sso


async def test_without_an_api_server_the_default_is_stored(
    flow: FlowDriver, emulator: Emulator
) -> None:
    """Left empty, nothing is stored: the default (the sign-in server's origin) applies."""
    result = await flow.start("token")
    token = emulator.state.mint_refresh_token(OWNER)
    result = await flow.submit(result, with_api(emulator, "", refresh_token=token))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["api_url"] is None


@pytest.mark.parametrize(
    ("method", "advanced", "error"),
    [
        ("password", {"api_url": "https://owner-api.example.com/api/1"}, "invalid_api_url"),
        ("browser", {"api_url": "http://owner-api.example.com"}, "invalid_api_url"),
        ("token", {"api_url": "ftp://owner-api.example.com"}, "invalid_api_url"),
        ("token", {"api_url": "https://owner-api.example.com?x=1"}, "invalid_api_url"),
        ("password", {"api_url": "https://owner-api.example.com"}, "api_url_without_auth_url"),
        ("browser", {"api_url": "https://owner-api.example.com"}, "api_url_without_auth_url"),
        ("token", {"api_url": "https://owner-api.example.com"}, "api_url_without_auth_url"),
    ],
)  # fmt: skip
async def test_an_unusable_api_server_url(
    flow: FlowDriver,
    emulator: Emulator,
    method: str,
    advanced: dict[str, str],
    error: str,
) -> None:
    """Refused on the Advanced section before any request, and shown again as typed; the
    form then goes through with a usable one.
    """
    if error == "invalid_api_url":
        advanced = {"auth_url": emulator.global_sso, **advanced}
    form = {
        "password": credentials(emulator),
        "browser": server(emulator),
        "token": {
            "refresh_token": emulator.state.mint_refresh_token(OWNER),
            **server(emulator),
        },
    }[method]
    result = await flow.start(method)
    shown_link = link(result)

    result = await flow.submit(result, {**form, "advanced": advanced})
    assert result["step_id"] == method
    assert result["errors"] == {"advanced": error}
    assert suggested(result)["advanced"] == advanced
    assert link(result) == shown_link
    assert emulator.state.requests == []

    result = await flow.submit(result, with_api(emulator, api_server(emulator), **form))
    if method == "browser":  # the new sign-in server first needs a new link
        assert result["errors"] == {"base": "auth_link_changed"}
        callback = await browser_sign_in(link(result) or "")
        result = await flow.submit(
            result, with_api(emulator, api_server(emulator), callback_url=callback)
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["api_url"] == api_server(emulator)


async def test_another_api_server_keeps_the_browser_link(
    flow: FlowDriver, emulator: Emulator
) -> None:
    """Typing an API server with the pasted address finishes: the sign-in server is the same,
    so the link the address came from is still the one the flow waits for.
    """
    result = await flow.start("browser")
    result = await flow.submit(result, server(emulator))
    assert result["errors"] == {"base": "auth_link_changed"}

    callback = await browser_sign_in(link(result) or "")
    result = await flow.submit(
        result, with_api(emulator, api_server(emulator), callback_url=callback)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["api_url"] == api_server(emulator)


# --- Forms shown again, as the frontend fills them -------------------------------------------


async def test_a_password_form_shown_again_keeps_the_api_server(
    hass: HomeAssistant, rest: RestFlow, emulator: Emulator
) -> None:
    """A wrong password, then the right one in the form the frontend fills again: the API
    server typed the first time is stored.
    """
    form = await rest.open("password")
    wrong = with_api(
        emulator, api_server(emulator), email=OWNER, password="not-the-password"
    )
    form = await rest.submit(form, wrong)
    assert form["errors"] == {"base": "invalid_auth"}
    assert section_default(form) == wrong["advanced"]

    retry = initial_data(form["data_schema"])
    assert retry["advanced"] == wrong["advanced"]
    retry["password"] = PASSWORD  # a password is never shown again: typed anew
    done = await rest.submit(form, submitted(retry))

    assert done["type"] == "create_entry"
    [entry] = hass.config_entries.async_entries(DOMAIN)
    assert entry.data["api_url"] == api_server(emulator)


async def test_a_refused_api_server_is_shown_again_to_be_corrected(
    hass: HomeAssistant, rest: RestFlow, emulator: Emulator
) -> None:
    """The form shown after the error holds what was typed; corrected, it goes through."""
    form = await rest.open("token")
    typed = with_api(
        emulator,
        "https://owner-api.example.com/api/1",
        refresh_token=emulator.state.mint_refresh_token(OWNER),
    )
    form = await rest.submit(form, typed)
    assert form["errors"] == {"advanced": "invalid_api_url"}
    assert section_default(form) == typed["advanced"]

    retry = initial_data(form["data_schema"])
    retry["advanced"]["api_url"] = api_server(emulator)
    retry["refresh_token"] = typed["refresh_token"]  # never shown again: pasted anew
    done = await rest.submit(form, submitted(retry))

    assert done["type"] == "create_entry"
    [entry] = hass.config_entries.async_entries(DOMAIN)
    assert entry.data["api_url"] == api_server(emulator)


async def test_the_browser_form_shown_again_keeps_the_api_server(
    hass: HomeAssistant, rest: RestFlow, emulator: Emulator
) -> None:
    """Choosing both servers renews the link; the form shown again keeps both to the end."""
    form = await rest.open("browser")
    typed = initial_data(form["data_schema"])
    typed["advanced"] = with_api(emulator, api_server(emulator))["advanced"]
    form = await rest.submit(form, submitted(typed))
    assert form["errors"] == {"base": "auth_link_changed"}
    assert section_default(form) == typed["advanced"]

    callback = await browser_sign_in(form["description_placeholders"]["authorize_url"])
    pasted = initial_data(form["data_schema"]) | {"callback_url": callback}
    done = await rest.submit(form, submitted(pasted))

    assert done["type"] == "create_entry"
    [entry] = hass.config_entries.async_entries(DOMAIN)
    assert entry.data["api_url"] == api_server(emulator)


# --- Reauth and reconfigure ------------------------------------------------------------------


async def test_reauth_shows_and_keeps_the_entry_api_server(
    hass: HomeAssistant, flow: FlowDriver, emulator: Emulator
) -> None:
    """Signing in again starts from the entry's servers, the API server among them."""
    entry = await add_entry(flow, emulator, api_server(emulator))
    await hass.async_block_till_done()
    emulator.state.revoke(OWNER)

    result = await flow.start_reauth(entry)
    result = await flow.submit(result, {"next_step_id": "password"})
    assert suggested(result)["advanced"] == {
        "auth_url": emulator.global_sso,
        "api_url": api_server(emulator),
    }
    shown = {"email": OWNER, "password": PASSWORD, **suggested(result)}
    result = await flow.submit(result, shown)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data["api_url"] == api_server(emulator)


async def test_reconfigure_changes_the_api_server(
    hass: HomeAssistant, flow: FlowDriver, emulator: Emulator
) -> None:
    """Reconfigure shows the API server, refuses an unusable one (spending no token), stores
    another one, and clears it.
    """
    entry = await add_entry(flow, emulator, api_server(emulator))
    await hass.async_block_till_done()
    data = dict(entry.data)
    emulator.state.clear_requests()

    result = await flow.start_reconfigure(entry)
    assert suggested(result)["advanced"] == {
        "auth_url": emulator.global_sso,
        "api_url": api_server(emulator),
    }
    result = await flow.submit(result, with_api(emulator, "https://"))
    assert result["errors"] == {"advanced": "invalid_api_url"}
    assert dict(entry.data) == data
    assert emulator.state.requests == []

    other = api_server(emulator, "127.0.0.1")
    result = await flow.submit(result, with_api(emulator, f"{other}/"))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["api_url"] == other
    await hass.async_block_till_done()

    result = await flow.start_reconfigure(entry)
    result = await flow.submit(result, server(emulator))
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["api_url"] is None


async def test_reconfigure_shows_the_api_server_to_the_frontend(
    hass: HomeAssistant, flow: FlowDriver, rest: RestFlow, emulator: Emulator
) -> None:
    """Saving the reconfigure form unchanged keeps the entry's API server."""
    entry = await add_entry(flow, emulator, api_server(emulator))
    await hass.async_block_till_done()
    form = await rest.post(FLOWS, {"handler": DOMAIN, "entry_id": entry.entry_id})
    assert form["step_id"] == "reconfigure"
    assert section_default(form) == {
        "auth_url": emulator.global_sso,
        "api_url": api_server(emulator),
    }

    done = await rest.submit(form, submitted(initial_data(form["data_schema"])))

    assert done["type"] == "abort"
    assert done["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.data["api_url"] == api_server(emulator)


async def test_an_entry_stored_before_the_api_server_field(
    hass: HomeAssistant, flow: FlowDriver, emulator: Emulator
) -> None:
    """An entry without the key (as entry version 1.2 stores it) shows an empty field and keeps
    the default when saved unchanged.
    """
    entry = await add_entry(flow, emulator, "")
    await hass.async_block_till_done()
    old = {key: value for key, value in entry.data.items() if key != "api_url"}
    hass.config_entries.async_update_entry(entry, data=old)

    result = await flow.start_reconfigure(entry)
    assert suggested(result)["advanced"] == {
        "auth_url": emulator.global_sso,
        "api_url": None,
    }
    result = await flow.submit(result, server(emulator))
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["api_url"] is None
