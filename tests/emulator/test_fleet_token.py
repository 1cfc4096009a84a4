"""A Fleet API app's token endpoint: the code exchange, its refusals, and the rotating refresh."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from emulator import Emulator, Fault, FaultKind

from .fleet_helpers import (
    APP_ID,
    APP_REDIRECT,
    APP_SECRET,
    SCOPES,
    FleetBrowser,
    app_refresh,
    fleet_tokens,
    register,
)
from .helpers import claims, refresh

DAY = 24 * 3600


@pytest.fixture(autouse=True)
def app(emulator: Emulator) -> None:
    register(emulator)


async def test_exchange_answers_fleet_tokens(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    browser = FleetBrowser(http, emulator.global_sso)
    status, body = await browser.exchange(await browser.code())
    assert status == 200
    assert set(body) == {
        "access_token",
        "refresh_token",
        "id_token",
        "expires_in",
        "token_type",
        "scope",
        "state",
    }
    assert body["expires_in"] == 28800
    assert body["token_type"] == "Bearer"
    assert body["scope"] == SCOPES
    assert body["state"] == browser.state
    access = claims(body["access_token"])
    account = emulator.state.require_account("owner@example.com")
    assert access["iss"] == f"{emulator.global_sso}/nts"
    assert access["azp"] == APP_ID
    assert access["aud"] == [
        "https://fleet-api.prd.na.vn.cloud.tesla.com",
        "https://fleet-api.prd.eu.vn.cloud.tesla.com",
    ]
    assert access["scp"] == SCOPES.split()
    assert access["sub"] == account.sub
    assert access["ou_code"] == "NA"
    assert access["exp"] - access["iat"] == 28800
    assert "x-enc" not in access
    assert claims(body["id_token"])["aud"] == APP_ID
    assert claims(body["id_token"])["email"] == "owner@example.com"


async def test_audience_is_added_to_aud(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    browser = FleetBrowser(http, emulator.global_sso)
    status, body = await browser.exchange(
        await browser.code(), audience=emulator.base_url
    )
    assert status == 200
    assert claims(body["access_token"])["aud"][0] == emulator.base_url


@pytest.mark.parametrize(
    ("scope", "absent"),
    [
        ("openid user_data", "refresh_token"),
        ("offline_access user_data", "id_token"),
    ],
)
async def test_refresh_and_id_token_only_with_their_scopes(
    emulator: Emulator, http: aiohttp.ClientSession, scope: str, absent: str
) -> None:
    browser = FleetBrowser(http, emulator.global_sso, scope=scope)
    status, body = await browser.exchange(await browser.code())
    assert status == 200
    assert absent not in body
    assert body["scope"] == scope


async def test_client_secret_by_http_basic(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    browser = FleetBrowser(http, emulator.global_sso)
    code = await browser.code()
    basic = base64.b64encode(f"{APP_ID}:{APP_SECRET}".encode()).decode()
    payload = {
        "grant_type": "authorization_code",
        "code": code,
        "code_verifier": browser.verifier,
        "redirect_uri": APP_REDIRECT,
    }
    async with http.post(
        f"{emulator.global_sso}/token",
        data=payload,
        headers={"Authorization": f"Basic {basic}"},
    ) as response:
        assert response.status == 200
        assert (await response.json())["scope"] == SCOPES


# An app's code exchange that differs in one way from what it should send: what Tesla answers.
REFUSED: dict[str, tuple[Callable[[FleetBrowser], dict[str, Any]], int, str]] = {
    "wrong secret": (lambda _: {"secret": "not-the-secret"}, 401, "invalid_client"),
    "no secret": (lambda _: {"secret": None}, 401, "invalid_client"),
    "wrong verifier": (lambda _: {"code_verifier": "v" * 86}, 400, "invalid_grant"),
    "other redirect_uri": (
        lambda _: {"redirect_uri": "http://localhost:8123/auth/external/callback"},
        400,
        "invalid_grant",
    ),
    "no redirect_uri": (lambda _: {"redirect_uri": ""}, 400, "invalid_request"),
    "unknown client": (lambda _: {"client_id": "someone-else"}, 401, "invalid_client"),
}


@pytest.mark.parametrize("case", REFUSED)
async def test_refused_exchange_keeps_the_code(
    emulator: Emulator, http: aiohttp.ClientSession, case: str
) -> None:
    change, status, error = REFUSED[case]
    browser = FleetBrowser(http, emulator.global_sso)
    code = await browser.code()
    got_status, body = await browser.exchange(code, **change(browser))
    assert (got_status, body["error"]) == (status, error)
    assert "access_token" not in body
    status, body = await browser.exchange(code)  # the code was not spent
    assert status == 200


async def test_code_is_single_use(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    browser = FleetBrowser(http, emulator.global_sso)
    code = await browser.code()
    assert (await browser.exchange(code))[0] == 200
    status, body = await browser.exchange(code)
    assert (status, body["error"]) == (400, "invalid_grant")


@pytest.mark.parametrize("other", ["ownerapi", "second-app"])
async def test_code_of_one_client_is_refused_to_another(
    emulator: Emulator, http: aiohttp.ClientSession, other: str
) -> None:
    register(emulator, client_id="second-app", client_secret="second-secret-77")
    browser = FleetBrowser(http, emulator.global_sso)
    code = await browser.code()
    secret = "second-secret-77" if other == "second-app" else None
    status, body = await browser.exchange(code, secret=secret, client_id=other)
    assert (status, body["error"]) == (400, "invalid_grant")


async def test_refresh_rotates_and_the_old_token_dies(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    first = await fleet_tokens(http, emulator)
    status, second = await app_refresh(
        http, emulator.global_sso, first["refresh_token"]
    )
    assert status == 200
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert second["scope"] == SCOPES
    assert claims(second["access_token"])["azp"] == APP_ID
    status, body = await app_refresh(http, emulator.global_sso, first["refresh_token"])
    assert (status, body["error"]) == (401, "login_required")
    status, _ = await app_refresh(
        http, emulator.global_sso, second["refresh_token"], secret=APP_SECRET
    )
    assert status == 200


async def test_refresh_with_a_wrong_secret_is_refused(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    tokens = await fleet_tokens(http, emulator)
    status, body = await app_refresh(
        http, emulator.global_sso, tokens["refresh_token"], secret="wrong-secret"
    )
    assert (status, body["error"]) == (401, "invalid_client")
    status, _ = await app_refresh(http, emulator.global_sso, tokens["refresh_token"])
    assert status == 200  # the refused attempt did not spend it


async def test_refresh_token_belongs_to_its_client(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    register(emulator, client_id="second-app", client_secret="second-secret-77")
    tokens = await fleet_tokens(http, emulator)
    status, body = await app_refresh(
        http, emulator.global_sso, tokens["refresh_token"], client_id="second-app"
    )
    assert (status, body["error"]) == (400, "invalid_grant")
    status, body = await refresh(http, emulator.global_sso, tokens["refresh_token"])
    assert (status, body["error"]) == (400, "invalid_grant")  # ownerapi
    owner = emulator.state.mint_refresh_token("owner@example.com")
    status, body = await app_refresh(http, emulator.global_sso, owner)
    assert (status, body["error"]) == (400, "invalid_grant")
    status, _ = await app_refresh(http, emulator.global_sso, tokens["refresh_token"])
    assert status == 200


async def test_refresh_token_expires_after_90_days(
    emulator: Emulator, http: aiohttp.ClientSession, freezer: Any
) -> None:
    tokens = await fleet_tokens(http, emulator)
    freezer.tick(89 * DAY)
    status, fresh = await app_refresh(
        http, emulator.global_sso, tokens["refresh_token"]
    )
    assert status == 200
    freezer.tick(89 * DAY)  # the rotated token counts from its own issue
    status, fresh = await app_refresh(http, emulator.global_sso, fresh["refresh_token"])
    assert status == 200
    freezer.tick(90 * DAY)
    status, body = await app_refresh(http, emulator.global_sso, fresh["refresh_token"])
    assert (status, body["error"]) == (401, "login_required")


async def test_refresh_lifetime_knob(
    emulator: Emulator, http: aiohttp.ClientSession, freezer: Any
) -> None:
    emulator.state.scenario = emulator.state.scenario.updated(
        {"fleet_refresh_token_lifetime": 3600}
    )
    tokens = await fleet_tokens(http, emulator)
    freezer.tick(3600)
    status, body = await app_refresh(http, emulator.global_sso, tokens["refresh_token"])
    assert (status, body["error"]) == (401, "login_required")


async def test_revoke_ends_app_refresh_tokens(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    tokens = await fleet_tokens(http, emulator)
    emulator.state.revoke("owner@example.com")
    status, body = await app_refresh(http, emulator.global_sso, tokens["refresh_token"])
    assert (status, body["error"]) == (401, "login_required")


async def test_refused_connection_marks_app_tokens(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    emulator.state.scenario = emulator.state.scenario.updated(
        {"accepted_connections": "none"}
    )
    tokens = await fleet_tokens(http, emulator)
    assert "x-enc" in claims(tokens["access_token"])
    emulator.state.scenario = emulator.state.scenario.updated(
        {"accepted_connections": "any"}
    )
    status, fresh = await app_refresh(
        http, emulator.global_sso, tokens["refresh_token"]
    )
    assert status == 200
    assert "x-enc" not in claims(fresh["access_token"])


async def test_token_fault_hits_the_app_exchange(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    browser = FleetBrowser(http, emulator.global_sso)
    code = await browser.code()
    emulator.state.set_fault("token", Fault(FaultKind.STATUS, status=503))
    async with http.post(
        f"{emulator.global_sso}/token",
        data={"grant_type": "authorization_code", "client_id": APP_ID},
    ) as response:
        assert response.status == 503
    status, _ = await browser.exchange(code)  # one-shot: the next one passes
    assert status == 200
