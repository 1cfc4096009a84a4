"""Fixed facts about Tesla's single sign-on service."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

REDIRECT_URI: Final = "tesla://auth/callback"
# Refused for ``ownerapi`` since April 2026, but a pasted callback may still carry it.
LEGACY_REDIRECT_URI: Final = "https://auth.tesla.com/void/callback"
CLIENT_ID: Final = "ownerapi"
SCOPE: Final = "openid email offline_access"


class Region(StrEnum):
    """The Tesla SSO region an account lives in."""

    GLOBAL = "global"
    CHINA = "china"


SSO_BASES: Final[dict[Region, str]] = {
    Region.GLOBAL: "https://auth.tesla.com/oauth2/v3",
    Region.CHINA: "https://auth.tesla.cn/oauth2/v3",
}

# The Owner API of each region: its cheap read-only call tells whether Tesla accepts an access
# token (since June 2026 it refuses tokens minted over some client connections).
OWNER_API_BASES: Final[dict[Region, str]] = {
    Region.GLOBAL: "https://owner-api.teslamotors.com",
    Region.CHINA: "https://owner-api.vn.cloud.tesla.cn",
}

# Origins (scheme, host, port) that may issue tokens and send the region redirect.
TESLA_SSO_ORIGINS: Final[frozenset[tuple[str, str, int]]] = frozenset(
    {("https", "auth.tesla.com", 443), ("https", "auth.tesla.cn", 443)}
)

# Fleet API: one's own app at developer.tesla.com (its client id, not ``ownerapi``). Its code
# exchange and refreshes go to the Fleet auth host (China: the China SSO base's /token), and its
# access tokens name ``<that base>/nts`` as issuer.
FLEET_AUTH_BASE: Final = "https://fleet-auth.prd.vn.cloud.tesla.com/oauth2/v3"
FLEET_AUTH_TOKEN_URL: Final = f"{FLEET_AUTH_BASE}/token"
FLEET_ISSUER_SUFFIX: Final = "/nts"
# An app's refresh token can be used this long after its issue (seconds): 3 months.
FLEET_REFRESH_TOKEN_LIFETIME: Final = 90 * 86400
FLEET_API_BASES: Final[dict[str, str]] = {
    "na": "https://fleet-api.prd.na.vn.cloud.tesla.com",
    "eu": "https://fleet-api.prd.eu.vn.cloud.tesla.com",
    "cn": "https://fleet-api.prd.cn.vn.cloud.tesla.cn",
}
# Origins that may issue tokens (the ``iss`` of an access token) besides the SSO origins.
TESLA_TOKEN_ORIGINS: Final[frozenset[tuple[str, str, int]]] = TESLA_SSO_ORIGINS | {
    ("https", "fleet-auth.prd.vn.cloud.tesla.com", 443)
}
