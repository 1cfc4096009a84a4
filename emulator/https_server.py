"""The HTTPS port: TLS 1.2 or 1.3, ALPN h2 or http/1.1, all served by the emulator's aiohttp app.

After the TLS handshake the negotiated ALPN decides: HTTP/1.1 connections go to an aiohttp
request handler as they are (a request sees the real TLS transport); HTTP/2 connections go to the
bridge in h2_bridge.py.
"""

from __future__ import annotations

import asyncio
import ssl

from aiohttp import web

from .h2_bridge import H2Bridge


class _AlpnDispatch(asyncio.Protocol):
    """Picks HTTP/2 or HTTP/1.1 once the TLS handshake chose, then steps aside."""

    def __init__(self, server: HttpsServer) -> None:
        self._server = server

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Hand the connection to the protocol its ALPN names."""
        ssl_object = transport.get_extra_info("ssl_object")
        protocol: asyncio.Protocol
        if (
            isinstance(ssl_object, ssl.SSLObject)
            and ssl_object.selected_alpn_protocol() == "h2"
        ):
            protocol = H2Bridge(self._server.handler_factory, self._server.bridges)
        else:
            protocol = self._server.handler_factory()
        transport.set_protocol(protocol)
        protocol.connection_made(transport)


class HttpsServer:
    """The listening TLS socket and its open HTTP/2 connections."""

    def __init__(self, handler_factory: web.Server) -> None:
        """Serve with the request handlers `handler_factory` makes."""
        self.handler_factory = handler_factory
        self.bridges: set[H2Bridge] = set()
        self._server: asyncio.Server | None = None

    async def start(self, host: str, port: int, context: ssl.SSLContext) -> int:
        """Listen; returns the bound port."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _AlpnDispatch(self), host, port, ssl=context
        )
        return int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Stop listening and drop every connection still open."""
        if self._server is None:
            return
        self._server.close()
        for bridge in list(self.bridges):
            bridge.close()
        self._server.abort_clients()
        await self._server.wait_closed()
        self._server = None
