"""A rotated refresh token is kept even when the new access token names no trusted issuer.

Tesla spends a single-use refresh token as it answers: dropping that answer would lose the
account's only valid token. The answering server was trusted before the request was sent, so
its tokens are stored and the next refresh goes to the same server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
import json
import secrets
import time

from aiohttp import web
from homeassistant.core import HomeAssistant
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


def _access_token(issuer: str) -> str:
    now = time.time()
    return make_jwt({"iss": issuer, "sub": SUB, "iat": now, "exp": now + 28800})


async def test_the_new_token_is_stored_and_the_next_refresh_goes_to_the_same_server(
    hass: HomeAssistant, server: OddServer, rotated: Iterator[str]
) -> None:
    first = next(rotated)
    tokens = TokenSet(
        access_token=_access_token(server.sso),
        refresh_token=first,
        id_token=None,
        expires_at=time.time() + 28800,
        issued_at=time.time(),
        issuer=server.sso,
    )
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=EMAIL,
        unique_id=SUB,
        data=build_entry_data(
            tokens,
            email=EMAIL,
            server=ServerChoice(region=Region.GLOBAL, auth_url=server.sso),
        ),
        options=dict(DEFAULT_OPTIONS),
        version=1,
    )
    issued: list[str] = []

    def answer(_: web.Request) -> web.Response:
        issued.append(next(rotated))
        return web.json_response(
            {"access_token": _access_token(FLEET_ISSUER), "refresh_token": issued[-1]}
        )

    server.on("POST", TOKEN, answer)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert server.requests == []  # fresh tokens: nothing to do at start-up

    for _ in range(2):
        await hass.services.async_call(
            DOMAIN, "refresh", {"config_entry_id": entry.entry_id}, blocking=True
        )

    assert hass.states.get(STATUS).state == "valid"
    assert entry.data[CONF_REFRESH_TOKEN] == issued[-1]
    assert entry.data[CONF_ISSUER] == server.sso
    assert server.requests == [("POST", TOKEN)] * 2
    sent = [json.loads(body)["refresh_token"] for body in server.bodies]
    assert sent == [
        first,
        issued[0],
    ]  # each refresh spent the token the last one stored
