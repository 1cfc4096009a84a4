"""HTTP/2 connections served by the emulator's aiohttp request handlers.

The `h2` package speaks HTTP/2. Each stream becomes one HTTP/1.1 request handed to an aiohttp
request handler over an in-memory transport, whose answer (parsed back with `h11`) goes out on the
stream. That transport shows the handler the real TLS connection's facts and says "2" for the
HTTP version, so the routes see how the request truly arrived; and faults behave: an answer that
breaks off (a dropped or truncated connection) resets the stream.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, cast

from aiohttp import web
import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import h11

from .connections import HTTP_VERSION_EXTRA
from .hpack_quiet import quiet

# HTTP/1.1 headers that do not exist in HTTP/2 (RFC 9113 §8.2.2), and those the bridge sets itself.
_HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"transfer-encoding",
        b"upgrade",
        b"te",
        b"host",
        b"content-length",
    }
)


class _StreamTransport(asyncio.Transport):
    """One HTTP/2 stream, seen by an aiohttp request handler as an HTTP/1.1 connection."""

    def __init__(self, bridge: H2Bridge, stream_id: int) -> None:
        super().__init__()
        self._bridge = bridge
        self.stream_id = stream_id
        self._parser = h11.Connection(h11.CLIENT)
        self._protocol: asyncio.Protocol | None = None
        self._pending = bytearray()  # answer body waiting for flow-control window
        self._answered = False  # the whole answer was written
        self._closing = False
        self._done = False  # END_STREAM or RST_STREAM sent

    # --- the request -----------------------------------------------------------------

    def start(self, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        """Hand the request to a new aiohttp request handler."""
        pseudo = {name: value for name, value in headers if name.startswith(b":")}
        regular = [
            (name, value)
            for name, value in headers
            if not name.startswith(b":") and name not in _HOP_BY_HOP
        ]
        cookies = [value for name, value in regular if name == b"cookie"]
        regular = [(name, value) for name, value in regular if name != b"cookie"]
        if cookies:  # HTTP/2 may split the Cookie header (RFC 9113 §8.2.3)
            regular.append((b"cookie", b"; ".join(cookies)))
        request = h11.Request(
            method=pseudo.get(b":method", b"GET"),
            target=pseudo.get(b":path", b"/"),
            headers=[
                (b"host", pseudo.get(b":authority", b"localhost")),
                *regular,
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        )
        data = b"".join(
            chunk
            for chunk in (
                self._parser.send(request),
                self._parser.send(h11.Data(data=body)) if body else b"",
                self._parser.send(h11.EndOfMessage()),
            )
            if chunk
        )
        protocol = self._bridge.handler_factory()
        self._protocol = protocol
        protocol.connection_made(self)
        protocol.data_received(data)

    # --- the answer ------------------------------------------------------------------

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Parse the handler's HTTP/1.1 answer and send it on the stream."""
        if self._closing:
            return
        self._parser.receive_data(bytes(data))
        while True:
            event = self._parser.next_event()
            if event is h11.NEED_DATA or event is h11.PAUSED:
                break
            if isinstance(event, h11.Response):
                headers = [
                    (name.lower(), value)
                    for name, value in event.headers
                    if name.lower() not in _HOP_BY_HOP - {b"content-length"}
                ]
                self._bridge.send_headers(
                    self.stream_id,
                    [(b":status", str(event.status_code).encode()), *headers],
                )
            elif isinstance(event, h11.Data):
                self._pending += event.data
            elif isinstance(event, h11.EndOfMessage):
                self._answered = True
        self.pump()

    def pump(self) -> None:
        """Send what the flow-control window allows; end the stream once all is sent."""
        if self._done:
            return
        self._pending = self._bridge.send_data(self.stream_id, self._pending)
        if not self._pending and self._answered:
            self._done = True
            self._bridge.end_stream(self.stream_id)

    # --- the transport API the handler uses --------------------------------------------

    def close(self) -> None:
        """The handler is done; a stream without its whole answer is reset (a dropped connection)."""
        if self._closing:
            return
        self._closing = True
        if not self._answered and not self._done:
            self._done = True
            self._bridge.reset_stream(self.stream_id)
        protocol = self._protocol
        if protocol is not None:
            asyncio.get_running_loop().call_soon(protocol.connection_lost, None)

    def abort(self) -> None:
        """Close at once."""
        self.close()

    def stream_gone(self) -> None:
        """The client reset the stream or the connection went away."""
        self._done = True
        self.close()

    def is_closing(self) -> bool:
        """Whether close() was called."""
        return self._closing

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """The TLS connection's facts; the HTTP version is 2."""
        if name == HTTP_VERSION_EXTRA:
            return "2"
        if name == "socket":  # the socket is the connection's, not this stream's
            return default
        return self._bridge.get_extra_info(name, default)

    def pause_reading(self) -> None:
        """The request was handed over whole: nothing to pause."""

    def resume_reading(self) -> None:
        """See pause_reading."""

    def is_reading(self) -> bool:
        """Never reading from a socket."""
        return False

    def set_write_buffer_limits(
        self, high: int | None = None, low: int | None = None
    ) -> None:
        """Writes are never paused."""

    def get_write_buffer_size(self) -> int:
        """Writes are never paused."""
        return 0

    def can_write_eof(self) -> bool:
        """Half-close does not exist on a stream here."""
        return False

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        """Replace the protocol (aiohttp does not; asyncio's API)."""
        if not isinstance(protocol, asyncio.Protocol):
            raise TypeError("a streaming protocol is required")
        self._protocol = protocol

    def get_protocol(self) -> asyncio.BaseProtocol:
        """The request handler."""
        if self._protocol is None:
            raise RuntimeError("the stream has not started")
        return self._protocol


