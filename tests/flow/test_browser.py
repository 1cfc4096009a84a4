"""Signing in with the person's own browser and pasting the callback address back."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType

from custom_components.tesla_token.const import DEFAULT_OPTIONS
from emulator import Emulator, Fault, FaultKind

from .conftest import Secrets
from .helpers import OWNER, account_sub, browser_sign_in, server, start, submit


def authorize_url(result: dict[str, object]) -> str:
    """The sign-in link the browser step shows."""
    return result["description_placeholders"]["authorize_url"]  # type: ignore[index]


def pasted(callback: str, emulator: Emulator) -> dict[str, object]:
    """The browser form with the callback address pasted in."""
    return {"callback_url": callback, **server(emulator)}


async def open_browser_step(
    hass: HomeAssistant, emulator: Emulator
) -> dict[str, object]:
    """The browser step, switched to the emulator (which renews the link)."""
    result = await start(hass, "browser")
    assert result["step_id"] == "browser"
    assert authorize_url(result).startswith(
        "https://auth.tesla.com/oauth2/v3/authorize?"
    )
    result = await submit(hass, result, server(emulator))
    assert result["errors"] == {"base": "auth_link_changed"}
    assert authorize_url(result).startswith(f"{emulator.global_sso}/authorize?")
    return result


async def test_browser_sign_in_with_the_real_callback(
    hass: HomeAssistant, emulator: Emulator, secrets: Secrets
) -> None:
    """The address the emulator redirects to, pasted back, creates the entry."""
    result = await open_browser_step(hass, emulator)
    assert (
        result["description_placeholders"]["callback_prefix"] == "tesla://auth/callback"
    )

    callback = await browser_sign_in(authorize_url(result))
    assert callback.startswith("tesla://auth/callback?")
    secrets.add(parse_qs(urlsplit(callback).query)["code"][0])
    result = await submit(hass, result, pasted(callback, emulator))

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == OWNER
    assert result["result"].unique_id == account_sub(emulator, OWNER)
    assert result["data"]["issuer"] == emulator.global_sso
    assert result["data"]["auth_url"] == emulator.global_sso
    assert result["result"].options == DEFAULT_OPTIONS


async def test_console_line_and_a_retry_keep_the_same_link(
    hass: HomeAssistant, emulator: Emulator, secrets: Secrets
) -> None:
    """A wrong paste keeps the link; the browser console's line is understood."""
    result = await open_browser_step(hass, emulator)
    link = authorize_url(result)

    result = await submit(
        hass, result, pasted("https://example.com/not-the-callback", emulator)
    )
    assert result["errors"] == {"callback_url": "invalid_callback_url"}
    assert authorize_url(result) == link
    result = await submit(hass, result, server(emulator))  # nothing pasted
    assert result["errors"] == {"callback_url": "invalid_callback_url"}
    assert authorize_url(result) == link

    callback = await browser_sign_in(link)
    secrets.add(parse_qs(urlsplit(callback).query)["code"][0])
    console = f"Failed to launch '{callback}' because the scheme does not have a registered handler."
    result = await submit(hass, result, pasted(console, emulator))
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_callback_of_another_sign_in(
    hass: HomeAssistant, emulator: Emulator, secrets: Secrets
) -> None:
    """A callback whose state is not this sign-in's is refused without using its code."""
    result = await open_browser_step(hass, emulator)
    callback = await browser_sign_in(authorize_url(result))
    secrets.add(parse_qs(urlsplit(callback).query)["code"][0])
    state = parse_qs(urlsplit(callback).query)["state"][0]

    result = await submit(
        hass, result, pasted(callback.replace(state, "another-state"), emulator)
    )
    assert result["errors"] == {"callback_url": "state_mismatch"}

    result = await submit(hass, result, pasted(callback, emulator))
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_expired_code_then_a_fresh_one(
    hass: HomeAssistant,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
    secrets: Secrets,
) -> None:
    """A code pasted too late is refused; signing in again with the same link works."""
    result = await open_browser_step(hass, emulator)
    callback = await browser_sign_in(authorize_url(result))
    secrets.add(parse_qs(urlsplit(callback).query)["code"][0])
    freezer.tick(emulator.state.scenario.code_lifetime + 1)

    result = await submit(hass, result, pasted(callback, emulator))
    assert result["errors"] == {"callback_url": "code_expired"}

    callback = await browser_sign_in(authorize_url(result))
    secrets.add(parse_qs(urlsplit(callback).query)["code"][0])
    result = await submit(hass, result, pasted(callback, emulator))
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_cancelled_sign_in(
    hass: HomeAssistant, emulator: Emulator, secrets: Secrets
) -> None:
    """A callback that carries an error (the sign-in was cancelled) explains itself."""
    result = await open_browser_step(hass, emulator)
    state = parse_qs(urlsplit(authorize_url(result)).query)["state"][0]
    cancelled = f"tesla://auth/callback?error=login_cancelled&state={state}"

    result = await submit(hass, result, pasted(cancelled, emulator))
    assert result["errors"] == {"callback_url": "callback_error"}

    callback = await browser_sign_in(authorize_url(result))
    secrets.add(parse_qs(urlsplit(callback).query)["code"][0])
    result = await submit(hass, result, pasted(callback, emulator))
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_invalid_server_url(
    hass: HomeAssistant, emulator: Emulator, secrets: Secrets
) -> None:
    """Plain http to another machine is refused on the advanced section."""
    result = await start(hass, "browser")
    link = authorize_url(result)
    result = await submit(
        hass,
        result,
        {
            "region": "global",
            "advanced": {"auth_url": "http://sso.example.com/oauth2/v3"},
        },
    )
    assert result["errors"] == {"advanced": "invalid_auth_url"}
    assert authorize_url(result) == link

    result = await submit(hass, result, server(emulator))
    callback = await browser_sign_in(authorize_url(result))
    secrets.add(parse_qs(urlsplit(callback).query)["code"][0])
    result = await submit(hass, result, pasted(callback, emulator))
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_code_used_by_an_answer_that_got_lost(
    hass: HomeAssistant, emulator: Emulator, secrets: Secrets
) -> None:
    """The answer to the exchange was cut off; pasting the same address again finds the
    code already used, and a fresh sign-in with the same link completes.
    """
    result = await open_browser_step(hass, emulator)
    callback = await browser_sign_in(authorize_url(result))
    secrets.add(parse_qs(urlsplit(callback).query)["code"][0])
    emulator.state.set_fault("token", Fault(FaultKind.TRUNCATED))

    result = await submit(hass, result, pasted(callback, emulator))
    assert result["errors"] == {"base": "cannot_connect"}
    result = await submit(hass, result, pasted(callback, emulator))
    assert result["errors"] == {"callback_url": "code_expired"}

    callback = await browser_sign_in(authorize_url(result))
    secrets.add(parse_qs(urlsplit(callback).query)["code"][0])
    result = await submit(hass, result, pasted(callback, emulator))
    assert result["type"] is FlowResultType.CREATE_ENTRY
