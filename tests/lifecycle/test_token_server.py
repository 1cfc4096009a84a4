"""What the integration keeps from the token server's answers, and what it sends there.

A rotated refresh token is kept even when the new access token names no trusted issuer: Tesla
spends a single-use refresh token as it answers, so dropping that answer would lose the
account's only valid token. The answering server was trusted before the request was sent, so
its tokens are stored and the next refresh goes to the same server.

Token requests carry no cookies: not those of Home Assistant's shared session (where every
integration keeps its own), nor any from an earlier answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import timedelta
import json
import secrets
import time

from aiohttp import web
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_token.const import (
    CONF_ISSUER,
    CONF_REFRESH_TOKEN,
    DEFAULT_OPTIONS,
    DOMAIN,
)
from custom_components.tesla_token.entry_data import build_entry_data
from custom_components.tesla_token.flow_input import ServerChoice
from custom_components.tesla_token.sso import Region, TokenSet
from tests.leak_guard import LeakGuard
from tests.lifecycle.conftest import EMAIL
from tests.lifecycle.helpers import STATUS
from tests.sso.jwts import make_jwt
from tests.sso.odd_server import OddServer

TOKEN = "/oauth2/v3/token"
# Where Tesla's Fleet API tokens come from: a Tesla host, but no SSO server of this client.
FLEET_ISSUER = "https://fleet-auth.prd.vn.cloud.tesla.com/oauth2/v3/nts"
SUB = "2d1f6c4e-0000-4000-8000-00000000f1ee"


@pytest.fixture
async def server(socket_enabled: None) -> AsyncIterator[OddServer]:
    """An SSO server (the person's chosen one) that answers refreshes as scripted."""
    odd = OddServer()
    await odd.start()
    yield odd
    await odd.stop()


@pytest.fixture
def rotated(leak_guard: LeakGuard) -> Iterator[str]:
    """The refresh tokens the server hands out, in order (each refresh spends one)."""
    tokens = [f"rt-{secrets.token_hex(16)}" for _ in range(4)]
    leak_guard.add(*tokens)
    return iter(tokens)


def _access_token(issuer: str, sub: str = SUB) -> str:
    now = time.time()
    return make_jwt({"iss": issuer, "sub": sub, "iat": now, "exp": now + 28800})


def _entry(server: OddServer, refresh_token: str, sub: str = SUB) -> MockConfigEntry:
    """An entry with fresh tokens from the server, as the config flow stores them."""
    tokens = TokenSet(
        access_token=_access_token(server.sso, sub),
        refresh_token=refresh_token,
        id_token=None,
        expires_at=time.time() + 28800,
        issued_at=time.time(),
        issuer=server.sso,
    )
    return MockConfigEntry(
        domain=DOMAIN,
        title=EMAIL,
        unique_id=sub,
        data=build_entry_data(
            tokens,
            email=EMAIL,
            server=ServerChoice(region=Region.GLOBAL, auth_url=server.sso),
        ),
        options=dict(DEFAULT_OPTIONS),
        version=1,
    )


def _answering(
    rotated: Iterator[str], issuer: str, issued: list[str], cookies: list[str | None]
) -> Callable[[web.Request], web.Response]:
    """A /token answer with the next refresh token; notes what it issued and was sent."""

    def answer(request: web.Request) -> web.Response:
        cookies.append(request.headers.get("Cookie"))
        issued.append(next(rotated))
        response = web.json_response(
            {"access_token": _access_token(issuer), "refresh_token": issued[-1]}
        )
        response.set_cookie("tesla-auth.sid", secrets.token_hex(8))
        return response

    return answer


async def _refresh(
    hass: HomeAssistant, entry_id: str, freezer: FrozenDateTimeFactory
) -> None:
    """Press "refresh", then let the minute pass that keeps presses apart."""
    await hass.services.async_call(
        DOMAIN, "refresh", {"config_entry_id": entry_id}, blocking=True
    )
    freezer.tick(timedelta(seconds=61))


async def test_the_new_token_is_stored_and_the_next_refresh_goes_to_the_same_server(
    hass: HomeAssistant,
    server: OddServer,
    rotated: Iterator[str],
    freezer: FrozenDateTimeFactory,
) -> None:
    first = next(rotated)
    entry = _entry(server, first)
    issued: list[str] = []
    server.on("POST", TOKEN, _answering(rotated, FLEET_ISSUER, issued, []))
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert server.requests == []  # fresh tokens: nothing to do at start-up

    await _refresh(hass, entry.entry_id, freezer)
    await _refresh(hass, entry.entry_id, freezer)

    assert hass.states.get(STATUS).state == "valid"
    assert entry.data[CONF_REFRESH_TOKEN] == issued[-1]
    assert entry.data[CONF_ISSUER] == server.sso
    assert server.requests == [("POST", TOKEN)] * 2
    sent = [json.loads(body)["refresh_token"] for body in server.bodies]
    assert sent == [
        first,
        issued[0],
    ]  # each refresh spent the token the last one stored


async def test_token_requests_carry_no_cookies(
    hass: HomeAssistant,
    server: OddServer,
    rotated: Iterator[str],
    freezer: FrozenDateTimeFactory,
) -> None:
    """Another integration's cookie in the shared session never reaches the token server."""
    async_get_clientsession(hass).cookie_jar.update_cookies(
        {"other_integration": "its-own-session"}
    )
    issued: list[str] = []
    cookies: list[str | None] = []
    server.on("POST", TOKEN, _answering(rotated, server.sso, issued, cookies))

    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "token"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "refresh_token": next(rotated),
            "region": "global",
            "advanced": {"auth_url": server.sso},
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    await _refresh(hass, result["result"].entry_id, freezer)
    await _refresh(hass, result["result"].entry_id, freezer)

    assert result["result"].data[CONF_REFRESH_TOKEN] == issued[-1]
    assert server.requests == [("POST", TOKEN)] * 3
    assert cookies == [None, None, None]


async def test_unloading_one_entry_leaves_the_others_able_to_refresh(
    hass: HomeAssistant,
    server: OddServer,
    rotated: Iterator[str],
    freezer: FrozenDateTimeFactory,
) -> None:
    """The entries share one token session: the first entry's unload must not end it."""
    first = _entry(server, next(rotated), sub="account-one")
    second = _entry(server, next(rotated), sub="account-two")
    issued: list[str] = []
    server.on("POST", TOKEN, _answering(rotated, server.sso, issued, []))
    for entry in (first, second):
        entry.add_to_hass(hass)
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()

    assert await hass.config_entries.async_unload(first.entry_id)
    await _refresh(hass, second.entry_id, freezer)

    assert second.data[CONF_REFRESH_TOKEN] == issued[-1]
