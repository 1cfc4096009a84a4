"""The Owner API check: which access tokens Tesla accepts, and every answer that tells nothing.

Since June 2026 Tesla refuses (403 "forbidden, see …fleet-api") access tokens minted over some
client connections; the check tells such a token from a good, an expired or an unknown one, and
never raises when the Owner API cannot answer usefully.
"""

from __future__ import annotations

import logging

import aiohttp
from aiohttp import web
from freezegun.api import FrozenDateTimeFactory
import pytest

from custom_components.tesla_token.sso import (
    OWNER_API_BASES,
    AiohttpTransport,
    ApiAccess,
    Region,
    TeslaSso,
    check_api_access,
)
from emulator import Emulator, Fault, FaultKind
from emulator.connections import ConnectionRule

from .odd_server import OddServer, html, json_answer, redirect

PRODUCTS = "/api/1/products"
OWNER = "owner@example.com"


async def fresh_access_token(emulator: Emulator, http: aiohttp.ClientSession) -> str:
    """An access token the emulator minted for the owner, refreshed over plain HTTP."""
    refresh_token = emulator.state.mint_refresh_token(OWNER)
    tokens = await TeslaSso(http, emulator.global_sso).refresh(refresh_token)
    return tokens.access_token


async def test_a_good_token_is_accepted(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    access = await fresh_access_token(emulator, http)
    sso = TeslaSso(http, emulator.global_sso)
    assert await sso.check_api_access(access, emulator.base_url) is ApiAccess.ACCEPTED
    # The base may end with a slash; the check asks once, read-only.
    emulator.state.clear_requests()
    transport = AiohttpTransport(http, 10)
    verdict = await check_api_access(transport, f"{emulator.base_url}/", access)
    assert verdict is ApiAccess.ACCEPTED
    assert [(r.method, r.path) for r in emulator.state.requests] == [("GET", PRODUCTS)]


async def test_a_token_minted_over_a_refused_connection_is_rejected(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    # Tesla likes only TLS 1.2 today; this refresh came over plain HTTP.
    emulator.state.scenario.accepted_connections = (ConnectionRule(tls="1.2"),)
    access = await fresh_access_token(emulator, http)
    sso = TeslaSso(http, emulator.global_sso)
    assert await sso.check_api_access(access, emulator.base_url) is ApiAccess.REJECTED


async def test_unknown_expired_and_revoked_tokens_are_unauthorized(
    emulator: Emulator, http: aiohttp.ClientSession, freezer: FrozenDateTimeFactory
) -> None:
    sso = TeslaSso(http, emulator.global_sso)
    base = emulator.base_url
    assert await sso.check_api_access("eyJ" + "x" * 40, base) is ApiAccess.UNAUTHORIZED
    access = await fresh_access_token(emulator, http)
    freezer.tick(28801)  # the access token lived 8 hours
    assert await sso.check_api_access(access, base) is ApiAccess.UNAUTHORIZED
    access = await fresh_access_token(emulator, http)
    emulator.state.revoke(OWNER)
    assert await sso.check_api_access(access, base) is ApiAccess.UNAUTHORIZED


@pytest.mark.parametrize(
    "fault",
    [
        Fault(FaultKind.RATE_LIMIT, retry_after=60),
        Fault(FaultKind.STATUS, status=503),
        Fault(FaultKind.STATUS, status=500),
        Fault(FaultKind.WAF_BLOCK),
        Fault(FaultKind.WAF_CHALLENGE),
        Fault(FaultKind.MALFORMED_JSON),
        # Twice: aiohttp sends a GET again once when a reused connection drops.
        Fault(FaultKind.DROP, count=2),
        Fault(FaultKind.TRUNCATED, count=2),
        Fault(FaultKind.STATUS, status=404),
    ],
    ids=lambda fault: f"{fault.kind}-{fault.status}",
)
async def test_answers_that_tell_nothing_are_unreachable(
    emulator: Emulator, http: aiohttp.ClientSession, fault: Fault
) -> None:
    access = await fresh_access_token(emulator, http)
    emulator.state.set_fault("products", fault)
    sso = TeslaSso(http, emulator.global_sso)
    assert await sso.check_api_access(access, emulator.base_url) is (
        ApiAccess.UNREACHABLE
    )
    # The next answer (the fault was used up) tells again.
    emulator.state.clear_faults()
    assert await sso.check_api_access(access, emulator.base_url) is (ApiAccess.ACCEPTED)


async def test_a_server_that_does_not_answer_in_time_is_unreachable(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    access = await fresh_access_token(emulator, http)
    emulator.state.set_fault("products", Fault(FaultKind.DELAY, delay=2))
    transport = AiohttpTransport(http, 0.2)
    verdict = await check_api_access(transport, emulator.base_url, access)
    assert verdict is ApiAccess.UNREACHABLE


async def test_nothing_listening_is_unreachable(
    http: aiohttp.ClientSession, odd_server: OddServer
) -> None:
    base = odd_server.base_url
    await odd_server.stop()
    verdict = await check_api_access(AiohttpTransport(http, 5), base, "eyJ" + "x" * 40)
    assert verdict is ApiAccess.UNREACHABLE


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (403, {"response": None, "error": "insufficient scope"}),  # not Tesla's refusal
        (403, {"response": None, "error": None}),
        (403, ["forbidden"]),  # JSON, not an object
        (200, ["a list"]),
        (200, "a string"),
        (400, {"error": "forbidden, see https://developer.tesla.com/docs/fleet-api"}),
    ],
)
async def test_odd_json_answers_are_unreachable(
    plain_http: aiohttp.ClientSession, odd_server: OddServer, status: int, body: object
) -> None:
    odd_server.on("GET", PRODUCTS, json_answer(body, status=status))
    transport = AiohttpTransport(plain_http, 5)
    verdict = await check_api_access(transport, odd_server.base_url, "eyJ" + "x" * 40)
    assert verdict is ApiAccess.UNREACHABLE


async def test_tesla_refusal_is_rejected_whatever_follows_forbidden(
    plain_http: aiohttp.ClientSession, odd_server: OddServer
) -> None:
    odd_server.on(
        "GET",
        PRODUCTS,
        json_answer({"response": None, "error": "forbidden"}, status=403),
    )
    transport = AiohttpTransport(plain_http, 5)
    verdict = await check_api_access(transport, odd_server.base_url, "eyJ" + "x" * 40)
    assert verdict is ApiAccess.REJECTED


@pytest.mark.parametrize(
    "answer",
    [
        html("<html>Access Denied</html>", 403, {"Server": "AkamaiGHost"}),
        html("<html>Forbidden</html>", 403),
        html("<html>{not json</html>", 200),
        redirect("https://example.com/login"),
        lambda _: web.Response(
            body=b'{"response": [], "count": 0',
            status=200,
            content_type="application/json",
        ),
    ],
    ids=["akamai-403", "html-403", "html-200", "redirect", "cut-json"],
)
async def test_odd_pages_are_unreachable(
    plain_http: aiohttp.ClientSession, odd_server: OddServer, answer: object
) -> None:
    odd_server.on("GET", PRODUCTS, answer)  # type: ignore[arg-type]
    transport = AiohttpTransport(plain_http, 5)
    verdict = await check_api_access(transport, odd_server.base_url, "eyJ" + "x" * 40)
    assert verdict is ApiAccess.UNREACHABLE


async def test_the_token_goes_in_the_authorization_header_and_never_in_a_log(
    emulator: Emulator,
    http: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger
    access = await fresh_access_token(emulator, http)
    emulator.state.clear_requests()
    sso = TeslaSso(http, emulator.global_sso)
    for token in (access, "eyJ" + "y" * 40):
        await sso.check_api_access(token, emulator.base_url)
    emulator.state.set_fault("products", Fault(FaultKind.DROP, count=2))
    assert await sso.check_api_access(access, emulator.base_url) is (
        ApiAccess.UNREACHABLE
    )
    assert "Owner API check" in caplog.text
    assert access not in caplog.text
    assert "y" * 40 not in caplog.text
    # The emulator saw the header (it answered 200, then 401), not a token in the URL.
    assert [r.status for r in emulator.state.requests][:2] == [200, 401]


def test_owner_api_bases_per_region() -> None:
    assert OWNER_API_BASES == {
        Region.GLOBAL: "https://owner-api.teslamotors.com",
        Region.CHINA: "https://owner-api.vn.cloud.tesla.cn",
    }
