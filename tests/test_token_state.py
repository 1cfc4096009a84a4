"""What the status sensor and its siblings show, from the entry data and the failures."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from homeassistant.const import CONF_ACCESS_TOKEN
import pytest

from custom_components.tesla_token.const import (
    CONF_API_ACCESS,
    CONF_API_CHECKED_AT,
    CONF_CONNECTION,
    CONF_EXPIRES_AT,
    CONF_ISSUED_AT,
    CONF_REFRESH_TOKEN_ISSUED_AT,
    CONF_REFUSED_ISSUED_AT,
)
from custom_components.tesla_token.sso import TokenKind
from custom_components.tesla_token.token_state import (
    FailureRun,
    TokenState,
    TokenStatus,
    describe_token,
)

ISSUED = 1_800_000_000.0
EXPIRES = ISSUED + 8 * 3600
DATA: dict[str, Any] = {
    CONF_ACCESS_TOKEN: "not-a-jwt",
    CONF_ISSUED_AT: ISSUED,
    CONF_EXPIRES_AT: EXPIRES,
    CONF_REFRESH_TOKEN_ISSUED_AT: None,
}
FAILING = (
    FailureRun().add("server_error", ISSUED + 100).add("rate_limited", ISSUED + 200)
)


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


@pytest.mark.parametrize(
    ("data", "now", "failures", "status"),
    [
        (DATA, ISSUED, FailureRun(), TokenStatus.VALID),
        (DATA, ISSUED + 300, FAILING, TokenStatus.REFRESH_FAILING),
        (DATA, EXPIRES, FAILING, TokenStatus.EXPIRED),
        (
            {**DATA, CONF_REFUSED_ISSUED_AT: ISSUED},
            ISSUED,
            FAILING,
            TokenStatus.REAUTH_REQUIRED,
        ),
        # Refused tokens that a sign-in has replaced since.
        (
            {**DATA, CONF_REFUSED_ISSUED_AT: ISSUED - 1},
            ISSUED,
            FailureRun(),
            TokenStatus.VALID,
        ),
        # Tesla's API refuses the token: more than a failing refresh, less than an expiry.
        (
            {**DATA, CONF_API_ACCESS: "rejected"},
            ISSUED + 300,
            FAILING,
            TokenStatus.API_REJECTED,
        ),
        ({**DATA, CONF_API_ACCESS: "rejected"}, EXPIRES, FAILING, TokenStatus.EXPIRED),
        (
            {**DATA, CONF_API_ACCESS: "accepted"},
            ISSUED,
            FailureRun(),
            TokenStatus.VALID,
        ),
    ],
)
def test_status(
    data: dict[str, Any], now: float, failures: FailureRun, status: TokenStatus
) -> None:
    state = describe_token(
        data, now=now, failures=failures, next_refresh=None, api_check=True
    )
    assert state.status is status


@pytest.mark.parametrize(
    ("data", "api_check", "shown", "status"),
    [
        (DATA, True, "not_checked", TokenStatus.VALID),
        ({**DATA, CONF_API_ACCESS: "unauthorized"}, True, "unauthorized", "valid"),
        ({**DATA, CONF_API_ACCESS: "rejected"}, True, "rejected", "api_rejected"),
        # With the check off a stored verdict is neither shown nor acted on.
        ({**DATA, CONF_API_ACCESS: "rejected"}, False, "not_checked", "valid"),
    ],
)
def test_api_access(
    data: dict[str, Any], api_check: bool, shown: str, status: str
) -> None:
    """The API access sensor shows the stored verdict, or that nobody asks the API."""
    state = describe_token(
        data, now=ISSUED, failures=FailureRun(), next_refresh=None, api_check=api_check
    )
    assert state.api_access == shown
    assert state.status == status


def test_a_failing_token() -> None:
    """The failures count from the first one; the last reason is shown."""
    state = describe_token(
        {**DATA, CONF_CONNECTION: "tls12", CONF_API_CHECKED_AT: ISSUED + 10},
        now=ISSUED + 300,
        failures=FAILING,
        next_refresh=ISSUED + 400,
        api_check=True,
    )
    assert state == TokenState(
        status=TokenStatus.REFRESH_FAILING,
        issued_at=at(ISSUED),
        expires_at=at(EXPIRES),
        next_refresh=at(ISSUED + 400),
        refresh_token_issued_at=None,
        token_kind=TokenKind.UNKNOWN,
        failing_since=at(ISSUED + 100),
        failures=2,
        last_failure="rate_limited",
        api_access="not_checked",
        api_checked_at=at(ISSUED + 10),
        connection="tls12",
        api_checks=(),
    )
