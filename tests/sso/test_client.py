"""TeslaSso: the servers it accepts, and refreshes at the issuer (rotation, China, trust)."""

from __future__ import annotations

import json
from typing import cast

import aiohttp
from aiohttp import web
import pytest

from custom_components.tesla_token.sso import (
    SSO_BASES,
    LoginFailure,
    Region,
    TeslaSso,
    TeslaSsoTokenRefusedError,
    TokenKind,
    token_kind,
)
from custom_components.tesla_token.sso.tokens import decode_jwt_claims
from emulator import Emulator, RefreshRotation
from tests.sso.helpers import raises_sso

from .conftest import served
from .jwts import make_jwt
from .odd_server import OddServer


@pytest.mark.parametrize(
    "base",
    [
        "http://auth.tesla.com/oauth2/v3",  # plain http off this machine
        "ftp://auth.tesla.com/oauth2/v3",
        "https://user:secret@auth.tesla.com/oauth2/v3",
        "https://auth.tesla.com/oauth2/v3?x=1",
        "",
    ],
)
def test_a_server_that_cannot_be_used_is_refused_at_once(base: str) -> None:
    with raises_sso(LoginFailure.INVALID_SERVER_URL) as err:
        TeslaSso(cast("aiohttp.ClientSession", None), base)
    assert "secret" not in str(err.value)


def test_the_base_is_kept_normalised() -> None:
    sso = TeslaSso(
        cast("aiohttp.ClientSession", None), "HTTPS://Auth.Tesla.COM/oauth2/v3/"
    )
    assert sso.base == SSO_BASES[Region.GLOBAL]


async def test_refresh_reuse(http: aiohttp.ClientSession, emulator: Emulator) -> None:
    old = emulator.state.mint_refresh_token("owner@example.com")
    tokens = await TeslaSso(http, emulator.global_sso).refresh(old)
    assert tokens.email == "owner@example.com"
    assert tokens.issuer == emulator.global_sso
    assert token_kind(tokens.access_token) is TokenKind.OWNER_API
    assert tokens.lifetime == 28800
    assert tokens.refresh_token_issued_at == decode_jwt_claims(old)["iat"]
    # reuse: the same refresh token keeps working.
    again = await TeslaSso(http, emulator.global_sso).refresh(old)
    assert again.subject == tokens.subject
    assert served(emulator) == [("POST", "/oauth2/v3/token", 200)] * 2
    form = set(emulator.state.requests[0].form)
    assert form == {"grant_type", "client_id", "refresh_token", "scope"}


async def test_refresh_goes_through_a_custom_server_in_front_of_tesla(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    """A proxy chosen as the sign-in server also carries the refreshes of Tesla-issued tokens."""
    old = emulator.state.mint_refresh_token("owner@example.com")
    tokens = await TeslaSso(http, emulator.global_sso).refresh(
        old, issuer=SSO_BASES[Region.GLOBAL]
    )
    assert tokens.email == "owner@example.com"
    assert served(emulator) == [("POST", "/oauth2/v3/token", 200)]


async def test_refresh_single_use_rotation(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    emulator.state.scenario.refresh_rotation = RefreshRotation.SINGLE_USE
    old = emulator.state.mint_refresh_token("owner@example.com")
    first = await TeslaSso(http, emulator.global_sso).refresh(old)
    assert first.refresh_token != old
    with pytest.raises(TeslaSsoTokenRefusedError):
        await TeslaSso(http, emulator.global_sso).refresh(old)
    second = await TeslaSso(http, emulator.global_sso).refresh(
        first.refresh_token, issuer=first.issuer
    )
    assert second.refresh_token not in (old, first.refresh_token)


async def test_refresh_keeps_the_old_token_when_none_comes_back(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    emulator.state.scenario.refresh_returns_refresh_token = False
    old = emulator.state.mint_refresh_token("owner@example.com")
    tokens = await TeslaSso(http, emulator.global_sso).refresh(old)
    assert tokens.refresh_token == old


async def test_revoked_account_must_sign_in_again(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    token = emulator.state.mint_refresh_token("owner@example.com")
    emulator.state.revoke("owner@example.com")
    with pytest.raises(TeslaSsoTokenRefusedError):
        await TeslaSso(http, emulator.global_sso).refresh(token)
    assert served(emulator) == [("POST", "/oauth2/v3/token", 401)]


async def test_unknown_refresh_token(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    with pytest.raises(TeslaSsoTokenRefusedError):
        await TeslaSso(http, emulator.global_sso).refresh("not-a-token")


async def test_china_refresh_goes_to_the_china_server(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    token = emulator.state.mint_refresh_token("china@example.com")
    issuer = decode_jwt_claims(token)["iss"]
    assert issuer == emulator.china_sso
    tokens = await TeslaSso(http, emulator.global_sso).refresh(token, issuer=issuer)
    assert tokens.issuer == emulator.china_sso
    assert served(emulator) == [("POST", "/cn/oauth2/v3/token", 200)]


async def test_refresh_at_the_wrong_region_must_sign_in_again(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    token = emulator.state.mint_refresh_token("china@example.com")
    with pytest.raises(TeslaSsoTokenRefusedError):
        await TeslaSso(http, emulator.global_sso).refresh(token)


async def test_untrusted_issuers_get_no_request(
    http: aiohttp.ClientSession, emulator: Emulator
) -> None:
    token = emulator.state.mint_refresh_token("owner@example.com")
    # Without a custom server only Tesla's own SSO servers are trusted.
    with raises_sso(LoginFailure.INVALID_SERVER_URL):
        await TeslaSso(http, SSO_BASES[Region.GLOBAL]).refresh(
            token, issuer=emulator.global_sso
        )
    with raises_sso(LoginFailure.INVALID_SERVER_URL):
        await TeslaSso(http, SSO_BASES[Region.GLOBAL]).refresh(
            token, issuer="https://evil.example/oauth2/v3"
        )
    assert emulator.state.requests == []


async def test_a_rotated_token_is_kept_when_the_access_token_names_no_trusted_issuer(
    odd_server: OddServer, plain_http: aiohttp.ClientSession
) -> None:
    """Tesla spent the old single-use token: the new one is kept, the next refresh goes there."""
    fleet = "https://fleet-auth.prd.vn.cloud.tesla.com/oauth2/v3/nts"
    rotated = iter(["rt-second", "rt-third"])
    odd_server.on(
        "POST",
        "/oauth2/v3/token",
        lambda _: web.json_response(
            {
                "access_token": make_jwt({"iss": fleet, "sub": "u1", "exp": 2e9}),
                "refresh_token": next(rotated),
            }
        ),
    )
    tokens = await TeslaSso(plain_http, odd_server.sso).refresh("rt-first")
    assert (tokens.refresh_token, tokens.issuer) == ("rt-second", odd_server.sso)

    again = await TeslaSso(plain_http, odd_server.sso).refresh(
        tokens.refresh_token, issuer=tokens.issuer
    )
    assert again.refresh_token == "rt-third"
    assert odd_server.requests == [("POST", "/oauth2/v3/token")] * 2
    sent = [json.loads(body)["refresh_token"] for body in odd_server.bodies]
    assert sent == ["rt-first", "rt-second"]