class H2Bridge(asyncio.Protocol):
    """An HTTP/2 server connection whose streams are served by aiohttp request handlers."""

    def __init__(
        self, handler_factory: web.Server, open_bridges: set[H2Bridge]
    ) -> None:
        """Serve streams with `handler_factory`'s handlers; be in `open_bridges` while connected."""
        self._open_bridges = open_bridges
        self.handler_factory = handler_factory
        self._h2 = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=False, header_encoding=None)
        )
        self._transport: asyncio.Transport | None = None
        self._requests: dict[int, tuple[list[tuple[bytes, bytes]], bytearray]] = {}
        self._streams: dict[int, _StreamTransport] = {}

    @quiet
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Send the server preface."""
        self._transport = cast("asyncio.Transport", transport)
        self._open_bridges.add(self)
        self._h2.initiate_connection()
        self._flush()

    def connection_lost(self, exc: Exception | None) -> None:
        """Close every open stream."""
        self._open_bridges.discard(self)
        for stream in list(self._streams.values()):
            stream.stream_gone()
        self._streams.clear()

    def close(self) -> None:
        """Close the connection (the server stops)."""
        if self._transport is not None:
            self._transport.abort()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """The TLS connection's extra info."""
        if self._transport is None:
            return default
        return self._transport.get_extra_info(name, default)

    @quiet
    def data_received(self, data: bytes) -> None:
        """Feed the HTTP/2 state machine and act on its events."""
        try:
            events = self._h2.receive_data(data)
        except h2.exceptions.ProtocolError:
            self._flush()
            if self._transport is not None:
                self._transport.close()
            return
        for event in events:
            self._on_event(event)
        self._flush()

    def _on_event(self, event: h2.events.Event) -> None:
        stream_id = getattr(event, "stream_id", 0) or 0
        if isinstance(event, h2.events.RequestReceived) and stream_id:
            headers = [(bytes(n), bytes(v)) for n, v in event.headers or []]
            self._requests[stream_id] = (headers, bytearray())
        elif isinstance(event, h2.events.DataReceived) and stream_id:
            if stream_id in self._requests:
                self._requests[stream_id][1].extend(event.data or b"")
            self._h2.acknowledge_received_data(
                event.flow_controlled_length or 0, stream_id
            )
        elif isinstance(event, h2.events.StreamEnded) and stream_id:
            self._start_stream(stream_id)
        elif isinstance(event, h2.events.StreamReset) and stream_id:
            self._requests.pop(stream_id, None)
            gone = self._streams.pop(stream_id, None)
            if gone is not None:
                gone.stream_gone()
        elif isinstance(event, h2.events.WindowUpdated):
            for stream in list(self._streams.values()):
                stream.pump()
        elif (
            isinstance(event, h2.events.ConnectionTerminated)
            and self._transport is not None
        ):
            self._transport.close()

    def _start_stream(self, stream_id: int) -> None:
        request = self._requests.pop(stream_id, None)
        if request is not None:
            stream = _StreamTransport(self, stream_id)
            self._streams[stream_id] = stream
            stream.start(request[0], bytes(request[1]))

    # --- what the streams send ---------------------------------------------------------

    def _flush(self) -> None:
        data = self._h2.data_to_send()
        if data and self._transport is not None and not self._transport.is_closing():
            self._transport.write(data)

    @quiet
    def send_headers(self, stream_id: int, headers: list[tuple[bytes, bytes]]) -> None:
        """Send the answer's status and headers."""
        with contextlib.suppress(h2.exceptions.ProtocolError):
            self._h2.send_headers(stream_id, headers)
        self._flush()

    @quiet
    def send_data(self, stream_id: int, data: bytearray) -> bytearray:
        """Send as much of `data` as the windows allow; return the rest."""
        try:
            while data:
                size = min(
                    len(data),
                    self._h2.local_flow_control_window(stream_id),
                    self._h2.max_outbound_frame_size,
                )
                if size <= 0:
                    break
                self._h2.send_data(stream_id, bytes(data[:size]))
                del data[:size]
        except h2.exceptions.ProtocolError:
            data.clear()
        self._flush()
        return data

    @quiet
    def end_stream(self, stream_id: int) -> None:
        """The answer is complete."""
        with contextlib.suppress(h2.exceptions.ProtocolError):
            self._h2.end_stream(stream_id)
        self._streams.pop(stream_id, None)
        self._flush()

    @quiet
    def reset_stream(self, stream_id: int) -> None:
        """The answer broke off: reset the stream, as a dropped connection would end it."""
        with contextlib.suppress(h2.exceptions.ProtocolError):
            self._h2.reset_stream(stream_id, h2.errors.ErrorCodes.INTERNAL_ERROR)
        self._streams.pop(stream_id, None)
        self._flush()
