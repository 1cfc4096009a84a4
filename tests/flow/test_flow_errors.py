"""Which message each SSO client error shows, and on which field."""

from __future__ import annotations

import pytest

from custom_components.tesla_token.flow_errors import StepError, flow_error
from custom_components.tesla_token.sso import (
    LoginFailure,
    TemporaryFailure,
    TeslaSsoError,
    TeslaSsoLoginError,
    TeslaSsoTemporaryError,
    TeslaSsoTokenRefusedError,
)


@pytest.mark.parametrize(
    ("error", "key", "field"),
    [
        (LoginFailure.INVALID_SERVER_URL, "invalid_auth_url", "advanced"),
        (LoginFailure.INVALID_CREDENTIALS, "invalid_auth", "base"),
        (LoginFailure.ACCOUNT_LOCKED, "account_locked", "base"),
        (LoginFailure.CAPTCHA_INVALID, "captcha_invalid", "captcha"),
        (LoginFailure.RECAPTCHA_REQUIRED, "recaptcha_required", "base"),
        (LoginFailure.MFA_CODE_INVALID, "invalid_mfa_code", "code"),
        (LoginFailure.BACKUP_CODE_INVALID, "invalid_mfa_code", "code"),
        (LoginFailure.MFA_CODE_REPLAYED, "mfa_replay", "code"),
        (LoginFailure.MFA_TOO_MANY_ATTEMPTS, "mfa_locked", "base"),
        (LoginFailure.BACKUP_CODE_LOCKED, "mfa_locked", "base"),
        (LoginFailure.MFA_EXPIRED, "mfa_expired", "base"),
        (LoginFailure.REDIRECT_URI_REFUSED, "redirect_uri_refused", "base"),
        (LoginFailure.INVALID_CALLBACK_URL, "invalid_callback_url", "callback_url"),
        (LoginFailure.STATE_MISMATCH, "state_mismatch", "callback_url"),
        (LoginFailure.CALLBACK_ERROR, "callback_error", "callback_url"),
        (LoginFailure.CODE_INVALID, "code_expired", "callback_url"),
        (LoginFailure.INVALID_TOKEN, "invalid_refresh_token", "refresh_token"),
        (TeslaSsoTokenRefusedError(), "invalid_refresh_token", "refresh_token"),
        (TemporaryFailure.WAF_BLOCKED, "waf_blocked", "base"),
        (TemporaryFailure.WAF_CHALLENGE, "waf_blocked", "base"),
        (TemporaryFailure.CONNECTION_ERROR, "cannot_connect", "base"),
        (TemporaryFailure.SERVER_ERROR, "cannot_connect", "base"),
        (
            TeslaSsoTemporaryError(TemporaryFailure.RATE_LIMITED, retry_after=30),
            "cannot_connect",
            "base",
        ),
        (TemporaryFailure.UNEXPECTED_RESPONSE, "cannot_connect", "base"),
        (TeslaSsoError(), "unknown", "base"),
    ],
)
def test_error_mapping(
    error: LoginFailure | TemporaryFailure | TeslaSsoError, key: str, field: str
) -> None:
    if isinstance(error, LoginFailure):
        error = TeslaSsoLoginError(error)
    elif isinstance(error, TemporaryFailure):
        error = TeslaSsoTemporaryError(error)
    assert flow_error(error) == StepError(
        key, field, offers_browser=flow_error(error).offers_browser
    )
    assert flow_error(error).offers_browser is (
        key in {"recaptcha_required", "waf_blocked"}
    )


def test_error_lands_on_base_when_the_form_lacks_its_field() -> None:
    assert StepError("mfa_replay", "code").on_form({"code"}) == {"code": "mfa_replay"}
    assert StepError("mfa_replay", "code").on_form({"email"}) == {"base": "mfa_replay"}
