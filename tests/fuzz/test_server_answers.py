"""Whatever the server answers, the SSO client ends in a result it can use or a TeslaSsoError.

A scripted server on 127.0.0.1 answers each step of a sign-in (or a refresh) faithfully, except
one or two steps that get a hypothesis-made answer: any status, Location, Retry-After and
Content-Type headers, a mangled page or JSON body, a cut-short or dropped answer. Every request the
client sends is logged: it must go to the chosen server, or to a Tesla SSO origin where the
client trusts one (that request is refused before it leaves the machine).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
import json
import math

import aiohttp
from hypothesis import given, strategies as st
import pytest

from custom_components.tesla_token.sso import (
    Authorized,
    CaptchaRequired,
    LoginStep,
    MfaRequired,
    PasswordSignIn,
    TeslaSso,
    TeslaSsoError,
    TokenKind,
    TokenSet,
    token_kind,
)

from .answer_server import Answer, AnswerServer, Step
from .answers import answers, numbers, scripts, token_answers
from .budget import fuzz
from .faithful import access_claims, faithful, jwt
from .request_log import TESLA_ORIGINS, RequestLog, origin_of
from .tally import count
from .typed import TESLA_CHINA, TESLA_GLOBAL, junk

EMAIL = "owner@example.com"
PASSWORD = "tesla-demo-password"
OLD_REFRESH_TOKEN = "the-refresh-token-we-have"


@pytest.fixture
async def logged_http(
    quick_loop: None, answer_server: AnswerServer
) -> AsyncIterator[tuple[aiohttp.ClientSession, RequestLog]]:
    """A client session whose every request is logged; only the answer server is reachable."""
    log = RequestLog()
    log.allow(answer_server.base_url)
    async with aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True), middlewares=(log.middleware,)
    ) as session:
        yield session, log


def check_token_set(tokens: TokenSet, base: str, *, kept: str | None = None) -> None:
    """A token set the integration can store and schedule."""
    assert tokens.access_token
    assert tokens.refresh_token
    if kept is not None:
        assert tokens.refresh_token in (kept, tokens.refresh_token)
    assert math.isfinite(tokens.expires_at)
    assert math.isfinite(tokens.issued_at)
    assert origin_of(tokens.issuer) in {origin_of(base), *TESLA_ORIGINS}
    assert tokens.subject
    assert isinstance(token_kind(tokens.access_token), TokenKind)
    assert tokens.email is None or isinstance(tokens.email, str)
    issued = tokens.refresh_token_issued_at
    assert issued is None or math.isfinite(issued)
    for secret in (tokens.access_token, tokens.refresh_token):
        assert secret not in repr(tokens)


def check_authorized(step: Authorized, base: str) -> None:
    assert step.code
    assert origin_of(step.issuer) in {origin_of(base), *TESLA_ORIGINS}


async def sign_in(
    login: PasswordSignIn, base: str, use_backup_code: bool
) -> TokenSet | None:
    """The whole conversation, as the config flow drives it."""
    step: LoginStep | None = await login.start(EMAIL)
    if step is None:
        step = await login.submit_credentials(EMAIL, PASSWORD)
    for _ in range(3):  # a captcha on the form, or asked for after the password
        if not isinstance(step, CaptchaRequired):
            break
        image = await login.captcha_image()
        assert b"<svg" in image[:2048].lower()
        step = await login.submit_credentials(EMAIL, PASSWORD, "k3xm")
    if isinstance(step, CaptchaRequired):
        return None  # a server that asks for captchas forever: the person gives up
    if isinstance(step, MfaRequired):
        for factor in step.factors:
            assert isinstance(factor.id, str)
            assert isinstance(factor.name, str)
        if step.factors and not use_backup_code:
            step = await login.verify_passcode(step.factors[0].id, "123456")
        else:
            step = await login.verify_backup_code("abcd12345")
    if not isinstance(step, Authorized):
        pytest.fail(f"the sign-in stopped at {step!r}")
    check_authorized(step, base)
    tokens = await login.fetch_tokens()
    check_token_set(tokens, base)
    return tokens


def check_requests(log: RequestLog, base: str) -> None:
    foreign = log.foreign({origin_of(base), *TESLA_ORIGINS})
    assert not foreign, f"requests went to {foreign}"


@fuzz(280)
@given(data=st.data(), use_backup_code=st.booleans())
async def test_a_sign_in_survives_any_answer(
    answer_server: AnswerServer,
    logged_http: tuple[aiohttp.ClientSession, RequestLog],
    data: st.DataObject,
    use_backup_code: bool,
) -> None:
    """Each step answered oddly ends the sign-in with a TeslaSsoError or tokens; cancel never raises."""
    http, log = logged_http
    base = answer_server.sso
    answer_server.script = data.draw(scripts(base), label="script")
    http.cookie_jar.clear()
    log.clear()
    login = TeslaSso(http, base, timeout=5).password_sign_in()
    try:
        await sign_in(login, base, use_backup_code)
    except TeslaSsoError as err:
        count("sso sign-in: odd answers", type(err).__name__)
        await login.cancel()
    else:
        count("sso sign-in: odd answers", "signed in")
    check_requests(log, base)


@fuzz(150)
@given(
    data=st.data(),
    issuer_form=st.sampled_from(
        ["same", "same", "slash", "tesla", "tesla_cn", "foreign", "junk"]
    ),
    junk_issuer=junk,
)
async def test_a_refresh_survives_any_answer(
    answer_server: AnswerServer,
    logged_http: tuple[aiohttp.ClientSession, RequestLog],
    data: st.DataObject,
    issuer_form: str,
    junk_issuer: str,
) -> None:
    """A refresh ends in tokens (keeping the old refresh token if none came) or a TeslaSsoError."""
    http, log = logged_http
    base = answer_server.sso
    answer = data.draw(
        token_answers(base) | answers(base) | faithful(Step.TOKEN, base), label="answer"
    )
    issuer = {
        "same": base,
        "slash": f"{base}/",
        "tesla": TESLA_GLOBAL,
        "tesla_cn": TESLA_CHINA,
        "foreign": "https://evil.example/oauth2/v3",
        "junk": junk_issuer,
    }[issuer_form]
    log.clear()
    answer_server.script = {Step.TOKEN: answer}
    try:
        tokens = await TeslaSso(http, base, timeout=5).refresh(
            OLD_REFRESH_TOKEN, issuer=issuer
        )
    except TeslaSsoError as err:
        count("sso refresh: odd answers", type(err).__name__)
    else:
        count("sso refresh: odd answers", "tokens")
        check_token_set(tokens, base, kept=OLD_REFRESH_TOKEN)
    check_requests(log, base)


@fuzz(100)
@given(
    data=st.data(),
    times=st.fixed_dictionaries({}, optional={"exp": numbers(), "iat": numbers()}),
    expires_in=st.none() | numbers(),
)
async def test_token_times_are_usable(
    answer_server: AnswerServer,
    logged_http: tuple[aiohttp.ClientSession, RequestLog],
    data: st.DataObject,
    times: dict[str, object],
    expires_in: object,
) -> None:
    """Whatever exp, iat and expires_in say, the token set has finite times or is refused."""
    http, _ = logged_http
    base = answer_server.sso
    claims = {
        key: value
        for key, value in access_claims(base).items()
        if key not in ("exp", "iat")
    }
    body: dict[str, object] = {"access_token": jwt({**claims, **times})}
    if expires_in is not None:
        body["expires_in"] = expires_in
    answer_server.script = {
        Step.TOKEN: Answer(
            200, (("Content-Type", "application/json"),), json.dumps(body).encode()
        )
    }
    try:
        tokens = await TeslaSso(http, base).refresh(OLD_REFRESH_TOKEN)
    except TeslaSsoError as err:
        count("sso refresh: odd exp, iat, expires_in", type(err).__name__)
        return
    count("sso refresh: odd exp, iat, expires_in", "tokens")
    check_token_set(tokens, base, kept=OLD_REFRESH_TOKEN)
