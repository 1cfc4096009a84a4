"""Fault injection and the WAF knob."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from emulator import Emulator, Fault, FaultKind

from .helpers import Browser, callback, refresh, sign_in


async def test_status_fault_is_one_shot_by_default(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    emulator.state.set_fault("authorize", Fault(FaultKind.STATUS, status=503))
    browser = Browser(http, emulator.global_sso)
    assert (await browser.open("owner@example.com")).status == 503
    assert (await browser.open("owner@example.com")).status == 200


async def test_fault_count_and_method(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    emulator.state.set_fault(
        "authorize", Fault(FaultKind.STATUS, status=500, count=2, method="POST")
    )
    browser = Browser(http, emulator.global_sso)
    assert (await browser.open("owner@example.com")).status == 200
    assert (await browser.submit("owner@example.com")).status == 500
    assert (await browser.submit("owner@example.com")).status == 500
    assert (await browser.submit("owner@example.com")).status == 302


async def test_persistent_fault_until_cleared(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    emulator.state.set_fault("*", Fault(FaultKind.STATUS, status=502, count=None))
    browser = Browser(http, emulator.global_sso)
    for _ in range(3):
        assert (await browser.open("owner@example.com")).status == 502
    emulator.state.clear_faults()
    assert (await browser.open("owner@example.com")).status == 200


async def test_rate_limit_with_retry_after(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    tokens = await sign_in(http, emulator)
    emulator.state.set_fault("token", Fault(FaultKind.RATE_LIMIT, retry_after=120))
    async with http.post(
        f"{emulator.global_sso}/token",
        json={
            "grant_type": "refresh_token",
            "client_id": "ownerapi",
            "refresh_token": tokens["refresh_token"],
        },
    ) as response:
        assert response.status == 429
        assert response.headers["Retry-After"] == "120"
    assert (await refresh(http, emulator.global_sso, tokens["refresh_token"]))[0] == 200


async def test_delay_makes_an_impatient_client_time_out(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    emulator.state.set_fault("captcha", Fault(FaultKind.DELAY, delay=0.3))
    with pytest.raises(asyncio.TimeoutError):
        async with http.get(
            f"{emulator.global_sso}/captcha", timeout=aiohttp.ClientTimeout(total=0.05)
        ):
            pass


async def test_delay_then_answers_normally(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    emulator.state.set_fault("authorize", Fault(FaultKind.DELAY, delay=0.01))
    browser = Browser(http, emulator.global_sso)
    assert (await browser.open("owner@example.com")).status == 200


@pytest.mark.parametrize(
    ("kind", "failure"),
    [
        (FaultKind.DROP, aiohttp.ServerDisconnectedError),
        (FaultKind.MALFORMED_JSON, json.JSONDecodeError),
        (FaultKind.TRUNCATED, aiohttp.ClientPayloadError),
    ],
    ids=["dropped", "malformed_json", "truncated"],
)
async def test_broken_answer_once(
    emulator: Emulator,
    http: aiohttp.ClientSession,
    kind: FaultKind,
    failure: type[Exception],
) -> None:
    """The client meets the broken answer; the next request is answered normally."""
    tokens = await sign_in(http, emulator)
    emulator.state.set_fault("token", Fault(kind))
    with pytest.raises(failure):
        await refresh(http, emulator.global_sso, tokens["refresh_token"])
    assert (await refresh(http, emulator.global_sso, tokens["refresh_token"]))[0] == 200


async def test_waf_block_fault(emulator: Emulator, http: aiohttp.ClientSession) -> None:
    emulator.state.set_fault("authorize", Fault(FaultKind.WAF_BLOCK))
    page = await Browser(http, emulator.global_sso).open("owner@example.com")
    assert page.status == 403
    assert page.headers["Server"] == "AkamaiGHost"
    assert "Access Denied" in page.text
    assert "Reference #18." in page.text


async def test_waf_challenge_fault(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    emulator.state.set_fault("authorize", Fault(FaultKind.WAF_CHALLENGE, method="POST"))
    browser = Browser(http, emulator.global_sso)
    await browser.open("owner@example.com")
    page = await browser.submit("owner@example.com")
    assert page.status == 200
    assert "<noscript>Please enable JavaScript to view the page content." in page.text


async def test_fault_on_mfa_endpoint(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    browser = Browser(http, emulator.global_sso)
    await browser.open("mfa@example.com")
    await browser.submit("mfa@example.com")
    emulator.state.set_fault("mfa_verify", Fault(FaultKind.STATUS, status=500))
    factor = (await browser.factors())[0]["id"]
    async with http.post(
        f"{emulator.global_sso}/authorize/mfa/verify",
        json={
            "transaction_id": browser.form["transaction_id"],
            "factor_id": factor,
            "passcode": "000000",
        },
    ) as response:
        assert response.status == 500


async def test_waf_knob_blocks_every_sso_request_but_not_the_owner_api(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    tokens = await sign_in(http, emulator)
    emulator.state.scenario = emulator.state.scenario.updated({"waf": "block"})
    page = await Browser(http, emulator.global_sso).open("owner@example.com")
    assert (page.status, page.headers["Server"]) == (403, "AkamaiGHost")
    async with http.post(f"{emulator.global_sso}/token", json={}) as response:
        assert response.status == 403
    async with http.post(
        f"{emulator.base_url}/oauth/token",
        json={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer"},
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    ) as response:
        assert response.status == 200
    emulator.state.scenario = emulator.state.scenario.updated({"waf": "challenge"})
    page = await Browser(http, emulator.global_sso).open("owner@example.com")
    assert "Please enable JavaScript" in page.text
    emulator.state.scenario = emulator.state.scenario.updated({"waf": "off"})
    browser = Browser(http, emulator.global_sso)
    await browser.open("owner@example.com")
    callback(await browser.submit("owner@example.com"))
