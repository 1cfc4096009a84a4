"""Tests of flow_errors.py: which message each failure shows, and on which field."""

from __future__ import annotations

import pytest

from custom_components.tesla_token.flow_errors import (
    InvalidInputError,
    StepError,
    flow_error,
)
from custom_components.tesla_token.flow_schemas import MFA_SCHEMA, password_schema
from custom_components.tesla_token.sso import (
    AccountLocked,
    AuthorizationCodeInvalid,
    BackupCodeInvalid,
    BackupCodeLocked,
    CallbackError,
    CaptchaInvalid,
    InvalidCallbackUrl,
    InvalidCredentials,
    InvalidServerUrl,
    InvalidToken,
    LoginError,
    LoginRequired,
    MfaCodeInvalid,
    MfaCodeReplayed,
    MfaExpired,
    MfaTooManyAttempts,
    RateLimited,
    RecaptchaRequired,
    RedirectUriRefused,
    ServerError,
    SsoConnectionError,
    StateMismatch,
    TeslaSsoError,
    TransientError,
    UnexpectedResponse,
    WafBlocked,
    WafChallenge,
)


@pytest.mark.parametrize(
    ("error", "key", "field"),
    [
        (InvalidServerUrl(), "invalid_auth_url", "advanced"),
        (InvalidCredentials(), "invalid_auth", "base"),
        (AccountLocked(), "account_locked", "base"),
        (CaptchaInvalid(), "captcha_invalid", "captcha"),
        (RecaptchaRequired(), "recaptcha_required", "base"),
        (MfaCodeInvalid(), "invalid_mfa_code", "code"),
        (BackupCodeInvalid(), "invalid_mfa_code", "code"),
        (MfaCodeReplayed(), "mfa_replay", "code"),
        (MfaTooManyAttempts(), "mfa_locked", "base"),
        (BackupCodeLocked(), "mfa_locked", "base"),
        (MfaExpired(), "mfa_expired", "base"),
        (RedirectUriRefused(), "redirect_uri_refused", "base"),
        (InvalidCallbackUrl(), "invalid_callback_url", "callback_url"),
        (StateMismatch(), "state_mismatch", "callback_url"),
        (CallbackError("login_cancelled"), "callback_error", "callback_url"),
        (AuthorizationCodeInvalid(), "code_expired", "callback_url"),
        (LoginRequired(), "invalid_refresh_token", "refresh_token"),
        (InvalidToken(), "invalid_refresh_token", "refresh_token"),
        (WafBlocked(), "waf_blocked", "base"),
        (WafChallenge(), "waf_blocked", "base"),
        (SsoConnectionError(), "cannot_connect", "base"),
        (ServerError(503), "cannot_connect", "base"),
        (RateLimited(retry_after=30), "cannot_connect", "base"),
        (UnexpectedResponse(), "cannot_connect", "base"),
        (TransientError(), "cannot_connect", "base"),
        (LoginError(), "unknown", "base"),
        (TeslaSsoError(), "unknown", "base"),
    ],
)
def test_error_mapping(error: TeslaSsoError, key: str, field: str) -> None:
    assert flow_error(error) == StepError(
        key, field, offers_browser=flow_error(error).offers_browser
    )
    assert flow_error(error).offers_browser is (
        key in {"recaptcha_required", "waf_blocked"}
    )


def test_refused_input_shows_its_own_error() -> None:
    error = StepError("input_too_long", "captcha")
    assert flow_error(InvalidInputError(error)) == error


def test_an_unexpected_error_is_unknown_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with pytest.raises(RuntimeError) as raised:  # raised, to carry a traceback
        raise RuntimeError("boom")
    assert flow_error(raised.value) == StepError("unknown")
    assert "Unexpected error while talking to Tesla's sign-in service" in caplog.text
    assert "Traceback" in caplog.text


def test_error_lands_on_base_when_the_form_lacks_its_field() -> None:
    assert StepError("mfa_replay", "code").on_form(MFA_SCHEMA) == {"code": "mfa_replay"}
    assert StepError("mfa_replay", "code").on_form(password_schema("global")) == {
        "base": "mfa_replay"
    }
    assert StepError("invalid_auth_url", "advanced").on_form(
        password_schema("global")
    ) == {"advanced": "invalid_auth_url"}
