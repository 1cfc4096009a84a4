"""Home Assistant's own OAuth2 helper (PKCE) signs in, exchanges and refreshes against the emulator."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import aiohttp
from homeassistant.core import HomeAssistant
from homeassistant.helpers.config_entry_oauth2_flow import (
    MY_AUTH_CALLBACK_PATH,
    LocalOAuth2ImplementationWithPkce,
    OAuth2TokenRequestReauthError,
    _decode_jwt,
)
import pytest

from emulator import Emulator
from tests.flow_helpers import browser_sign_in

from .fleet_helpers import APP_ID, APP_SECRET, api_get, register
from .helpers import claims

SCOPE = "openid offline_access user_data vehicle_device_data"


class _FleetImplementation(LocalOAuth2ImplementationWithPkce):
    """The PKCE implementation with Tesla's scopes (merged with the parent's PKCE fields)."""

    @property
    def extra_authorize_data(self) -> dict[str, Any]:
        return {**super().extra_authorize_data, "scope": SCOPE}


@pytest.fixture
def implementation(hass: HomeAssistant, emulator: Emulator) -> _FleetImplementation:
    hass.config.components.add("my")  # redirect_uri = my.home-assistant.io
    register(emulator, redirect_uris=[MY_AUTH_CALLBACK_PATH])
    emulator.state.scenario = emulator.state.scenario.updated(
        {"fleet_consent": "grant"}
    )
    return _FleetImplementation(
        hass,
        "tesla_fleet_test",
        APP_ID,
        f"{emulator.global_sso}/authorize",
        f"{emulator.global_sso}/token",
        APP_SECRET,
    )


async def _sign_in(
    hass: HomeAssistant, implementation: _FleetImplementation
) -> dict[str, Any]:
    url = await implementation.async_generate_authorize_url("flow-1")
    location = await browser_sign_in(url)
    query = {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}
    assert location.startswith(MY_AUTH_CALLBACK_PATH)
    state = _decode_jwt(hass, query["state"])
    assert state is not None
    assert state["flow_id"] == "flow-1"
    return await implementation.async_resolve_external_data(
        {"code": query["code"], "state": state}
    )


async def test_helper_exchanges_and_refreshes(
    hass: HomeAssistant,
    emulator: Emulator,
    http: aiohttp.ClientSession,
    implementation: _FleetImplementation,
) -> None:
    token = await _sign_in(hass, implementation)
    assert token["scope"] == SCOPE
    assert claims(token["access_token"])["azp"] == APP_ID
    refreshed = await implementation.async_refresh_token(token)
    assert refreshed["refresh_token"] != token["refresh_token"]
    assert refreshed["expires_in"] == 28800
    status, body = await api_get(
        http, f"{emulator.base_url}/api/1/users/me", refreshed["access_token"]
    )
    assert (status, body["response"]["email"]) == (200, "owner@example.com")
    # The used refresh token died with the rotation: HA maps the 401 to a reauth.
    with pytest.raises(OAuth2TokenRequestReauthError):
        await implementation.async_refresh_token(token)
