"""Owner API or Fleet API entry, read from the entry data (pure functions)."""

from __future__ import annotations

from typing import Any

from custom_components.tesla_token.account_kind import (
    client_id,
    is_fleet,
    refresh_token_expires_at,
    refresh_token_expiring,
    scopes_granted,
    scopes_missing,
)

from .sso.jwts import make_jwt

ARRIVED = 1_772_438_400.0  # when the tokens arrived, by this machine's clock
DAYS_90 = 90 * 86400


def fleet_data(**changes: Any) -> dict[str, Any]:
    """A Fleet API entry's data whose tokens Tesla issued `offset` seconds ahead of us."""
    offset = changes.pop("offset", 0.0)
    return {
        "access_token": make_jwt({"iat": ARRIVED + offset, "sub": "u1"}),
        "issued_at": ARRIVED,
        "refresh_token_issued_at": ARRIVED + offset,
        "client_id": "my-app",
        "scopes_requested": [
            "openid",
            "offline_access",
            "vehicle_location",
            "user_data",
        ],
        "scopes_granted": ["openid", "offline_access", "user_data"],
    } | changes


def test_owner_api_entries_have_no_fleet_facts() -> None:
    owner = {k: v for k, v in fleet_data().items() if "scopes" not in k}
    del owner["client_id"]
    assert not is_fleet(owner)
    assert client_id(owner) is None
    assert scopes_granted(owner) is None
    assert scopes_missing(owner) == []
    assert refresh_token_expires_at(owner) is None
    assert not refresh_token_expiring(owner, ARRIVED + 100 * 86400)


def test_fleet_entries() -> None:
    data = fleet_data()
    assert is_fleet(data)
    assert client_id(data) == "my-app"
    assert scopes_missing(data) == ["vehicle_location"]
    assert scopes_missing(fleet_data(scopes_granted=None)) == [
        "openid",
        "offline_access",
        "vehicle_location",
        "user_data",
    ]


def test_the_refresh_token_ends_90_days_after_its_issue_by_this_clock() -> None:
    assert refresh_token_expires_at(fleet_data()) == ARRIVED + DAYS_90
    # Tesla's clock an hour ahead: its iat says an hour later than it was here.
    assert refresh_token_expires_at(fleet_data(offset=3600)) == ARRIVED + DAYS_90
    # An opaque refresh token counts from its arrival.
    opaque = fleet_data(refresh_token_issued_at=None, issued_at=ARRIVED + 60)
    assert refresh_token_expires_at(opaque) == ARRIVED + 60 + DAYS_90


def test_expiring_means_within_14_days() -> None:
    data = fleet_data()
    assert not refresh_token_expiring(data, ARRIVED + 76 * 86400 - 1)
    assert refresh_token_expiring(data, ARRIVED + 76 * 86400)
    assert refresh_token_expiring(data, ARRIVED + 91 * 86400)
