"""The Fleet API's read-only calls (users/me, users/region) and which tokens each API takes."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from emulator import Emulator, Fault, FaultKind

from .fleet_helpers import api_get, fleet_tokens, register
from .helpers import sign_in

INVALID = {"response": None, "error": "invalid bearer token", "error_description": ""}
FORBIDDEN = {
    "response": None,
    "error": "forbidden, see https://developer.tesla.com/docs/fleet-api",
    "error_description": "",
}


@pytest.fixture(autouse=True)
def app(emulator: Emulator) -> None:
    register(emulator)


def me(emulator: Emulator) -> str:
    return f"{emulator.base_url}/api/1/users/me"


def region(emulator: Emulator) -> str:
    return f"{emulator.base_url}/api/1/users/region"


def products(emulator: Emulator) -> str:
    return f"{emulator.base_url}/api/1/products"


async def test_users_me(emulator: Emulator, http: aiohttp.ClientSession) -> None:
    token = (await fleet_tokens(http, emulator))["access_token"]
    status, body = await api_get(http, me(emulator), token)
    assert status == 200
    profile = body["response"]
    assert profile["email"] == "owner@example.com"
    assert profile["full_name"] == "Owner"
    assert profile["profile_image_url"] is None
    assert len(profile["vault_uuid"]) == 36


async def test_users_me_needs_user_data(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    tokens = await fleet_tokens(
        http, emulator, scope="openid offline_access vehicle_device_data"
    )
    status, body = await api_get(http, me(emulator), tokens["access_token"])
    assert status == 403
    assert body["error"] == "Unauthorized missing scopes"
    assert body["response"] is None
    # users/region needs no particular scope.
    assert (await api_get(http, region(emulator), tokens["access_token"]))[0] == 200


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("owner@example.com", "na"),
        ("eu@example.com", "eu"),
        ("china@example.com", "cn"),
    ],
)
async def test_users_region(
    emulator: Emulator, http: aiohttp.ClientSession, email: str, expected: str
) -> None:
    emulator.state.scenario = emulator.state.scenario.updated(
        {
            "accounts": [
                {"email": "owner@example.com"},
                {"email": "eu@example.com", "ou_code": "EU", "locale": "de-DE"},
                {"email": "china@example.com", "region": "china", "ou_code": "CN"},
            ]
        }
    )
    tokens = await fleet_tokens(http, emulator, email)
    status, body = await api_get(http, region(emulator), tokens["access_token"])
    assert status == 200
    assert body == {
        "response": {"region": expected, "fleet_api_base_url": emulator.base_url}
    }


@pytest.mark.parametrize("path", ["users/me", "users/region"])
@pytest.mark.parametrize("token", [None, "", "not-a-token"])
async def test_missing_or_unknown_token(
    emulator: Emulator, http: aiohttp.ClientSession, path: str, token: str | None
) -> None:
    status, body = await api_get(http, f"{emulator.base_url}/api/1/{path}", token)
    assert (status, body) == (401, INVALID)


async def test_expired_token(
    emulator: Emulator, http: aiohttp.ClientSession, freezer: Any
) -> None:
    token = (await fleet_tokens(http, emulator))["access_token"]
    freezer.tick(28801)
    assert await api_get(http, me(emulator), token) == (401, INVALID)


async def test_each_api_takes_only_its_own_tokens(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    fleet = (await fleet_tokens(http, emulator))["access_token"]
    owner = (await sign_in(http, emulator))["access_token"]
    assert await api_get(http, products(emulator), fleet) == (401, INVALID)
    assert await api_get(http, me(emulator), owner) == (401, INVALID)
    assert await api_get(http, region(emulator), owner) == (401, INVALID)
    assert (await api_get(http, products(emulator), owner))[0] == 200
    assert (await api_get(http, me(emulator), fleet))[0] == 200


async def test_marked_token_is_forbidden(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    emulator.state.scenario = emulator.state.scenario.updated(
        {"accepted_connections": [{"http": "2"}]}
    )
    token = (await fleet_tokens(http, emulator))["access_token"]
    assert await api_get(http, me(emulator), token) == (403, FORBIDDEN)
    assert await api_get(http, region(emulator), token) == (403, FORBIDDEN)


async def test_waf_knob_does_not_front_the_fleet_api(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    token = (await fleet_tokens(http, emulator))["access_token"]
    emulator.state.scenario = emulator.state.scenario.updated({"waf": "block"})
    assert (await api_get(http, region(emulator), token))[0] == 200


@pytest.mark.parametrize(
    ("endpoint", "url"), [("users_me", me), ("users_region", region)]
)
async def test_faults_by_name(
    emulator: Emulator, http: aiohttp.ClientSession, endpoint: str, url: Any
) -> None:
    token = (await fleet_tokens(http, emulator))["access_token"]
    emulator.state.set_fault(endpoint, Fault(FaultKind.RATE_LIMIT, retry_after=60))
    async with http.get(
        url(emulator), headers={"Authorization": f"Bearer {token}"}
    ) as r:
        assert r.status == 429
        assert r.headers["Retry-After"] == "60"
    assert (await api_get(http, url(emulator), token))[0] == 200
