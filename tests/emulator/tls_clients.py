"""Clients that reach the emulator over the connections the integration's profiles use.

`http2`: httpx with h2 (HTTP/2 over TLS 1.3); `tls12`: aiohttp with TLS capped at 1.2 (HTTP/1.1);
`http11`: aiohttp over Python's default TLS (TLS 1.3, HTTP/1.1); `h2_tls12`: httpx, HTTP/2 over
TLS 1.2; `plain`: aiohttp over http://. Each trusts the emulator's throw-away CA through its own
SSL context: this test-only hook is the only thing that trusts it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
import contextlib
import contextvars
from dataclasses import dataclass
import json
import logging
import ssl
from typing import Any, Self

import aiohttp
import httpx

from emulator import Emulator
from emulator.hpack_quiet import hpack_quiet

_HTTPCORE_QUIET = contextvars.ContextVar("test_httpcore_quiet", default=False)


class _QuietHttpcore(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not _HTTPCORE_QUIET.get()


_FILTER = _QuietHttpcore()
for _name in ("httpcore.http2", "httpcore.http11", "httpcore.connection"):
    logging.getLogger(_name).addFilter(_FILTER)


@contextlib.contextmanager
def _httpcore_quiet() -> Iterator[None]:
    token = _HTTPCORE_QUIET.set(True)
    try:
        yield
    finally:
        _HTTPCORE_QUIET.reset(token)


# name -> (the connection the emulator should see: tls, http)
PROFILES = {
    "http2": ("1.3", "2"),
    "tls12": ("1.2", "1.1"),
    "http11": ("1.3", "1.1"),
    "h2_tls12": ("1.2", "2"),
    "plain": ("none", "1.1"),
}


def trusting_context(
    emulator: Emulator, maximum: ssl.TLSVersion | None = None
) -> ssl.SSLContext:
    """A verifying client context that trusts the emulator's CA (blocking: use a thread)."""
    context = ssl.create_default_context(cadata=emulator.ca_pem)
    if maximum is not None:
        context.maximum_version = maximum
    return context


@dataclass
class Answer:
    status: int
    body: Any
    http_version: str
    headers: dict[str, str]


class Client:
    """One profile's client; `url(path)` is on the HTTPS port unless the profile is plain."""

    def __init__(self, emulator: Emulator, profile: str) -> None:
        self.emulator = emulator
        self.profile = profile
        self._httpx: httpx.AsyncClient | None = None
        self._aiohttp: aiohttp.ClientSession | None = None
        self._ssl: ssl.SSLContext | bool = False

    @property
    def origin(self) -> str:
        return (
            self.emulator.base_url
            if self.profile == "plain"
            else self.emulator.https_url
        )

    async def __aenter__(self) -> Self:
        maximum = ssl.TLSVersion.TLSv1_2 if "tls12" in self.profile else None
        if self.profile != "plain":
            # Loading a CA blocks: not in the event loop.
            self._ssl = await asyncio.to_thread(
                trusting_context, self.emulator, maximum
            )
        if self.profile in ("http2", "h2_tls12"):
            self._httpx = httpx.AsyncClient(
                http2=True, http1=False, verify=self._ssl, follow_redirects=False
            )
        else:
            self._aiohttp = aiohttp.ClientSession(
                cookie_jar=aiohttp.CookieJar(unsafe=True)
            )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._httpx is not None:
            await self._httpx.aclose()
        if self._aiohttp is not None:
            await self._aiohttp.close()

    async def request(
        self, method: str, path: str, *, raw: bool = False, **kwargs: Any
    ) -> Answer:
        """Send a request; the body is parsed JSON (text when it is not JSON, or `raw`)."""
        url = f"{self.origin}{path}"
        if self._httpx is not None:
            # The test's own client: hpack and httpcore log header values (cookies, tokens,
            # the code in a Location) at DEBUG.
            with hpack_quiet(), _httpcore_quiet():
                response = await self._httpx.request(method, url, **kwargs)
            text = response.text
            version = response.http_version.removeprefix("HTTP/")
            status = response.status_code
            headers = dict(response.headers)
        else:
            assert self._aiohttp is not None
            async with self._aiohttp.request(
                method, url, ssl=self._ssl, allow_redirects=False, **kwargs
            ) as response:
                text = await response.text()
                version = f"{response.version.major}.{response.version.minor}"
                status = response.status
                headers = {k.lower(): v for k, v in response.headers.items()}
        body: Any = text
        if not raw:
            with contextlib.suppress(ValueError):
                body = json.loads(text)
        return Answer(status, body, version, headers)

    async def refresh(self, refresh_token: str, region_prefix: str = "") -> Answer:
        return await self.request(
            "POST",
            f"{region_prefix}/oauth2/v3/token",
            json={
                "grant_type": "refresh_token",
                "client_id": "ownerapi",
                "refresh_token": refresh_token,
                "scope": "openid email offline_access",
            },
        )

    async def products(self, access_token: str | None) -> Answer:
        headers = (
            {} if access_token is None else {"Authorization": f"Bearer {access_token}"}
        )
        return await self.request("GET", "/api/1/products", headers=headers)


@contextlib.asynccontextmanager
async def client(emulator: Emulator, profile: str) -> AsyncIterator[Client]:
    async with Client(emulator, profile) as opened:
        yield opened
