"""Which SSO servers, issuers and region redirects the client accepts."""

from __future__ import annotations

import pytest

from custom_components.tesla_token.sso import (
    OWNER_API_BASES,
    SSO_BASES,
    LoginFailure,
    Region,
    server_origin,
    validate_api_base,
    validate_sso_base,
)
from custom_components.tesla_token.sso.urls import (
    is_loopback_host,
    is_trusted_origin,
    region_redirect_base,
    trusted_issuer,
)
from tests.sso.helpers import raises_sso


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://auth.tesla.com/oauth2/v3", "https://auth.tesla.com/oauth2/v3"),
        ("  https://AUTH.Tesla.com/oauth2/v3/ ", "https://auth.tesla.com/oauth2/v3"),
        ("https://auth.tesla.com:443/oauth2/v3", "https://auth.tesla.com/oauth2/v3"),
        (
            "https://sso.example.net:8443/oauth2/v3",
            "https://sso.example.net:8443/oauth2/v3",
        ),
        ("http://127.0.0.1:8765/oauth2/v3", "http://127.0.0.1:8765/oauth2/v3"),
        ("http://127.5.6.7/oauth2/v3", "http://127.5.6.7/oauth2/v3"),
        ("http://localhost:8765/cn/oauth2/v3", "http://localhost:8765/cn/oauth2/v3"),
        ("http://[::1]:8765/oauth2/v3", "http://[::1]:8765/oauth2/v3"),
        ("HTTP://127.0.0.1:80/oauth2/v3", "http://127.0.0.1/oauth2/v3"),
    ],
)
def test_valid_sso_bases_are_normalised(url: str, expected: str) -> None:
    assert validate_sso_base(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "",
        "   ",
        "auth.tesla.com/oauth2/v3",
        "ftp://auth.tesla.com/oauth2/v3",
        "http://auth.tesla.com/oauth2/v3",
        "http://192.168.1.10:8765/oauth2/v3",
        "http://[2001:db8::1]/oauth2/v3",
        "https://user:secret@auth.tesla.com/oauth2/v3",
        "https://auth.tesla.com/oauth2/v3?x=1",
        "https://auth.tesla.com/oauth2/v3#frag",
        "https://auth.tesla.com:99999/oauth2/v3",
        "https://auth.tesla.com:abc/oauth2/v3",
        "https:///oauth2/v3",
        "https://auth.tesla.com/oauth2 /v3",
    ],
)
def test_unusable_sso_bases_are_refused(url: str) -> None:
    with raises_sso(LoginFailure.INVALID_SERVER_URL) as err:
        validate_sso_base(url)
    assert "secret" not in str(err.value)


def test_known_bases_are_valid() -> None:
    for region in Region:
        assert validate_sso_base(SSO_BASES[region]) == SSO_BASES[region]
        assert validate_api_base(OWNER_API_BASES[region]) == OWNER_API_BASES[region]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (" https://Owner-API.example.com/ ", "https://owner-api.example.com"),
        ("https://api.example.net:443", "https://api.example.net"),
        ("https://api.example.net:8443/", "https://api.example.net:8443"),
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765"),
        ("http://[::1]:8765/", "http://[::1]:8765"),
    ],
)
def test_api_servers_are_origins(url: str, expected: str) -> None:
    assert validate_api_base(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "",
        "owner-api.teslamotors.com",
        "ftp://owner-api.teslamotors.com",
        "http://owner-api.teslamotors.com",
        "https://user:secret@owner-api.teslamotors.com",
        "https://owner-api.teslamotors.com/api/1",
        "https://owner-api.teslamotors.com//",
        "https://owner-api.teslamotors.com?x=1",
        "https://owner-api.teslamotors.com/#frag",
        "https://owner-api.teslamotors.com:abc",
    ],
)
def test_unusable_api_servers_are_refused(url: str) -> None:
    with raises_sso(LoginFailure.INVALID_SERVER_URL) as err:
        validate_api_base(url)
    assert "secret" not in str(err.value)


def test_the_origin_of_a_server_drops_its_path() -> None:
    assert server_origin("http://127.0.0.1:8765/oauth2/v3") == "http://127.0.0.1:8765"
    assert server_origin("https://AUTH.tesla.com:443/oauth2/v3/") == (
        "https://auth.tesla.com"
    )


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("LOCALHOST", True),
        ("127.0.0.1", True),
        ("127.255.0.3", True),
        ("::1", True),
        ("[::1]", True),
        ("10.0.0.1", False),
        ("example.com", False),
        ("localhost.example.com", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


def test_issuer_trust() -> None:
    chosen = "http://127.0.0.1:8765/oauth2/v3"
    # Same origin, other path (the emulator's China region).
    assert trusted_issuer("http://127.0.0.1:8765/cn/oauth2/v3/", chosen) == (
        "http://127.0.0.1:8765/cn/oauth2/v3"
    )
    # Tesla's own SSO servers are always trusted.
    assert (
        trusted_issuer("https://auth.tesla.cn/oauth2/v3", chosen)
        == "https://auth.tesla.cn/oauth2/v3"
    )
    assert trusted_issuer("https://auth.tesla.com/oauth2/v3", SSO_BASES[Region.CHINA])
    # Another port, host or scheme is foreign.
    assert trusted_issuer("http://127.0.0.1:9999/oauth2/v3", chosen) is None
    assert (
        trusted_issuer("https://evil.example/oauth2/v3", SSO_BASES[Region.GLOBAL])
        is None
    )
    assert (
        trusted_issuer("http://auth.tesla.com/oauth2/v3", SSO_BASES[Region.GLOBAL])
        is None
    )
    assert trusted_issuer("not a url", chosen) is None
    assert not is_trusted_origin("https://auth.tesla.com/oauth2/v3", "bad base")


def test_region_redirect_targets() -> None:
    request_url = "http://127.0.0.1:8765/oauth2/v3/authorize?client_id=ownerapi"
    chosen = "http://127.0.0.1:8765/oauth2/v3"
    assert (
        region_redirect_base(
            "/cn/oauth2/v3/authorize?client_id=ownerapi", request_url, chosen
        )
        == "http://127.0.0.1:8765/cn/oauth2/v3"
    )
    assert (
        region_redirect_base(
            "https://auth.tesla.cn/oauth2/v3/authorize?x=1",
            "https://auth.tesla.com/oauth2/v3/authorize",
            SSO_BASES[Region.GLOBAL],
        )
        == SSO_BASES[Region.CHINA]
    )
    # Not an authorize URL, or on a foreign origin: never followed.
    assert region_redirect_base("/cn/oauth2/v3/login", request_url, chosen) is None
    assert (
        region_redirect_base(
            "https://evil.example/oauth2/v3/authorize", request_url, chosen
        )
        is None
    )
    assert region_redirect_base("", request_url, chosen) is None
    assert (
        region_redirect_base("/oauth2/v3/authorize?again=1", request_url, chosen)
        is None
    )
