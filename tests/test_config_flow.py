"""Tests of the config flow: the three ways to sign in, signing in again, and reconfiguring.

Every test talks to the emulator over real HTTP; the `flow` driver shows every result to the leak
guard and checks that what it shows is translated. Each error a test provokes is followed by
the step that gets the person through.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from datetime import timedelta
import secrets as random
from typing import Any
from unittest.mock import patch
from urllib.parse import parse_qs, urlsplit

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntry, ConfigEntryState, ConfigFlowResult
from homeassistant.const import CONF_ACCESS_TOKEN
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.tesla_token.config_flow import TeslaTokenConfigFlow
from custom_components.tesla_token.const import (
    CONF_REFRESH_TOKEN,
    DEFAULT_OPTIONS,
    DOMAIN,
)
from custom_components.tesla_token.sso import AiohttpTransport
from custom_components.tesla_token.token_store import token_store
from emulator import (
    Account,
    CaptchaMode,
    Emulator,
    Fault,
    FaultKind,
    MfaDevice,
    RefreshRotation,
    WafMode,
)

from .flow_helpers import (
    CAPTCHA_ACCOUNT,
    CHINA_ACCOUNT,
    FLOWS,
    MFA_ACCOUNT,
    OWNER,
    PASSWORD,
    FlowDriver,
    RestFlow,
    account_sub,
    browser_sign_in,
    credentials,
    section_default,
    server,
    sso_requests,
    suggested,
)
from .frontend import initial_data, literal_text, submitted

# --- Email and password --------------------------------------------------------------------

CAPTCHA_IMAGE_PREFIX = "![captcha](data:image/svg+xml;base64,"


def captcha_svg(result: ConfigFlowResult) -> bytes:
    """The SVG shown inline in the captcha step's description."""
    markdown = result["description_placeholders"]["captcha_image"]  # type: ignore[index]
    assert markdown.startswith(CAPTCHA_IMAGE_PREFIX) and markdown.endswith(")")
    return base64.b64decode(markdown.removeprefix(CAPTCHA_IMAGE_PREFIX)[:-1])


async def test_plain_sign_in_creates_the_entry(
    hass: HomeAssistant, flow: FlowDriver, emulator: Emulator
) -> None:
    """Email and password alone: one entry with the tokens, never the password."""
    result = await flow.start("password")
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "password"
    assert result["errors"] == {}

    result = await flow.submit(result, credentials(emulator))

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == OWNER
    entry = result["result"]
    assert entry.unique_id == account_sub(emulator, OWNER)
    assert entry.options == DEFAULT_OPTIONS
    assert set(entry.data) == {
        "email", "region", "auth_url", "api_url", "issuer", "access_token",
        "refresh_token", "expires_at", "issued_at", "refresh_token_issued_at",
        "connection", "api_access", "api_checked_at", "api_round_failed_at",
    }  # fmt: skip
    assert entry.data["email"] == OWNER
    assert entry.data["region"] == "global"
    assert entry.data["auth_url"] == emulator.global_sso
    assert entry.data["api_url"] is None  # none typed: the sign-in server's origin
    assert entry.data["issuer"] == emulator.global_sso
    assert entry.data[CONF_ACCESS_TOKEN].startswith("eyJ")
    assert entry.data[CONF_REFRESH_TOKEN].startswith("eyJ")
    assert entry.data["expires_at"] > entry.data["issued_at"]
    assert PASSWORD not in repr(entry.data)
    # The request budget of a plain sign-in.
    assert sso_requests(emulator)[:3] == [
        ("GET", "/oauth2/v3/authorize"),
        ("POST", "/oauth2/v3/authorize"),
        ("POST", "/oauth2/v3/token"),
    ]
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    # Minted over the first connection profile; set-up asked the API about it at once.
    assert entry.data["connection"] == "http2"
    assert entry.data["api_access"] == "accepted"
    assert hass.states.get("sensor.owner_example_com_api_access").state == "accepted"


async def test_captcha_with_a_wrong_answer_first(
    flow: FlowDriver, emulator: Emulator
) -> None:
    """The captcha shows inline; a wrong answer brings an error and a new image."""
    result = await flow.start("password")
    result = await flow.submit(result, credentials(emulator, CAPTCHA_ACCOUNT))
    assert result["step_id"] == "captcha"
    assert b"<svg" in captcha_svg(result)
    first_answer = emulator.state.latest_captcha_answer()
    assert first_answer

    result = await flow.submit(result, {"captcha": "wrong"})
    assert result["step_id"] == "captcha"
    assert result["errors"] == {"captcha": "captcha_invalid"}
    assert b"<svg" in captcha_svg(result)
    assert sso_requests(emulator).count(("GET", "/oauth2/v3/captcha")) == 2

    answer = emulator.state.latest_captcha_answer()
    result = await flow.submit(result, {"captcha": f" {answer} "})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == CAPTCHA_ACCOUNT


