"""Requests over httpx (HTTP/2 when the server offers it), with the SSO transport's contract.

The same caps, errors and "try again later" answers as the aiohttp transport (sso/transport.py):
never follows a redirect, stops reading (and inflating) an answer past its content type's limit
and turns every failure into TeslaSsoTemporaryError. Logs the method and path only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
import logging
from typing import Any
from urllib.parse import urlsplit
import zlib

# httpcore imports h2 at the first HTTP/2 connection, in the event loop (about 10 ms):
# importing it here does it with the integration, in Home Assistant's executor.
import h2.connection
import h2.exceptions
import httpx

from .sso.transport import (
    HttpResponse,
    body_limit,
    connection_error,
    cut_short_error,
    raise_for_transient_answer,
    too_large_error,
)

_LOGGER = logging.getLogger(__name__)


def _media_type(headers: httpx.Headers) -> str:
    """The lower-case, parameter-free Content-Type (as aiohttp's ``content_type``)."""
    value = headers.get("Content-Type", "")
    return value.partition(";")[0].strip().lower() or "application/octet-stream"


class _UndecodableError(Exception):
    """The body's Content-Encoding is not one asked for, or its data does not decode."""


def _decoder(encoding: str) -> zlib._Decompress | None:
    """A decompressor for this Content-Encoding (None: the body is as sent).

    Raises:
        _UndecodableError: an encoding this transport does not ask for.
    """
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(zlib.MAX_WBITS | 16)
    if encoding == "deflate":
        return zlib.decompressobj()
    raise _UndecodableError(encoding)


async def _read_body(response: httpx.Response, method: str, path: str) -> bytes:
    """Read and decompress the body chunk by chunk, stopping as soon as it is too large.

    httpx would inflate each received chunk whole (a 64 kB gzip chunk can be 64 MB): this
    inflates at most what still fits under the limit.

    Raises:
        TeslaSsoTemporaryError: UNEXPECTED_RESPONSE, the body is larger than its type allows.
        _UndecodableError: the body does not decode.
    """
    limit = body_limit(_media_type(response.headers))
    decoder = _decoder(response.headers.get("Content-Encoding", ""))
    chunks: list[bytes] = []
    size = 0
    async for raw in response.aiter_raw():
        data = raw
        while data:
            if decoder is None:
                piece, data = data, b""
            else:
                try:
                    piece = decoder.decompress(data, limit - size + 1)
                except zlib.error as err:
                    raise _UndecodableError(type(err).__name__) from err
                data = decoder.unconsumed_tail
            size += len(piece)
            if size > limit:
                raise too_large_error(
                    method, path, limit
                )  # leaving the stream closes it
            chunks.append(piece)
    if decoder is not None and not decoder.eof:
        raise _UndecodableError("the compressed body ends early")
    return b"".join(chunks)


@dataclass(frozen=True)
class HttpxTransport:
    """Requests over an httpx client, each within this many seconds in all."""

    client: httpx.AsyncClient
    timeout: float

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
        """Send one request and read the whole answer; see ``sso.transport.Transport``."""
        path = urlsplit(url).path
        received = (
            False  # the status and headers arrived: a later failure cuts the body
        )
        try:
            # httpx's timeouts are per read or write; this one bounds the whole request.
            async with (
                asyncio.timeout(self.timeout),
                self.client.stream(
                    method,
                    url,
                    params=params,
                    data=form,
                    json=json_body,
                    # Only what _read_body inflates under its cap.
                    headers={"Accept-Encoding": "gzip, deflate", **(headers or {})},
                    follow_redirects=False,
                    timeout=self.timeout,
                ) as resp,
            ):
                received = True
                body = await _read_body(resp, method, path)
                response = HttpResponse(
                    method, str(resp.url), resp.status_code, resp.headers, body
                )
        except (httpx.TimeoutException, TimeoutError) as err:
            raise connection_error(method, path, err) from err
        except _UndecodableError as err:
            raise cut_short_error(method, path) from err
        except (
            httpx.HTTPError,
            httpx.InvalidURL,
            h2.exceptions.H2Error,
            OSError,
        ) as err:
            if received:
                raise cut_short_error(method, path) from err
            raise connection_error(method, path, err) from err
        _LOGGER.debug("%s %s -> %s", method, path, response.status)
        raise_for_transient_answer(response)
        return response
