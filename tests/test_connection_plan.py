"""Tests of connection_plan.py: which connection profiles one refresh may try, in which order."""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.tesla_token.connection import ConnectionProfile
from custom_components.tesla_token.connection_plan import (
    ROUND_PAUSE,
    first_profile,
    profiles_to_try,
    stored_token_checked,
)
from custom_components.tesla_token.const import (
    CONF_API_ACCESS,
    CONF_API_CHECK,
    CONF_API_CHECKED_AT,
    CONF_API_ROUND_FAILED_AT,
    CONF_CONNECTION,
    CONF_CONNECTION_CHOICE,
    CONF_ISSUED_AT,
    DEFAULT_OPTIONS,
)

HTTP2, TLS12, HTTP11 = (
    ConnectionProfile.HTTP2,
    ConnectionProfile.TLS12,
    ConnectionProfile.HTTP11,
)
NOW = 1_800_000_000.0


def _data(**changes: Any) -> dict[str, Any]:
    return {CONF_CONNECTION: "http11", CONF_ISSUED_AT: NOW - 60, **changes}


def _options(**changes: Any) -> dict[str, Any]:
    return {**DEFAULT_OPTIONS, **changes}


def test_automatic_starts_with_the_remembered_profile() -> None:
    """The profile whose token worked is tried first, then the others in their order."""
    assert profiles_to_try(_options(), _data(), now=NOW, new_round=False) == (
        HTTP11,
        HTTP2,
        TLS12,
    )
    assert profiles_to_try(
        _options(), _data(connection="tls12"), now=NOW, new_round=False
    ) == (TLS12, HTTP2, HTTP11)


def test_unknown_or_missing_profile_starts_with_http2() -> None:
    """An entry that names no (known) profile starts with the first one."""
    assert first_profile(_options(), {}) is HTTP2
    assert first_profile(_options(), {CONF_CONNECTION: "spdy"}) is HTTP2


def test_a_fixed_profile_is_the_only_one() -> None:
    """A profile chosen in the options is used alone, whatever the entry remembers."""
    options = _options(**{CONF_CONNECTION_CHOICE: "tls12"})
    assert profiles_to_try(options, _data(), now=NOW, new_round=True) == (TLS12,)
    assert first_profile(options, _data()) is TLS12


def test_without_the_check_nothing_adapts() -> None:
    """With the check off no refused token can be told apart: one profile only."""
    options = _options(**{CONF_API_CHECK: False})
    assert profiles_to_try(options, _data(), now=NOW, new_round=True) == (HTTP11,)


def test_a_profile_known_refused_is_tried_last() -> None:
    """When the API refused the stored token, its profile comes after the others."""
    data = _data(**{CONF_API_ACCESS: "rejected", CONF_API_CHECKED_AT: NOW - 30})
    assert profiles_to_try(_options(), data, now=NOW, new_round=False) == (
        HTTP2,
        TLS12,
        HTTP11,
    )


@pytest.mark.parametrize(
    ("since_failure", "new_round", "expected"),
    [
        (ROUND_PAUSE - 60, False, (HTTP11,)),
        (ROUND_PAUSE - 60, True, (HTTP2, TLS12, HTTP11)),
        (ROUND_PAUSE, False, (HTTP2, TLS12, HTTP11)),
    ],
    ids=["pausing", "a-person-asks", "pause-over"],
)
def test_a_failed_round_pauses_before_the_next(
    since_failure: float, new_round: bool, expected: tuple[ConnectionProfile, ...]
) -> None:
    """After every profile was refused, only a person or the end of the pause starts a round."""
    data = _data(
        **{
            CONF_API_ACCESS: "rejected",
            CONF_API_CHECKED_AT: NOW - 30,
            CONF_API_ROUND_FAILED_AT: NOW - since_failure,
        }
    )
    assert profiles_to_try(_options(), data, now=NOW, new_round=new_round) == expected


def test_a_verdict_older_than_the_token_is_not_the_tokens() -> None:
    """A check before the stored token arrived says nothing about it."""
    assert not stored_token_checked(_data(**{CONF_API_CHECKED_AT: None}))
    assert not stored_token_checked(_data(**{CONF_API_CHECKED_AT: NOW - 120}))
    assert stored_token_checked(_data(**{CONF_API_CHECKED_AT: NOW - 60}))
