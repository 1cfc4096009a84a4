"""Tokens of one's own Fleet API app: refresh with the app's client id, the Fleet API check.

Against the emulator, which serves Tesla's Fleet auth host and Fleet API on its one origin.
Where the client must address Tesla's own hosts, `ToEmulator` carries each request to the
emulator (same path and body) and remembers the URL the client asked for.
"""

from __future__ import annotations

import aiohttp
from freezegun.api import FrozenDateTimeFactory
import pytest

from custom_components.tesla_token.sso import (
    FLEET_API_BASES,
    FLEET_AUTH_TOKEN_URL,
    SSO_BASES,
    AiohttpTransport,
    ApiAccess,
    Region,
    TeslaSso,
    TeslaSsoTokenRefusedError,
    TokenKind,
    token_kind,
)
from custom_components.tesla_token.sso.fleet_api import (
    fetch_fleet_region,
    token_fleet_region,
)
from custom_components.tesla_token.sso.urls import trusted_token_issuer
from emulator import Emulator, Fault, FaultKind
from tests.helpers import APP_ID, mint_fleet_token_set

from .helpers import ToEmulator
from .jwts import make_jwt

USERS_ME = "/api/1/users/me"
FLEET_ISS = "https://fleet-auth.prd.vn.cloud.tesla.com/oauth2/v3/nts"


def app_token_requests(emulator: Emulator) -> list[tuple[str, tuple[str, ...]]]:
    """The token requests the emulator served: path and the form's field names."""
    return [
        (r.path, r.form)
        for r in emulator.state.requests
        if r.method == "POST" and r.path.endswith("/token")
    ]


async def test_an_app_refreshes_with_its_client_id_and_the_token_rotates(
    emulator: Emulator, http: aiohttp.ClientSession, frozen_time: FrozenDateTimeFactory
) -> None:
    """The app's client id, no scope and no secret; a single-use token, the grant's scopes."""
    tokens = await mint_fleet_token_set(emulator)
    emulator.state.clear_requests()

    sso = TeslaSso(http, emulator.global_sso)
    fresh = await sso.refresh(
        tokens.refresh_token, issuer=tokens.issuer, client_id=APP_ID
    )

    assert app_token_requests(emulator) == [
        ("/oauth2/v3/token", ("grant_type", "client_id", "refresh_token"))
    ]
    minted = emulator.state.access_tokens[fresh.access_token]
    assert (minted.client_id, minted.grant) == (APP_ID, "refresh_token")
    assert fresh.refresh_token != tokens.refresh_token
    assert (
        fresh.scopes
        == tokens.scopes
        == (
            "openid",
            "offline_access",
            "user_data",
            "vehicle_device_data",
        )
    )
    # The access token names <base>/nts: the next refresh goes to <base>/token again.
    assert fresh.issuer == emulator.global_sso
    assert token_kind(fresh.access_token) is TokenKind.FLEET_API
    with pytest.raises(TeslaSsoTokenRefusedError):  # the used one died
        await sso.refresh(tokens.refresh_token, issuer=tokens.issuer, client_id=APP_ID)


async def test_an_app_token_sent_as_ownerapi_is_refused_as_before(
    emulator: Emulator, http: aiohttp.ClientSession, frozen_time: FrozenDateTimeFactory
) -> None:
    """Without the client id the request is the Owner API one (JSON, ownerapi, scope)."""
    tokens = await mint_fleet_token_set(emulator)
    emulator.state.clear_requests()
    with pytest.raises(TeslaSsoTokenRefusedError):
        await TeslaSso(http, emulator.global_sso).refresh(tokens.refresh_token)
    assert app_token_requests(emulator) == [
        ("/oauth2/v3/token", ("grant_type", "client_id", "refresh_token", "scope"))
    ]


