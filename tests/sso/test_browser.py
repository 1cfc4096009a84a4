"""The browser path end to end: a real callback from the emulator's form, pasted back."""

from __future__ import annotations

from collections.abc import AsyncIterator
import re

import aiohttp
import pytest

from custom_components.tesla_token.sso import (
    REDIRECT_URI,
    Authorized,
    LoginFailure,
    TeslaSso,
    TokenKind,
    token_kind,
)
from custom_components.tesla_token.sso.pkce import Pkce
from custom_components.tesla_token.sso.token_endpoint import exchange_code
from custom_components.tesla_token.sso.transport import AiohttpTransport
from emulator import Emulator
from tests.sso.helpers import offline_browser_sign_in, raises_sso

from .conftest import served

PASSWORD = "tesla-demo-password"
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


async def _sign_in_in_a_browser(
    session: aiohttp.ClientSession,
    authorize_url: str,
    email: str,
    *,
    cancel: bool = False,
) -> str:
    """Do what the person does in their browser; return where Tesla sends the browser."""
    async with session.get(authorize_url, allow_redirects=False) as page:
        assert page.status == 200
        html = await page.text()
    form = dict(_HIDDEN.findall(html))
    form.update(identity=email, credential=PASSWORD)
    if cancel:
        form["cancel"] = "1"
    async with session.post(authorize_url, data=form, allow_redirects=False) as answer:
        assert answer.status == 302
        return answer.headers["Location"]


@pytest.fixture
async def browser(emulator: Emulator) -> AsyncIterator[aiohttp.ClientSession]:
    """The person's own browser (a separate cookie jar)."""
    async with aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True)
    ) as session:
        yield session


async def test_pasted_callback_gives_tokens(
    http: aiohttp.ClientSession, browser: aiohttp.ClientSession, emulator: Emulator
) -> None:
    login = TeslaSso(http, emulator.global_sso).browser_sign_in()
    callback = await _sign_in_in_a_browser(
        browser, login.authorize_url, "owner@example.com"
    )
    assert callback.startswith("tesla://auth/callback?")
    assert login.parse_callback(f"  {callback}  ").issuer == emulator.global_sso
    emulator.state.clear_requests()
    tokens = await login.fetch_tokens(f"  {callback}  ")
    assert tokens.email == "owner@example.com"
    assert token_kind(tokens.access_token) is TokenKind.OWNER_API
    assert tokens.issuer == emulator.global_sso
    assert served(emulator) == [("POST", "/oauth2/v3/token", 200)]


async def test_console_line_and_single_use_code(
    http: aiohttp.ClientSession, browser: aiohttp.ClientSession, emulator: Emulator
) -> None:
    login = TeslaSso(http, emulator.global_sso).browser_sign_in()
    callback = await _sign_in_in_a_browser(
        browser, login.authorize_url, "owner@example.com"
    )
    pasted = f"Failed to launch '{callback}' because the scheme does not have a registered handler."
    await login.fetch_tokens(pasted)
    with raises_sso(LoginFailure.CODE_INVALID):
        await login.fetch_tokens(pasted)


async def test_china_account_in_the_browser(
    http: aiohttp.ClientSession, browser: aiohttp.ClientSession, emulator: Emulator
) -> None:
    login = TeslaSso(http, emulator.global_sso).browser_sign_in()
    callback = await _sign_in_in_a_browser(
        browser, login.authorize_url, "china@example.com"
    )
    assert login.parse_callback(callback).issuer == emulator.china_sso
    tokens = await login.fetch_tokens(callback)
    assert tokens.issuer == emulator.china_sso
    assert served(emulator)[-1] == ("POST", "/cn/oauth2/v3/token", 200)


async def test_callback_of_another_sign_in(
    browser: aiohttp.ClientSession, emulator: Emulator
) -> None:
    other = offline_browser_sign_in(emulator.global_sso)
    callback = await _sign_in_in_a_browser(
        browser, other.authorize_url, "owner@example.com"
    )
    with raises_sso(LoginFailure.STATE_MISMATCH):
        offline_browser_sign_in(emulator.global_sso).parse_callback(callback)


async def test_cancelled_in_the_browser(
    browser: aiohttp.ClientSession, emulator: Emulator
) -> None:
    login = offline_browser_sign_in(emulator.global_sso)
    callback = await _sign_in_in_a_browser(
        browser, login.authorize_url, "owner@example.com", cancel=True
    )
    with raises_sso(LoginFailure.CALLBACK_ERROR) as err:
        login.parse_callback(callback)
    assert "login_cancelled" in str(err.value)


async def test_callback_from_a_foreign_server_is_refused(
    browser: aiohttp.ClientSession, emulator: Emulator
) -> None:
    login = offline_browser_sign_in(emulator.global_sso)
    callback = await _sign_in_in_a_browser(
        browser, login.authorize_url, "owner@example.com"
    )
    forged = re.sub(
        r"issuer=[^&]+", "issuer=https%3A%2F%2Fevil.example%2Foauth2%2Fv3", callback
    )
    with raises_sso(LoginFailure.INVALID_CALLBACK_URL):
        login.parse_callback(forged)


async def test_code_for_a_foreign_issuer_is_never_sent(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    forged = Authorized(code="c0de", issuer="https://evil.example/oauth2/v3")
    with raises_sso(LoginFailure.INVALID_CALLBACK_URL):
        await exchange_code(
            AiohttpTransport(http, 5),
            forged,
            pkce=Pkce(),
            redirect_uri=REDIRECT_URI,
            trusted_base=emulator.global_sso,
        )
    assert emulator.state.requests == []
