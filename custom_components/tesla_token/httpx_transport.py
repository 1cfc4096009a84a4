"""Requests over httpx (HTTP/2 when the server offers it), with the SSO transport's contract.

The same caps, errors and "try again later" answers as the aiohttp transport (sso/transport.py):
never follows a redirect, stops reading an answer past its content type's limit and turns every
failure into TeslaSsoTemporaryError. Logs the method and path only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
import logging
from typing import Any
from urllib.parse import urlsplit

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


async def _read_body(response: httpx.Response, method: str, path: str) -> bytes:
    """Read the (decompressed) body chunk by chunk, stopping as soon as it is too large.

    Raises:
        TeslaSsoTemporaryError: UNEXPECTED_RESPONSE, the body is larger than its type allows.
    """
    limit = body_limit(_media_type(response.headers))
    chunks: list[bytes] = []
    size = 0
    # httpx decompresses chunk by chunk as this loop reads, so memory stays near the limit.
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            raise too_large_error(method, path, limit)  # leaving the stream closes it
        chunks.append(chunk)
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
                    headers=headers,
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
