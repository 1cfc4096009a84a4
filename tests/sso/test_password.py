"""A scripted sign-in against the emulator over loopback HTTP: every outcome a person can meet."""

from __future__ import annotations

import logging

import aiohttp
import pytest

from custom_components.tesla_token.sso import (
    Authorized,
    CaptchaRequired,
    LoginFailure,
    MfaRequired,
    PasswordSignIn,
    TemporaryFailure,
    TeslaSso,
    TokenKind,
    TokenSet,
    token_kind,
)
from custom_components.tesla_token.sso.tokens import decode_jwt_claims
from custom_components.tesla_token.sso.transport import AiohttpTransport
from emulator import CaptchaMode, Emulator
from tests.sso.helpers import raises_sso

from .conftest import served

PASSWORD = "tesla-demo-password"
MFA = "mfa@example.com"


def _assert_tokens(
    tokens: TokenSet, emulator: Emulator, email: str, issuer: str
) -> None:
    assert tokens.email == email
    assert tokens.issuer == issuer
    assert token_kind(tokens.access_token) is TokenKind.OWNER_API
    assert tokens.lifetime == 28800
    assert tokens.subject == decode_jwt_claims(tokens.access_token)["sub"]
    assert tokens.refresh_token_issued_at is not None
    assert tokens.id_token is not None


