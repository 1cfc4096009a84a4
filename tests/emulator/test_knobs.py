"""The remaining scenario knobs, each changed at run time and observed over HTTP."""

from __future__ import annotations

from typing import Any

import aiohttp

from emulator import Emulator

from .helpers import Browser, callback, claims, sign_in


async def test_captcha_length(emulator: Emulator, http: aiohttp.ClientSession) -> None:
    emulator.state.scenario.captcha_length = 6
    browser = Browser(http, emulator.global_sso)
    await browser.open("captcha@example.com")
    await browser.captcha()
    answer = emulator.state.latest_captcha_answer()
    assert answer is not None
    assert len(answer) == 6


async def test_account_captcha_overrides_the_scenario(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    emulator.state.scenario = emulator.state.scenario.updated(
        {
            "captcha": "first_page",
            "accounts": [
                {"email": "free@example.com", "captcha": "off"},
                {"email": "late@example.com", "captcha": "after_first_post"},
            ],
        }
    )
    browser = Browser(http, emulator.global_sso)
    assert 'name="captcha"' not in (await browser.open("free@example.com")).text
    assert (await browser.submit("free@example.com")).status == 302
    browser = Browser(http, emulator.global_sso)
    assert 'name="captcha"' not in (await browser.open("late@example.com")).text
    assert 'name="captcha"' in (await browser.submit("late@example.com")).text


async def test_code_lifetime(
    emulator: Emulator, http: aiohttp.ClientSession, freezer: Any
) -> None:
    emulator.state.scenario.code_lifetime = 600
    browser = Browser(http, emulator.global_sso)
    await browser.open("owner@example.com")
    code = callback(await browser.submit("owner@example.com"))["code"]
    freezer.tick(300)
    assert (await browser.token(code))[0] == 200


async def test_transaction_lifetime(
    emulator: Emulator, http: aiohttp.ClientSession, freezer: Any
) -> None:
    emulator.state.scenario.transaction_lifetime = 60
    browser = Browser(http, emulator.global_sso)
    await browser.open("owner@example.com")
    freezer.tick(61)
    assert (await browser.submit("owner@example.com")).status == 400


async def test_legacy_token_lifetime(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    emulator.state.scenario.legacy_token_lifetime = 3600
    tokens = await sign_in(http, emulator)
    async with http.post(
        f"{emulator.base_url}/oauth/token",
        data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer"},
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    ) as response:
        assert (await response.json())["expires_in"] == 3600


async def test_account_claims_and_factor_types(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    emulator.state.scenario = emulator.state.scenario.updated(
        {
            "accounts": [
                {
                    "email": "eu@example.com",
                    "ou_code": "EU",
                    "locale": "de-DE",
                    "sub": "0b1f7a54-0000-4000-8000-000000000001",
                    "mfa_devices": [
                        {
                            "name": "Push",
                            "secret": "JBSWY3DPEHPK3PXP",
                            "factor_type": "push_app",
                        },
                        {
                            "name": "SMS",
                            "secret": "KRSXG5CTMVRXEZLU",
                            "factor_type": "sms",
                            "id": "sms-1",
                        },
                    ],
                }
            ]
        }
    )
    browser = Browser(http, emulator.global_sso)
    await browser.open("eu@example.com")
    await browser.submit("eu@example.com")
    factors = await browser.factors()
    assert [(f["factorType"], f["dispatchRequired"]) for f in factors] == [
        ("push_app", True),
        ("sms", True),
    ]
    assert factors[1]["id"] == "sms-1"
    code = emulator.state.totp("eu@example.com", "sms-1")
    assert (await browser.verify("sms-1", code))[1]["data"]["valid"] is True
    result = callback(await browser.finish())
    _, tokens, _ = await browser.token(result["code"])
    access = claims(tokens["access_token"])
    assert (access["ou_code"], access["locale"], access["sub"]) == (
        "EU",
        "de-DE",
        "0b1f7a54-0000-4000-8000-000000000001",
    )


async def test_china_account_with_mfa(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    emulator.state.scenario = emulator.state.scenario.updated(
        {
            "accounts": [
                {
                    "email": "cn-mfa@example.com",
                    "region": "china",
                    "mfa_devices": [{"name": "Phone", "secret": "JBSWY3DPEHPK3PXP"}],
                }
            ]
        }
    )
    browser = Browser(http, emulator.global_sso)
    await browser.open("cn-mfa@example.com")
    assert browser.base == emulator.china_sso
    page = await browser.submit("cn-mfa@example.com")
    assert "/cn/oauth2/v3/authorize/mfa/verify" in page.text
    factor = (await browser.factors())[0]["id"]
    code = emulator.state.totp("cn-mfa@example.com", "Phone")
    assert (await browser.verify(factor, code))[1]["data"]["valid"] is True
    result = callback(await browser.finish())
    assert result["issuer"] == emulator.china_sso
    status, tokens, _ = await browser.token(result["code"], result["issuer"])
    assert status == 200
    assert claims(tokens["access_token"])["amr"] == ["pwd", "mfa", "otp"]
