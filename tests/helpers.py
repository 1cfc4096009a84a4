"""Helpers for the tests of an entry that keeps its token fresh (entities, requests, time)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntry
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.tesla_token.connection import (
    ConnectionProfile,
    async_token_transport,
)
from custom_components.tesla_token.const import (
    CONF_AUTH_IMPLEMENTATION,
    CONF_CLIENT_ID,
    CONF_SCOPES_GRANTED,
    CONF_SCOPES_REQUESTED,
)
from custom_components.tesla_token.entry_data import build_entry_data
from custom_components.tesla_token.flow_input import ServerChoice
from custom_components.tesla_token.sso import (
    AiohttpTransport,
    Region,
    TeslaSso,
    TokenSet,
    Transport,
)
from custom_components.tesla_token.sso.pkce import Pkce
from custom_components.tesla_token.sso.token_endpoint import token_set_from_response
from emulator import Emulator

from .flow_helpers import browser_sign_in

EMAIL = "owner@example.com"

STATUS = "sensor.owner_example_com_status"
EXPIRES = "sensor.owner_example_com_access_token_expires"
LAST_REFRESH = "sensor.owner_example_com_last_refresh"
NEXT_REFRESH = "sensor.owner_example_com_next_refresh"
TOKEN_KIND = "sensor.owner_example_com_token_kind"


def token_request_times(emulator: Emulator) -> list[float]:
    """When the emulator served each token request (POST …/oauth2/v3/token)."""
    return [
        record.time
        for record in emulator.state.requests
        if record.method == "POST" and record.path.endswith("/oauth2/v3/token")
    ]


def token_requests(emulator: Emulator) -> int:
    """How many token requests the emulator served."""
    return len(token_request_times(emulator))


async def advance(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta
) -> None:
    """Move the clock forward and let every timer that came due run to its end."""
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def advance_in_steps(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    total: timedelta,
    step: timedelta,
) -> None:
    """Move the clock forward step by step, as real time would pass."""
    elapsed = timedelta()
    while elapsed < total:
        await advance(hass, freezer, step)
        elapsed += step


async def mint_token_set(emulator: Emulator, email: str = EMAIL) -> TokenSet:
    """Return tokens as a sign-in would: a minted refresh token, refreshed once for real."""
    async with aiohttp.ClientSession() as session:
        return await TeslaSso(session, emulator.global_sso).refresh(
            emulator.state.mint_refresh_token(email)
        )


def https_sso(emulator: Emulator) -> str:
    """The emulator's global SSO base on its HTTPS port (its CA: see `trust_emulator`)."""
    return f"{emulator.https_url}/oauth2/v3"


async def mint_over(
    hass: HomeAssistant, emulator: Emulator, profile: ConnectionProfile
) -> TokenSet:
    """Tokens as a sign-in over `profile` gets them (Tesla judges that connection)."""
    transport = await async_token_transport(hass, profile)
    return await TeslaSso(transport, https_sso(emulator)).refresh(
        emulator.state.mint_refresh_token(EMAIL)
    )


def entry_data(
    emulator: Emulator, tokens: TokenSet, email: str = EMAIL
) -> dict[str, Any]:
    """The config entry data the config flow writes for these tokens."""
    server = ServerChoice(region=Region.GLOBAL, auth_url=emulator.global_sso)
    return build_entry_data(
        tokens, email=email, server=server, connection=ConnectionProfile.HTTP11
    )


def reauth_flows(hass: HomeAssistant, entry: ConfigEntry) -> list[str]:
    """The ids of the reauth flows in progress for the entry."""
    return [
        flow["flow_id"] for flow in entry.async_get_active_flows(hass, {SOURCE_REAUTH})
    ]


# One's own Fleet API app, registered on the emulator by `mint_fleet_token_set`.
APP_ID = "tesla-token-test-app"
APP_SECRET = "tesla-token-test-app-secret-7d3a"
APP_REDIRECT = "http://127.0.0.1:8123/auth/external/callback"
FLEET_SCOPES = ("openid", "offline_access", "user_data", "vehicle_device_data")


async def mint_fleet_token_set(
    emulator: Emulator,
    *,
    scopes: Sequence[str] = FLEET_SCOPES,
    base: str | None = None,
    transport: Transport | None = None,
) -> TokenSet:
    """Tokens of the test app, as its sign-in gets them: authorize, consent, code exchange.

    The consent is granted without the page (less the scenario's `fleet_denied_scopes`); the
    code is exchanged at `<base>/token` (default: the emulator's global SSO base, plain HTTP)
    over `transport` (default: aiohttp), with the app's secret.
    """
    emulator.register_app(APP_ID, APP_SECRET, [APP_REDIRECT])
    emulator.state.scenario = emulator.state.scenario.updated(
        {"fleet_consent": "grant"}
    )
    pkce = Pkce()
    query = {
        **pkce.authorize_params(APP_REDIRECT),
        "client_id": APP_ID,
        "scope": " ".join(scopes),
    }
    location = await browser_sign_in(
        f"{emulator.global_sso}/authorize?{urlencode(query)}"
    )
    code = parse_qs(urlsplit(location).query)["code"][0]
    base = base or emulator.global_sso
    form = {
        "grant_type": "authorization_code",
        "client_id": APP_ID,
        "client_secret": APP_SECRET,
        "code": code,
        "code_verifier": pkce.verifier,
        "redirect_uri": APP_REDIRECT,
    }
    if transport is not None:
        response = await transport.send("POST", f"{base}/token", form=form)
    else:
        async with aiohttp.ClientSession() as session:
            response = await AiohttpTransport(session, 30).send(
                "POST", f"{base}/token", form=form
            )
    assert response.status == 200, response.status
    return token_set_from_response(response.json_object(), trusted_base=base, app=True)


def fleet_entry_data(
    tokens: TokenSet,
    *,
    auth_url: str,
    requested: Sequence[str] = FLEET_SCOPES,
    connection: ConnectionProfile = ConnectionProfile.HTTP11,
) -> dict[str, Any]:
    """The entry data of a Fleet API entry (the contract's shape: Owner API keys + four)."""
    server = ServerChoice(region=Region.GLOBAL, auth_url=auth_url)
    return build_entry_data(
        tokens, email=EMAIL, server=server, connection=connection
    ) | {
        CONF_AUTH_IMPLEMENTATION: f"tesla_token.{APP_ID}",
        CONF_CLIENT_ID: APP_ID,
        CONF_SCOPES_REQUESTED: list(requested),
        CONF_SCOPES_GRANTED: list(tokens.scopes or ()),
    }
