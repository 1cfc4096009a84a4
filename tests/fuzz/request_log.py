"""Every request an HTTP client session sends, and where it went.

`RequestLog.middleware` is an aiohttp client middleware and `RequestLog.httpx_send` wraps
`httpx.AsyncClient.send` (the HTTP/2 connection profile's client): each sees every request (each
redirect hop too) before a connection is made. A request to an origin the test did not allow is logged and then
refused, so it never leaves the machine; the test fails on it afterwards.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import httpx
from yarl import URL

type Origin = tuple[str, str, int]

# Origins the SSO client trusts besides the chosen server (a region redirect, a token issuer).
TESLA_ORIGINS: frozenset[Origin] = frozenset(
    {("https", "auth.tesla.com", 443), ("https", "auth.tesla.cn", 443)}
)


def origin_of(url: str | URL) -> Origin:
    """(scheme, host, port) of a URL, lower-cased; ("", "", 0) when it has none."""
    parsed = URL(url) if isinstance(url, str) else url
    return (
        (parsed.scheme or "").lower(),
        (parsed.host or "").lower(),
        parsed.port or 0,
    )


@dataclass
class RequestLog:
    """The URLs a client asked for, with the origins it may ask."""

    allowed: set[Origin] = field(default_factory=set)
    urls: list[URL] = field(default_factory=list)
    total: int = 0  # requests seen since the log was made (clear() keeps it)

    def allow(self, *urls: str) -> None:
        """Allow requests to the origins of these URLs."""
        self.allowed.update(origin_of(url) for url in urls)

    def clear(self) -> None:
        """Forget the requests seen so far."""
        self.urls.clear()

    def foreign(self, chosen: Iterable[Origin]) -> list[str]:
        """The origins of requests that went anywhere but `chosen` (as text, for a message)."""
        chosen = set(chosen)
        return sorted(
            {f"{origin_of(url)}" for url in self.urls if origin_of(url) not in chosen}
        )

    async def middleware(
        self, request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
    ) -> aiohttp.ClientResponse:
        """Log the request; refuse it unless its origin is allowed."""
        self.urls.append(request.url)
        self.total += 1
        if origin_of(request.url) not in self.allowed:
            raise aiohttp.ClientConnectionError(
                "refused by the fuzz test's request log"
            )
        return await handler(request)

    def httpx_send(
        self, send: Callable[..., Awaitable[httpx.Response]]
    ) -> Callable[..., Awaitable[httpx.Response]]:
        """`httpx.AsyncClient.send` that logs each request and refuses foreign ones."""

        async def logged(
            client: httpx.AsyncClient, request: httpx.Request, **kwargs: Any
        ) -> httpx.Response:
            url = URL(str(request.url))
            self.urls.append(url)
            self.total += 1
            if origin_of(url) not in self.allowed:
                raise httpx.ConnectError(
                    "refused by the fuzz test's request log", request=request
                )
            return await send(client, request, **kwargs)

        return logged
