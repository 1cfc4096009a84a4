"""Reading token facts without verifying signatures."""

from __future__ import annotations

import pytest

from custom_components.tesla_token.sso import (
    LoginFailure,
    TokenKind,
    TokenSet,
    token_kind,
)
from custom_components.tesla_token.sso.tokens import decode_jwt_claims
from tests.sso.helpers import raises_sso

from .jwts import make_jwt

HEX64 = "0123456789abcdef" * 4


def test_decode_jwt_claims() -> None:
    token = make_jwt({"sub": "abc", "iat": 10, "exp": 20})
    assert decode_jwt_claims(token) == {"sub": "abc", "iat": 10, "exp": 20}
    assert decode_jwt_claims(f"  {token}\n") == {"sub": "abc", "iat": 10, "exp": 20}


@pytest.mark.parametrize(
    "token",
    [
        "",
        "abc",
        "a.b",
        "a..c",
        "a.b.c.d",
        "eyJ.%%%.sig",
        "x.bm90IGpzb24.y",  # "not json"
        "x.WzEsMl0.y",  # [1,2]
        "x.\u00e9\u00e9.y",
    ],
)
def test_unreadable_jwts(token: str) -> None:
    with raises_sso(LoginFailure.INVALID_TOKEN):
        decode_jwt_claims(token)


@pytest.mark.parametrize(
    ("token", "kind"),
    [
        (
            make_jwt({"iss": "https://auth.tesla.com/oauth2/v3", "azp": "ownerapi"}),
            TokenKind.OWNER_API,
        ),
        (make_jwt({"iss": "https://auth.tesla.cn/oauth2/v3/"}), TokenKind.OWNER_API),
        (
            make_jwt({"iss": "http://127.0.0.1:1/x", "azp": "ownerapi"}),
            TokenKind.OWNER_API,
        ),
        (
            make_jwt({"iss": "https://auth.tesla.com/oauth2/v3/nts", "azp": "my-app"}),
            TokenKind.FLEET_API,
        ),
        (
            make_jwt(
                {"iss": "https://auth.tesla.com/oauth2/v3/nts", "azp": "ownerapi"}
            ),
            TokenKind.FLEET_API,
        ),
        (make_jwt({"iss": "https://example.com/", "azp": "other"}), TokenKind.UNKNOWN),
        (make_jwt({"iss": 5}), TokenKind.UNKNOWN),
        (f"qts-{HEX64}", TokenKind.LEGACY_EXCHANGED),
        (f"eu-{HEX64}", TokenKind.LEGACY_EXCHANGED),
        (f" cn-{HEX64.upper()} ", TokenKind.LEGACY_EXCHANGED),
        (HEX64, TokenKind.V2),
        (HEX64[:-1], TokenKind.UNKNOWN),
        (f"xx-{HEX64}", TokenKind.UNKNOWN),
        ("hello", TokenKind.UNKNOWN),
    ],
)
def test_token_kind(token: str, kind: TokenKind) -> None:
    assert token_kind(token) is kind


def _token_set(**overrides: object) -> TokenSet:
    values: dict[str, object] = {
        "access_token": make_jwt(
            {
                "iss": "https://auth.tesla.com/oauth2/v3",
                "azp": "ownerapi",
                "sub": "uuid-1",
            }
        ),
        "refresh_token": make_jwt(
            {"iss": "https://auth.tesla.com/oauth2/v3", "iat": 1000}
        ),
        "id_token": make_jwt({"email": "owner@example.com", "aud": "ownerapi"}),
        "expires_at": 1000.0 + 28800,
        "issued_at": 1000.0,
        "issuer": "https://auth.tesla.com/oauth2/v3",
    }
    values.update(overrides)
    return TokenSet(**values)  # type: ignore[arg-type]


def test_token_set_facts() -> None:
    tokens = _token_set()
    assert tokens.subject == "uuid-1"
    assert tokens.email == "owner@example.com"
    assert token_kind(tokens.access_token) is TokenKind.OWNER_API
    assert tokens.lifetime == 28800
    assert tokens.refresh_token_issued_at == 1000.0


def test_token_set_without_optional_facts() -> None:
    tokens = _token_set(id_token=None, refresh_token="opaque-refresh")
    assert tokens.email is None
    assert tokens.refresh_token_issued_at is None
    assert _token_set(id_token=make_jwt({"email": ""})).email is None
    assert (
        _token_set(refresh_token=make_jwt({"iat": True})).refresh_token_issued_at
        is None
    )
    with raises_sso(LoginFailure.INVALID_TOKEN):
        _ = _token_set(access_token=make_jwt({"iss": "x"})).subject
    with raises_sso(LoginFailure.INVALID_TOKEN):
        _ = _token_set(access_token="opaque").subject


def test_token_set_repr_shows_no_token() -> None:
    tokens = _token_set()
    text = repr(tokens)
    for secret in (tokens.access_token, tokens.refresh_token, tokens.id_token):
        assert secret is not None
        assert secret not in text
        assert secret[:20] not in text
    assert "https://auth.tesla.com/oauth2/v3" in text
