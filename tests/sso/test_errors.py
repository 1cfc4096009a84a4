"""The SSO client's errors: a reason each, and a message that says it without secrets."""

from __future__ import annotations

import pytest

from custom_components.tesla_token.sso import (
    LoginFailure,
    TemporaryFailure,
    TeslaSsoError,
    TeslaSsoLoginError,
    TeslaSsoTemporaryError,
    TeslaSsoTokenRefusedError,
)


def test_every_reason_has_a_message_of_its_own() -> None:
    errors: list[TeslaSsoError] = [
        *(TeslaSsoLoginError(reason) for reason in LoginFailure),
        *(TeslaSsoTemporaryError(reason) for reason in TemporaryFailure),
        TeslaSsoTokenRefusedError(),
    ]
    messages = [str(err) for err in errors]
    assert len(set(messages)) == len(errors)
    assert str(TeslaSsoError()) not in messages


@pytest.mark.parametrize("reason", list(LoginFailure))
def test_a_login_error_keeps_its_reason(reason: LoginFailure) -> None:
    err = TeslaSsoLoginError(reason, "The callback has no code")
    assert err.reason is reason
    assert str(err) == "The callback has no code"


def test_a_temporary_error_keeps_the_servers_advice() -> None:
    err = TeslaSsoTemporaryError(TemporaryFailure.RATE_LIMITED, retry_after=30.0)
    assert (err.reason, err.retry_after) == (TemporaryFailure.RATE_LIMITED, 30.0)
    assert TeslaSsoTemporaryError(TemporaryFailure.SERVER_ERROR).retry_after is None
