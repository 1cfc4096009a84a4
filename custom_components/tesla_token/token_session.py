"""The HTTP session for Tesla's token endpoint: one for the integration, keeping no cookies."""

from __future__ import annotations

from typing import Final

import aiohttp
from homeassistant.const import EVENT_HOMEASSISTANT_CLOSE
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_create_clientsession
from homeassistant.helpers.singleton import singleton
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN

_DATA_TOKEN_SESSION: Final[HassKey[aiohttp.ClientSession]] = HassKey(
    f"{DOMAIN}_token_session"
)


@callback
@singleton(_DATA_TOKEN_SESSION)
def async_token_session(hass: HomeAssistant) -> aiohttp.ClientSession:
    """The session for code exchanges and refreshes, of every entry and flow.

    Not Home Assistant's shared session: every integration's cookies live in its jar, and
    they would ride along with each account's tokens. Token requests need no cookies, so this
    session keeps none. Entries and flows share it, so it ends with Home Assistant, not with
    the entry that happened to create it.
    """
    session = async_create_clientsession(
        hass, auto_cleanup=False, cookie_jar=aiohttp.DummyCookieJar()
    )

    @callback
    def _async_release(_: Event) -> None:
        session.detach()

    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_CLOSE, _async_release)
    return session