@pytest.mark.parametrize(
    ("base", "issuer", "asked"),
    [
        (SSO_BASES[Region.GLOBAL], None, FLEET_AUTH_TOKEN_URL),
        (SSO_BASES[Region.GLOBAL], SSO_BASES[Region.GLOBAL], FLEET_AUTH_TOKEN_URL),
        (SSO_BASES[Region.GLOBAL], FLEET_ISS, FLEET_AUTH_TOKEN_URL),
        (
            SSO_BASES[Region.GLOBAL],
            FLEET_ISS.removesuffix("/nts"),
            FLEET_AUTH_TOKEN_URL,
        ),
        (SSO_BASES[Region.CHINA], None, "https://auth.tesla.cn/oauth2/v3/token"),
        (
            SSO_BASES[Region.GLOBAL],
            "https://auth.tesla.cn/oauth2/v3/nts",
            "https://auth.tesla.cn/oauth2/v3/token",
        ),
    ],
    ids=["global", "global-issuer", "fleet-iss", "fleet-base", "china", "china-iss"],
)
async def test_with_teslas_servers_an_app_refreshes_at_the_fleet_auth_host(
    *,
    emulator: Emulator,
    http: aiohttp.ClientSession,
    frozen_time: FrozenDateTimeFactory,
    base: str,
    issuer: str | None,
    asked: str,
) -> None:
    """Tesla's Fleet auth host (China: auth.tesla.cn), whatever the stored issuer says."""
    tokens = await mint_fleet_token_set(emulator)
    transport = ToEmulator(emulator, http)

    fresh = await TeslaSso(transport, base).refresh(
        tokens.refresh_token, issuer=issuer, client_id=APP_ID
    )

    assert transport.asked == [asked]
    assert fresh.refresh_token != tokens.refresh_token


