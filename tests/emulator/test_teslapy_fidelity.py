"""Fidelity proof: TeslaPy 1.5.0, written in 2021 against the real auth.tesla.com, signs in here.

TeslaPy is synchronous (requests), so it runs in a worker thread while the emulator serves on the
event loop. It is pointed at the emulator without touching its protocol code: its own token cache
tells it the SSO base URL (`url`, as TeslaPy stores it after a region redirect), its module constant
BASE_URL names the owner-api host for the 2021 token exchange, and OAUTHLIB_INSECURE_TRANSPORT lets
oauthlib talk plain http to 127.0.0.1. TeslaPy still sends its 2021 redirect_uri, which this
test's scenario allows.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
import teslapy

from emulator import Emulator, Scenario

from .helpers import PASSWORD, claims

TESLAPY_REDIRECT_URI = "https://auth.tesla.com/void/callback"


@pytest.fixture
async def teslapy_emulator(
    socket_enabled: None, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Emulator]:
    scenario = Scenario.default().updated(
        {"redirect_uris": ["tesla://auth/callback", TESLAPY_REDIRECT_URI]}
    )
    server = Emulator(scenario)
    await server.start()
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    monkeypatch.setattr(teslapy, "BASE_URL", f"{server.base_url}/")
    yield server
    await server.stop()


async def in_thread[T](work: Callable[[], T]) -> T:
    """Run blocking TeslaPy code off the event loop; the thread is joined before returning."""
    executor = ThreadPoolExecutor(max_workers=1)
    try:
        return await asyncio.get_running_loop().run_in_executor(executor, work)
    finally:
        executor.shutdown(wait=True)


def make_tesla(emulator: Emulator, email: str, **callbacks: Any) -> teslapy.Tesla:
    cache: dict[str, Any] = {email: {"url": f"{emulator.base_url}/"}}
    return teslapy.Tesla(
        email,
        PASSWORD,
        cache_loader=lambda: cache,
        cache_dumper=cache.update,
        **callbacks,
    )


def served(emulator: Emulator) -> list[tuple[str, str, int]]:
    return [(r.method, r.path, r.status) for r in emulator.state.requests]


async def test_teslapy_plain_login_and_refresh(teslapy_emulator: Emulator) -> None:
    tesla = make_tesla(teslapy_emulator, "owner@example.com")

    await in_thread(tesla.fetch_token)

    assert tesla.authorized
    assert tesla.token["access_token"].startswith("qts-")
    assert claims(tesla.sso_token["access_token"])["iss"] == teslapy_emulator.global_sso
    assert served(teslapy_emulator) == [
        ("GET", "/oauth2/v3/authorize", 200),
        ("POST", "/oauth2/v3/authorize", 302),
        ("POST", "/oauth2/v3/token", 200),
        ("POST", "/oauth/token", 200),
    ]
    first_access = tesla.sso_token["access_token"]
    teslapy_emulator.state.clear_requests()

    await in_thread(tesla.refresh_token)

    assert tesla.sso_token["access_token"] != first_access
    assert tesla.token["access_token"].startswith("qts-")
    token_request = teslapy_emulator.state.requests[0]
    assert (token_request.path, token_request.status) == ("/oauth2/v3/token", 200)
    assert {"grant_type", "refresh_token", "client_id"} <= set(token_request.form)


async def test_teslapy_solves_the_captcha(teslapy_emulator: Emulator) -> None:
    images: list[bytes] = []

    def solve(svg: bytes) -> str:
        images.append(svg)
        answer = requests.get(
            f"{teslapy_emulator.base_url}/__emulator__/captcha/latest", timeout=5
        )
        return str(answer.json()["answer"])

    tesla = make_tesla(teslapy_emulator, "captcha@example.com", captcha_solver=solve)

    await in_thread(tesla.fetch_token)

    assert tesla.authorized
    assert len(images) == 1
    assert b'xmlns="http://www.w3.org/2000/svg"' in images[0]
    assert [path for _, path, _ in served(teslapy_emulator)] == [
        "/oauth2/v3/authorize",
        "/captcha",
        "/oauth2/v3/authorize",
        "/oauth2/v3/token",
        "/oauth/token",
    ]


async def test_teslapy_mfa_with_the_second_of_two_devices(
    teslapy_emulator: Emulator,
) -> None:
    offered: list[list[str]] = []

    def select(factors: list[dict[str, Any]]) -> dict[str, Any]:
        offered.append([f["name"] for f in factors])
        return factors[1]

    def passcode() -> str:
        answer = requests.get(
            f"{teslapy_emulator.base_url}/__emulator__/mfa/code",
            params={"email": "mfa@example.com", "device": "Watch"},
            timeout=5,
        )
        return str(answer.json()["code"])

    tesla = make_tesla(
        teslapy_emulator,
        "mfa@example.com",
        factor_selector=select,
        passcode_getter=passcode,
    )

    await in_thread(tesla.fetch_token)

    assert tesla.authorized
    assert offered == [["Phone", "Watch"]]
    assert claims(tesla.sso_token["access_token"])["amr"] == ["pwd", "mfa", "otp"]
    assert served(teslapy_emulator) == [
        ("GET", "/oauth2/v3/authorize", 200),
        ("POST", "/oauth2/v3/authorize", 200),
        ("GET", "/oauth2/v3/authorize/mfa/factors", 200),
        ("POST", "/oauth2/v3/authorize/mfa/verify", 200),
        ("POST", "/oauth2/v3/authorize", 302),
        ("POST", "/oauth2/v3/token", 200),
        ("POST", "/oauth/token", 200),
    ]


async def test_teslapy_reports_a_wrong_password(teslapy_emulator: Emulator) -> None:
    tesla = make_tesla(teslapy_emulator, "owner@example.com")
    tesla.password = "not-the-password"

    with pytest.raises(ValueError, match="Credentials rejected"):
        await in_thread(tesla.fetch_token)
