"""The JSON control API under /__emulator__/."""

from __future__ import annotations

import time
from typing import Any

import aiohttp
import pytest

from emulator import Emulator, Fault, FaultKind

from .helpers import PASSWORD, Browser, callback, refresh, sign_in


async def control(
    http: aiohttp.ClientSession,
    emulator: Emulator,
    method: str,
    path: str,
    **kwargs: Any,
) -> tuple[int, Any]:
    async with http.request(
        method, f"{emulator.base_url}/__emulator__/{path}", **kwargs
    ) as response:
        return response.status, await response.json()


async def test_latest_captcha(emulator: Emulator, http: aiohttp.ClientSession) -> None:
    assert await control(http, emulator, "GET", "captcha/latest") == (
        200,
        {"answer": None},
    )
    browser = Browser(http, emulator.global_sso)
    await browser.open("captcha@example.com")
    await browser.captcha()
    status, body = await control(http, emulator, "GET", "captcha/latest")
    assert status == 200
    assert (
        await browser.submit("captcha@example.com", captcha=body["answer"])
    ).status == 302


async def test_mfa_code_and_backup_codes(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    status, body = await control(
        http,
        emulator,
        "GET",
        "mfa/code",
        params={"email": "mfa@example.com", "device": "Watch"},
    )
    assert status == 200
    assert body == {"code": emulator.state.totp("mfa@example.com", "Watch")}
    status, body = await control(
        http, emulator, "GET", "mfa/backup_codes", params={"email": "mfa@example.com"}
    )
    assert (status, len(body["codes"])) == (200, 10)


@pytest.mark.parametrize(
    ("method", "path", "request_args"),
    [
        (
            "GET",
            "mfa/code",
            {"params": {"email": "mfa@example.com", "device": "Tablet"}},
        ),
        ("GET", "mfa/code", {"params": {"email": "x@example.com", "device": "Watch"}}),
        ("GET", "mfa/backup_codes", {"params": {"email": "x@y.z"}}),
        ("POST", "revoke", {"json": {"email": "x@y.z"}}),
        ("POST", "mint", {"json": {"email": "x@y.z"}}),
    ],
    ids=[
        "passcode of no device",
        "passcode of no account",
        "backup codes",
        "revoke",
        "mint",
    ],
)
async def test_unknown_account_or_device_is_404(
    emulator: Emulator,
    http: aiohttp.ClientSession,
    method: str,
    path: str,
    request_args: dict[str, Any],
) -> None:
    assert (await control(http, emulator, method, path, **request_args))[0] == 404


async def test_request_log_has_names_never_values(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    tokens = await sign_in(http, emulator)
    await control(http, emulator, "GET", "scenario")  # control calls are not logged
    status, log = await control(http, emulator, "GET", "requests")
    assert status == 200
    assert [(r["method"], r["path"], r["status"]) for r in log] == [
        ("GET", "/oauth2/v3/authorize", 200),
        ("POST", "/oauth2/v3/authorize", 302),
        ("POST", "/oauth2/v3/token", 200),
    ]
    assert "credential" in log[1]["form"]
    assert "login_hint" in log[0]["query"]
    text = str(log)
    for secret in (
        PASSWORD,
        "owner@example.com",
        tokens["access_token"],
        tokens["refresh_token"],
    ):
        assert secret not in text
    assert await control(http, emulator, "DELETE", "requests") == (200, {"ok": True})
    assert await control(http, emulator, "GET", "requests") == (200, [])


async def test_scenario_get_patch_put(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    status, scenario = await control(http, emulator, "GET", "scenario")
    assert status == 200
    assert scenario["access_token_lifetime"] == 28800
    assert scenario["refresh_rotation"] == "reuse"
    assert scenario["redirect_uris"] == ["tesla://auth/callback"]
    assert {a["email"] for a in scenario["accounts"]} == {
        "owner@example.com",
        "captcha@example.com",
        "mfa@example.com",
        "china@example.com",
    }
    status, scenario = await control(
        http, emulator, "PATCH", "scenario", json={"access_token_lifetime": 600}
    )
    assert (status, scenario["access_token_lifetime"]) == (200, 600)
    assert (await sign_in(http, emulator))["expires_in"] == 600
    status, scenario = await control(
        http, emulator, "PATCH", "scenario", json={"clock_offset_seconds": -86400}
    )
    assert (status, scenario["clock_offset_seconds"]) == (200, -86400)
    assert emulator.state.tesla_now() == pytest.approx(time.time() - 86400, abs=5)

    status, scenario = await control(
        http,
        emulator,
        "PUT",
        "scenario",
        json={"accounts": [{"email": "solo@example.com", "password": "pw"}]},
    )
    assert status == 200
    assert scenario["access_token_lifetime"] == 28800
    browser = Browser(http, emulator.global_sso)
    await browser.open("solo@example.com")
    callback(await browser.submit("solo@example.com", "pw"))
    browser = Browser(http, emulator.global_sso)
    await browser.open()
    assert (await browser.submit("owner@example.com")).status == 401


@pytest.mark.parametrize(
    "body",
    [
        {"refresh_rotation": "sometimes"},
        {"access_token_lifetime": -1},
        {"clock_offset_seconds": "a day"},
        {"clock_offset_seconds": 1.5},
        {"nonsense": True},
        {
            "accounts": [
                {"email": "a@b.c", "mfa_devices": [{"name": "X", "secret": "!!"}]}
            ]
        },
    ],
    ids=[
        "unknown rotation",
        "negative lifetime",
        "offset text",
        "offset fraction",
        "unknown knob",
        "bad mfa secret",
    ],
)
async def test_invalid_scenario_is_400(
    emulator: Emulator, http: aiohttp.ClientSession, body: dict[str, Any]
) -> None:
    status, answer = await control(http, emulator, "PATCH", "scenario", json=body)
    assert status == 400
    assert answer["error"]


async def test_scenario_that_is_not_json_is_400(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    async with http.patch(
        f"{emulator.base_url}/__emulator__/scenario", data=b"{not json"
    ) as response:
        assert response.status == 400


async def test_add_an_account(emulator: Emulator, http: aiohttp.ClientSession) -> None:
    status, _ = await control(
        http,
        emulator,
        "POST",
        "accounts",
        json={
            "email": "new@example.com",
            "captcha": "after_first_post",
            "mfa_devices": [{"name": "Key", "secret": "JBSWY3DPEHPK3PXP"}],
        },
    )
    assert status == 200
    account = emulator.state.scenario.account("new@example.com")
    assert account is not None
    assert account.device("Key") is not None
    # Replacing keeps one account per email.
    await control(http, emulator, "POST", "accounts", json={"email": "new@example.com"})
    assert [a.email for a in emulator.state.scenario.accounts].count(
        "new@example.com"
    ) == 1


async def test_faults_over_http(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    status, armed = await control(
        http,
        emulator,
        "POST",
        "faults",
        json={
            "endpoint": "authorize",
            "kind": "rate_limit",
            "retry_after": 7,
            "count": None,
        },
    )
    assert status == 200
    assert armed == [
        {
            "endpoint": "authorize",
            "kind": "rate_limit",
            "count": None,
            "status": 500,
            "retry_after": 7,
            "delay": 1.0,
            "method": None,
        }
    ]
    page = await Browser(http, emulator.global_sso).open("owner@example.com")
    assert (page.status, page.headers["Retry-After"]) == (429, "7")
    assert (await control(http, emulator, "GET", "faults"))[1] == armed
    assert await control(http, emulator, "DELETE", "faults") == (200, {"ok": True})
    assert (
        await Browser(http, emulator.global_sso).open("owner@example.com")
    ).status == 200


@pytest.mark.parametrize(
    "fault",
    [
        {"endpoint": "nowhere", "kind": "drop"},
        {"endpoint": "token", "kind": "explode"},
        {"endpoint": "token", "kind": "status", "status": 42},
        {"endpoint": "token", "kind": "drop", "count": 0},
        {"endpoint": "token", "kind": "delay", "delay": "soon"},
        {"endpoint": "token", "kind": "drop", "bogus": 1},
    ],
    ids=[
        "unknown endpoint",
        "unknown kind",
        "bad status",
        "count 0",
        "delay text",
        "unknown field",
    ],
)
async def test_invalid_fault_is_400(
    emulator: Emulator, http: aiohttp.ClientSession, fault: dict[str, Any]
) -> None:
    assert (await control(http, emulator, "POST", "faults", json=fault))[0] == 400
    assert (await control(http, emulator, "GET", "faults"))[1] == []  # nothing armed


async def test_revoke_and_mint_over_http(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    status, body = await control(
        http, emulator, "POST", "mint", json={"email": "mfa@example.com", "mfa": True}
    )
    assert status == 200
    token = body["refresh_token"]
    assert (await refresh(http, emulator.global_sso, token))[0] == 200
    assert await control(
        http, emulator, "POST", "revoke", json={"email": "mfa@example.com"}
    ) == (200, {"ok": True})
    assert (await refresh(http, emulator.global_sso, token))[0] == 401
    assert (await control(http, emulator, "POST", "mint", json=[]))[0] == 400


async def test_reset(emulator: Emulator, http: aiohttp.ClientSession) -> None:
    token = (await sign_in(http, emulator))["refresh_token"]
    await control(http, emulator, "PATCH", "scenario", json={"waf": "block"})
    emulator.state.set_fault("token", Fault(FaultKind.DROP))
    assert await control(http, emulator, "POST", "reset") == (200, {"ok": True})
    assert emulator.state.scenario.waf == "off"
    assert emulator.state.requests == []
    assert (await control(http, emulator, "GET", "faults"))[1] == []
    # Everything issued before is forgotten.
    assert (await refresh(http, emulator.global_sso, token))[0] == 401
