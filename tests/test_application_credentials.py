"""The application credentials platform and the PKCE implementation it makes (fleet_oauth.py).

Token requests go to the emulator's app token endpoint; no request is faked.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
import importlib.util
import json
from pathlib import Path
from typing import Any

import aiohttp
from homeassistant.components.application_credentials import ClientCredential
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import (
    OAuth2TokenRequestConnectionError,
    OAuth2TokenRequestError,
    OAuth2TokenRequestReauthError,
)
from homeassistant.helpers.config_entry_oauth2_flow import (
    MY_AUTH_CALLBACK_PATH,
    LocalOAuth2Implementation,
    LocalOAuth2ImplementationWithPkce,
    async_get_implementations,
)
from homeassistant.setup import async_setup_component
import pytest

from custom_components.tesla_token.application_credentials import (
    async_get_auth_implementation,
    async_get_description_placeholders,
)
from custom_components.tesla_token.connection import (
    ConnectionProfile,
    async_token_transport,
)
from custom_components.tesla_token.const import DOMAIN
from custom_components.tesla_token.fleet_oauth import (
    FleetEndpoints,
    FleetImplementation,
    async_account_email,
    fleet_implementation,
    read_tokens,
    requested_scopes,
)
from custom_components.tesla_token.flow_input import ServerChoice
from custom_components.tesla_token.sso import FLEET_API_BASES, Region
from emulator import Emulator, Fault, FaultKind

from .emulator.fleet_helpers import (
    APP_ID,
    APP_REDIRECT,
    APP_SECRET,
    EMAIL,
    fleet_tokens,
    register,
)
from .sso.helpers import ToEmulator
from .sso.jwts import make_jwt

CREDENTIAL = ClientCredential(APP_ID, APP_SECRET, "My Tesla app")


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A browser's session (cookies of a 127.0.0.1 server kept)."""
    async with aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True)
    ) as session:
        yield session


@pytest.fixture
async def app(emulator: Emulator) -> Emulator:
    """The emulator with the test app registered."""
    register(emulator)
    return emulator


async def prepared(hass: HomeAssistant, emulator: Emulator) -> FleetImplementation:
    """The credential's implementation, pointed at the emulator as a flow points it."""
    implementation = fleet_implementation(
        await async_get_auth_implementation(hass, DOMAIN, CREDENTIAL)
    )
    implementation.prepare(
        FleetEndpoints.for_server(
            ServerChoice(Region.GLOBAL, auth_url=emulator.global_sso)
        ),
        requested_scopes(["user_data"]),
        await async_token_transport(hass, ConnectionProfile.HTTP2),
    )
    return implementation


async def test_the_credential_dialog_names_the_redirect_uri_to_register(
    hass: HomeAssistant,
) -> None:
    placeholders = await async_get_description_placeholders(hass)
    assert placeholders == {
        "developer_url": "https://developer.tesla.com",
        "redirect_uri": "<your Home Assistant URL>/auth/external/callback",
    }

    hass.config.components.add("my")
    placeholders = await async_get_description_placeholders(hass)
    assert placeholders["redirect_uri"] == MY_AUTH_CALLBACK_PATH


async def test_each_flow_gets_its_own_pkce_implementation_of_the_app(
    hass: HomeAssistant,
) -> None:
    from homeassistant.components.application_credentials import (
        async_import_client_credential,
    )

    assert await async_setup_component(hass, "application_credentials", {})
    await async_import_client_credential(hass, DOMAIN, CREDENTIAL)

    first = (await async_get_implementations(hass, DOMAIN))[DOMAIN]
    second = (await async_get_implementations(hass, DOMAIN))[DOMAIN]

    assert isinstance(first, FleetImplementation)
    assert isinstance(first, LocalOAuth2ImplementationWithPkce)
    assert first is not second
    assert first.code_verifier != second.code_verifier  # type: ignore[attr-defined]
    assert first.name == "My Tesla app"


async def test_tesla_hosts_scopes_and_audience_by_default(hass: HomeAssistant) -> None:
    implementation = fleet_implementation(
        await async_get_auth_implementation(
            hass, DOMAIN, ClientCredential(APP_ID, APP_SECRET)
        )
    )

    assert implementation.name == APP_ID  # a credential without a name
    assert implementation.authorize_url == "https://auth.tesla.com/oauth2/v3/authorize"
    assert (
        implementation.token_url
        == "https://fleet-auth.prd.vn.cloud.tesla.com/oauth2/v3/token"
    )
    authorize = implementation.extra_authorize_data
    # The parent's PKCE fields survive the scopes.
    assert authorize["code_challenge_method"] == "S256"
    assert authorize["code_challenge"]
    assert authorize["scope"] == "openid offline_access user_data vehicle_device_data"
    assert authorize["prompt_missing_scopes"] == "true"
    resolve = implementation.extra_token_resolve_data
    assert resolve["code_verifier"] == implementation.code_verifier
    assert resolve["audience"] == "https://fleet-api.prd.na.vn.cloud.tesla.com"


def test_endpoints_of_china_and_of_a_custom_server() -> None:
    china = FleetEndpoints.for_server(ServerChoice(Region.CHINA))
    assert china == FleetEndpoints(
        "https://auth.tesla.cn/oauth2/v3/authorize",
        "https://auth.tesla.cn/oauth2/v3/token",
        "https://fleet-api.prd.cn.vn.cloud.tesla.cn",
    )
    assert china.token_base == "https://auth.tesla.cn/oauth2/v3"

    custom = FleetEndpoints.for_server(
        ServerChoice(
            Region.GLOBAL,
            auth_url="https://proxy.example/oauth2/v3",
            api_url="https://api.example",
        )
    )
    assert custom.authorize_url == "https://proxy.example/oauth2/v3/authorize"
    assert custom.token_url == "https://proxy.example/oauth2/v3/token"
    assert custom.audience == "https://api.example"