async def test_an_app_refresh_goes_nowhere_untrusted(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    transport = ToEmulator(emulator, http)
    with pytest.raises(Exception, match="not a trusted SSO server"):
        await TeslaSso(transport, SSO_BASES[Region.GLOBAL]).refresh(
            "rt", issuer="https://evil.example/oauth2/v3/nts", client_id=APP_ID
        )
    assert transport.asked == []


def test_the_fleet_auth_host_issues_app_tokens() -> None:
    chosen = SSO_BASES[Region.GLOBAL]
    assert trusted_token_issuer(FLEET_ISS, chosen) == FLEET_ISS.removesuffix("/nts")
    assert (
        trusted_token_issuer(SSO_BASES[Region.CHINA] + "/nts", chosen)
        == (SSO_BASES[Region.CHINA])
    )
    assert trusted_token_issuer("https://fleet-auth.evil.example/nts", chosen) is None
    assert trusted_token_issuer("http://127.0.0.1:1/oauth2/v3/nts", chosen) is None
    assert trusted_token_issuer("not a url", chosen) is None


def test_tesla_fleet_tokens_are_of_kind_fleet_api() -> None:
    assert token_kind(make_jwt({"iss": FLEET_ISS, "azp": "my-app"})) is (
        TokenKind.FLEET_API
    )


@pytest.mark.parametrize(
    ("ou_code", "region", "expected"),
    [
        ("NA", Region.GLOBAL, "na"),
        ("EU", Region.GLOBAL, "eu"),
        ("eu", Region.GLOBAL, "eu"),
        ("AP", Region.GLOBAL, None),
        (None, Region.GLOBAL, None),
        (None, Region.CHINA, "cn"),
    ],
)
def test_the_token_tells_the_fleet_api_region(
    ou_code: str | None, region: Region, expected: str | None
) -> None:
    claims = {"sub": "u1"} if ou_code is None else {"sub": "u1", "ou_code": ou_code}
    assert token_fleet_region(make_jwt(claims), region) == expected
    assert token_fleet_region("opaque", Region.GLOBAL) is None


async def test_users_region_tells_it_otherwise(
    emulator: Emulator, http: aiohttp.ClientSession, frozen_time: FrozenDateTimeFactory
) -> None:
    """Tesla's answer is read for the region only, mapped to Tesla's own base URLs."""
    tokens = await mint_fleet_token_set(emulator)
    transport = AiohttpTransport(http, 30)
    base = emulator.base_url
    assert await fetch_fleet_region(transport, base, tokens.access_token) == "na"

    emulator.state.set_fault("users_region", Fault(FaultKind.STATUS, status=503))
    assert await fetch_fleet_region(transport, base, tokens.access_token) is None
    assert await fetch_fleet_region(transport, base, "unknown-token") is None

    # Tesla's hosts, carried to the emulator: a token without ou_code asks users/region.
    to_emulator = ToEmulator(emulator, http)
    sso = TeslaSso(to_emulator, SSO_BASES[Region.GLOBAL])
    assert (
        await sso.fleet_api_base(tokens.access_token, Region.GLOBAL)
        == (FLEET_API_BASES["na"])
    )
    assert to_emulator.asked == []  # the emulator's token says ou_code NA
    assert (
        await sso.fleet_api_base(tokens.access_token, Region.CHINA)
        == (FLEET_API_BASES["cn"])
    )
    no_region = make_jwt({"sub": "u1"})
    assert await sso.fleet_api_base(no_region, Region.GLOBAL) is None  # 401
    assert to_emulator.asked == [f"{FLEET_API_BASES['na']}/api/1/users/region"]


async def test_the_fleet_check_asks_the_accounts_regional_base(
    emulator: Emulator, http: aiohttp.ClientSession, frozen_time: FrozenDateTimeFactory
) -> None:
    """On Tesla's own servers the check goes to the region's base; none known, no verdict."""
    tokens = await mint_fleet_token_set(emulator)
    to_emulator = ToEmulator(emulator, http)
    sso = TeslaSso(to_emulator, SSO_BASES[Region.GLOBAL])

    access = await sso.check_fleet_api_access(tokens.access_token, Region.GLOBAL)
    assert access is ApiAccess.ACCEPTED
    assert to_emulator.asked == [f"{FLEET_API_BASES['na']}{USERS_ME}"]

    to_emulator.asked.clear()
    no_region = make_jwt({"sub": "u1"})
    access = await sso.check_fleet_api_access(no_region, Region.GLOBAL)
    assert access is ApiAccess.UNREACHABLE
    assert to_emulator.asked == [f"{FLEET_API_BASES['na']}/api/1/users/region"]


@pytest.mark.parametrize(
    ("setup", "verdict", "status"),
    [
        ("good", ApiAccess.ACCEPTED, 200),
        ("no_user_data", ApiAccess.ACCEPTED, 403),
        ("x_enc", ApiAccess.REJECTED, 403),
        ("expired", ApiAccess.UNAUTHORIZED, 401),
        ("ownerapi", ApiAccess.UNAUTHORIZED, 401),
        ("server_error", ApiAccess.UNREACHABLE, 502),
        ("malformed", ApiAccess.UNREACHABLE, 200),
    ],
)
async def test_the_fleet_api_check_asks_users_me(
    *,
    emulator: Emulator,
    http: aiohttp.ClientSession,
    frozen_time: FrozenDateTimeFactory,
    setup: str,
    verdict: ApiAccess,
    status: int,
) -> None:
    """users/me: 200 or 403 "missing scopes" (the token works) accepted; Tesla's 403 refused."""
    scopes = ("openid", "offline_access", "vehicle_device_data")
    if setup == "x_enc":
        emulator.state.scenario = emulator.state.scenario.updated(
            {"accepted_connections": "none"}
        )
    tokens = await mint_fleet_token_set(
        emulator, **({"scopes": scopes} if setup == "no_user_data" else {})
    )
    token = tokens.access_token
    if setup == "expired":
        frozen_time.tick(9 * 3600)
    elif setup == "ownerapi":
        sso = TeslaSso(http, emulator.global_sso)
        token = (
            await sso.refresh(emulator.state.mint_refresh_token("owner@example.com"))
        ).access_token
    elif setup == "server_error":
        emulator.state.set_fault("users_me", Fault(FaultKind.STATUS, status=502))
    elif setup == "malformed":
        emulator.state.set_fault("users_me", Fault(FaultKind.MALFORMED_JSON))
    emulator.state.clear_requests()

    sso = TeslaSso(http, emulator.global_sso)
    assert await sso.check_api_access(token, emulator.base_url, fleet=True) is verdict
    assert [(r.path, r.status) for r in emulator.state.requests] == [(USERS_ME, status)]
