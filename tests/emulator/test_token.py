"""POST /token and the legacy owner-api exchange."""

from __future__ import annotations

import base64
from collections.abc import Callable
import time
from typing import Any

import aiohttp
import pytest

from emulator import Emulator

from .helpers import Browser, callback, claims, refresh, sign_in


async def code_for(
    emulator: Emulator, http: aiohttp.ClientSession
) -> tuple[Browser, str]:
    browser = Browser(http, emulator.global_sso)
    await browser.open("owner@example.com")
    return browser, callback(await browser.submit("owner@example.com"))["code"]


# A code exchange that differs from the authorize request in one way: what Tesla answers.
REFUSED_EXCHANGES: dict[str, tuple[Callable[[Browser], dict[str, str]], int, str]] = {
    "wrong verifier": (lambda _: {"code_verifier": "x" * 86}, 400, "invalid_grant"),
    "malformed verifier": (
        lambda _: {"code_verifier": "short"},
        400,
        "invalid_request",
    ),
    "no verifier": (lambda _: {"code_verifier": ""}, 400, "invalid_request"),
    "plain verifier equal to the challenge": (
        lambda browser: {"code_verifier": browser.query()["code_challenge"]},
        400,
        "invalid_grant",
    ),
    "other redirect_uri": (
        lambda _: {"redirect_uri": "https://auth.tesla.com/void/callback"},
        400,
        "invalid_grant",
    ),
    "other client": (lambda _: {"client_id": "someone"}, 401, "invalid_client"),
    "other grant": (
        lambda _: {"grant_type": "password"},
        400,
        "unsupported_grant_type",
    ),
}


@pytest.mark.parametrize(
    ("override", "status", "error"),
    REFUSED_EXCHANGES.values(),
    ids=REFUSED_EXCHANGES,
)
async def test_refused_exchange_does_not_spend_the_code(
    emulator: Emulator,
    http: aiohttp.ClientSession,
    override: Callable[[Browser], dict[str, str]],
    status: int,
    error: str,
) -> None:
    browser, code = await code_for(emulator, http)
    answer_status, body, _ = await browser.token(code, **override(browser))
    assert (answer_status, body["error"]) == (status, error)
    assert (await browser.token(code))[0] == 200


