"""The client connections a request to Tesla can take, and the transports that make them.

Since June 2026 Tesla fingerprints the connection of each token request (ClientHello, ALPN):
access tokens minted over one it does not like carry an ``x-enc`` claim and the Owner API refuses
them. Which connection passes has changed over time, so the integration can make three:

- HTTP2: HTTP/2 over TLS 1.3 (httpx with h2; ALPN h2 and http/1.1), as TeslaMate 4.0.1 does.
- TLS12: HTTP/1.1 over TLS capped at 1.2 (aiohttp), as alandtse/tesla 3.26.2 does.
- HTTP11: HTTP/1.1 over TLS 1.3 where the server offers it (aiohttp): the client until now.

Token transports (code exchanges, refreshes, API checks) are shared per profile and keep no
cookies; each sign-in conversation gets a flow transport with a cookie jar of its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
import http.cookiejar
import ssl
from typing import Any, Final

import aiohttp
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_create_clientsession
from homeassistant.helpers.httpx_client import (
    DEFAULT_LIMITS,
    SERVER_SOFTWARE,
    USER_AGENT,
    create_async_httpx_client,
)
from homeassistant.helpers.singleton import singleton
from homeassistant.util.hass_dict import HassKey
from homeassistant.util.ssl import (
    SSL_ALPN_HTTP11,
    SSL_ALPN_HTTP11_HTTP2,
    SSLCipherList,
    client_context,
    create_client_context,
)
import httpx

from .const import DOMAIN
from .httpx_transport import HttpxTransport
from .library_logs import install_library_log_filters
from .sso import AiohttpTransport, HttpResponse, Transport
from .sso.client import DEFAULT_TIMEOUT
from .token_session import async_token_session


class ConnectionProfile(StrEnum):
    """The kind of client connection requests to Tesla take."""

    HTTP2 = "http2"  # HTTP/2 over TLS 1.3 (httpx)
    TLS12 = "tls12"  # HTTP/1.1 over TLS 1.2 (aiohttp)
    HTTP11 = "http11"  # HTTP/1.1 over TLS 1.3 (aiohttp, the client until June 2026)


# The order to try them in: the one that works for most clients first.
PROFILE_ORDER: Final = (
    ConnectionProfile.HTTP2,
    ConnectionProfile.TLS12,
    ConnectionProfile.HTTP11,
)

# The TLS 1.2 context (made in an executor: loading the CA certificates reads files).
DATA_TLS12_CONTEXT: Final[HassKey[ssl.SSLContext]] = HassKey(f"{DOMAIN}_tls12_context")
_DATA_TOKEN_HTTPX: Final[HassKey[httpx.AsyncClient]] = HassKey(
    f"{DOMAIN}_token_httpx_client"
)


def _tls12_context() -> ssl.SSLContext:
    """A verifying client context of its own, capped at TLS 1.2 (blocking: not in the loop)."""
    context = create_client_context(SSLCipherList.PYTHON_DEFAULT, SSL_ALPN_HTTP11)
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    return context


@singleton(DATA_TLS12_CONTEXT, async_=True)
async def _async_tls12_context(hass: HomeAssistant) -> ssl.SSLContext:
    """The TLS 1.2 context, made once per Home Assistant instance."""
    return await hass.async_add_executor_job(_tls12_context)


def _no_cookies() -> http.cookiejar.CookieJar:
    """A cookie jar that refuses every cookie (no domain is allowed)."""
    return http.cookiejar.CookieJar(
        http.cookiejar.DefaultCookiePolicy(allowed_domains=[])
    )


@callback
@singleton(_DATA_TOKEN_HTTPX)
def _token_httpx_client(hass: HomeAssistant) -> httpx.AsyncClient:
    """The HTTP/2 client for token requests: keeps no cookies, closed when Home Assistant closes."""
    install_library_log_filters()
    return create_async_httpx_client(
        hass, alpn_protocols=SSL_ALPN_HTTP11_HTTP2, cookies=_no_cookies()
    )


@dataclass(frozen=True)
class _Tls12Transport:
    """aiohttp requests over the TLS 1.2 context, made (off the loop) at the first request."""

    hass: HomeAssistant
    session: aiohttp.ClientSession

    async def send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        form: Mapping[str, str] | None = None,
        json_body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> HttpResponse:
        """Send one request; see ``sso.transport.Transport``."""
        context = await _async_tls12_context(self.hass)
        return await AiohttpTransport(self.session, DEFAULT_TIMEOUT, ssl=context).send(
            method, url, params=params, form=form, json_body=json_body, headers=headers
        )


@callback
def async_get_token_transport(
    hass: HomeAssistant, profile: ConnectionProfile
) -> Transport:
    """The transport for code exchanges, refreshes and API checks over this profile.

    Shared by every entry and flow; it keeps no cookies (token requests need none, and they
    would ride along with every account's tokens).
    """
    if profile is ConnectionProfile.HTTP2:
        return HttpxTransport(_token_httpx_client(hass), DEFAULT_TIMEOUT)
    if profile is ConnectionProfile.TLS12:
        return _Tls12Transport(hass, async_token_session(hass))
    return AiohttpTransport(async_token_session(hass), DEFAULT_TIMEOUT)


async def async_token_transport(
    hass: HomeAssistant, profile: ConnectionProfile
) -> Transport:
    """As ``async_get_token_transport``, with the profile's TLS context made already."""
    if profile is ConnectionProfile.TLS12:
        await _async_tls12_context(hass)
    return async_get_token_transport(hass, profile)


@dataclass(frozen=True)
class FlowTransport:
    """One sign-in conversation's transport, with a cookie jar of its own.

    ``clear_cookies`` starts a new conversation on it; ``async_close`` releases it when the
    flow ends.
    """

    transport: Transport
    clear_cookies: Callable[[], None]
    async_close: Callable[[], Awaitable[None]]


def _aiohttp_flow_transport(
    hass: HomeAssistant, profile: ConnectionProfile
) -> FlowTransport:
    # unsafe=True keeps cookies of IP-address hosts too (a local SSO server).
    session = async_create_clientsession(
        hass, auto_cleanup=False, cookie_jar=aiohttp.CookieJar(unsafe=True)
    )
    transport: Transport = (
        _Tls12Transport(hass, session)
        if profile is ConnectionProfile.TLS12
        else AiohttpTransport(session, DEFAULT_TIMEOUT)
    )

    async def _async_close() -> None:
        session.detach()  # Home Assistant's connector stays open for everyone else

    return FlowTransport(transport, session.cookie_jar.clear, _async_close)


def _httpx_flow_transport() -> FlowTransport:
    install_library_log_filters()
    jar = http.cookiejar.CookieJar()
    # Not Home Assistant's helper: it wraps aclose with a warning, and this client is ours
    # to close. Home Assistant's SSL context (with ALPN h2) and defaults all the same.
    client = httpx.AsyncClient(
        verify=client_context(SSLCipherList.PYTHON_DEFAULT, SSL_ALPN_HTTP11_HTTP2),
        http2=True,
        headers={USER_AGENT: SERVER_SOFTWARE},
        limits=DEFAULT_LIMITS,
        cookies=jar,
        follow_redirects=False,
    )
    return FlowTransport(
        HttpxTransport(client, DEFAULT_TIMEOUT), jar.clear, client.aclose
    )


async def async_flow_transport(
    hass: HomeAssistant, profile: ConnectionProfile
) -> FlowTransport:
    """A new transport for one sign-in conversation over this profile (close it when done)."""
    if profile is ConnectionProfile.HTTP2:
        return _httpx_flow_transport()
    if profile is ConnectionProfile.TLS12:
        await _async_tls12_context(hass)
    return _aiohttp_flow_transport(hass, profile)
