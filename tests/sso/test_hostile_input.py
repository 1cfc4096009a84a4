"""Input that once escaped the client as a bare exception, or sent it to a foreign host.

Each case was found by the property-based fuzz tests (tests/fuzz); these pin the fixes down.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
import json
import time
from urllib.parse import parse_qs, quote, urlsplit

import aiohttp
from aiohttp import web
import pytest
from yarl import URL

from custom_components.tesla_token.sso import (
    REDIRECT_URI,
    SSO_BASES,
    Authorized,
    CaptchaRequired,
    LoginFailure,
    Region,
    TemporaryFailure,
    TeslaSso,
    TeslaSsoTemporaryError,
    TeslaSsoTokenRefusedError,
    TokenKind,
    token_kind,
    validate_sso_base,
)
from custom_components.tesla_token.sso.pkce import Pkce
from custom_components.tesla_token.sso.token_endpoint import exchange_code
from custom_components.tesla_token.sso.tokens import decode_jwt_claims
from custom_components.tesla_token.sso.transport import AiohttpTransport
from tests.sso.helpers import offline_browser_sign_in, raises_sso

from .jwts import make_jwt
from .odd_server import MFA_PAGE, SIGN_IN_PAGE, OddServer, html, json_answer, redirect

GLOBAL = SSO_BASES[Region.GLOBAL]
MALFORMED_HOSTS = [
    "https://[",
    "http://[::1",
    "https://[abc]/oauth2/v3",
    "https://a]b/x",
]
# Deeper than the JSON parser's stack allows.
DEEP_JSON = "[" * 200_000 + "]" * 200_000
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="150" height="50"></svg>'


def captcha_page(src: str) -> str:
    return f"""<html><body><form method="post" id="form">
