"""The transport: oversized answers are refused early, and what a 429's Retry-After asks."""

from __future__ import annotations

import json
import tracemalloc
import zlib

import aiohttp
from aiohttp import web
import pytest

from custom_components.tesla_token.sso import TemporaryFailure, TeslaSso
from custom_components.tesla_token.sso.transport import (
    IMAGE_LIMIT,
    JSON_LIMIT,
    PAGE_LIMIT,
    parse_retry_after,
)
from tests.sso.helpers import raises_sso

from .jwts import make_jwt
from .odd_server import SIGN_IN_PAGE, EndlessPage, OddServer, html
from .test_hostile_input import SVG, captcha_page

AUTHORIZE = "/oauth2/v3/authorize"
TOKEN = "/oauth2/v3/token"
MIB = 1024 * 1024


def token_body(server: OddServer, padding: int = 0) -> bytes:
    """A good /token answer, with blanks after the JSON (still valid JSON)."""
    access = make_jwt({"iss": server.sso, "sub": "uuid-1", "exp": 2_000_000_000})
    body = json.dumps({"access_token": access, "refresh_token": "new-rt"})
    return body.encode() + b" " * padding


def compressed(size: int, encoding: str) -> bytes:
    """`size` zero bytes, gzip- or deflate-compressed (about a thousandth of the size)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31 if encoding == "gzip" else 15)
    block = bytes(MIB)
    return b"".join(packer.compress(block) for _ in range(size // MIB)) + packer.flush()


async def refresh(server: OddServer, session: aiohttp.ClientSession) -> object:
    return await TeslaSso(session, server.sso, timeout=5).refresh("rt")


async def test_a_token_answer_just_under_the_json_limit_is_read(
    odd_server: OddServer, plain_http: aiohttp.ClientSession
) -> None:
    body = token_body(odd_server)
    body += b" " * (JSON_LIMIT - len(body))
    odd_server.on(
        "POST",
        TOKEN,
        lambda _: web.Response(body=body, content_type="application/json"),
    )
    tokens = await refresh(odd_server, plain_http)
    assert tokens.refresh_token == "new-rt"  # type: ignore[attr-defined]


async def test_a_token_answer_over_the_json_limit_is_unexpected(
    odd_server: OddServer, plain_http: aiohttp.ClientSession
) -> None:
    body = token_body(odd_server, padding=JSON_LIMIT)
    odd_server.on(
        "POST",
        TOKEN,
        lambda _: web.Response(body=body, content_type="application/json"),
    )
    with raises_sso(
        TemporaryFailure.UNEXPECTED_RESPONSE, match="more than 65536 bytes"
    ):
        await refresh(odd_server, plain_http)


async def test_a_sign_in_page_over_the_page_limit_is_unexpected(
    odd_server: OddServer, plain_http: aiohttp.ClientSession
) -> None:
    odd_server.on("GET", AUTHORIZE, html(SIGN_IN_PAGE + " " * PAGE_LIMIT))
    with raises_sso(TemporaryFailure.UNEXPECTED_RESPONSE, match="more than"):
        await (
            TeslaSso(plain_http, odd_server.sso)
            .password_sign_in()
            .start("owner@example.com")
        )


async def test_a_captcha_image_over_the_image_limit_is_unexpected(
    odd_server: OddServer, plain_http: aiohttp.ClientSession
) -> None:
    odd_server.on("GET", AUTHORIZE, html(captcha_page("/oauth2/v3/captcha")))
    odd_server.on(
        "GET",
        "/oauth2/v3/captcha",
        lambda _: web.Response(
            body=SVG + b" " * IMAGE_LIMIT, content_type="image/svg+xml"
        ),
    )
    login = TeslaSso(plain_http, odd_server.sso).password_sign_in()
    assert await login.start("owner@example.com") is not None  # asks for a captcha
    with raises_sso(TemporaryFailure.UNEXPECTED_RESPONSE, match="more than"):
        await login.captcha_image()


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_a_compression_bomb_is_refused_without_inflating_it(
    odd_server: OddServer, plain_http: aiohttp.ClientSession, encoding: str
) -> None:
    """128 kB that inflate to 128 MiB: refused while memory stays near the limit."""
    bomb = compressed(128 * MIB, encoding)
    odd_server.on(
        "POST",
        TOKEN,
        lambda _: web.Response(
            body=bomb,
            content_type="application/json",
            headers={"Content-Encoding": encoding},
        ),
    )
    tracemalloc.start()
    try:
        with raises_sso(TemporaryFailure.UNEXPECTED_RESPONSE, match="more than"):
            await refresh(odd_server, plain_http)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * MIB


@pytest.mark.timeout(60)
async def test_an_endless_answer_is_cut_off(
    odd_server: OddServer, plain_http: aiohttp.ClientSession
) -> None:
    """A server that keeps sending is dropped at the limit, not read until the timeout."""
    endless = EndlessPage(limit=32 * MIB)

    odd_server.on("POST", TOKEN, endless)
    with raises_sso(TemporaryFailure.UNEXPECTED_RESPONSE, match="more than"):
        await refresh(odd_server, plain_http)
    assert endless.sent < 32 * MIB


NOW = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (None, None),
        ("", None),
        ("120", 120.0),
        (" 7 ", 7.0),
        ("-5", None),  # not delay-seconds: no advice
        ("1e308", None),
        ("inf", None),
        ("nan", None),
        ("١٢٠", None),  # digits, but not ASCII ones
        ("Tue, 14 Nov 2023 22:14:20 GMT", 60.0),
        ("Tue, 14 Nov 2023 22:00:00 GMT", 0.0),
        ("Tue, 14 Nov 2023 22:14:20", None),  # no zone: not an HTTP date
        ("soon", None),
    ],
)
def test_retry_after(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, now=NOW) == seconds


def test_retry_after_date_uses_the_clock() -> None:
    assert parse_retry_after("Mon, 01 Jan 2001 00:00:00 GMT") == 0.0
