"""If Tesla's pages or JSON change shape, the client fails loudly and names what it missed."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from custom_components.tesla_token.sso import (
    BrowserSignIn,
    LoginFailure,
    MfaRequired,
    PasswordSignIn,
    TemporaryFailure,
    TeslaSso,
)
from tests.sso.helpers import raises_sso

from .jwts import make_jwt
from .odd_server import MFA_PAGE, SIGN_IN_PAGE, OddServer, html, json_answer, redirect

AUTHORIZE = "/oauth2/v3/authorize"
PASSWORD = "tesla-demo-password"


async def _started(server: OddServer, session: aiohttp.ClientSession) -> PasswordSignIn:
    server.on("GET", AUTHORIZE, html(SIGN_IN_PAGE))
    login = TeslaSso(session, server.sso).password_sign_in()
    assert await login.start("owner@example.com") is None
    return login


async def _at_mfa(
    server: OddServer, session: aiohttp.ClientSession
) -> tuple[PasswordSignIn, MfaRequired]:
    login = await _started(server, session)
    server.on("POST", AUTHORIZE, html(MFA_PAGE))
    server.on(
        "GET",
        f"{AUTHORIZE}/mfa/factors",
        json_answer({"data": [{"id": "f1"}]}),
    )
    step = await login.submit_credentials("owner@example.com", PASSWORD)
    assert isinstance(step, MfaRequired)
    return login, step


async def test_factor_without_name_is_named_by_its_id(
    odd_server: OddServer, plain_http: aiohttp.ClientSession
) -> None:
    _, step = await _at_mfa(odd_server, plain_http)
    assert [(f.id, f.name) for f in step.factors] == [("f1", "f1")]


async def test_redirect_to_a_foreign_server_is_not_followed(
    odd_server: OddServer, plain_http: aiohttp.ClientSession
) -> None:
    odd_server.on(
        "GET", AUTHORIZE, redirect("https://evil.example/oauth2/v3/authorize", 303)
    )
    with raises_sso(TemporaryFailure.UNEXPECTED_RESPONSE) as err:
        await (
            TeslaSso(plain_http, odd_server.sso)
            .password_sign_in()
            .start("owner@example.com")
        )
    assert "not trusted" in str(err.value)
    assert odd_server.requests == [("GET", AUTHORIZE)]


async def test_only_one_region_redirect_is_followed(
    odd_server: OddServer, plain_http: aiohttp.ClientSession
) -> None:
    odd_server.on("GET", AUTHORIZE, redirect("/cn/oauth2/v3/authorize", 303))
    odd_server.on(
        "GET", "/cn/oauth2/v3/authorize", redirect(f"{odd_server.sso}/authorize", 303)
    )
    with raises_sso(TemporaryFailure.UNEXPECTED_RESPONSE) as err:
        await (
            TeslaSso(plain_http, odd_server.sso)
            .password_sign_in()
            .start("owner@example.com")
        )
    assert "303" in str(err.value)
    assert len(odd_server.requests) == 2


async def test_sign_in_page_that_is_an_mfa_page(
    odd_server: OddServer, plain_http: aiohttp.ClientSession
) -> None:
    odd_server.on("GET", AUTHORIZE, html(MFA_PAGE))
    with raises_sso(TemporaryFailure.UNEXPECTED_RESPONSE) as err:
        await (
            TeslaSso(plain_http, odd_server.sso)
            .password_sign_in()
            .start("owner@example.com")
        )
    assert "MFA" in str(err.value)


async def test_unknown_status_on_the_sign_in_page(
    odd_server: OddServer, plain_http: aiohttp.ClientSession
) -> None:
    odd_server.on("GET", AUTHORIZE, html("<p>Forbidden</p>", status=403))
    with raises_sso(TemporaryFailure.UNEXPECTED_RESPONSE) as err:
        await (
            TeslaSso(plain_http, odd_server.sso)
            .password_sign_in()
            .start("owner@example.com")
        )
    assert "403" in str(err.value)


async def test_locked_page_with_401(
    odd_server: OddServer, plain_http: aiohttp.ClientSession
) -> None:
    login = await _started(odd_server, plain_http)
    odd_server.on(
        "POST", AUTHORIZE, html("<p>Your account has been locked</p>", status=401)
    )
    with raises_sso(LoginFailure.ACCOUNT_LOCKED):
        await login.submit_credentials("owner@example.com", PASSWORD)


async def test_form_back_without_a_reason(
    odd_server: OddServer, plain_http: aiohttp.ClientSession
) -> None:
    login = await _started(odd_server, plain_http)
    odd_server.on("POST", AUTHORIZE, html(SIGN_IN_PAGE))
    with raises_sso(TemporaryFailure.UNEXPECTED_RESPONSE):
        await login.submit_credentials("owner@example.com", PASSWORD)


async def test_redirect_elsewhere_than_the_callback(
    odd_server: OddServer, plain_http: aiohttp.ClientSession
) -> None:
    login = await _started(odd_server, plain_http)
    odd_server.on("POST", AUTHORIZE, redirect("https://www.tesla.com/"))
    with raises_sso(TemporaryFailure.UNEXPECTED_RESPONSE) as err:
        await login.submit_credentials("owner@example.com", PASSWORD)
    assert "callback" in str(err.value)


@pytest.mark.parametrize(
    ("factors", "named"),
    [
        ({"data": {"id": "f1"}}, "data list"),
        ({"data": [{"name": "Phone"}]}, "no id"),
        ({"data": ["f1"]}, "no id"),
        ([{"id": "f1"}], "not an object"),
    ],
)
async def test_changed_factor_list(
    odd_server: OddServer,
    plain_http: aiohttp.ClientSession,
    factors: object,
    named: str,
) -> None:
    login = await _started(odd_server, plain_http)
    odd_server.on("POST", AUTHORIZE, html(MFA_PAGE))
    odd_server.on("GET", f"{AUTHORIZE}/mfa/factors", json_answer(factors))
    with raises_sso(TemporaryFailure.UNEXPECTED_RESPONSE) as err:
        await login.submit_credentials("owner@example.com", PASSWORD)
    assert named in str(err.value)


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ({}, TemporaryFailure.UNEXPECTED_RESPONSE),
        ({"data": "yes"}, TemporaryFailure.UNEXPECTED_RESPONSE),
        ({"data": {"valid": True, "approved": False}}, LoginFailure.MFA_CODE_INVALID),
        ({"data": {"valid": True}}, LoginFailure.MFA_CODE_INVALID),
        (
            {"error": {"code": "ERR_SOMETHING_NEW", "message": "?"}},
            TemporaryFailure.UNEXPECTED_RESPONSE,
        ),
        ({"error": "ERR_EXPIRED"}, LoginFailure.MFA_EXPIRED),
    ],
)
async def test_changed_verify_answers(
    odd_server: OddServer,
    plain_http: aiohttp.ClientSession,
    answer: object,
    error: LoginFailure | TemporaryFailure,
) -> None:
    login, step = await _at_mfa(odd_server, plain_http)
    odd_server.on("POST", f"{AUTHORIZE}/mfa/verify", json_answer(answer))
    with raises_sso(error):
        await login.verify_passcode(step.factors[0].id, "123456")


async def test_backup_answer_with_an_unknown_error(
    odd_server: OddServer, plain_http: aiohttp.ClientSession
) -> None:
    login, _ = await _at_mfa(odd_server, plain_http)
    odd_server.on(
        "POST",
        f"{AUTHORIZE}/mfa/backupcodes/attempt",
        json_answer({"error": {"code": "ERR_SOMETHING_NEW"}}, status=400),
    )
    with raises_sso(TemporaryFailure.UNEXPECTED_RESPONSE) as err:
        await login.verify_backup_code("abcdefghi")
    assert "ERR_SOMETHING_NEW" in str(err.value)
    assert "abcdefghi" not in str(err.value)


def _browser_code(
    server: OddServer, session: aiohttp.ClientSession
) -> tuple[BrowserSignIn, str]:
    """A browser sign-in and the callback its person pastes (code c0de, its state)."""
    login = TeslaSso(session, server.sso).browser_sign_in()
    state = parse_qs(urlsplit(login.authorize_url).query)["state"][0]
    return login, f"tesla://auth/callback?code=c0de&state={state}"


async def test_token_answer_with_another_state(
    odd_server: OddServer, plain_http: aiohttp.ClientSession
) -> None:
    login, pasted = _browser_code(odd_server, plain_http)
    access = make_jwt({"iss": odd_server.sso, "sub": "s", "exp": 2})
    odd_server.on(
        "POST",
        "/oauth2/v3/token",
        json_answer({"access_token": access, "refresh_token": "r", "state": "other"}),
    )
    with raises_sso(LoginFailure.STATE_MISMATCH):
        await login.fetch_tokens(pasted)


async def test_token_error_in_the_nested_envelope(
    odd_server: OddServer, plain_http: aiohttp.ClientSession
) -> None:
    login, pasted = _browser_code(odd_server, plain_http)
    odd_server.on(
        "POST",
        "/oauth2/v3/token",
        json_answer({"error": {"code": "invalid_grant"}}, status=401),
    )
    with raises_sso(LoginFailure.CODE_INVALID):
        await login.fetch_tokens(pasted)


async def test_token_answer_that_is_not_an_object(
    odd_server: OddServer, plain_http: aiohttp.ClientSession
) -> None:
    login, pasted = _browser_code(odd_server, plain_http)
    odd_server.on("POST", "/oauth2/v3/token", json_answer(["access_token"]))
    with raises_sso(TemporaryFailure.UNEXPECTED_RESPONSE) as err:
        await login.fetch_tokens(pasted)
    assert "not an object" in str(err.value)