<input type="hidden" name="_csrf" value="c1" />
<input type="hidden" name="transaction_id" value="t1" />
<img data-id="captcha" src="{src}"><input type="text" name="captcha" />
</form></body></html>"""


@pytest.fixture
async def traced_http(
    socket_enabled: None,
) -> AsyncIterator[tuple[aiohttp.ClientSession, list[URL]]]:
    """A client session that records the URL of every request it starts."""
    urls: list[URL] = []

    async def record(
        _session: aiohttp.ClientSession,
        _context: object,
        params: aiohttp.TraceRequestStartParams,
    ) -> None:
        urls.append(params.url)

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(record)
    async with aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True), trace_configs=[trace]
    ) as session:
        yield session, urls


@pytest.mark.parametrize("url", MALFORMED_HOSTS)
def test_a_malformed_host_is_an_invalid_server_url(url: str) -> None:
    with raises_sso(LoginFailure.INVALID_SERVER_URL):
        validate_sso_base(url)


@pytest.mark.parametrize("issuer", MALFORMED_HOSTS)
def test_a_callback_with_a_malformed_issuer_is_refused(issuer: str) -> None:
    login = offline_browser_sign_in(GLOBAL)
    state = parse_qs(urlsplit(login.authorize_url).query)["state"][0]
    for value in (issuer, quote(issuer, safe="")):
        with raises_sso(LoginFailure.INVALID_CALLBACK_URL):
            login.parse_callback(
                f"tesla://auth/callback?code=abc&state={state}&issuer={value}"
            )


def test_a_deeply_nested_jwt_is_no_token() -> None:
    payload = base64.urlsafe_b64encode(DEEP_JSON.encode()).decode().rstrip("=")
    token = f"eyJhbGciOiJSUzI1NiJ9.{payload}.c2ln"
    with raises_sso(LoginFailure.INVALID_TOKEN):
        decode_jwt_claims(token)
    assert token_kind(token) is TokenKind.UNKNOWN


async def test_a_deeply_nested_json_answer_is_unexpected(
    odd_server: OddServer, plain_http: aiohttp.ClientSession
) -> None:
    odd_server.on(
        "POST",
        "/oauth2/v3/token",
        lambda _: web.Response(text=DEEP_JSON, content_type="application/json"),
    )
    with raises_sso(TemporaryFailure.UNEXPECTED_RESPONSE):
        await TeslaSso(plain_http, odd_server.sso).refresh("rt")


@pytest.mark.parametrize(
    "location", ["//[", "http://[::1", "https://[abc]/oauth2/v3/authorize"]
)
async def test_a_redirect_to_a_malformed_host_is_unexpected(
    odd_server: OddServer, plain_http: aiohttp.ClientSession, location: str
) -> None:
    odd_server.on("GET", "/oauth2/v3/authorize", redirect(location, status=303))
    with raises_sso(TemporaryFailure.UNEXPECTED_RESPONSE):
        await (
            TeslaSso(plain_http, odd_server.sso)
            .password_sign_in()
            .start("owner@example.com")
        )
    assert odd_server.requests == [("GET", "/oauth2/v3/authorize")]


@pytest.mark.parametrize(
    "src",
    [
        "https://evil.example/captcha",
        "//evil.example/captcha",
        "http://127.0.0.1:1/captcha",
        "//[",
        "https://[abc]/captcha",
        "javascript:alert(1)",
    ],
)
async def test_a_captcha_image_elsewhere_is_not_fetched(
    odd_server: OddServer,
    traced_http: tuple[aiohttp.ClientSession, list[URL]],
    src: str,
) -> None:
    """A page pointing the captcha off the SSO server cannot make the client call there."""
    http, urls = traced_http
    odd_server.on("GET", "/oauth2/v3/authorize", html(captcha_page(src)))
    login = TeslaSso(http, odd_server.sso).password_sign_in()
    assert await login.start("captcha@example.com") == CaptchaRequired()

    with raises_sso(TemporaryFailure.UNEXPECTED_RESPONSE):
        await login.captcha_image()
    assert [url.origin() for url in urls] == [URL(odd_server.base_url)]


async def test_a_captcha_image_on_the_server_is_fetched(
    odd_server: OddServer, plain_http: aiohttp.ClientSession
) -> None:
    odd_server.on("GET", "/oauth2/v3/authorize", html(captcha_page("/captcha?ts=1")))
    odd_server.on(
        "GET",
        "/captcha",
        lambda _: web.Response(body=SVG, content_type="image/svg+xml"),
    )
    login = TeslaSso(plain_http, odd_server.sso).password_sign_in()
    await login.start("captcha@example.com")
    assert await login.captcha_image() == SVG


def token_answer(claims: dict[str, object], **extra: object) -> web.Response:
    body = {"access_token": make_jwt(claims), "refresh_token": "rt2", **extra}
    # json.dumps writes Infinity and NaN, and any integer: as a broken server might.
    return web.Response(text=json.dumps(body), content_type="application/json")


@pytest.mark.parametrize(
    ("times", "extra"),
    [
        ({"exp": float("inf")}, {}),
        ({"exp": float("nan")}, {}),
        ({"exp": 1e308}, {}),
        ({"exp": 10**400}, {}),
        ({}, {"expires_in": 10**400}),
        ({}, {"expires_in": float("inf")}),
        ({"exp": 10**400}, {"expires_in": 1e308}),
    ],
    ids=[
        "exp-infinite",
        "exp-nan",
        "exp-past-year-9999",
        "exp-beyond-float",
        "expires_in-beyond-float",
        "expires_in-infinite",
        "both-unusable",
    ],
)
async def test_a_token_without_a_usable_expiry_is_unexpected(
    odd_server: OddServer,
    plain_http: aiohttp.ClientSession,
    times: dict[str, object],
    extra: dict[str, object],
) -> None:
    claims = {"iss": odd_server.sso, "sub": "uuid-1", **times}
    odd_server.on("POST", "/oauth2/v3/token", lambda _: token_answer(claims, **extra))
    with raises_sso(TemporaryFailure.UNEXPECTED_RESPONSE):
        await TeslaSso(plain_http, odd_server.sso).refresh("rt")


async def test_a_negative_lifetime_is_handed_on_with_the_new_refresh_token(
    odd_server: OddServer, plain_http: aiohttp.ClientSession
) -> None:
    """The old refresh token may be spent already: the answer's new one must reach the caller."""
    claims = {"iss": odd_server.sso, "sub": "uuid-1"}
    odd_server.on(
        "POST", "/oauth2/v3/token", lambda _: token_answer(claims, expires_in=-60)
    )
    tokens = await TeslaSso(plain_http, odd_server.sso).refresh("rt")
    assert tokens.lifetime == pytest.approx(-60)
    assert tokens.refresh_token == "rt2"