async def test_two_mfa_devices_choosing_the_second(
    flow: FlowDriver, emulator: Emulator
) -> None:
    """With two devices the person chooses; a malformed or wrong code gets another try."""
    result = await flow.start("password")
    result = await flow.submit(result, credentials(emulator, MFA_ACCOUNT))
    assert result["step_id"] == "mfa_device"
    devices = result["data_schema"].schema["device"].config["options"]
    assert [device["label"] for device in devices] == ["Phone", "Watch"]

    result = await flow.submit(result, {"device": devices[1]["value"]})
    assert result["step_id"] == "mfa"
    assert result["description_placeholders"] == {"device": "Watch"}

    served = len(emulator.state.requests)
    result = await flow.submit(result, {"code": "12345"})
    assert result["errors"] == {"code": "invalid_mfa_code"}
    # Six digits, but not the ASCII ones an authenticator shows.
    result = await flow.submit(result, {"code": "١٢٣٤٥٦"})
    assert result["errors"] == {"code": "invalid_mfa_code"}
    assert len(emulator.state.requests) == served  # told apart without asking Tesla

    # The Phone's passcode is wrong for the Watch.
    phone_code = emulator.state.totp(MFA_ACCOUNT, "Phone")
    watch_code = emulator.state.totp(MFA_ACCOUNT, "Watch")
    result = await flow.submit(result, {"code": phone_code})
    assert result["step_id"] == "mfa"
    assert result["errors"] == {"code": "invalid_mfa_code"}

    result = await flow.submit(result, {"code": f"{watch_code[:3]} {watch_code[3:]}"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == MFA_ACCOUNT


async def test_backup_code(flow: FlowDriver, emulator: Emulator) -> None:
    """A 9-character backup code (dashes ignored) instead of a passcode."""
    result = await flow.start("password")
    result = await flow.submit(result, credentials(emulator, MFA_ACCOUNT))
    result = await flow.submit(
        result,
        {
            "device": result["data_schema"]
            .schema["device"]
            .config["options"][0]["value"]
        },
    )

    result = await flow.submit(result, {"code": "zzzz-zzzz-z"})
    assert result["errors"] == {"code": "invalid_mfa_code"}

    code = emulator.state.backup_codes(MFA_ACCOUNT)[0]
    result = await flow.submit(result, {"code": f"{code[:4]}-{code[4:]}"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert code not in emulator.state.backup_codes(MFA_ACCOUNT)


async def test_china_account_follows_the_region_redirect(
    flow: FlowDriver, emulator: Emulator
) -> None:
    """A China account typed with the global server ends up issued by the China server."""
    result = await flow.start("password")
    result = await flow.submit(result, credentials(emulator, CHINA_ACCOUNT))

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["issuer"] == emulator.china_sso
    assert ("GET", "/cn/oauth2/v3/authorize") in sso_requests(emulator)
    assert ("POST", "/cn/oauth2/v3/token") in sso_requests(emulator)


async def test_wrong_password_then_right(flow: FlowDriver, emulator: Emulator) -> None:
    """A wrong password shows invalid_auth and keeps the email; the right one signs in."""
    result = await flow.start("password")
    result = await flow.submit(
        result, credentials(emulator, password="not-the-password")
    )
    assert result["step_id"] == "password"
    assert result["errors"] == {"base": "invalid_auth"}
    email_field = next(
        key for key in result["data_schema"].schema if key.schema == "email"
    )
    assert email_field.description == {"suggested_value": OWNER}
    password_field = next(
        key for key in result["data_schema"].schema if key.schema == "password"
    )
    assert not password_field.description

    result = await flow.submit(result, credentials(emulator))
    assert result["type"] is FlowResultType.CREATE_ENTRY


def _lock_account(emulator: Emulator, locked: bool) -> None:
    account = emulator.state.scenario.account(OWNER)
    assert account is not None
    account.locked = locked


def _refuse_redirect_uri(emulator: Emulator, refused: bool) -> None:
    emulator.state.scenario.redirect_uris = [
        "https://example.com/other" if refused else "tesla://auth/callback"
    ]


def _drop_token_answer(emulator: Emulator, dropped: bool) -> None:
    if dropped:  # the fault takes one request
        emulator.state.set_fault("token", Fault(FaultKind.DROP))


@pytest.mark.parametrize(
    ("trouble", "key"),
    [
        (_lock_account, "account_locked"),
        (_refuse_redirect_uri, "redirect_uri_refused"),
        (_drop_token_answer, "cannot_connect"),  # after the sign-in passed
    ],
    ids=["account-locked", "redirect-uri-refused", "token-answer-lost"],
)
async def test_sign_in_refused_then_again(
    flow: FlowDriver,
    emulator: Emulator,
    trouble: Callable[[Emulator, bool], None],
    key: str,
) -> None:
    """Tesla refuses: the password form says why (keeping the email); once the trouble is
    over, the same form signs in.
    """
    trouble(emulator, True)
    result = await flow.start("password")
    result = await flow.submit(result, credentials(emulator))
    assert result["step_id"] == "password"
    assert result["errors"] == {"base": key}
    assert suggested(result)["email"] == OWNER

    trouble(emulator, False)
    result = await flow.submit(result, credentials(emulator))
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize(
    ("scenario", "key"),
    [
        ({"recaptcha": True}, "recaptcha_required"),
        ({"waf": WafMode.BLOCK}, "waf_blocked"),
    ],
    ids=["recaptcha", "firewall"],
)
async def test_only_a_browser_gets_through(
    flow: FlowDriver, emulator: Emulator, scenario: dict[str, Any], key: str
) -> None:
    """Tesla wants reCAPTCHA, or its firewall blocks this network: the flow moves to the
    browser sign-in with an explanation, and the person's browser gets through.
    """
    for name, value in scenario.items():
        setattr(emulator.state.scenario, name, value)
    result = await flow.start("password")
    result = await flow.submit(result, credentials(emulator))
    assert result["step_id"] == "browser"
    assert result["errors"] == {"base": key}

    emulator.state.scenario.waf = WafMode.OFF  # a person's browser passes the firewall
    callback = await browser_sign_in(
        result["description_placeholders"]["authorize_url"], recaptcha=True
    )
    result = await flow.submit(result, {"callback_url": callback, **server(emulator)})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == OWNER


async def test_already_configured(
    hass: HomeAssistant, flow: FlowDriver, emulator: Emulator
) -> None:
    """The same account twice aborts."""
    result = await flow.start("password")
    await flow.submit(result, credentials(emulator))
    result = await flow.start("password")
    result = await flow.submit(result, credentials(emulator))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


async def test_mfa_expired_starts_over(
    flow: FlowDriver, emulator: Emulator, freezer: FrozenDateTimeFactory
) -> None:
    """A sign-in left too long at the passcode step starts over with a clear message."""
    result = await flow.start("password")
    result = await flow.submit(result, credentials(emulator, MFA_ACCOUNT))
    watch = result["data_schema"].schema["device"].config["options"][1]["value"]
    result = await flow.submit(result, {"device": watch})
    freezer.tick(601)
    code = emulator.state.totp(MFA_ACCOUNT, "Watch")
    result = await flow.submit(result, {"code": code})
    assert result["step_id"] == "password"
    assert result["errors"] == {"base": "mfa_expired"}

    result = await flow.submit(result, credentials(emulator, MFA_ACCOUNT))
    result = await flow.submit(result, {"device": watch})
    freezer.tick(30)
    code = emulator.state.totp(MFA_ACCOUNT, "Watch")
    result = await flow.submit(result, {"code": code})
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_captcha_asked_after_the_first_post(
    flow: FlowDriver, emulator: Emulator
) -> None:
    """A captcha Tesla asks for only after the credentials is shown the same way."""
    emulator.state.scenario.captcha = CaptchaMode.AFTER_FIRST_POST
    result = await flow.start("password")
    result = await flow.submit(result, credentials(emulator))
    assert result["step_id"] == "captcha"
    answer = emulator.state.latest_captcha_answer()
    result = await flow.submit(result, {"captcha": answer})
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_wrong_password_noticed_after_the_captcha(
    flow: FlowDriver, emulator: Emulator
) -> None:
    """A wrong password found out at the captcha goes back to the password form."""
    result = await flow.start("password")
    result = await flow.submit(result, credentials(emulator, CAPTCHA_ACCOUNT, "wrong"))
    answer = emulator.state.latest_captcha_answer()
    result = await flow.submit(result, {"captcha": answer})
    assert result["step_id"] == "password"
    assert result["errors"] == {"base": "invalid_auth"}

    result = await flow.submit(result, credentials(emulator, CAPTCHA_ACCOUNT))
    answer = emulator.state.latest_captcha_answer()
    result = await flow.submit(result, {"captcha": answer})
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_captcha_image_unavailable(flow: FlowDriver, emulator: Emulator) -> None:
    """No captcha image: the sign-in starts over with cannot_connect."""
    emulator.state.set_fault("captcha", Fault(FaultKind.STATUS, status=502))
    result = await flow.start("password")
    result = await flow.submit(result, credentials(emulator, CAPTCHA_ACCOUNT))
    assert result["step_id"] == "password"
    assert result["errors"] == {"base": "cannot_connect"}

    result = await flow.submit(result, credentials(emulator, CAPTCHA_ACCOUNT))
    answer = emulator.state.latest_captcha_answer()
    result = await flow.submit(result, {"captcha": answer})
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_single_mfa_device_is_chosen_without_asking(
    flow: FlowDriver, emulator: Emulator
) -> None:
    """With one device the passcode step comes straight away."""
    account = emulator.state.scenario.account(MFA_ACCOUNT)
    assert account is not None
    account.mfa_devices = account.mfa_devices[:1]
    result = await flow.start("password")
    result = await flow.submit(result, credentials(emulator, MFA_ACCOUNT))
    assert result["step_id"] == "mfa"
    assert result["description_placeholders"] == {"device": "Phone"}
    code = emulator.state.totp(MFA_ACCOUNT, "Phone")
    result = await flow.submit(result, {"code": code})
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_too_many_wrong_passcodes(flow: FlowDriver, emulator: Emulator) -> None:
    """After too many wrong passcodes the sign-in starts over with mfa_locked."""
    result = await flow.start("password")
    result = await flow.submit(result, credentials(emulator, MFA_ACCOUNT))
    watch = result["data_schema"].schema["device"].config["options"][1]["value"]
    result = await flow.submit(result, {"device": watch})
    wrong = f"{(int(emulator.state.totp(MFA_ACCOUNT, 'Watch')) + 1) % 1_000_000:06d}"
    for _ in range(emulator.state.scenario.mfa_max_attempts):
        result = await flow.submit(result, {"code": wrong})
        assert result["errors"] == {"code": "invalid_mfa_code"}
    result = await flow.submit(result, {"code": wrong})
    assert result["step_id"] == "password"
    assert result["errors"] == {"base": "mfa_locked"}

    result = await flow.submit(result, credentials(emulator, MFA_ACCOUNT))
    result = await flow.submit(result, {"device": watch})
    code = emulator.state.totp(MFA_ACCOUNT, "Watch")
    result = await flow.submit(result, {"code": code})
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize(
    ("method", "auth_url"),
    [
        ("password", "http://sso.example.com"),
        ("browser", "http://sso.example.com/oauth2/v3"),
        ("token", "ftp://example.com"),
        ("token", "https://"),
    ],
)
async def test_unusable_server_url(
    flow: FlowDriver, emulator: Emulator, method: str, auth_url: str
) -> None:
    """A custom server URL that is not usable is refused on the Advanced section before any
    request, and shown again; with a usable one the sign-in goes through.
    """
    form = {
        "password": credentials(emulator),
        "browser": server(emulator),
        "token": {
            "refresh_token": emulator.state.mint_refresh_token(OWNER),
            **server(emulator),
        },
    }[method]
    result = await flow.start(method)
    link = (result["description_placeholders"] or {}).get("authorize_url")

    result = await flow.submit(result, {**form, "advanced": {"auth_url": auth_url}})
    assert result["step_id"] == method
    assert result["errors"] == {"advanced": "invalid_auth_url"}
    assert suggested(result)["advanced"] == {"auth_url": auth_url}
    assert (result["description_placeholders"] or {}).get("authorize_url") == link
    assert emulator.state.requests == []

    result = await flow.submit(result, form)
    if method == "browser":  # the new server first needs a new link
        assert result["errors"] == {"base": "auth_link_changed"}
        callback = await browser_sign_in(authorize_url(result))
        result = await flow.submit(result, {**form, "callback_url": callback})
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_unexpected_error_is_logged(
    flow: FlowDriver, emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Anything unexpected shows `unknown` and is logged with its traceback."""
    token = emulator.state.mint_refresh_token(OWNER)
    closed = aiohttp.ClientSession()
    await closed.close()  # a session that can no longer send anything
    result = await flow.start("token")
    with patch(
        "custom_components.tesla_token.config_flow.async_token_transport",
        return_value=AiohttpTransport(closed, 30),
    ):
        result = await flow.submit(result, {"refresh_token": token, **server(emulator)})
    assert result["errors"] == {"base": "unknown"}
    assert "Unexpected error while talking to Tesla" in caplog.text
    assert "Traceback" in caplog.text

    result = await flow.submit(result, {"refresh_token": token, **server(emulator)})
    assert result["type"] is FlowResultType.CREATE_ENTRY


def holds_password(hass: HomeAssistant, flow_id: str) -> bool:
    """Whether the running flow, or its sign-in state, still holds the password.

    Nothing a person sees tells this apart, so this looks into the flow object itself.
    """
    running = hass.config_entries.flow._progress[flow_id]
    assert isinstance(running, TeslaTokenConfigFlow)
    held = [*vars(running).values(), *vars(running._sign_in).values()]
    return any(value == PASSWORD for value in held)


async def test_the_mfa_step_no_longer_holds_the_password(
    hass: HomeAssistant, flow: FlowDriver, emulator: Emulator
) -> None:
    """Credentials accepted, MFA asked: the password is gone; the sign-in still finishes."""
    result = await flow.start("password")
    result = await flow.submit(result, credentials(emulator, MFA_ACCOUNT))
    assert result["step_id"] == "mfa_device"
    assert not holds_password(hass, result["flow_id"])

    options = result["data_schema"].schema["device"].config["options"]
    result = await flow.submit(result, {"device": options[0]["value"]})
    code = emulator.state.totp(MFA_ACCOUNT, "Phone")
    result = await flow.submit(result, {"code": code})
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_the_captcha_step_keeps_it_until_the_credentials_pass(
    hass: HomeAssistant, flow: FlowDriver, emulator: Emulator
) -> None:
    """A captcha (even a wrong answer) needs the password again; once accepted it is gone."""
    account = emulator.state.scenario.account(MFA_ACCOUNT)
    assert account is not None
    account.captcha = CaptchaMode.FIRST_PAGE
    result = await flow.start("password")
    result = await flow.submit(result, credentials(emulator, MFA_ACCOUNT))
    assert result["step_id"] == "captcha"
    assert holds_password(hass, result["flow_id"])

    result = await flow.submit(result, {"captcha": "wrong"})
    assert result["errors"] == {"captcha": "captcha_invalid"}
    assert holds_password(hass, result["flow_id"])

    answer = emulator.state.latest_captcha_answer()
    result = await flow.submit(result, {"captcha": answer})
    assert result["step_id"] == "mfa_device"
    assert not holds_password(hass, result["flow_id"])

    options = result["data_schema"].schema["device"].config["options"]
    result = await flow.submit(result, {"device": options[0]["value"]})
    code = emulator.state.totp(MFA_ACCOUNT, "Phone")
    result = await flow.submit(result, {"code": code})
    assert result["type"] is FlowResultType.CREATE_ENTRY


def cancel_requests(emulator: Emulator) -> list[str]:
    return [
        record.path
        for record in emulator.state.requests
        if record.method == "POST" and set(record.form) == {"transaction_id", "cancel"}
    ]


async def test_closing_the_dialog_midway_cancels_the_sign_in(
    hass: HomeAssistant, flow: FlowDriver, emulator: Emulator
) -> None:
    """Closed at the passcode step: the transaction is cancelled at Tesla."""
    result = await flow.start("password")
    result = await flow.submit(result, credentials(emulator, MFA_ACCOUNT))
    assert result["step_id"] == "mfa_device"

    hass.config_entries.flow.async_abort(result["flow_id"])
    await hass.async_block_till_done(wait_background_tasks=True)

    assert cancel_requests(emulator) == ["/oauth2/v3/authorize"]
    assert hass.config_entries.flow.async_progress() == []


async def test_a_finished_sign_in_cancels_nothing(
    hass: HomeAssistant, flow: FlowDriver, emulator: Emulator
) -> None:
    """A completed sign-in has nothing to cancel."""
    result = await flow.start("password")
    result = await flow.submit(result, credentials(emulator))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)
    assert cancel_requests(emulator) == []


# --- Browser -------------------------------------------------------------------------------


def authorize_url(result: ConfigFlowResult) -> str:
    """The sign-in link the browser step shows."""
    return result["description_placeholders"]["authorize_url"]  # type: ignore[index]


def pasted(callback: str, emulator: Emulator) -> dict[str, Any]:
    """The browser form with the callback address pasted in."""
    return {"callback_url": callback, **server(emulator)}


async def open_browser_step(flow: FlowDriver, emulator: Emulator) -> ConfigFlowResult:
    """The browser step, switched to the emulator (which renews the link)."""
    result = await flow.start("browser")
    assert result["step_id"] == "browser"
    assert authorize_url(result).startswith(
        "https://auth.tesla.com/oauth2/v3/authorize?"
    )
    result = await flow.submit(result, server(emulator))
    assert result["errors"] == {"base": "auth_link_changed"}
    assert authorize_url(result).startswith(f"{emulator.global_sso}/authorize?")
    return result


async def test_browser_sign_in_with_the_real_callback(
    flow: FlowDriver, emulator: Emulator
) -> None:
    """The address the emulator redirects to, pasted back, creates the entry."""
    result = await open_browser_step(flow, emulator)
    assert (
        result["description_placeholders"]["callback_prefix"] == "tesla://auth/callback"
    )

    callback = await browser_sign_in(authorize_url(result))
    assert callback.startswith("tesla://auth/callback?")
    result = await flow.submit(result, pasted(callback, emulator))

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == OWNER
    assert result["result"].unique_id == account_sub(emulator, OWNER)
    assert result["data"]["issuer"] == emulator.global_sso
    assert result["data"]["auth_url"] == emulator.global_sso
    assert result["result"].options == DEFAULT_OPTIONS


async def test_console_line_and_a_retry_keep_the_same_link(
    flow: FlowDriver, emulator: Emulator
) -> None:
    """A wrong paste keeps the link; the browser console's line is understood."""
    result = await open_browser_step(flow, emulator)
    link = authorize_url(result)

    result = await flow.submit(
        result, pasted("https://example.com/not-the-callback", emulator)
    )
    assert result["errors"] == {"callback_url": "invalid_callback_url"}
    assert authorize_url(result) == link
    result = await flow.submit(result, server(emulator))  # nothing pasted
    assert result["errors"] == {"callback_url": "invalid_callback_url"}
    assert authorize_url(result) == link

    callback = await browser_sign_in(link)
    console = f"Failed to launch '{callback}' because the scheme does not have a registered handler."
    result = await flow.submit(result, pasted(console, emulator))
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_callback_of_another_sign_in(
    flow: FlowDriver, emulator: Emulator
) -> None:
    """A callback whose state is not this sign-in's is refused without using its code."""
    result = await open_browser_step(flow, emulator)
    callback = await browser_sign_in(authorize_url(result))
    state = parse_qs(urlsplit(callback).query)["state"][0]

    result = await flow.submit(
        result, pasted(callback.replace(state, "another-state"), emulator)
    )
    assert result["errors"] == {"callback_url": "state_mismatch"}

    result = await flow.submit(result, pasted(callback, emulator))
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_expired_code_then_a_fresh_one(
    flow: FlowDriver, emulator: Emulator, freezer: FrozenDateTimeFactory
) -> None:
    """A code pasted too late is refused; signing in again with the same link works."""
    result = await open_browser_step(flow, emulator)
    callback = await browser_sign_in(authorize_url(result))
    freezer.tick(emulator.state.scenario.code_lifetime + 1)

    result = await flow.submit(result, pasted(callback, emulator))
    assert result["errors"] == {"callback_url": "code_expired"}

    callback = await browser_sign_in(authorize_url(result))
    result = await flow.submit(result, pasted(callback, emulator))
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_cancelled_sign_in(flow: FlowDriver, emulator: Emulator) -> None:
    """A callback that carries an error (the sign-in was cancelled) explains itself."""
    result = await open_browser_step(flow, emulator)
    state = parse_qs(urlsplit(authorize_url(result)).query)["state"][0]
    cancelled = f"tesla://auth/callback?error=login_cancelled&state={state}"

    result = await flow.submit(result, pasted(cancelled, emulator))
    assert result["errors"] == {"callback_url": "callback_error"}

    callback = await browser_sign_in(authorize_url(result))
    result = await flow.submit(result, pasted(callback, emulator))
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_code_used_by_an_answer_that_got_lost(
    flow: FlowDriver, emulator: Emulator
) -> None:
    """The answer to the exchange was cut off; pasting the same address again finds the
    code already used, and a fresh sign-in with the same link completes.
    """
    result = await open_browser_step(flow, emulator)
    callback = await browser_sign_in(authorize_url(result))
    emulator.state.set_fault("token", Fault(FaultKind.TRUNCATED))

    result = await flow.submit(result, pasted(callback, emulator))
    assert result["errors"] == {"base": "cannot_connect"}
    result = await flow.submit(result, pasted(callback, emulator))
    assert result["errors"] == {"callback_url": "code_expired"}

    callback = await browser_sign_in(authorize_url(result))
    result = await flow.submit(result, pasted(callback, emulator))
    assert result["type"] is FlowResultType.CREATE_ENTRY


# --- Existing refresh token ----------------------------------------------------------------


def token_form(emulator: Emulator, token: str) -> dict[str, Any]:
    return {"refresh_token": token, **server(emulator)}


async def test_existing_refresh_token(flow: FlowDriver, emulator: Emulator) -> None:
    """A valid token is refreshed once; the entry stores the rotated one."""
    emulator.state.scenario.refresh_rotation = RefreshRotation.SINGLE_USE
    token = emulator.state.mint_refresh_token(OWNER)
    result = await flow.start("token")
    assert result["step_id"] == "token"

    # Copying may wrap a long token over lines.
    result = await flow.submit(
        result, token_form(emulator, f"{token[:40]}\n{token[40:]} ")
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == OWNER
    entry = result["result"]
    assert entry.unique_id == account_sub(emulator, OWNER)
    assert entry.options == DEFAULT_OPTIONS
    assert entry.data["refresh_token"] != token  # the pasted one is spent
    assert entry.data["issuer"] == emulator.global_sso
    assert entry.data["email"] == OWNER
    assert ("POST", "/oauth2/v3/token") in [
        (r.method, r.path) for r in emulator.state.requests
    ]


@pytest.mark.parametrize(
    "legacy",
    [random.token_hex(32), f"qts-{random.token_hex(32)}", f"cn-{random.token_hex(32)}"],
    ids=["v2", "qts", "cn"],
)
async def test_legacy_token_is_explained(
    flow: FlowDriver, emulator: Emulator, legacy: str
) -> None:
    """A v2 or exchanged owner token is recognised without asking Tesla."""
    result = await flow.start("token")
    result = await flow.submit(result, token_form(emulator, legacy))
    assert result["errors"] == {"refresh_token": "legacy_token"}
    assert emulator.state.requests == []

    token = emulator.state.mint_refresh_token(OWNER)
    result = await flow.submit(result, token_form(emulator, token))
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_refused_token(flow: FlowDriver, emulator: Emulator) -> None:
    """A revoked token, or text that is no token, is refused on the token field."""
    revoked = emulator.state.mint_refresh_token(OWNER)
    emulator.state.revoke(OWNER)
    result = await flow.start("token")
    result = await flow.submit(result, token_form(emulator, revoked))
    assert result["errors"] == {"refresh_token": "invalid_refresh_token"}
    # The form is shown again without the token.
    token_field = next(
        key for key in result["data_schema"].schema if key.schema == "refresh_token"
    )
    assert not token_field.description

    result = await flow.submit(result, token_form(emulator, "not-a-token"))
    assert result["errors"] == {"refresh_token": "invalid_refresh_token"}

    token = emulator.state.mint_refresh_token(OWNER)
    result = await flow.submit(result, token_form(emulator, token))
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_server_trouble(flow: FlowDriver, emulator: Emulator) -> None:
    """A server error or an unreadable answer is cannot_connect; a retry succeeds."""
    token = emulator.state.mint_refresh_token(OWNER)
    result = await flow.start("token")
    emulator.state.set_fault("token", Fault(FaultKind.STATUS, status=503))
    result = await flow.submit(result, token_form(emulator, token))
    assert result["errors"] == {"base": "cannot_connect"}
    emulator.state.set_fault("token", Fault(FaultKind.MALFORMED_JSON))
    result = await flow.submit(result, token_form(emulator, token))
    assert result["errors"] == {"base": "cannot_connect"}
    emulator.state.set_fault("token", Fault(FaultKind.WAF_BLOCK))
    result = await flow.submit(result, token_form(emulator, token))
    assert result["step_id"] == "token"
    assert result["errors"] == {"base": "waf_blocked"}

    result = await flow.submit(result, token_form(emulator, token))
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_china_token(flow: FlowDriver, emulator: Emulator) -> None:
    """A China account's token is refreshed on the China server."""
    token = emulator.state.mint_refresh_token(CHINA_ACCOUNT)
    result = await flow.start("token")
    result = await flow.submit(
        result,
        {
            "refresh_token": token,
            "region": "china",
            "advanced": {"auth_url": emulator.china_sso},
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["region"] == "china"
    assert result["data"]["issuer"] == emulator.china_sso
    assert result["title"] == CHINA_ACCOUNT


async def test_token_of_an_account_already_set_up_updates_its_entry(
    hass: HomeAssistant,
    flow: FlowDriver,
    hass_storage: dict[str, Any],
    emulator: Emulator,
) -> None:
    """Checking the pasted token spent it: the entry keeps the token it brought."""
    emulator.state.scenario.refresh_rotation = RefreshRotation.SINGLE_USE
    entry = await flow.add_entry(emulator)
    own = entry.data["refresh_token"]
    pasted = emulator.state.mint_refresh_token(OWNER)
    result = await flow.start("token")

    result = await flow.submit(result, token_form(emulator, pasted))

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "token_updated"
    await hass.async_block_till_done()
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1
    kept = entry.data["refresh_token"]
    assert kept not in (own, pasted)
    assert emulator.state.refresh_tokens[kept].active
    assert entry.data["email"] == OWNER
    assert hass_storage[f"{DOMAIN}.{entry.entry_id}"]["data"] == dict(entry.data)
    assert entry.state is ConfigEntryState.LOADED
    await hass.services.async_call(
        DOMAIN, "refresh", {"config_entry_id": entry.entry_id}, blocking=True
    )
    assert hass.states.get("sensor.owner_example_com_status").state == "valid"


# --- Signing in again ----------------------------------------------------------------------


async def start_reauth(
    flow: FlowDriver, entry: ConfigEntry, method: str
) -> ConfigFlowResult:
    """Open the reauth flow of an entry and choose a sign-in method."""
    result = await flow.start_reauth(entry)
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "reauth_confirm"
    placeholders = result["description_placeholders"]
    assert placeholders is not None
    assert set(placeholders) == {"email"}
    assert literal_text(placeholders["email"]) == entry.data["email"]
    assert result["menu_options"] == ["password", "browser", "token"]
    return await flow.submit(result, {"next_step_id": method})


async def test_reauth_with_password_updates_the_entry(
    hass: HomeAssistant, flow: FlowDriver, emulator: Emulator
) -> None:
    """Same account: the entry gets the new tokens, keeps its entities, and reloads."""
    entry = await flow.add_entry(emulator)
    entities = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    old_refresh_token = entry.data["refresh_token"]
    emulator.state.revoke(OWNER)

    result = await start_reauth(flow, entry, "password")
    assert result["step_id"] == "password"
    assert suggested(result) == {
        "email": OWNER,
        "region": "global",
        "advanced": {"auth_url": emulator.global_sso, "api_url": None},
    }
    result = await flow.submit(result, credentials(emulator))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"

    await hass.async_block_till_done()
    assert entry.data["refresh_token"] != old_refresh_token
    assert entry.data["email"] == OWNER
    assert entry.state is ConfigEntryState.LOADED
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1
    assert (
        er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        == entities
    )


async def test_reauth_with_another_account_is_refused(
    flow: FlowDriver, emulator: Emulator
) -> None:
    """Another account's token does not replace this entry's."""
    entry = await flow.add_entry(emulator)
    data = dict(entry.data)
    other = emulator.state.mint_refresh_token(CAPTCHA_ACCOUNT)

    result = await start_reauth(flow, entry, "token")
    assert suggested(result)["advanced"] == {
        "auth_url": emulator.global_sso,
        "api_url": None,
    }
    result = await flow.submit(result, {"refresh_token": other, **server(emulator)})

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_account_mismatch"
    assert dict(entry.data) == data


async def test_reauth_in_the_browser_uses_the_entry_server(
    flow: FlowDriver, emulator: Emulator
) -> None:
    """The browser link points at the entry's server straight away."""
    entry = await flow.add_entry(emulator)
    result = await start_reauth(flow, entry, "browser")
    link = result["description_placeholders"]["authorize_url"]
    assert link.startswith(f"{emulator.global_sso}/authorize?")

    callback = await browser_sign_in(link)
    result = await flow.submit(result, {"callback_url": callback, **server(emulator)})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"


async def test_reauth_with_a_passcode_used_moments_ago(
    hass: HomeAssistant,
    flow: FlowDriver,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A passcode used moments ago is refused until the next one comes."""
    result = await flow.start("password")
    result = await flow.submit(result, credentials(emulator, MFA_ACCOUNT))
    watch = result["data_schema"].schema["device"].config["options"][1]["value"]
    result = await flow.submit(result, {"device": watch})
    code = emulator.state.totp(MFA_ACCOUNT, "Watch")
    result = await flow.submit(result, {"code": code})
    entry = result["result"]
    await hass.async_block_till_done()

    result = await start_reauth(flow, entry, "password")
    result = await flow.submit(result, credentials(emulator, MFA_ACCOUNT))
    result = await flow.submit(result, {"device": watch})
    result = await flow.submit(result, {"code": code})
    assert result["step_id"] == "mfa"
    assert result["errors"] == {"code": "mfa_replay"}

    freezer.tick(30)
    code = emulator.state.totp(MFA_ACCOUNT, "Watch")
    result = await flow.submit(result, {"code": code})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"


async def test_reauth_tokens_are_the_ones_set_up_uses_next(
    hass: HomeAssistant,
    flow: FlowDriver,
    hass_storage: dict[str, Any],
    emulator: Emulator,
) -> None:
    """The token file that refreshes wrote before cannot bring the refused token back."""
    entry = await flow.add_entry(emulator)
    await hass.services.async_call(
        DOMAIN, "refresh", {"config_entry_id": entry.entry_id}, blocking=True
    )
    refused = entry.data["refresh_token"]
    emulator.state.revoke(OWNER)

    result = await start_reauth(flow, entry, "password")
    result = await flow.submit(result, credentials(emulator))
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    signed_in = entry.data["refresh_token"]
    assert signed_in != refused
    assert hass_storage[f"{DOMAIN}.{entry.entry_id}"]["data"] == dict(entry.data)

    # Home Assistant starts again.
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.data["refresh_token"] == signed_in
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get("sensor.owner_example_com_status").state == "valid"


# --- Reconfigure ---------------------------------------------------------------------------


async def start_reconfigure(flow: FlowDriver, entry: ConfigEntry) -> ConfigFlowResult:
    """Open the reconfigure form of an entry, which names the account."""
    result = await flow.start_reconfigure(entry)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    placeholders = result["description_placeholders"]
    assert placeholders is not None
    assert set(placeholders) == {"email"}
    assert literal_text(placeholders["email"]) == OWNER
    return result


async def test_keep_the_server_and_the_stored_token(
    hass: HomeAssistant, flow: FlowDriver, emulator: Emulator
) -> None:
    """Saving unchanged checks the stored token; the rotated one is stored."""
    emulator.state.scenario.refresh_rotation = RefreshRotation.SINGLE_USE
    entry = await flow.add_entry(emulator)
    spent = entry.data["refresh_token"]
    result = await start_reconfigure(flow, entry)
    assert suggested(result) == {
        "region": "global",
        "advanced": {"auth_url": emulator.global_sso, "api_url": None},
    }

    result = await flow.submit(result, server(emulator))

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["refresh_token"] != spent
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_waits_for_a_running_refresh_of_the_single_use_token(
    hass: HomeAssistant, flow: FlowDriver, emulator: Emulator
) -> None:
    """A refresh still under way when the form is saved: the flow uses the token it brings."""
    emulator.state.scenario.refresh_rotation = RefreshRotation.SINGLE_USE
    entry = await flow.add_entry(emulator)
    result = await start_reconfigure(flow, entry)
    emulator.state.set_fault("token", Fault(FaultKind.DELAY, delay=0.3))

    running = hass.async_create_task(
        hass.services.async_call(
            DOMAIN, "refresh", {"config_entry_id": entry.entry_id}, blocking=True
        )
    )
    await asyncio.sleep(0.05)  # the action's request is now waiting in the emulator
    result = await flow.submit(result, server(emulator))
    await running

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get("sensor.owner_example_com_status").state == "valid"
    assert [r.status for r in emulator.state.requests if r.path.endswith("/token")][
        -2:
    ] == [
        200,
        200,
    ]


async def test_a_set_up_retry_and_a_reconfigure_spend_the_single_use_token_once(
    hass: HomeAssistant, flow: FlowDriver, emulator: Emulator
) -> None:
    """Saving while a set-up retry refreshes waits for it, and uses the token it brings."""
    emulator.state.scenario.refresh_rotation = RefreshRotation.SINGLE_USE
    entry = await flow.add_entry(emulator)
    await hass.config_entries.async_unload(entry.entry_id)
    # The access token expired while Home Assistant was off, and Tesla is down at start.
    now = dt_util.utcnow().timestamp()
    await token_store(hass, entry.entry_id).async_save(
        entry,
        {**entry.data, "issued_at": now - 8 * 3600 - 60, "expires_at": now - 60},
    )
    emulator.state.set_fault("token", Fault(FaultKind.STATUS, status=503))
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    result = await start_reconfigure(flow, entry)
    emulator.state.clear_requests()
    emulator.state.set_fault("token", Fault(FaultKind.DELAY, delay=1))

    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=5))
    for _ in range(1000):  # until the retry's request waits at Tesla (took the fault)
        if not emulator.state.faults.to_list():
            break
        await asyncio.sleep(0.01)
    result = await flow.submit(result, server(emulator))
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    # Two refreshes, one after the other; none with a spent token.
    assert [r.status for r in emulator.state.requests if r.path.endswith("/token")] == [
        200,
        200,
    ]
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get("sensor.owner_example_com_status").state == "valid"
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_new_token_for_an_entry_that_could_not_set_up(
    hass: HomeAssistant,
    flow: FlowDriver,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Tesla refused the stored token at start-up: a pasted token brings the entry back."""
    entry = await flow.add_entry(emulator)
    await hass.config_entries.async_unload(entry.entry_id)
    emulator.state.revoke(OWNER)
    freezer.tick(
        timedelta(hours=9)
    )  # the access token expired while Home Assistant was off
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR

    token = emulator.state.mint_refresh_token(OWNER)
    result = await start_reconfigure(flow, entry)
    result = await flow.submit(result, {**server(emulator), "refresh_token": token})

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get("sensor.owner_example_com_status").state == "valid"


async def test_move_to_another_server(
    hass: HomeAssistant, flow: FlowDriver, emulator: Emulator
) -> None:
    """Another server with a token from there: the entry follows it and reloads."""
    entry = await flow.add_entry(emulator)
    other_server = Emulator()
    await other_server.start(host="127.0.0.1", port=0)
    try:
        token = other_server.state.mint_refresh_token(OWNER)
        result = await start_reconfigure(flow, entry)
        result = await flow.submit(
            result,
            {
                "refresh_token": token,
                "region": "global",
                "advanced": {"auth_url": other_server.global_sso},
            },
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "reconfigure_successful"
        await hass.async_block_till_done()
        assert entry.data["auth_url"] == other_server.global_sso
        assert entry.data["issuer"] == other_server.global_sso
        assert entry.state is ConfigEntryState.LOADED
        assert entry.title == OWNER
    finally:
        await hass.config_entries.async_unload(entry.entry_id)
        await other_server.stop()


async def test_replace_the_refresh_token(flow: FlowDriver, emulator: Emulator) -> None:
    """A pasted token of the same account replaces the stored one."""
    entry = await flow.add_entry(emulator)
    emulator.state.revoke(OWNER)
    result = await start_reconfigure(flow, entry)

    result = await flow.submit(result, server(emulator))
    assert result["errors"] == {"refresh_token": "invalid_refresh_token"}

    token = emulator.state.mint_refresh_token(OWNER)
    result = await flow.submit(result, {"refresh_token": token, **server(emulator)})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert (
        entry.data["refresh_token"] == token
    )  # rotation "reuse" hands the same one back


async def test_wrong_region_then_right(flow: FlowDriver, emulator: Emulator) -> None:
    """The China server refuses a global account's token; the entry stays as it was."""
    entry = await flow.add_entry(emulator)
    data = dict(entry.data)
    result = await start_reconfigure(flow, entry)

    result = await flow.submit(
        result, {"region": "china", "advanced": {"auth_url": emulator.china_sso}}
    )
    assert result["errors"] == {"refresh_token": "invalid_refresh_token"}
    assert suggested(result)["region"] == "china"
    assert dict(entry.data) == data
    result = await flow.submit(
        result, {"region": "global", "advanced": {"auth_url": "https://"}}
    )
    assert result["errors"] == {"advanced": "invalid_auth_url"}

    result = await flow.submit(result, server(emulator))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"


async def test_token_of_another_account(flow: FlowDriver, emulator: Emulator) -> None:
    """Another account's token is refused and changes nothing."""
    entry = await flow.add_entry(emulator)
    data = dict(entry.data)
    other = emulator.state.mint_refresh_token(CAPTCHA_ACCOUNT)
    result = await start_reconfigure(flow, entry)

    result = await flow.submit(result, {"refresh_token": other, **server(emulator)})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_account_mismatch"
    assert dict(entry.data) == data


# --- Input length caps ---------------------------------------------------------------------

FOUR_MB = 4 * 1024 * 1024


@pytest.mark.timeout(120)  # the old parser took hours on this much text
async def test_a_four_megabyte_paste_into_the_browser_step(
    rest: RestFlow, emulator: Emulator
) -> None:
    """The real callback with 4 MB of blanks after it: refused, the link stays, then it works."""
    form = await rest.open("browser")
    form = await rest.submit(form, server(emulator))  # the emulator: a new link
    link = form["description_placeholders"]["authorize_url"]
    callback = await browser_sign_in(link)

    form = await rest.submit(
        form, {"callback_url": callback + " " * FOUR_MB, **server(emulator)}
    )
    assert form["type"] == "form"
    assert form["errors"] == {"callback_url": "input_too_long"}
    assert form["description_placeholders"]["authorize_url"] == link
    assert ("POST", "/oauth2/v3/token") not in sso_requests(emulator)

    done = await rest.submit(form, {"callback_url": callback, **server(emulator)})
    assert done["type"] == "create_entry"
    assert done["title"] == OWNER


async def test_a_four_megabyte_paste_into_the_token_step(
    rest: RestFlow, emulator: Emulator
) -> None:
    """A token lost in 4 MB of blanks is refused without spending it at Tesla."""
    token = emulator.state.mint_refresh_token(OWNER)
    form = await rest.open("token")

    form = await rest.submit(
        form,
        {"refresh_token": f"{token}\n" + " " * FOUR_MB, **server(emulator)},
    )
    assert form["type"] == "form"
    assert form["errors"] == {"refresh_token": "input_too_long"}
    assert sso_requests(emulator) == []

    done = await rest.submit(form, {"refresh_token": token, **server(emulator)})
    assert done["type"] == "create_entry"


async def test_an_overlong_token_in_reconfigure(
    flow: FlowDriver, emulator: Emulator
) -> None:
    """Refused on the token field without asking Tesla; the entry stays as it was."""
    entry = await flow.add_entry(emulator)
    stored = dict(entry.data)
    token = emulator.state.mint_refresh_token(OWNER)
    emulator.state.clear_requests()
    result = await start_reconfigure(flow, entry)

    result = await flow.submit(
        result, {"refresh_token": token + "\t" * 20_000, **server(emulator)}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"refresh_token": "input_too_long"}
    assert sso_requests(emulator) == []
    assert dict(entry.data) == stored

    result = await flow.submit(result, {"refresh_token": token, **server(emulator)})
    assert result["reason"] == "reconfigure_successful"


async def test_an_overlong_captcha_answer(flow: FlowDriver, emulator: Emulator) -> None:
    """Refused on the captcha field with a new image; the sign-in goes on."""
    result = await flow.start("password")
    result = await flow.submit(result, credentials(emulator, CAPTCHA_ACCOUNT))
    assert result["step_id"] == "captcha"
    answer = emulator.state.latest_captcha_answer()

    result = await flow.submit(result, {"captcha": answer + " " * 1000})
    assert result["step_id"] == "captcha"
    assert result["errors"] == {"captcha": "input_too_long"}
    assert ("POST", "/oauth2/v3/authorize") not in sso_requests(emulator)[1:]
    assert sso_requests(emulator).count(("GET", "/oauth2/v3/captcha")) == 2

    answer = emulator.state.latest_captcha_answer()
    result = await flow.submit(result, {"captcha": answer})
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_an_overlong_mfa_code(flow: FlowDriver, emulator: Emulator) -> None:
    """A passcode with a megabyte of dashes is no code; Tesla is not asked."""
    result = await flow.start("password")
    result = await flow.submit(result, credentials(emulator, MFA_ACCOUNT))
    devices = result["data_schema"].schema["device"].config["options"]
    result = await flow.submit(result, {"device": devices[0]["value"]})
    assert result["step_id"] == "mfa"
    served = len(emulator.state.requests)
    code = emulator.state.totp(MFA_ACCOUNT, "Phone")

    result = await flow.submit(result, {"code": code + "-" * 1_000_000})
    assert result["errors"] == {"code": "invalid_mfa_code"}
    assert len(emulator.state.requests) == served

    result = await flow.submit(result, {"code": code})
    assert result["type"] is FlowResultType.CREATE_ENTRY


# --- Text from Tesla shown literally -------------------------------------------------------

ACCOUNT = "names@example.com"
# Markdown that would render as a link and a remote image.
MARKDOWN_NAME = "[click](https://evil.example) ![x](https://evil.example/a.png)"
# A right-to-left override, a zero-width space, a line break and a NUL byte.
HIDDEN_NAME = "Pho\u202ene\u200b\nX\x00"
LONG_NAME = "Watch " + "w" * 200
CAPPED_LONG_NAME = LONG_NAME[:63] + "…"  # 64 characters in all
# An email address from Tesla's id_token with markdown and a right-to-left override.
MARKDOWN_EMAIL = "\u202e[x](https://evil.example)@example.com"
SHOWN_EMAIL = "[x](https://evil.example)@example.com"
_SECRETS = (
    "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
    "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU",
    "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
)


def add_account(emulator: Emulator, *device_names: str) -> None:
    """An account of the emulator with MFA devices of these names."""
    emulator.state.scenario.accounts.append(
        Account(
            email=ACCOUNT,
            mfa_devices=[
                MfaDevice(name=name, secret=secret)
                for name, secret in zip(device_names, _SECRETS, strict=False)
            ],
        )
    )


def device_labels(result: Any) -> list[str]:
    """The labels of the `mfa_device` step's choices."""
    options = result["data_schema"].schema["device"].config["options"]
    return [option["label"] for option in options]


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        (MARKDOWN_NAME, MARKDOWN_NAME),
        (HIDDEN_NAME, "Phone X"),
        (LONG_NAME, CAPPED_LONG_NAME),
    ],
    ids=["markdown", "hidden-characters", "long"],
)
async def test_the_passcode_step_shows_the_device_name_literally(
    flow: FlowDriver, emulator: Emulator, name: str, shown: str
) -> None:
    """The passcode step names the device as text, then the sign-in finishes."""
    add_account(emulator, name)
    result = await flow.start("password")
    result = await flow.submit(result, credentials(emulator, ACCOUNT))
    assert result["step_id"] == "mfa"
    assert literal_text(result["description_placeholders"]["device"]) == shown

    code = emulator.state.totp(ACCOUNT, name)
    result = await flow.submit(result, {"code": code})
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_the_device_choice_labels_are_clean_and_short(
    flow: FlowDriver, emulator: Emulator
) -> None:
    """The choice lists the names as plain text; the chosen one is named literally next."""
    add_account(emulator, MARKDOWN_NAME, HIDDEN_NAME, LONG_NAME)
    result = await flow.start("password")
    result = await flow.submit(result, credentials(emulator, ACCOUNT))
    assert result["step_id"] == "mfa_device"
    # Labels are plain text in the frontend: markdown stays as typed, nothing is hidden.
    assert device_labels(result) == [MARKDOWN_NAME, "Phone X", CAPPED_LONG_NAME]

    options = result["data_schema"].schema["device"].config["options"]
    result = await flow.submit(result, {"device": options[0]["value"]})
    assert literal_text(result["description_placeholders"]["device"]) == MARKDOWN_NAME
    code = emulator.state.totp(ACCOUNT, MARKDOWN_NAME)
    result = await flow.submit(result, {"code": code})
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_the_rest_api_hands_out_the_names_escaped(
    rest: RestFlow, emulator: Emulator
) -> None:
    """What the frontend receives: clean labels and a description placeholder as text."""
    add_account(emulator, MARKDOWN_NAME, HIDDEN_NAME)
    form = await rest.open("password")
    form = await rest.submit(form, credentials(emulator, ACCOUNT))
    assert form["step_id"] == "mfa_device"
    options = form["data_schema"][0]["selector"]["select"]["options"]
    assert [option["label"] for option in options] == [MARKDOWN_NAME, "Phone X"]

    form = await rest.submit(form, {"device": options[0]["value"]})
    assert form["step_id"] == "mfa"
    assert literal_text(form["description_placeholders"]["device"]) == MARKDOWN_NAME
    done = await rest.submit(
        form, {"code": emulator.state.totp(ACCOUNT, MARKDOWN_NAME)}
    )
    assert done["type"] == "create_entry"


async def test_an_email_from_tesla_is_shown_literally(
    hass: HomeAssistant, flow: FlowDriver, emulator: Emulator
) -> None:
    """Entry title, reconfigure and sign-in again show the address as text.

    The repair issue is checked in tests/lifecycle/test_reauth.py.
    """
    emulator.state.scenario.accounts.append(Account(email=MARKDOWN_EMAIL))
    entry = await flow.add_entry(emulator, MARKDOWN_EMAIL)
    assert entry.title == SHOWN_EMAIL

    reconfigure = await flow.start_reconfigure(entry)
    assert literal_text(reconfigure["description_placeholders"]["email"]) == (
        SHOWN_EMAIL
    )
    hass.config_entries.flow.async_abort(reconfigure["flow_id"])

    reauth = await flow.start_reauth(entry)
    assert literal_text(reauth["description_placeholders"]["email"]) == SHOWN_EMAIL
    reauth = await flow.submit(reauth, {"next_step_id": "password"})
    result = await flow.submit(reauth, credentials(emulator, MARKDOWN_EMAIL))
    assert result["reason"] == "reauth_successful"


# --- Over the REST API, as the frontend drives it ------------------------------------------


async def test_password_sign_in_over_the_rest_api(
    rest: RestFlow, emulator: Emulator
) -> None:
    """Menu, the serialized password form (with its collapsed section), then the entry."""
    form = await rest.open("password")
    assert form["step_id"] == "password"
    fields = {field["name"]: field for field in form["data_schema"]}
    assert fields["email"]["selector"]["text"]["type"] == "email"
    assert fields["password"]["selector"]["text"]["type"] == "password"
    assert fields["region"]["selector"]["select"]["translation_key"] == "region"
    assert fields["advanced"]["type"] == "expandable"
    assert fields["advanced"]["expanded"] is False
    assert [field["name"] for field in fields["advanced"]["schema"]] == [
        "auth_url",
        "api_url",
    ]

    done = await rest.submit(form, credentials(emulator))
    assert done["type"] == "create_entry"
    assert done["title"] == OWNER
    assert "data" not in done  # the API never hands the tokens out


async def test_a_password_form_shown_again_keeps_the_chosen_server(
    rest: RestFlow, emulator: Emulator
) -> None:
    """A wrong password, then the right one in the form the frontend fills again: signed in.

    The frontend fills a section from its default alone; an empty default sent the retry to
    Tesla's own server.
    """
    form = await rest.open("password")
    form = await rest.submit(form, credentials(emulator, password="not-the-password"))
    assert form["errors"] == {"base": "invalid_auth"}
    assert section_default(form) == {"auth_url": emulator.global_sso}

    retry = initial_data(form["data_schema"])
    assert retry["advanced"] == {"auth_url": emulator.global_sso}
    retry["password"] = PASSWORD  # a password is never shown again: typed anew
    done = await rest.submit(form, submitted(retry))

    assert done["type"] == "create_entry"
    assert done["title"] == OWNER


async def test_the_browser_path_with_a_custom_server_finishes(
    rest: RestFlow, emulator: Emulator
) -> None:
    """Choosing the server renews the link; the form shown again keeps that server.

    With the server forgotten, pasting the callback "changed" the server once more, renewed
    the link again, and the sign-in could never finish.
    """
    form = await rest.open("browser")
    typed = initial_data(form["data_schema"])
    typed["advanced"] = {"auth_url": emulator.global_sso}
    form = await rest.submit(form, submitted(typed))
    assert form["errors"] == {"base": "auth_link_changed"}
    link = form["description_placeholders"]["authorize_url"]
    assert link.startswith(f"{emulator.global_sso}/authorize?")
    assert section_default(form) == {"auth_url": emulator.global_sso}

    callback = await browser_sign_in(link)
    pasted = initial_data(form["data_schema"]) | {"callback_url": callback}
    done = await rest.submit(form, submitted(pasted))

    assert done["type"] == "create_entry"
    assert done["title"] == OWNER


async def test_reconfigure_shows_the_entry_server_to_the_frontend(
    hass: HomeAssistant, flow: FlowDriver, rest: RestFlow, emulator: Emulator
) -> None:
    """Saving the reconfigure form unchanged keeps the entry's own sign-in server."""
    entry = await flow.add_entry(emulator)
    form = await rest.post(FLOWS, {"handler": DOMAIN, "entry_id": entry.entry_id})
    assert form["step_id"] == "reconfigure"
    assert section_default(form) == {"auth_url": emulator.global_sso}

    done = await rest.submit(form, submitted(initial_data(form["data_schema"])))

    assert done["type"] == "abort"
    assert done["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.data["auth_url"] == emulator.global_sso
