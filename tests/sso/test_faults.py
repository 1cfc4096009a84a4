"""Server trouble becomes the right TeslaSsoTemporaryError, so the caller knows to retry later."""

from __future__ import annotations

import socket

import aiohttp
import pytest

from custom_components.tesla_token.sso import (
    LoginFailure,
    MfaRequired,
    TemporaryFailure,
    TeslaSso,
)
from emulator import Emulator, Fault, FaultKind, WafMode
from tests.sso.helpers import raises_sso

PASSWORD = "tesla-demo-password"


async def _refresh(
    http: aiohttp.ClientSession,
    emulator: Emulator,
    timeout: float = 30,  # noqa: ASYNC109
) -> None:
    token = emulator.state.mint_refresh_token("owner@example.com")
    await TeslaSso(http, emulator.global_sso, timeout=timeout).refresh(token)


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors(
    http: aiohttp.ClientSession, emulator: Emulator, status: int
) -> None:
    emulator.state.set_fault("token", Fault(kind=FaultKind.STATUS, status=status))
    with raises_sso(TemporaryFailure.SERVER_ERROR) as err:
        await _refresh(http, emulator)
    assert f"HTTP {status}" in str(err.value)
    assert err.value.retry_after is None
    await _refresh(http, emulator)  # the fault was one-shot: the next try works