async def test_an_unusable_exp_falls_back_to_expires_in(
    odd_server: OddServer, plain_http: aiohttp.ClientSession
) -> None:
    claims = {
        "iss": odd_server.sso,
        "sub": "uuid-1",
        "exp": float("inf"),
        "iat": 10**400,
    }
    odd_server.on(
        "POST", "/oauth2/v3/token", lambda _: token_answer(claims, expires_in=28800)
    )
    before = time.time()
    tokens = await TeslaSso(plain_http, odd_server.sso).refresh("rt")
    assert before <= tokens.issued_at <= time.time()
    assert tokens.lifetime == pytest.approx(28800)


async def test_an_empty_subject_is_unexpected(
    odd_server: OddServer, plain_http: aiohttp.ClientSession
) -> None:
    """The account id must be there: a flow would fail on it only when storing the entry."""
    claims = {"iss": odd_server.sso, "sub": "", "exp": time.time() + 3600}
    odd_server.on("POST", "/oauth2/v3/token", lambda _: token_answer(claims))
    with raises_sso(TemporaryFailure.UNEXPECTED_RESPONSE):
        await TeslaSso(plain_http, odd_server.sso).refresh("rt")


# What a server might put where an error name belongs: markup, a line break that forges a log
# line, or a secret it echoes back.
HOSTILE_ERROR_NAMES = [
    "<script>alert(1)</script>",
    "invalid_grant\nERROR forged log line",
    make_jwt({"sub": "echoed-secret"}),
    "ERR_PASSCODE_123456",
]


@pytest.mark.parametrize("name", HOSTILE_ERROR_NAMES)
@pytest.mark.parametrize("status", [400, 401])
async def test_a_token_error_name_from_the_server_stays_out_of_messages_and_logs(
    odd_server: OddServer,
    plain_http: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
    name: str,
    status: int,
) -> None:
    caplog.set_level("DEBUG")
    odd_server.on(
        "POST", "/oauth2/v3/token", json_answer({"error": name}, status=status)
    )
    with pytest.raises((TeslaSsoTemporaryError, TeslaSsoTokenRefusedError)) as err:
        await TeslaSso(plain_http, odd_server.sso).refresh("rt")
    with raises_sso(TemporaryFailure.UNEXPECTED_RESPONSE) as exchange_err:
        await exchange_code(
            AiohttpTransport(plain_http, 5),
            Authorized(code="c0de", issuer=odd_server.sso),
            pkce=Pkce(),
            redirect_uri=REDIRECT_URI,
            trusted_base=odd_server.sso,
        )
    for text in (str(err.value), str(exchange_err.value), caplog.text):
        assert name not in text
    if status == 400:  # refused with an unknown name: "unknown" is what is said
        assert "unknown" in str(err.value)


async def test_a_known_token_error_name_is_named(
    odd_server: OddServer, plain_http: aiohttp.ClientSession
) -> None:
    odd_server.on(
        "POST",
        "/oauth2/v3/token",
        json_answer({"error": "unsupported_grant_type"}, status=400),
    )
    with raises_sso(
        TemporaryFailure.UNEXPECTED_RESPONSE, match="unsupported_grant_type"
    ):
        await TeslaSso(plain_http, odd_server.sso).refresh("rt")


@pytest.mark.parametrize("name", HOSTILE_ERROR_NAMES)
async def test_an_mfa_error_code_from_the_server_stays_out_of_messages(
    odd_server: OddServer, plain_http: aiohttp.ClientSession, name: str
) -> None:
    odd_server.on("GET", "/oauth2/v3/authorize", html(SIGN_IN_PAGE))
    odd_server.on("POST", "/oauth2/v3/authorize", html(MFA_PAGE))
    odd_server.on(
        "GET",
        "/oauth2/v3/authorize/mfa/factors",
        json_answer({"data": [{"id": "f1", "name": "Phone"}]}),
    )
    for path in ("verify", "backupcodes/attempt"):
        odd_server.on(
            "POST",
            f"/oauth2/v3/authorize/mfa/{path}",
            json_answer({"error": {"code": name}}),
        )
    login = TeslaSso(plain_http, odd_server.sso).password_sign_in()
    assert await login.start("owner@example.com") is None
    await login.submit_credentials("owner@example.com", "tesla-demo-password")
    with raises_sso(TemporaryFailure.UNEXPECTED_RESPONSE) as passcode_err:
        await login.verify_passcode("f1", "123456")
    with raises_sso(TemporaryFailure.UNEXPECTED_RESPONSE) as backup_err:
        await login.verify_backup_code("abcde1234")
    for err in (passcode_err, backup_err):
        assert name not in str(err.value)
        assert "unknown" in str(err.value)
