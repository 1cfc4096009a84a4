"""The short reasons a failed refresh is known by (events, diagnostics, the action's error)."""

from __future__ import annotations

import pytest

from custom_components.tesla_token.refresh_errors import (
    InvalidLifetimeError,
    RefreshFailedError,
    TokenRefusedError,
    failure_reason,
)
from custom_components.tesla_token.sso import (
    LoginFailure,
    TemporaryFailure,
    TeslaSsoError,
    TeslaSsoLoginError,
    TeslaSsoTemporaryError,
    TeslaSsoTokenRefusedError,
)


@pytest.mark.parametrize(
    ("err", "reason"),
    [
        *(
            pytest.param(
                TeslaSsoTemporaryError(failure), failure.value, id=failure.value
            )
            for failure in TemporaryFailure
        ),
        (TeslaSsoTokenRefusedError(), "login_required"),
        (TeslaSsoLoginError(LoginFailure.INVALID_SERVER_URL), "untrusted_issuer"),
        (TeslaSsoLoginError(LoginFailure.INVALID_TOKEN), "sso_error"),
        (TeslaSsoError(), "sso_error"),
        (InvalidLifetimeError(), "invalid_lifetime"),
        (ValueError("boom"), "unknown_error"),
    ],
)
def test_failure_reason(err: BaseException, reason: str) -> None:
    assert failure_reason(err) == reason


def test_the_errors_are_translated() -> None:
    """What the refresh action raises names a key of en.json and its placeholders."""
    failed = RefreshFailedError("server_error")
    assert (failed.translation_domain, failed.translation_key) == (
        "tesla_token",
        "refresh_failed",
    )
    assert failed.translation_placeholders == {"reason": "server_error"}
    refused = TokenRefusedError("owner@example.com")
    assert refused.translation_key == "reauth_required"
    assert refused.translation_placeholders == {"account": "owner@example.com"}