async def test_rate_limited_with_retry_after(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    emulator.state.set_fault("token", Fault(kind=FaultKind.RATE_LIMIT, retry_after=42))
    with raises_sso(TemporaryFailure.RATE_LIMITED) as err:
        await _refresh(http, emulator)
    assert err.value.retry_after == 42


async def test_rate_limited_without_retry_after(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    emulator.state.set_fault(
        "authorize", Fault(kind=FaultKind.RATE_LIMIT, retry_after=None)
    )
    with raises_sso(TemporaryFailure.RATE_LIMITED) as err:
        await (
            TeslaSso(http, emulator.global_sso)
            .password_sign_in()
            .start("owner@example.com")
        )
    assert err.value.retry_after is None


async def test_dropped_connection(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    emulator.state.set_fault("token", Fault(kind=FaultKind.DROP))
    with raises_sso(TemporaryFailure.CONNECTION_ERROR):
        await _refresh(http, emulator)


async def test_timeout(http: aiohttp.ClientSession, emulator: Emulator) -> None:
    emulator.state.set_fault("token", Fault(kind=FaultKind.DELAY, delay=1))
    with raises_sso(TemporaryFailure.CONNECTION_ERROR):
        await _refresh(http, emulator, timeout=0.1)


async def test_connection_refused(
    http: aiohttp.ClientSession, socket_enabled: None
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    login = TeslaSso(http, f"http://127.0.0.1:{port}/oauth2/v3").password_sign_in()
    with raises_sso(TemporaryFailure.CONNECTION_ERROR) as err:
        await login.start("owner@example.com")
    assert "owner@example.com" not in str(err.value)


async def test_malformed_json(http: aiohttp.ClientSession, emulator: Emulator) -> None:
    emulator.state.set_fault("token", Fault(kind=FaultKind.MALFORMED_JSON))
    with raises_sso(TemporaryFailure.UNEXPECTED_RESPONSE):
        await _refresh(http, emulator)


async def test_truncated_body(http: aiohttp.ClientSession, emulator: Emulator) -> None:
    emulator.state.set_fault("token", Fault(kind=FaultKind.TRUNCATED))
    with raises_sso(TemporaryFailure.UNEXPECTED_RESPONSE):
        await _refresh(http, emulator)


async def test_waf_block(http: aiohttp.ClientSession, emulator: Emulator) -> None:
    emulator.state.set_fault("authorize", Fault(kind=FaultKind.WAF_BLOCK))
    with raises_sso(TemporaryFailure.WAF_BLOCKED) as err:
        await (
            TeslaSso(http, emulator.global_sso)
            .password_sign_in()
            .start("owner@example.com")
        )
    assert err.value.retry_after is None


async def test_waf_block_on_the_credentials_post(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    login = TeslaSso(http, emulator.global_sso).password_sign_in()
    await login.start("owner@example.com")
    emulator.state.scenario.waf = WafMode.BLOCK
    with raises_sso(TemporaryFailure.WAF_BLOCKED):
        await login.submit_credentials("owner@example.com", PASSWORD)


async def test_waf_challenge(http: aiohttp.ClientSession, emulator: Emulator) -> None:
    emulator.state.scenario.waf = WafMode.CHALLENGE
    with raises_sso(TemporaryFailure.WAF_CHALLENGE):
        await (
            TeslaSso(http, emulator.global_sso)
            .password_sign_in()
            .start("owner@example.com")
        )


async def test_waf_challenge_where_json_is_expected(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    emulator.state.set_fault("token", Fault(kind=FaultKind.WAF_CHALLENGE))
    with raises_sso(TemporaryFailure.WAF_CHALLENGE):
        await _refresh(http, emulator)


async def test_captcha_image_server_error(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    login = TeslaSso(http, emulator.global_sso).password_sign_in()
    await login.start("captcha@example.com")
    emulator.state.set_fault("captcha", Fault(kind=FaultKind.STATUS, status=500))
    with raises_sso(TemporaryFailure.SERVER_ERROR):
        await login.captcha_image()


@pytest.mark.parametrize(
    ("endpoint", "kind", "error"),
    [
        ("mfa_factors", FaultKind.MALFORMED_JSON, TemporaryFailure.UNEXPECTED_RESPONSE),
        ("mfa_factors", FaultKind.STATUS, TemporaryFailure.SERVER_ERROR),
        ("mfa_verify", FaultKind.TRUNCATED, TemporaryFailure.UNEXPECTED_RESPONSE),
        ("mfa_verify", FaultKind.RATE_LIMIT, TemporaryFailure.RATE_LIMITED),
        ("mfa_verify", FaultKind.DROP, TemporaryFailure.CONNECTION_ERROR),
    ],
)
async def test_faults_during_mfa(
    http: aiohttp.ClientSession,
    emulator: Emulator,
    endpoint: str,
    kind: FaultKind,
    error: LoginFailure | TemporaryFailure,
) -> None:
    login = TeslaSso(http, emulator.global_sso).password_sign_in()
    await login.start("mfa@example.com")
    emulator.state.set_fault(endpoint, Fault(kind=kind))
    if endpoint == "mfa_factors":
        with raises_sso(error):
            await login.submit_credentials("mfa@example.com", PASSWORD)
        return
    step = await login.submit_credentials("mfa@example.com", PASSWORD)
    assert isinstance(step, MfaRequired)
    with raises_sso(error):
        await login.verify_passcode(
            step.factors[0].id, emulator.state.totp("mfa@example.com", "Phone")
        )


async def test_captcha_that_is_not_an_image(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    login = TeslaSso(http, emulator.global_sso).password_sign_in()
    await login.start("captcha@example.com")
    emulator.state.set_fault("captcha", Fault(kind=FaultKind.MALFORMED_JSON))
    with raises_sso(TemporaryFailure.UNEXPECTED_RESPONSE) as err:
        await login.captcha_image()
    assert "SVG" in str(err.value)
    emulator.state.set_fault("captcha", Fault(kind=FaultKind.STATUS, status=404))
    with raises_sso(TemporaryFailure.UNEXPECTED_RESPONSE) as err:
        await login.captcha_image()
    assert "404" in str(err.value)


async def test_odd_status_on_the_factor_list(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    login = TeslaSso(http, emulator.global_sso).password_sign_in()
    await login.start("mfa@example.com")
    emulator.state.set_fault("mfa_factors", Fault(kind=FaultKind.STATUS, status=404))
    with raises_sso(TemporaryFailure.UNEXPECTED_RESPONSE) as err:
        await login.submit_credentials("mfa@example.com", PASSWORD)
    assert "404" in str(err.value)


async def test_odd_status_when_finishing(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    login = TeslaSso(http, emulator.global_sso).password_sign_in()
    await login.start("mfa@example.com")
    step = await login.submit_credentials("mfa@example.com", PASSWORD)
    assert isinstance(step, MfaRequired)
    emulator.state.set_fault(
        "authorize", Fault(kind=FaultKind.STATUS, status=400, method="POST")
    )
    with raises_sso(TemporaryFailure.UNEXPECTED_RESPONSE) as err:
        await login.verify_passcode(
            step.factors[0].id, emulator.state.totp("mfa@example.com", "Phone")
        )
    assert "Finishing" in str(err.value)


@pytest.mark.parametrize("status", [400, 404])
async def test_odd_token_endpoint_answers(
    http: aiohttp.ClientSession, emulator: Emulator, status: int
) -> None:
    login = TeslaSso(http, emulator.global_sso).password_sign_in()
    await login.start("owner@example.com")
    await login.submit_credentials("owner@example.com", PASSWORD)
    emulator.state.set_fault(
        "token", Fault(kind=FaultKind.STATUS, status=status, count=2)
    )
    with raises_sso(TemporaryFailure.UNEXPECTED_RESPONSE) as err:
        await login.fetch_tokens()
    assert str(status) in str(err.value)
    with raises_sso(TemporaryFailure.UNEXPECTED_RESPONSE) as err:
        await _refresh(http, emulator)
    assert str(status) in str(err.value)


async def test_refresh_refused_for_a_malformed_request(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    with raises_sso(TemporaryFailure.UNEXPECTED_RESPONSE) as err:
        await TeslaSso(http, emulator.global_sso).refresh("")
    assert "invalid_request" in str(err.value)
