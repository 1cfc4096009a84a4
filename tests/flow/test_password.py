"""Signing in with email and password: plain, captcha, MFA, China, and every refusal."""

from __future__ import annotations

import base64

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_ACCESS_TOKEN
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType

from custom_components.tesla_token.const import (
    CONF_REFRESH_TOKEN,
    DEFAULT_OPTIONS,
    DOMAIN,
)
from emulator import Emulator, WafMode

from .conftest import Secrets
from .helpers import (
    CAPTCHA_ACCOUNT,
    CHINA_ACCOUNT,
    MFA_ACCOUNT,
    OWNER,
    PASSWORD,
    account_sub,
    browser_sign_in,
    credentials,
    server,
    sso_requests,
    start,
    submit,
)

CAPTCHA_IMAGE_PREFIX = "![captcha](data:image/svg+xml;base64,"


def captcha_svg(result: dict[str, object]) -> bytes:
    """The SVG shown inline in the captcha step's description."""
    markdown = result["description_placeholders"]["captcha_image"]  # type: ignore[index]
    assert markdown.startswith(CAPTCHA_IMAGE_PREFIX) and markdown.endswith(")")
    return base64.b64decode(markdown.removeprefix(CAPTCHA_IMAGE_PREFIX)[:-1])


async def test_plain_sign_in_creates_the_entry(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """Email and password alone: one entry with the tokens, never the password."""
    result = await start(hass, "password")
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "password"
    assert result["errors"] is None

    result = await submit(hass, result, credentials(emulator))

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == OWNER
    entry = result["result"]
    assert entry.unique_id == account_sub(emulator, OWNER)
    assert entry.options == DEFAULT_OPTIONS
    assert set(entry.data) == {
        "email", "region", "auth_url", "issuer", "access_token", "refresh_token",
        "expires_at", "issued_at", "refresh_token_issued_at",
    }  # fmt: skip
    assert entry.data["email"] == OWNER
    assert entry.data["region"] == "global"
    assert entry.data["auth_url"] == emulator.global_sso
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


async def test_captcha_with_a_wrong_answer_first(
    hass: HomeAssistant, emulator: Emulator, secrets: Secrets
) -> None:
    """The captcha shows inline; a wrong answer brings an error and a new image."""
    result = await start(hass, "password")
    result = await submit(hass, result, credentials(emulator, CAPTCHA_ACCOUNT))
    assert result["step_id"] == "captcha"
    assert b"<svg" in captcha_svg(result)
    first_answer = emulator.state.latest_captcha_answer()
    assert first_answer

    result = await submit(hass, result, {"captcha": "wrong"})
    assert result["step_id"] == "captcha"
    assert result["errors"] == {"captcha": "captcha_invalid"}
    assert b"<svg" in captcha_svg(result)
    assert sso_requests(emulator).count(("GET", "/oauth2/v3/captcha")) == 2

    answer = emulator.state.latest_captcha_answer()
    secrets.add(first_answer, answer)
    result = await submit(hass, result, {"captcha": f" {answer} "})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == CAPTCHA_ACCOUNT


async def test_two_mfa_devices_choosing_the_second(
    hass: HomeAssistant, emulator: Emulator, secrets: Secrets
) -> None:
    """With two devices the person chooses; a malformed or wrong code gets another try."""
    result = await start(hass, "password")
    result = await submit(hass, result, credentials(emulator, MFA_ACCOUNT))
    assert result["step_id"] == "mfa_device"
    devices = result["data_schema"].schema["device"].config["options"]
    assert [device["label"] for device in devices] == ["Phone", "Watch"]

    result = await submit(hass, result, {"device": devices[1]["value"]})
    assert result["step_id"] == "mfa"
    assert result["description_placeholders"] == {"device": "Watch"}

    served = len(emulator.state.requests)
    result = await submit(hass, result, {"code": "12345"})
    assert result["errors"] == {"code": "invalid_mfa_code"}
    # Six digits, but not the ASCII ones an authenticator shows.
    result = await submit(hass, result, {"code": "١٢٣٤٥٦"})
    assert result["errors"] == {"code": "invalid_mfa_code"}
    assert len(emulator.state.requests) == served  # told apart without asking Tesla

    # The Phone's passcode is wrong for the Watch.
    phone_code = emulator.state.totp(MFA_ACCOUNT, "Phone")
    watch_code = emulator.state.totp(MFA_ACCOUNT, "Watch")
    secrets.add(phone_code, watch_code)
    result = await submit(hass, result, {"code": phone_code})
    assert result["step_id"] == "mfa"
    assert result["errors"] == {"code": "invalid_mfa_code"}

    result = await submit(hass, result, {"code": f"{watch_code[:3]} {watch_code[3:]}"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == MFA_ACCOUNT


async def test_backup_code(
    hass: HomeAssistant, emulator: Emulator, secrets: Secrets
) -> None:
    """A 9-character backup code (dashes ignored) instead of a passcode."""
    result = await start(hass, "password")
    result = await submit(hass, result, credentials(emulator, MFA_ACCOUNT))
    result = await submit(
        hass,
        result,
        {
            "device": result["data_schema"]
            .schema["device"]
            .config["options"][0]["value"]
        },
    )

    result = await submit(hass, result, {"code": "zzzz-zzzz-z"})
    assert result["errors"] == {"code": "invalid_mfa_code"}

    code = emulator.state.backup_codes(MFA_ACCOUNT)[0]
    secrets.add(code)
    result = await submit(hass, result, {"code": f"{code[:4]}-{code[4:]}"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert code not in emulator.state.backup_codes(MFA_ACCOUNT)


async def test_china_account_follows_the_region_redirect(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """A China account typed with the global server ends up issued by the China server."""
    result = await start(hass, "password")
    result = await submit(hass, result, credentials(emulator, CHINA_ACCOUNT))

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["issuer"] == emulator.china_sso
    assert ("GET", "/cn/oauth2/v3/authorize") in sso_requests(emulator)
    assert ("POST", "/cn/oauth2/v3/token") in sso_requests(emulator)


async def test_wrong_password_then_right(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """A wrong password shows invalid_auth and keeps the email; the right one signs in."""
    result = await start(hass, "password")
    result = await submit(
        hass, result, credentials(emulator, password="not-the-password")
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

    result = await submit(hass, result, credentials(emulator))
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_locked_account(hass: HomeAssistant, emulator: Emulator) -> None:
    """A locked account says so; once unlocked, the sign-in works."""
    account = emulator.state.scenario.account(OWNER)
    assert account is not None
    account.locked = True
    result = await start(hass, "password")
    result = await submit(hass, result, credentials(emulator))
    assert result["step_id"] == "password"
    assert result["errors"] == {"base": "account_locked"}

    account.locked = False
    result = await submit(hass, result, credentials(emulator))
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_recaptcha_offers_the_browser_path(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """Tesla wants reCAPTCHA: the flow moves to the browser sign-in with an explanation."""
    emulator.state.scenario.recaptcha = True
    result = await start(hass, "password")
    result = await submit(hass, result, credentials(emulator))
    assert result["step_id"] == "browser"
    assert result["errors"] == {"base": "recaptcha_required"}

    callback = await browser_sign_in(
        result["description_placeholders"]["authorize_url"], recaptcha=True
    )
    result = await submit(
        hass,
        result,
        {"callback_url": callback, **server(emulator)},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == OWNER


async def test_waf_block_offers_the_browser_path(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """Tesla's firewall blocks this network: wait, then the browser path."""
    emulator.state.scenario.waf = WafMode.BLOCK
    result = await start(hass, "password")
    result = await submit(hass, result, credentials(emulator))
    assert result["step_id"] == "browser"
    assert result["errors"] == {"base": "waf_blocked"}

    emulator.state.scenario.waf = WafMode.OFF
    callback = await browser_sign_in(
        result["description_placeholders"]["authorize_url"]
    )
    result = await submit(
        hass,
        result,
        {"callback_url": callback, **server(emulator)},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_already_configured(hass: HomeAssistant, emulator: Emulator) -> None:
    """The same account twice aborts."""
    result = await start(hass, "password")
    await submit(hass, result, credentials(emulator))
    result = await start(hass, "password")
    result = await submit(hass, result, credentials(emulator))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


async def test_mfa_expired_starts_over(
    hass: HomeAssistant,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
    secrets: Secrets,
) -> None:
    """A sign-in left too long at the passcode step starts over with a clear message."""
    result = await start(hass, "password")
    result = await submit(hass, result, credentials(emulator, MFA_ACCOUNT))
    watch = result["data_schema"].schema["device"].config["options"][1]["value"]
    result = await submit(hass, result, {"device": watch})
    freezer.tick(601)
    code = emulator.state.totp(MFA_ACCOUNT, "Watch")
    secrets.add(code)
    result = await submit(hass, result, {"code": code})
    assert result["step_id"] == "password"
    assert result["errors"] == {"base": "mfa_expired"}

    result = await submit(hass, result, credentials(emulator, MFA_ACCOUNT))
    result = await submit(hass, result, {"device": watch})
    freezer.tick(30)
    code = emulator.state.totp(MFA_ACCOUNT, "Watch")
    secrets.add(code)
    result = await submit(hass, result, {"code": code})
    assert result["type"] is FlowResultType.CREATE_ENTRY