async def test_code_is_single_use(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    browser, code = await code_for(emulator, http)
    assert (await browser.token(code))[0] == 200
    status, body, headers = await browser.token(code)
    assert (status, body["error"]) == (400, "invalid_grant")
    assert headers["Cache-Control"] == "no-store"


async def test_code_expires(
    emulator: Emulator, http: aiohttp.ClientSession, freezer: Any
) -> None:
    browser, code = await code_for(emulator, http)
    freezer.tick(121)
    status, body, _ = await browser.token(code)
    assert (status, body["error"]) == (400, "invalid_grant")
    assert "expired" in body["error_description"]


async def test_unknown_code_and_unreadable_body(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    browser, _ = await code_for(emulator, http)
    assert (await browser.token("0" * 60))[1]["error"] == "invalid_grant"
    async with http.post(
        f"{emulator.global_sso}/token",
        data=b"\x00",
        headers={"Content-Type": "text/plain"},
    ) as response:
        assert (response.status, (await response.json())["error"]) == (
            400,
            "invalid_request",
        )


async def test_form_encoded_token_request(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    browser, code = await code_for(emulator, http)
    form = {
        "grant_type": "authorization_code",
        "client_id": "ownerapi",
        "code": code,
        "code_verifier": browser.verifier,
        "redirect_uri": browser.redirect_uri,
    }
    async with http.post(f"{emulator.global_sso}/token", data=form) as response:
        assert response.status == 200
        assert (await response.json())["state"] == browser.state


async def test_client_id_in_basic_auth(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    browser, code = await code_for(emulator, http)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "code_verifier": browser.verifier,
        "redirect_uri": browser.redirect_uri,
    }
    basic = "Basic " + base64.b64encode(b"ownerapi:").decode()
    async with http.post(
        f"{emulator.global_sso}/token", data=form, headers={"Authorization": basic}
    ) as response:
        assert response.status == 200


async def test_access_token_lifetime_knob(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    emulator.state.scenario.access_token_lifetime = 300
    tokens = await sign_in(http, emulator)
    access = claims(tokens["access_token"])
    assert tokens["expires_in"] == 300
    assert access["exp"] - access["iat"] == 300
    assert access["azp"] == "ownerapi"
    assert access["scp"] == ["openid", "email", "offline_access"]
    assert access["aud"] == [
        "https://owner-api.teslamotors.com/",
        f"{emulator.global_sso}/userinfo",
    ]
    assert claims(tokens["refresh_token"])["aud"] == f"{emulator.global_sso}/token"


@pytest.mark.parametrize("offset", [86400, -86400])
async def test_clock_offset_knob(
    emulator: Emulator, http: aiohttp.ClientSession, offset: int
) -> None:
    """Tesla's clock a day off: the time claims move, the lifetime and the codes do not."""
    emulator.state.scenario = emulator.state.scenario.updated(
        {"clock_offset_seconds": offset}
    )
    before = time.time()
    tokens = await sign_in(http, emulator)
    status, body = await refresh(http, emulator.global_sso, tokens["refresh_token"])
    assert status == 200
    for answer in (tokens, body):
        access = claims(answer["access_token"])
        assert before + offset - 1 <= access["iat"] <= time.time() + offset
        assert access["exp"] - access["iat"] == answer["expires_in"] == 28800
        assert claims(answer["id_token"])["iat"] == access["iat"]
        assert claims(answer["refresh_token"])["iat"] == pytest.approx(
            access["iat"], abs=1
        )


async def test_a_zero_lifetime_is_a_broken_answer(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    emulator.state.scenario = emulator.state.scenario.updated(
        {"access_token_lifetime": 0}
    )
    tokens = await sign_in(http, emulator)
    access = claims(tokens["access_token"])
    assert access["exp"] == access["iat"]
    assert tokens["expires_in"] == 0


async def test_refresh_in_reuse_mode_returns_the_same_refresh_token(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    tokens = await sign_in(http, emulator)
    status, body = await refresh(http, emulator.global_sso, tokens["refresh_token"])
    assert status == 200
    assert body["access_token"] != tokens["access_token"]
    assert body["refresh_token"] == tokens["refresh_token"]
    assert claims(body["id_token"])["email"] == "owner@example.com"
    assert (await refresh(http, emulator.global_sso, tokens["refresh_token"]))[0] == 200


async def test_single_use_rotation(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    emulator.state.scenario = emulator.state.scenario.updated(
        {"refresh_rotation": "single_use"}
    )
    tokens = await sign_in(http, emulator)
    status, body = await refresh(http, emulator.global_sso, tokens["refresh_token"])
    assert status == 200
    rotated = body["refresh_token"]
    assert rotated != tokens["refresh_token"]
    status, body = await refresh(http, emulator.global_sso, tokens["refresh_token"])
    assert (status, body["error"]) == (401, "login_required")
    assert (await refresh(http, emulator.global_sso, rotated))[0] == 200


async def test_response_without_refresh_token_knob(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    emulator.state.scenario.refresh_returns_refresh_token = False
    tokens = await sign_in(http, emulator)
    status, body = await refresh(http, emulator.global_sso, tokens["refresh_token"])
    assert status == 200
    assert "refresh_token" not in body


async def test_revoke_kills_every_refresh_token(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    first = (await sign_in(http, emulator))["refresh_token"]
    second = emulator.state.mint_refresh_token("owner@example.com")
    other = emulator.state.mint_refresh_token("mfa@example.com")
    emulator.state.revoke("owner@example.com")
    for token in (first, second):
        status, body = await refresh(http, emulator.global_sso, token)
        assert (status, body["error"]) == (401, "login_required")
    assert (await refresh(http, emulator.global_sso, other))[0] == 200


async def test_unknown_refresh_token_is_login_required(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    status, body = await refresh(http, emulator.global_sso, "eyJhbGciOiJub25lIn0.e30.")
    assert (status, body["error"]) == (401, "login_required")
    async with http.post(
        f"{emulator.global_sso}/token",
        json={"grant_type": "refresh_token", "client_id": "ownerapi"},
    ) as response:
        assert response.status == 400


async def test_minted_refresh_token(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    token = emulator.state.mint_refresh_token("mfa@example.com")
    assert token != emulator.state.mint_refresh_token("mfa@example.com")
    token_claims = claims(token)
    assert token_claims["iss"] == emulator.global_sso
    assert "exp" not in token_claims
    status, body = await refresh(http, emulator.global_sso, token)
    assert status == 200
    assert claims(body["access_token"])["sub"] == token_claims["data"]["sub"]


async def test_refresh_at_the_wrong_region_is_invalid_grant(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    token = emulator.state.mint_refresh_token("china@example.com")
    assert claims(token)["iss"] == emulator.china_sso
    status, body = await refresh(http, emulator.global_sso, token)
    assert (status, body["error"]) == (400, "invalid_grant")
    status, body = await refresh(http, emulator.china_sso, token)
    assert status == 200
    assert claims(body["access_token"])["iss"] == emulator.china_sso


async def legacy_exchange(
    http: aiohttp.ClientSession, emulator: Emulator, access: str
) -> tuple[int, dict[str, Any]]:
    async with http.post(
        f"{emulator.base_url}/oauth/token",
        json={
            "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "client_id": "x",
        },
        headers={"Authorization": f"Bearer {access}"},
    ) as response:
        return response.status, await response.json()


async def test_legacy_owner_api_exchange(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    tokens = await sign_in(http, emulator)
    status, body = await legacy_exchange(http, emulator, tokens["access_token"])
    assert status == 200
    assert body["access_token"].startswith("qts-")
    assert len(body["access_token"]) == 4 + 64
    assert body["expires_in"] == 3888000
    emulator.state.revoke("owner@example.com")
    assert (await legacy_exchange(http, emulator, tokens["access_token"]))[0] == 401
    assert (await legacy_exchange(http, emulator, "garbage"))[0] == 401
    async with http.post(
        f"{emulator.base_url}/oauth/token", json={"grant_type": "password"}
    ) as response:
        assert response.status == 400


async def test_legacy_exchange_for_china_gives_cn_token(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    token = emulator.state.mint_refresh_token("china@example.com")
    _, tokens = await refresh(http, emulator.china_sso, token)
    status, body = await legacy_exchange(http, emulator, tokens["access_token"])
    assert status == 200
    assert body["access_token"].startswith("cn-")
