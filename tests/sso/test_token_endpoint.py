"""Turning a /token answer into a TokenSet: what is required and what is derived."""

from __future__ import annotations

import time

import pytest

from custom_components.tesla_token.sso import TemporaryFailure
from custom_components.tesla_token.sso.token_endpoint import token_set_from_response
from tests.sso.helpers import raises_sso

from .jwts import make_jwt

BASE = "https://auth.tesla.com/oauth2/v3"


def _access(**claims: object) -> str:
    return make_jwt({"iss": BASE, "sub": "uuid-1", "azp": "ownerapi", **claims})


def test_expiry_from_the_access_token() -> None:
    """The lifetime is exp - iat; the times are those of this machine's clock."""
    before = time.time()
    tokens = token_set_from_response(
        {
            "access_token": _access(iat=1000, exp=29800),
            "refresh_token": "r",
            "expires_in": 5,
        },
        trusted_base=BASE,
    )
    assert before <= tokens.issued_at <= time.time()
    assert tokens.lifetime == pytest.approx(28800)
    assert tokens.id_token is None


@pytest.mark.parametrize("tesla_ahead", [-86400, 86400])
def test_times_follow_the_local_clock_whatever_tesla_s_says(tesla_ahead: int) -> None:
    """Tesla's clock a day off: the token still expires 8 hours from now, and the offset shows."""
    now = time.time()
    tokens = token_set_from_response(
        {
            "access_token": _access(
                iat=now + tesla_ahead, exp=now + tesla_ahead + 28800
            ),
            "refresh_token": "r",
        },
        trusted_base=BASE,
    )
    assert tokens.expires_at == pytest.approx(time.time() + 28800, abs=2)
    assert tokens.clock_offset == pytest.approx(tesla_ahead, abs=2)


@pytest.mark.parametrize(
    ("claims", "expires_in", "lifetime"),
    [
        ({"exp": 2000}, 300, 300),  # no iat: expires_in
        ({"iat": 1000}, 300, 300),  # no exp: expires_in
        ({"iat": 1000, "exp": 1000}, 28800, 0),  # exp - iat wins, even when broken
        ({"iat": 1000, "exp": 900}, None, -100),
        ({}, -5, -5),  # a negative expires_in is a broken lifetime, not a missing one
    ],
)
def test_lifetime_sources(
    claims: dict[str, int], expires_in: int | None, lifetime: float
) -> None:
    """A lifetime <= 0 is handed on (the refresh token in the answer must not be lost)."""
    body: dict[str, object] = {"access_token": _access(**claims), "refresh_token": "r"}
    if expires_in is not None:
        body["expires_in"] = expires_in
    tokens = token_set_from_response(body, trusted_base=BASE)
    assert tokens.lifetime == pytest.approx(lifetime)
    assert tokens.refresh_token == "r"
    assert (tokens.clock_offset is None) is ("iat" not in claims)


def test_expiry_claim_alone_is_read_with_the_local_clock() -> None:
    """Without iat and expires_in, exp can only be compared with this machine's clock."""
    tokens = token_set_from_response(
        {"access_token": _access(exp=time.time() + 600), "refresh_token": "r"},
        trusted_base=BASE,
    )
    assert tokens.lifetime == pytest.approx(600, abs=2)
    assert tokens.clock_offset is None


@pytest.mark.parametrize(
    ("iat", "exp", "expires_at"),
    [(0, 253402300799, 253402300799.0), (253402300799, 0, 0.0)],
)
def test_an_absurd_lifetime_stays_a_usable_time(
    iat: int, exp: int, expires_at: float
) -> None:
    tokens = token_set_from_response(
        {"access_token": _access(iat=iat, exp=exp), "refresh_token": "r"},
        trusted_base=BASE,
    )
    assert tokens.expires_at == expires_at


def test_expiry_from_expires_in_when_the_token_says_nothing() -> None:
    before = time.time()
    tokens = token_set_from_response(
        {"access_token": _access(), "refresh_token": "r", "expires_in": 300},
        trusted_base=BASE,
    )
    assert before <= tokens.issued_at <= time.time()
    assert tokens.lifetime == pytest.approx(300)


def test_previous_refresh_token_is_kept() -> None:
    tokens = token_set_from_response(
        {"access_token": _access(exp=2), "refresh_token": ""},
        trusted_base=BASE,
        previous_refresh_token="old",
    )
    assert tokens.refresh_token == "old"


def test_china_issuer_is_trusted_from_the_global_base() -> None:
    china = "https://auth.tesla.cn/oauth2/v3"
    tokens = token_set_from_response(
        {"access_token": _access(iss=china, exp=2), "refresh_token": "r"},
        trusted_base=BASE,
    )
    assert tokens.issuer == china


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "x", "exp": 2},
        {"sub": "x", "exp": 2, "iss": "https://evil.example/oauth2/v3"},
        {"sub": "x", "exp": 2, "iss": "https://fleet-auth.prd.vn.cloud.tesla.com/nts"},
        {"sub": "x", "exp": 2, "iss": ["not", "a", "url"]},
    ],
    ids=["no-iss", "foreign-iss", "other-tesla-host", "iss-not-text"],
)
def test_an_answer_without_a_trusted_issuer_is_kept(claims: dict[str, object]) -> None:
    """The server that answered has spent the old token: its new one must not be lost."""
    china = "https://auth.tesla.cn/oauth2/v3"
    tokens = token_set_from_response(
        {"access_token": make_jwt(claims), "refresh_token": "new"},
        trusted_base=BASE,
        contacted_base=china,
        previous_refresh_token="spent",
    )
    assert tokens.refresh_token == "new"
    assert tokens.issuer == china  # the next refresh goes where this one went


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"refresh_token": "r"}, "access_token"),
        ({"access_token": _access(exp=2)}, "refresh_token"),
        ({"access_token": "opaque", "refresh_token": "r"}, "not a JWT"),
        (
            {"access_token": make_jwt({"iss": BASE, "exp": 2}), "refresh_token": "r"},
            "sub",
        ),
        ({"access_token": _access(), "refresh_token": "r"}, "expiry"),
        (
            {"access_token": _access(), "refresh_token": "r", "expires_in": True},
            "expiry",
        ),
    ],
)
def test_unusable_token_answers(body: dict[str, object], named: str) -> None:
    with raises_sso(TemporaryFailure.UNEXPECTED_RESPONSE) as err:
        token_set_from_response(body, trusted_base=BASE)
    assert named in str(err.value)
    for value in body.values():
        if isinstance(value, str) and len(value) > 2:
            assert value not in str(err.value)
