"""The claims of the tokens the emulated SSO hands out."""

from __future__ import annotations

from dataclasses import dataclass
import secrets
from typing import Any

from . import jwt
from .scenario import Account, Region
from .urls import FLEET_API, FLEET_ISSUER_SUFFIX, OWNER_API

DEFAULT_SCOPE = "openid email offline_access"
ID_TOKEN_LIFETIME = 28800


def scopes(scope: str) -> list[str]:
    """A space-separated scope as the list the tokens carry."""
    return [s for s in scope.split(" ") if s] or DEFAULT_SCOPE.split(" ")


@dataclass(frozen=True)
class Grant:
    """Who a token is for, which server issues it, how the person signed in, and the scope."""

    account: Account
    issuer: str
    amr: tuple[str, ...]
    scope: str


def access_token(
    key: bytes,
    grant: Grant,
    lifetime: int,
    now: float,
    *,
    jti: str,
    marker: str | None = None,
) -> str:
    """A v3 Owner API access token (claims as the real ones carry them).

    `marker` is the `x-enc` claim Tesla adds to tokens minted over a connection it refuses.
    """
    iat = int(now)
    account = grant.account
    claims: dict[str, Any] = {
        "iss": grant.issuer,
        "aud": [OWNER_API[account.region], f"{grant.issuer}/userinfo"],
        "azp": "ownerapi",
        "sub": account.sub,
        "scp": scopes(grant.scope),
        "amr": list(grant.amr),
        "iat": iat,
        "exp": iat + lifetime,
        "auth_time": iat,
        "ou_code": account.ou_code,
        "locale": account.locale,
        "jti": jti,
    }
    if marker is not None:
        claims["x-enc"] = marker
    return jwt.encode(claims, key)


@dataclass(frozen=True)
class AppGrant:
    """A Fleet API app's grant: the person's grant, the app, and the audience asked for."""

    grant: Grant
    client_id: str
    audience: str | None = None


def fleet_access_token(
    key: bytes,
    app_grant: AppGrant,
    lifetime: int,
    now: float,
    *,
    jti: str,
    marker: str | None = None,
) -> str:
    """A Fleet API access token: `iss` ends in /nts, `azp` is the app, `aud` the Fleet API hosts."""
    iat = int(now)
    grant = app_grant.grant
    account = grant.account
    audience = list(FLEET_API[account.region])
    if app_grant.audience and app_grant.audience not in audience:
        audience.insert(0, app_grant.audience)
    claims: dict[str, Any] = {
        "iss": f"{grant.issuer}{FLEET_ISSUER_SUFFIX}",
        "azp": app_grant.client_id,
        "sub": account.sub,
        "aud": audience,
        "scp": scopes(grant.scope),
        "amr": list(grant.amr),
        "iat": iat,
        "exp": iat + lifetime,
        "auth_time": iat,
        "ou_code": account.ou_code,
        "locale": account.locale,
        "jti": jti,
    }
    if marker is not None:
        claims["x-enc"] = marker
    return jwt.encode(claims, key)


def refresh_token(key: bytes, grant: Grant, now: float) -> str:
    """A v3 refresh token: a JWT without `exp`, unique per mint."""
    claims: dict[str, Any] = {
        "iss": grant.issuer,
        "aud": f"{grant.issuer}/token",
        "iat": int(now),
        "scp": scopes(grant.scope),
        "data": {
            "v": "1",
            "auth_time": int(now),
            "sub": grant.account.sub,
            "amr": list(grant.amr),
            "nonce": secrets.token_hex(8),
        },
    }
    return jwt.encode(claims, key)


def id_token(
    key: bytes, account: Account, issuer: str, now: float, audience: str = "ownerapi"
) -> str:
    """An OpenID id_token with the account's email (`audience`: the client it is for)."""
    iat = int(now)
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": account.sub,
        "email": account.email,
        "iat": iat,
        "exp": iat + ID_TOKEN_LIFETIME,
        "auth_time": iat,
    }
    return jwt.encode(claims, key)


def legacy_owner_token(region: Region) -> str:
    """A token of the retired owner-api exchange: prefix + 64 hex."""
    prefix = "cn-" if region == Region.CHINA else "qts-"
    return prefix + secrets.token_hex(32)
