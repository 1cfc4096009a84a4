"""Where each region lives on the emulator's origin, and the audiences its tokens name."""

from __future__ import annotations

from .scenario import Region

SSO_PATH = "/oauth2/v3"
REGION_PREFIX: dict[Region, str] = {Region.GLOBAL: "", Region.CHINA: "/cn"}
OWNER_API: dict[Region, str] = {
    Region.GLOBAL: "https://owner-api.teslamotors.com/",
    Region.CHINA: "https://owner-api.vn.cloud.tesla.cn/",
}
# The Fleet API hosts an app's access token names in `aud` (Tesla: one per region).
FLEET_API: dict[Region, tuple[str, ...]] = {
    Region.GLOBAL: (
        "https://fleet-api.prd.na.vn.cloud.tesla.com",
        "https://fleet-api.prd.eu.vn.cloud.tesla.com",
    ),
    Region.CHINA: ("https://fleet-api.prd.cn.vn.cloud.tesla.cn",),
}
# Appended to the SSO base in the `iss` of Fleet API tokens (as real ones carry it).
FLEET_ISSUER_SUFFIX = "/nts"
CONTROL_PREFIX = "/__emulator__"


def sso_base(origin: str, region: Region) -> str:
    """The SSO base URL of `region` on `origin` (scheme://host:port)."""
    return f"{origin}{REGION_PREFIX[region]}{SSO_PATH}"


def other_region(region: Region) -> Region:
    """The region that is not `region`."""
    return Region.CHINA if region == Region.GLOBAL else Region.GLOBAL