async def test_plain_login_uses_three_requests(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    login = TeslaSso(http, emulator.global_sso).password_sign_in()
    assert await login.start("owner@example.com") is None
    step = await login.submit_credentials("owner@example.com", PASSWORD)
    assert isinstance(step, Authorized)
    assert step.issuer == emulator.global_sso
    tokens = await login.fetch_tokens()
    _assert_tokens(tokens, emulator, "owner@example.com", emulator.global_sso)
    assert decode_jwt_claims(tokens.access_token)["amr"] == ["pwd"]
    assert served(emulator) == [
        ("GET", "/oauth2/v3/authorize", 200),
        ("POST", "/oauth2/v3/authorize", 302),
        ("POST", "/oauth2/v3/token", 200),
    ]
    # The form carried login_hint, and the POST sent exactly the form's inputs.
    get, post, token = emulator.state.requests
    assert "login_hint" in get.query
    assert post.query == get.query
    assert set(post.form) == {
        "_csrf",
        "_phase",
        "_process",
        "transaction_id",
        "cancel",
        "identity",
        "credential",
    }
    assert "code_verifier" in token.form


async def test_captcha_login_uses_four_requests(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    login = TeslaSso(http, emulator.global_sso).password_sign_in()
    assert await login.start("captcha@example.com") == CaptchaRequired()
    image = await login.captcha_image()
    assert b"<svg" in image
    answer = emulator.state.latest_captcha_answer()
    assert answer
    step = await login.submit_credentials("captcha@example.com", PASSWORD, answer)
    assert isinstance(step, Authorized)
    tokens = await login.fetch_tokens()
    _assert_tokens(tokens, emulator, "captcha@example.com", emulator.global_sso)
    assert [(m, p) for m, p, _ in served(emulator)] == [
        ("GET", "/oauth2/v3/authorize"),
        ("GET", "/oauth2/v3/captcha"),
        ("POST", "/oauth2/v3/authorize"),
        ("POST", "/oauth2/v3/token"),
    ]
    assert "captcha" in emulator.state.requests[2].form


async def test_wrong_captcha_then_a_new_image(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    login = TeslaSso(http, emulator.global_sso).password_sign_in()
    await login.start("captcha@example.com")
    await login.captcha_image()
    with raises_sso(LoginFailure.CAPTCHA_INVALID):
        await login.submit_credentials("captcha@example.com", PASSWORD, "wrong")
    await login.captcha_image()
    answer = emulator.state.latest_captcha_answer()
    assert answer
    step = await login.submit_credentials("captcha@example.com", PASSWORD, answer)
    assert isinstance(step, Authorized)
    assert (await login.fetch_tokens()).email == "captcha@example.com"


async def test_captcha_asked_only_after_the_first_post(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    emulator.state.scenario.captcha = CaptchaMode.AFTER_FIRST_POST
    login = TeslaSso(http, emulator.global_sso).password_sign_in()
    assert await login.start("owner@example.com") is None
    assert (
        await login.submit_credentials("owner@example.com", PASSWORD)
        == CaptchaRequired()
    )
    await login.captcha_image()
    answer = emulator.state.latest_captcha_answer()
    assert answer
    step = await login.submit_credentials("owner@example.com", PASSWORD, answer)
    assert isinstance(step, Authorized)


async def test_mfa_login_uses_six_requests(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    login = TeslaSso(http, emulator.global_sso).password_sign_in()
    assert await login.start(MFA) is None
    step = await login.submit_credentials(MFA, PASSWORD)
    assert isinstance(step, MfaRequired)
    assert [f.name for f in step.factors] == ["Phone", "Watch"]
    watch = step.factors[1]
    authorized = await login.verify_passcode(
        watch.id, emulator.state.totp(MFA, "Watch")
    )
    assert authorized.issuer == emulator.global_sso
    tokens = await login.fetch_tokens()
    _assert_tokens(tokens, emulator, MFA, emulator.global_sso)
    assert decode_jwt_claims(tokens.access_token)["amr"] == ["pwd", "mfa", "otp"]
    assert served(emulator) == [
        ("GET", "/oauth2/v3/authorize", 200),
        ("POST", "/oauth2/v3/authorize", 200),
        ("GET", "/oauth2/v3/authorize/mfa/factors", 200),
        ("POST", "/oauth2/v3/authorize/mfa/verify", 200),
        ("POST", "/oauth2/v3/authorize", 302),
        ("POST", "/oauth2/v3/token", 200),
    ]
    verify, finish = emulator.state.requests[3], emulator.state.requests[4]
    assert set(verify.form) == {"transaction_id", "factor_id", "passcode", "_csrf"}
    assert finish.form == ("transaction_id",)


async def test_captcha_and_mfa_use_seven_requests(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    account = emulator.state.scenario.account(MFA)
    assert account is not None
    account.captcha = CaptchaMode.FIRST_PAGE
    login = TeslaSso(http, emulator.global_sso).password_sign_in()
    assert await login.start(MFA) == CaptchaRequired()
    await login.captcha_image()
    answer = emulator.state.latest_captcha_answer()
    assert answer
    step = await login.submit_credentials(MFA, PASSWORD, answer)
    assert isinstance(step, MfaRequired)
    await login.verify_passcode(step.factors[0].id, emulator.state.totp(MFA, "Phone"))
    tokens = await login.fetch_tokens()
    assert tokens.email == MFA
    assert len(emulator.state.requests) == 7
    assert all(status in (200, 302) for _, _, status in served(emulator))


async def _at_mfa(
    http: aiohttp.ClientSession, emulator: Emulator
) -> tuple[PasswordSignIn, MfaRequired]:
    login = TeslaSso(http, emulator.global_sso).password_sign_in()
    await login.start(MFA)
    step = await login.submit_credentials(MFA, PASSWORD)
    assert isinstance(step, MfaRequired)
    return login, step


def _wrong_code(right: str) -> str:
    return f"{(int(right) + 500000) % 1000000:06d}"


async def test_wrong_passcode_then_the_right_one(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    login, step = await _at_mfa(http, emulator)
    phone = step.factors[0]
    right = emulator.state.totp(MFA, "Phone")
    with raises_sso(LoginFailure.MFA_CODE_INVALID):
        await login.verify_passcode(phone.id, _wrong_code(right))
    # The HTTP status of the wrong code was 200: only data.valid said no.
    assert served(emulator)[-1] == ("POST", "/oauth2/v3/authorize/mfa/verify", 200)
    await login.verify_passcode(phone.id, right)
    assert (await login.fetch_tokens()).email == MFA


async def test_malformed_passcode_is_a_wrong_passcode(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    login, step = await _at_mfa(http, emulator)
    with raises_sso(LoginFailure.MFA_CODE_INVALID):
        await login.verify_passcode(step.factors[0].id, "12ab")


async def test_too_many_wrong_passcodes(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    emulator.state.scenario.mfa_max_attempts = 2
    login, step = await _at_mfa(http, emulator)
    phone = step.factors[0]
    wrong = _wrong_code(emulator.state.totp(MFA, "Phone"))
    for _ in range(2):
        with raises_sso(LoginFailure.MFA_CODE_INVALID):
            await login.verify_passcode(phone.id, wrong)
    with raises_sso(LoginFailure.MFA_TOO_MANY_ATTEMPTS):
        await login.verify_passcode(phone.id, emulator.state.totp(MFA, "Phone"))


async def test_replayed_passcode(emulator: Emulator) -> None:
    code = emulator.state.totp(MFA, "Phone")
    async with aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True)
    ) as first:
        login, step = await _at_mfa(first, emulator)
        await login.verify_passcode(step.factors[0].id, code)
    async with aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True)
    ) as second:
        login, step = await _at_mfa(second, emulator)
        with raises_sso(LoginFailure.MFA_CODE_REPLAYED):
            await login.verify_passcode(step.factors[0].id, code)


async def test_expired_mfa_transaction(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    login, step = await _at_mfa(http, emulator)
    emulator.state.scenario.transaction_lifetime = (
        -1
    )  # every transaction is now too old
    with raises_sso(LoginFailure.MFA_EXPIRED):
        await login.verify_passcode(
            step.factors[0].id, emulator.state.totp(MFA, "Phone")
        )


async def test_backup_code_after_the_transaction_expired(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    login, _ = await _at_mfa(http, emulator)
    emulator.state.scenario.transaction_lifetime = -1
    with raises_sso(LoginFailure.MFA_EXPIRED):
        await login.verify_backup_code(emulator.state.backup_codes(MFA)[0])


async def test_credentials_after_the_sign_in_page_expired(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    login = TeslaSso(http, emulator.global_sso).password_sign_in()
    await login.start("owner@example.com")
    emulator.state.scenario.transaction_lifetime = -1
    with raises_sso(TemporaryFailure.UNEXPECTED_RESPONSE) as err:
        await login.submit_credentials("owner@example.com", PASSWORD)
    assert "400" in str(err.value)
    assert PASSWORD not in str(err.value)


async def test_backup_code(http: aiohttp.ClientSession, emulator: Emulator) -> None:
    login, _ = await _at_mfa(http, emulator)
    code = emulator.state.backup_codes(MFA)[0]
    authorized = await login.verify_backup_code(code)
    assert authorized.issuer == emulator.global_sso
    tokens = await login.fetch_tokens()
    assert tokens.email == MFA
    assert code not in emulator.state.backup_codes(MFA)
    assert [p for _, p, _ in served(emulator)][3:] == [
        "/oauth2/v3/authorize/mfa/backupcodes/attempt",
        "/oauth2/v3/authorize",
        "/oauth2/v3/token",
    ]


@pytest.mark.parametrize("use_backup_code", [False, True])
async def test_mfa_carries_the_mfa_pages_csrf(
    http: aiohttp.ClientSession, emulator: Emulator, use_backup_code: bool
) -> None:
    """Since 2023 Tesla refuses MFA requests without the MFA page's own _csrf."""
    emulator.state.scenario = emulator.state.scenario.updated({"mfa_csrf": True})
    login, step = await _at_mfa(http, emulator)
    if use_backup_code:
        await login.verify_backup_code(emulator.state.backup_codes(MFA)[0])
    else:
        await login.verify_passcode(
            step.factors[0].id, emulator.state.totp(MFA, "Phone")
        )
    assert (await login.fetch_tokens()).email == MFA


async def test_wrong_and_used_backup_codes(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    used = emulator.state.backup_codes(MFA)[0]
    login, _ = await _at_mfa(http, emulator)
    await login.verify_backup_code(used)
    login, _ = await _at_mfa(http, emulator)
    with raises_sso(LoginFailure.BACKUP_CODE_INVALID):
        await login.verify_backup_code("zzzzzzzzz")
    with raises_sso(LoginFailure.BACKUP_CODE_INVALID):
        await login.verify_backup_code(used)
    with raises_sso(LoginFailure.BACKUP_CODE_INVALID):
        await login.verify_backup_code("short")


async def test_backup_codes_lock(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    emulator.state.scenario.backup_code_attempts = 2
    login, _ = await _at_mfa(http, emulator)
    with raises_sso(LoginFailure.BACKUP_CODE_INVALID):
        await login.verify_backup_code("zzzzzzzzz")
    with raises_sso(LoginFailure.BACKUP_CODE_LOCKED):
        await login.verify_backup_code("yyyyyyyyy")
    with raises_sso(LoginFailure.BACKUP_CODE_LOCKED):
        await login.verify_backup_code(emulator.state.backup_codes(MFA)[0])


async def test_wrong_password(http: aiohttp.ClientSession, emulator: Emulator) -> None:
    login = TeslaSso(http, emulator.global_sso).password_sign_in()
    await login.start("owner@example.com")
    with raises_sso(LoginFailure.INVALID_CREDENTIALS) as err:
        await login.submit_credentials("owner@example.com", "not-the-password")
    assert "not-the-password" not in str(err.value)
    assert served(emulator)[-1] == ("POST", "/oauth2/v3/authorize", 401)


async def test_unknown_account(http: aiohttp.ClientSession, emulator: Emulator) -> None:
    login = TeslaSso(http, emulator.global_sso).password_sign_in()
    await login.start("nobody@example.com")
    with raises_sso(LoginFailure.INVALID_CREDENTIALS):
        await login.submit_credentials("nobody@example.com", PASSWORD)


async def test_account_locks_after_failures(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    emulator.state.scenario.lockout_after = 2
    login = TeslaSso(http, emulator.global_sso).password_sign_in()
    await login.start("owner@example.com")
    with raises_sso(LoginFailure.INVALID_CREDENTIALS):
        await login.submit_credentials("owner@example.com", "wrong-1")
    with raises_sso(LoginFailure.ACCOUNT_LOCKED):
        await login.submit_credentials("owner@example.com", "wrong-2")
    # Even the right password is refused now.
    login = TeslaSso(http, emulator.global_sso).password_sign_in()
    await login.start("owner@example.com")
    with raises_sso(LoginFailure.ACCOUNT_LOCKED):
        await login.submit_credentials("owner@example.com", PASSWORD)


async def test_recaptcha_sends_the_person_to_the_browser(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    emulator.state.scenario.recaptcha = True
    login = TeslaSso(http, emulator.global_sso).password_sign_in()
    with raises_sso(LoginFailure.RECAPTCHA_REQUIRED):
        await login.start("owner@example.com")
    assert len(emulator.state.requests) == 1


async def test_redirect_uri_refused(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    login = PasswordSignIn(
        AiohttpTransport(http, 30),
        emulator.global_sso,
        redirect_uri="https://auth.tesla.com/void/callback",
    )
    with raises_sso(LoginFailure.REDIRECT_URI_REFUSED):
        await login.start("owner@example.com")


async def test_legacy_redirect_uri_when_the_server_allows_it(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    legacy = "https://auth.tesla.com/void/callback"
    emulator.state.scenario.redirect_uris = [legacy]
    login = PasswordSignIn(
        AiohttpTransport(http, 30), emulator.global_sso, redirect_uri=legacy
    )
    await login.start("owner@example.com")
    step = await login.submit_credentials("owner@example.com", PASSWORD)
    assert isinstance(step, Authorized)
    assert (await login.fetch_tokens()).email == "owner@example.com"


async def test_china_account_follows_the_region_redirect(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    login = TeslaSso(http, emulator.global_sso).password_sign_in()
    assert await login.start("china@example.com") is None
    assert login.sso_base == emulator.china_sso
    step = await login.submit_credentials("china@example.com", PASSWORD)
    assert isinstance(step, Authorized)
    assert step.issuer == emulator.china_sso
    tokens = await login.fetch_tokens()
    _assert_tokens(tokens, emulator, "china@example.com", emulator.china_sso)
    assert decode_jwt_claims(tokens.access_token)["iss"] == emulator.china_sso
    assert served(emulator) == [
        ("GET", "/oauth2/v3/authorize", 303),
        ("GET", "/cn/oauth2/v3/authorize", 200),
        ("POST", "/cn/oauth2/v3/authorize", 302),
        ("POST", "/cn/oauth2/v3/token", 200),
    ]


async def test_code_is_single_use(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    login = TeslaSso(http, emulator.global_sso).password_sign_in()
    await login.start("owner@example.com")
    await login.submit_credentials("owner@example.com", PASSWORD)
    await login.fetch_tokens()
    with raises_sso(LoginFailure.CODE_INVALID):
        await login.fetch_tokens()


async def test_cancel(http: aiohttp.ClientSession, emulator: Emulator) -> None:
    login = TeslaSso(http, emulator.global_sso).password_sign_in()
    await login.start("owner@example.com")
    await login.cancel()
    assert served(emulator)[-1] == ("POST", "/oauth2/v3/authorize", 302)
    assert set(emulator.state.requests[-1].form) == {"transaction_id", "cancel"}
    # Nothing left to cancel: no request.
    await login.cancel()
    assert len(emulator.state.requests) == 2


async def test_cancel_before_start_and_after_success(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    login = TeslaSso(http, emulator.global_sso).password_sign_in()
    await login.cancel()
    await login.start("owner@example.com")
    await login.submit_credentials("owner@example.com", PASSWORD)
    await login.cancel()
    assert len(emulator.state.requests) == 2


async def test_cancel_never_raises(emulator: Emulator) -> None:
    async with aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True)
    ) as session:
        login = TeslaSso(session, emulator.global_sso).password_sign_in()
        await login.start("owner@example.com")
    await login.cancel()  # the session is closed


async def test_steps_out_of_order(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    login = TeslaSso(http, emulator.global_sso).password_sign_in()
    with pytest.raises(RuntimeError):
        await login.submit_credentials("owner@example.com", PASSWORD)
    with pytest.raises(RuntimeError):
        await login.fetch_tokens()
    assert emulator.state.requests == []


async def test_logs_hold_no_secret(
    http: aiohttp.ClientSession, emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.tesla_token.sso")
    login = TeslaSso(http, emulator.global_sso).password_sign_in()
    await login.start(MFA)
    step = await login.submit_credentials(MFA, PASSWORD)
    assert isinstance(step, MfaRequired)
    passcode = emulator.state.totp(MFA, "Phone")
    authorized = await login.verify_passcode(step.factors[0].id, passcode)
    tokens = await login.fetch_tokens()
    assert caplog.records  # it did log
    secrets = [
        PASSWORD,
        passcode,
        authorized.code,
        login._pkce.verifier,
        login._pkce.state,
        tokens.access_token,
        tokens.refresh_token,
        "tesla-auth.sid",
    ]
    for secret in secrets:
        assert secret not in caplog.text
    for value in (login, authorized, tokens):
        for secret in secrets:
            assert secret not in repr(value)
