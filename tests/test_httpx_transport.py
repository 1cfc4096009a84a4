"""The httpx transport keeps the SSO transport's contract: caps, errors, no redirects followed.

Over plain HTTP/1.1 to a canned-answer server for what Tesla never sends, and over HTTP/2 with
verified TLS to the emulator for what breaks on a stream.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import hashlib
import json
import tracemalloc
import zlib

from aiohttp import web
from homeassistant.core import HomeAssistant
import httpx
import pytest

from custom_components.tesla_token.connection import (
    ConnectionProfile,
    async_token_transport,
)
from custom_components.tesla_token.httpx_transport import HttpxTransport
from custom_components.tesla_token.sso import TemporaryFailure, TeslaSso
from custom_components.tesla_token.sso.transport import JSON_LIMIT, PAGE_LIMIT
from emulator import Emulator, Fault, FaultKind

from .helpers import EMAIL
from .sso.helpers import raises_sso
from .sso.odd_server import EndlessPage, OddServer, html, json_answer, redirect

PATH = "/oauth2/v3/token"
# 6400 bytes that do not compress.
NOISE = b"".join(hashlib.sha256(bytes([i])).digest() for i in range(200))
MIB = 1024 * 1024
pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def odd_server(socket_enabled: None) -> AsyncIterator[OddServer]:
    """A canned-answer server for responses the faithful emulator never gives."""
    server = OddServer()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def transport() -> AsyncIterator[HttpxTransport]:
    """An httpx transport of its own (plain HTTP/1.1 to 127.0.0.1, no proxy)."""
    async with httpx.AsyncClient(trust_env=False) as client:
        yield HttpxTransport(client, 5)


def url(server: OddServer) -> str:
    return f"{server.base_url}{PATH}"


async def test_a_redirect_is_answered_not_followed(
    odd_server: OddServer, transport: HttpxTransport
) -> None:
    odd_server.on("POST", PATH, redirect("tesla://auth/callback?code=c0de"))
    response = await transport.send("POST", url(odd_server), form={"a": "1"})
    assert (response.status, response.location) == (
        302,
        "tesla://auth/callback?code=c0de",
    )
    assert odd_server.requests == [("POST", PATH)]


async def test_query_form_json_and_headers_reach_the_server(
    odd_server: OddServer, transport: HttpxTransport
) -> None:
    def echo(request: web.Request) -> web.Response:
        return web.json_response(
            {"query": dict(request.query), "marker": request.headers.get("X-Marker")}
        )

    odd_server.on("POST", PATH, echo)
    response = await transport.send(
        "POST",
        url(odd_server),
        params={"state": "s1"},
        form={"identity": "someone"},
        headers={"X-Marker": "m1"},
    )
    assert response.json_object() == {"query": {"state": "s1"}, "marker": "m1"}
    assert response.path == PATH
    await transport.send("POST", url(odd_server), json_body={"grant_type": "x"})
    assert odd_server.bodies == [b"identity=someone", b'{"grant_type":"x"}']


async def test_an_answer_at_the_json_limit_is_read_one_byte_more_is_not(
    odd_server: OddServer, transport: HttpxTransport
) -> None:
    body = json.dumps({"ok": True}).encode()
    odd_server.on(
        "POST",
        PATH,
        lambda _: web.Response(
            body=body + b" " * (JSON_LIMIT - len(body)),
            content_type="application/json",
        ),
    )
    assert (await transport.send("POST", url(odd_server))).json_object() == {"ok": True}
    odd_server.on(
        "POST",
        PATH,
        lambda _: web.Response(
            body=body + b" " * (JSON_LIMIT + 1 - len(body)),
            headers={"Content-Type": "application/json; charset=utf-8"},
        ),
    )
    with raises_sso(
        TemporaryFailure.UNEXPECTED_RESPONSE, match="more than 65536 bytes"
    ):
        await transport.send("POST", url(odd_server))


async def test_an_answer_without_a_type_has_the_page_limit(
    odd_server: OddServer, transport: HttpxTransport
) -> None:
    odd_server.on("GET", PATH, lambda _: web.Response(body=b" " * (PAGE_LIMIT + 1)))
    with raises_sso(TemporaryFailure.UNEXPECTED_RESPONSE, match=f"{PAGE_LIMIT}"):
        await transport.send("GET", url(odd_server))


async def test_a_compression_bomb_is_refused_without_inflating_it(
    odd_server: OddServer, transport: HttpxTransport
) -> None:
    """128 kB that inflate to 128 MiB: refused while memory stays near the limit."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(MIB)
    bomb = b"".join(packer.compress(block) for _ in range(128)) + packer.flush()
    odd_server.on(
        "POST",
        PATH,
        lambda _: web.Response(
            body=bomb,
            content_type="application/json",
            headers={"Content-Encoding": "gzip"},
        ),
    )
    tracemalloc.start()
    try:
        with raises_sso(TemporaryFailure.UNEXPECTED_RESPONSE, match="more than"):
            await transport.send("POST", url(odd_server))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * MIB


async def test_an_endless_answer_is_cut_off(
    odd_server: OddServer, transport: HttpxTransport
) -> None:
    endless = EndlessPage(limit=32 * MIB)

    odd_server.on("GET", PATH, endless)
    with raises_sso(TemporaryFailure.UNEXPECTED_RESPONSE, match="more than"):
        await transport.send("GET", url(odd_server))
    assert endless.sent < 32 * MIB


