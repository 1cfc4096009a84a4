"""What the status sensor and its siblings show, from the entry data and the failures."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from homeassistant.const import CONF_ACCESS_TOKEN
import pytest

from custom_components.tesla_token.const import (
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
    ],
)
def test_status(
    data: dict[str, Any], now: float, failures: FailureRun, status: TokenStatus
) -> None:
    state = describe_token(data, now=now, failures=failures, next_refresh=None)
    assert state.status is status


def test_a_failing_token() -> None:
    """The failures count from the first one; the last reason is shown."""
    state = describe_token(
        DATA, now=ISSUED + 300, failures=FAILING, next_refresh=ISSUED + 400
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
    )