async def test_another_implementation_is_refused(hass: HomeAssistant) -> None:
    other = LocalOAuth2Implementation(hass, DOMAIN, "id", "secret", "a", "b")
    with pytest.raises(TypeError):
        fleet_implementation(other)


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        # A code Tesla does not know: 400 invalid_grant, as a wrong secret's 401.
        (None, OAuth2TokenRequestReauthError),
        (Fault(FaultKind.STATUS, status=302), OAuth2TokenRequestError),
        (Fault(FaultKind.DROP, count=2), OAuth2TokenRequestConnectionError),
        (Fault(FaultKind.MALFORMED_JSON), OAuth2TokenRequestConnectionError),
    ],
)
async def test_token_endpoint_failures_are_home_assistants_errors(
    hass: HomeAssistant, app: Emulator, fault: Fault | None, error: type[Exception]
) -> None:
    if fault is not None:
        app.state.set_fault("token", fault)
    implementation = await prepared(hass, app)

    with pytest.raises(error) as raised:
        await implementation.async_resolve_external_data(
            {"code": "0" * 60, "state": {"redirect_uri": APP_REDIRECT}}
        )

    # What Home Assistant logs of it names neither secret nor code.
    assert APP_SECRET not in str(raised.value)
    assert "0" * 60 not in str(raised.value)


async def test_without_a_flow_home_assistants_session_refreshes(
    hass: HomeAssistant, app: Emulator, http: aiohttp.ClientSession
) -> None:
    tokens = await fleet_tokens(http, app)
    implementation = fleet_implementation(
        await async_get_auth_implementation(hass, DOMAIN, CREDENTIAL)
    )
    implementation.token_url = f"{app.global_sso}/token"

    refreshed = await implementation.async_refresh_token(tokens)

    assert refreshed["refresh_token"] != tokens["refresh_token"]


async def test_granted_scopes_come_from_the_token_without_a_scope_answer(
    app: Emulator, http: aiohttp.ClientSession
) -> None:
    body: dict[str, Any] = await fleet_tokens(http, app)
    endpoints = FleetEndpoints.for_server(
        ServerChoice(Region.GLOBAL, auth_url=app.global_sso)
    )
    with_scope = read_tokens(body, endpoints)
    del body["scope"]

    without = read_tokens(body, endpoints)

    assert without.scopes_granted == with_scope.scopes_granted
    assert set(without.scopes_granted) == {
        "openid",
        "offline_access",
        "user_data",
        "vehicle_device_data",
    }
    # Refreshes go to the token endpoint, not to the access token's ".../nts" issuer.
    assert without.tokens.issuer == app.global_sso


async def test_the_account_email_from_users_me(
    hass: HomeAssistant, app: Emulator, http: aiohttp.ClientSession
) -> None:
    transport = await async_token_transport(hass, ConnectionProfile.HTTP11)
    with_user_data = (await fleet_tokens(http, app))["access_token"]
    without = (
        await fleet_tokens(http, app, email=EMAIL, scope="openid offline_access")
    )["access_token"]

    emulated = ServerChoice(Region.GLOBAL, auth_url=app.global_sso)
    assert await async_account_email(transport, emulated, with_user_data) == EMAIL
    # No user_data: Tesla answers 403; nothing is known.
    assert await async_account_email(transport, emulated, without) is None
    app.state.set_fault("users_me", Fault(FaultKind.MALFORMED_JSON))
    assert await async_account_email(transport, emulated, with_user_data) is None


async def test_the_account_email_from_the_accounts_region(
    hass: HomeAssistant, app: Emulator, http: aiohttp.ClientSession
) -> None:
    """With Tesla's servers users/me is asked at the account's regional Fleet API base."""
    to_tesla = ToEmulator(app, http)
    tesla = ServerChoice(Region.GLOBAL)
    token = (await fleet_tokens(http, app))["access_token"]

    assert await async_account_email(to_tesla, tesla, token) == EMAIL
    # The token says ou_code NA: North America's base, without asking users/region.
    assert to_tesla.asked == [f"{FLEET_API_BASES['na']}/api/1/users/me"]

    to_tesla.asked.clear()
    assert await async_account_email(to_tesla, tesla, make_jwt({"sub": "u"})) is None
    assert to_tesla.asked == [f"{FLEET_API_BASES['na']}/api/1/users/region"]


async def test_the_demo_credential_is_one_home_assistant_reads(
    hass: HomeAssistant, hass_storage: dict[str, Any], tmp_path: Path
) -> None:
    spec = importlib.util.spec_from_file_location(
        "develop_demo", Path(__file__).parents[1] / "scripts" / "develop_demo.py"
    )
    assert spec is not None and spec.loader is not None
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    demo.add_demo_credential(tmp_path)
    stored = tmp_path / ".storage" / "application_credentials"
    hass_storage["application_credentials"] = json.loads(stored.read_text())

    assert await async_setup_component(hass, "application_credentials", {})
    implementations = await async_get_implementations(hass, DOMAIN)

    (implementation,) = implementations.values()
    assert isinstance(implementation, FleetImplementation)
    assert implementation.client_id == demo.DEMO_APP_ID
    assert implementation.client_secret == demo.DEMO_APP_SECRET
    assert implementation.name == "Tesla Token demo"
