"""The MFA endpoints: factors, passcodes, attempts, replay, expiry, backup codes."""

from __future__ import annotations

from collections.abc import Callable
import re
from typing import Any

import aiohttp
import pytest

from emulator import Emulator

from .helpers import Browser, callback, claims

MFA = "mfa@example.com"


async def at_mfa(emulator: Emulator, http: aiohttp.ClientSession) -> Browser:
    browser = Browser(http, emulator.global_sso)
    await browser.open(MFA)
    page = await browser.submit(MFA)
    assert page.status == 200
    assert "/authorize/mfa/verify" in page.text
    return browser


def wrong_code(right: str) -> str:
    return f"{(int(right) + 500000) % 1000000:06d}"


async def test_mfa_with_the_second_device(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    browser = await at_mfa(emulator, http)
    factors = await browser.factors()
    assert [(f["name"], f["factorType"]) for f in factors] == [
        ("Phone", "token:software"),
        ("Watch", "token:software"),
    ]
    status, body = await browser.verify(
        factors[1]["id"], emulator.state.totp(MFA, "Watch")
    )
    assert status == 200
    assert body["data"]["valid"] is True
    assert body["data"]["approved"] is True
    result = callback(await browser.finish())
    status, tokens, _ = await browser.token(result["code"], result["issuer"])
    assert status == 200
    assert claims(tokens["access_token"])["amr"] == ["pwd", "mfa", "otp"]


async def test_mfa_page_has_no_form_inputs(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    browser = Browser(http, emulator.global_sso)
    await browser.open(MFA)
    page = await browser.submit(MFA)
    # 2021 clients treat any <input> on the answer as "credentials rejected".
    assert "<input" not in page.text.split("<script")[0]
    assert "var messages" not in page.text


@pytest.mark.parametrize(
    ("factor", "passcode"),
    [
        (1, lambda emulator: emulator.state.totp(MFA, "Phone")),
        # Arabic-Indic digits: the wrong-code answer, as any other wrong code (not a 500).
        (0, lambda _: "١٢٣٤٥٦"),
    ],
    ids=["the other devices code", "other digits"],
)
async def test_wrong_code_is_not_valid(
    emulator: Emulator,
    http: aiohttp.ClientSession,
    factor: int,
    passcode: Callable[[Emulator], str],
) -> None:
    browser = await at_mfa(emulator, http)
    factors = await browser.factors()
    status, body = await browser.verify(factors[factor]["id"], passcode(emulator))
    assert status == 200
    assert body["data"]["valid"] is False


async def test_mfa_csrf_knob_wants_the_mfa_pages_own_csrf(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    """The 2023 change: MFA JSON without the MFA page's _csrf is refused with 403."""
    emulator.state.scenario = emulator.state.scenario.updated({"mfa_csrf": True})
    browser = Browser(http, emulator.global_sso)
    await browser.open(MFA)
    page = await browser.submit(MFA)
    match = re.search(r'"_csrf":\s*"([^"]+)"', page.text)
    assert match is not None
    mfa_csrf = match.group(1)
    assert mfa_csrf != browser.form["_csrf"]  # not the sign-in form's
    factors = await browser.factors()
    code = emulator.state.totp(MFA, "Phone")

    for extra in ({}, {"_csrf": browser.form["_csrf"]}):
        status, body = await browser.verify(factors[0]["id"], code, **extra)
        assert status == 403
        assert body["error"]["code"] == "FORBIDDEN"
        status, body = await browser.backup("aaaaaaaaa", **extra)
        assert status == 403

    status, body = await browser.verify(factors[0]["id"], code, _csrf=mfa_csrf)
    assert status == 200
    assert body["data"]["valid"] is True


async def test_finish_before_verify_shows_the_mfa_page_again(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    browser = await at_mfa(emulator, http)
    page = await browser.finish()
    assert page.status == 200
    assert "/authorize/mfa/verify" in page.text


async def test_too_many_wrong_codes(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    emulator.state.scenario = emulator.state.scenario.updated({"mfa_max_attempts": 2})
    browser = await at_mfa(emulator, http)
    factor = (await browser.factors())[0]["id"]
    right = emulator.state.totp(MFA, "Phone")
    for _ in range(2):
        status, body = await browser.verify(factor, wrong_code(right))
        assert (status, body["data"]["valid"]) == (200, False)
    status, body = await browser.verify(factor, right)
    assert status == 400
    assert body["error"]["code"] == "ERR_MAX_VERIFICATION_ATTEMPTS"


async def test_a_used_code_is_a_replay(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    browser = await at_mfa(emulator, http)
    factor = (await browser.factors())[0]["id"]
    code = emulator.state.totp(MFA, "Phone")
    assert (await browser.verify(factor, code))[1]["data"]["valid"] is True
    callback(await browser.finish())

    again = await at_mfa(emulator, http)
    status, body = await again.verify(factor, code)
    assert status == 400
    assert body["error"]["code"] == "ERR_PASS_CODE_REPLAY"
    # The other device's code still works.
    watch = (await again.factors())[1]["id"]
    assert (await again.verify(watch, emulator.state.totp(MFA, "Watch")))[1]["data"][
        "valid"
    ] is True


async def test_codes_follow_the_clock(
    emulator: Emulator, http: aiohttp.ClientSession, freezer: Any
) -> None:
    browser = await at_mfa(emulator, http)
    factor = (await browser.factors())[0]["id"]
    old = emulator.state.totp(MFA, "Phone")
    freezer.tick(95)
    _, body = await browser.verify(factor, old)
    assert body["data"]["valid"] is False
    assert (await browser.verify(factor, emulator.state.totp(MFA, "Phone")))[1]["data"][
        "valid"
    ]


async def test_expired_transaction(
    emulator: Emulator, http: aiohttp.ClientSession, freezer: Any
) -> None:
    browser = await at_mfa(emulator, http)
    factor = (await browser.factors())[0]["id"]
    freezer.tick(601)
    status, body = await browser.verify(factor, emulator.state.totp(MFA, "Phone"))
    assert status == 400
    assert body["error"]["code"] == "ERR_EXPIRED"


async def test_verify_validation_errors(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    browser = await at_mfa(emulator, http)
    factor = (await browser.factors())[0]["id"]
    status, body = await browser.verify(factor, "12ab")
    assert (status, body["error"]["code"]) == (400, "ERR_OBJECT_VALIDATION")
    status, body = await browser.verify("not-a-factor", "123456")
    assert (status, body["error"]["code"]) == (400, "ERR_INVALID_FACTOR")
    async with http.post(
        f"{emulator.global_sso}/authorize/mfa/verify", json=[1]
    ) as response:
        assert response.status == 400
        assert (await response.json())["error"]["code"] == "ERR_OBJECT_VALIDATION"


async def test_mfa_endpoints_need_the_transaction_at_mfa(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    browser = Browser(http, emulator.global_sso)
    await browser.open(MFA)  # password not given yet
    async with http.get(
        f"{emulator.global_sso}/authorize/mfa/factors",
        params={"transaction_id": browser.form["transaction_id"]},
    ) as response:
        assert response.status == 401
        assert (await response.json())["error"]["code"] == "UNAUTHORIZED"


async def test_backup_code_signs_in_once(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    codes = emulator.state.backup_codes(MFA)
    assert len(codes) == 10
    assert all(len(c) == 9 for c in codes)
    browser = await at_mfa(emulator, http)
    status, body = await browser.backup(codes[0])
    assert status == 200
    assert body["data"]["valid"] is True
    assert body["data"]["codesRemaining"] == 9
    callback(await browser.finish())
    assert emulator.state.backup_codes(MFA) == codes[1:]

    again = await at_mfa(emulator, http)
    status, body = await again.backup(codes[0])
    assert body["data"]["valid"] is False
    assert body["data"]["reason"] == "ERR_BACKUP_CODE_REPLAY"


async def test_backup_codes_lock_after_the_attempt_limit(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    emulator.state.scenario = emulator.state.scenario.updated(
        {"backup_code_attempts": 2}
    )
    browser = await at_mfa(emulator, http)
    status, body = await browser.backup("xxxxxxxxx")
    assert (status, body["data"]["valid"], body["data"]["attemptsRemaining"]) == (
        200,
        False,
        1,
    )
    assert body["data"]["locked"] is False
    status, body = await browser.backup("yyyyyyyyy")
    assert body["data"]["attemptsRemaining"] == 0
    assert body["data"]["locked"] is True
    # A good code no longer helps.
    status, body = await browser.backup(emulator.state.backup_codes(MFA)[0])
    assert body["data"]["valid"] is False
    assert body["data"]["reason"] == "ERR_MAX_BACKUP_ATTEMPTS"


async def test_backup_code_must_have_nine_characters(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    browser = await at_mfa(emulator, http)
    _, body = await browser.backup("short")
    assert body["data"]["reason"] == "ERR_OBJECT_VALIDATION"
    assert body["data"]["attemptsRemaining"] == 10