def encoded(body: bytes, encoding: str) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31 if encoding == "gzip" else 15)
    return packer.compress(body) + packer.flush()


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "identity"])
async def test_compressed_answers_are_inflated(
    odd_server: OddServer, transport: HttpxTransport, encoding: str
) -> None:
    body = json.dumps({"response": ["x" * 1000] * 40}).encode()
    sent = body if encoding == "identity" else encoded(body, encoding)
    odd_server.on(
        "GET",
        PATH,
        lambda _: web.Response(
            body=sent,
            content_type="application/json",
            headers={"Content-Encoding": encoding},
        ),
    )
    assert (await transport.send("GET", url(odd_server))).body == body


@pytest.mark.parametrize(
    ("encoding", "sent"),
    [
        ("gzip", b"this is no gzip stream"),
        ("gzip", encoded(NOISE, "gzip")[: len(NOISE) // 2]),
        ("br", b"\x0b\x02\x80{}\x03"),  # never asked for
    ],
    ids=["garbage", "cut-gzip", "brotli"],
)
async def test_a_body_that_does_not_decode_is_unexpected(
    odd_server: OddServer, transport: HttpxTransport, encoding: str, sent: bytes
) -> None:
    odd_server.on(
        "GET",
        PATH,
        lambda _: web.Response(
            body=sent,
            content_type="application/json",
            headers={"Content-Encoding": encoding},
        ),
    )
    with raises_sso(TemporaryFailure.UNEXPECTED_RESPONSE, match="cut short"):
        await transport.send("GET", url(odd_server))


@pytest.mark.parametrize(
    ("answer", "reason", "retry_after"),
    [
        (
            lambda _: web.Response(status=429, headers={"Retry-After": "120"}),
            TemporaryFailure.RATE_LIMITED,
            120.0,
        ),
        (html("<p>down</p>", 503), TemporaryFailure.SERVER_ERROR, None),
        (
            html("Access Denied", 403, {"Server": "AkamaiGHost"}),
            TemporaryFailure.WAF_BLOCKED,
            None,
        ),
    ],
    ids=["429", "503", "akamai"],
)
async def test_try_again_later_answers(
    odd_server: OddServer,
    transport: HttpxTransport,
    answer: object,
    reason: TemporaryFailure,
    retry_after: float | None,
) -> None:
    odd_server.on("POST", PATH, answer)  # type: ignore[arg-type]
    with raises_sso(reason) as info:
        await transport.send("POST", url(odd_server))
    assert info.value.retry_after == retry_after  # type: ignore[attr-defined]


async def test_other_answers_are_returned_as_they_are(
    odd_server: OddServer, transport: HttpxTransport
) -> None:
    odd_server.on("POST", PATH, json_answer({"error": "invalid_grant"}, status=400))
    response = await transport.send("POST", url(odd_server))
    assert (response.status, response.json_object()) == (
        400,
        {"error": "invalid_grant"},
    )


async def test_nothing_listening_is_a_connection_error(
    odd_server: OddServer, transport: HttpxTransport
) -> None:
    gone = url(odd_server)
    await odd_server.stop()
    with raises_sso(TemporaryFailure.CONNECTION_ERROR, match="ConnectError"):
        await transport.send("GET", gone)


async def test_an_unusable_url_is_a_connection_error(
    transport: HttpxTransport,
) -> None:
    with raises_sso(TemporaryFailure.CONNECTION_ERROR):
        await transport.send("GET", "ftp://127.0.0.1/oauth2/v3/token")


@pytest.mark.parametrize("stall", ["headers", "body"])
async def test_the_timeout_bounds_the_whole_request(
    odd_server: OddServer, stall: str
) -> None:
    async def slow(request: web.Request) -> web.StreamResponse:
        if stall == "headers":
            await asyncio.sleep(10)
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        await response.prepare(request)
        try:
            for _ in range(
                100
            ):  # a trickle: each read arrives in time, the whole does not
                await response.write(b"<p>")
                await asyncio.sleep(0.05)
        except ConnectionError:
            pass
        return response

    odd_server.on("GET", PATH, slow)
    async with httpx.AsyncClient(trust_env=False) as client:
        with raises_sso(TemporaryFailure.CONNECTION_ERROR, match="Timeout"):
            await HttpxTransport(client, 0.5).send("GET", url(odd_server))


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        (FaultKind.TRUNCATED, TemporaryFailure.UNEXPECTED_RESPONSE),
        (FaultKind.DROP, TemporaryFailure.CONNECTION_ERROR),
        (FaultKind.WAF_CHALLENGE, TemporaryFailure.WAF_CHALLENGE),
    ],
)
@pytest.mark.parametrize("over", ["http/1.1", "h2"])
async def test_broken_answers_from_the_emulator(
    hass: HomeAssistant,
    trust_emulator: Emulator,
    kind: FaultKind,
    reason: TemporaryFailure,
    over: str,
) -> None:
    """A stream reset (HTTP/2) or a closed connection (HTTP/1.1) in the middle of an answer."""
    emulator = trust_emulator
    if over == "h2":
        sent_by = await async_token_transport(hass, ConnectionProfile.HTTP2)
        base = f"{emulator.https_url}/oauth2/v3"
    else:
        client = httpx.AsyncClient(trust_env=False)
        sent_by = HttpxTransport(client, 5)
        base = emulator.global_sso
    refresh_token = emulator.state.mint_refresh_token(EMAIL)
    emulator.state.set_fault("token", Fault(kind))
    try:
        with raises_sso(reason):
            await TeslaSso(sent_by, base).refresh(refresh_token)
        # The same client goes on working (HTTP/2: the other streams of the connection).
        tokens = await TeslaSso(sent_by, base).refresh(refresh_token)
    finally:
        if over != "h2":
            await client.aclose()
    assert tokens.issuer == base
