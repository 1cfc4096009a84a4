"""How requests reach Tesla: the Transport protocol, its aiohttp implementation and shared parts.

Every request has a timeout, never follows a redirect, keeps TLS verification on and turns
transport failures and "try again later" answers into TeslaSsoTemporaryError. Another
implementation (the integration's httpx one) reuses ``body_limit``, ``HttpResponse``,
``too_large_error``, ``cut_short_error``, ``connection_error`` and ``raise_for_transient_answer``
so that every transport keeps the same contract. Nothing here logs headers, bodies or queries.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
import json
import logging
from ssl import SSLContext
import time
from typing import Any, Final, Protocol
from urllib.parse import urlsplit

import aiohttp

from .errors import TemporaryFailure, TeslaSsoTemporaryError
from .pages import is_waf_challenge

_LOGGER = logging.getLogger(__name__)

# The most of an answer read, by its content type: far above anything Tesla sends, far below
# what hurts. Bodies are counted after decompression, so a small gzip bomb stops here too.
PAGE_LIMIT: Final = 1024 * 1024
JSON_LIMIT: Final = 64 * 1024
IMAGE_LIMIT: Final = 256 * 1024


def body_limit(content_type: str) -> int:
    """The most bytes read of an answer with this (lower-case, parameter-free) content type."""
    if content_type == "application/json" or content_type.endswith("+json"):
        return JSON_LIMIT
    if content_type.startswith("image/"):
        return IMAGE_LIMIT
    return PAGE_LIMIT  # pages, and answers that name no type or an odd one


def too_large_error(method: str, path: str, limit: int) -> TeslaSsoTemporaryError:
    """The error of an answer larger than its content type allows (UNEXPECTED_RESPONSE)."""
    _LOGGER.debug("%s %s: answer larger than %d bytes", method, path, limit)
    # Not the content type: the server's text stays out of messages.
    return TeslaSsoTemporaryError(
        TemporaryFailure.UNEXPECTED_RESPONSE,
        f"{method} {path} answered more than {limit} bytes",
    )


def cut_short_error(method: str, path: str) -> TeslaSsoTemporaryError:
    """The error of an answer whose body broke off or could not be decoded."""
    _LOGGER.debug("%s %s: response body cut short", method, path)
    return TeslaSsoTemporaryError(
        TemporaryFailure.UNEXPECTED_RESPONSE,
        f"{method} {path}: the response body was cut short",
    )


def connection_error(
    method: str, path: str, err: BaseException
) -> TeslaSsoTemporaryError:
    """The error of a request that could not reach the server, timed out or was dropped.

    Only the error's class is kept in the message: its text may name the URL with its query.
    """
    _LOGGER.debug("%s %s failed: %s", method, path, type(err).__name__)
    return TeslaSsoTemporaryError(
        TemporaryFailure.CONNECTION_ERROR,
        f"Cannot reach the SSO server ({type(err).__name__} on {method} {path})",
    )


async def _read_body(resp: aiohttp.ClientResponse, method: str, path: str) -> bytes:
    """Read the (decompressed) body chunk by chunk, stopping as soon as it is too large.

    Raises:
        TeslaSsoTemporaryError: UNEXPECTED_RESPONSE, the body is larger than its type allows.
    """
    limit = body_limit(resp.content_type)
    chunks: list[bytes] = []
    size = 0
    # aiohttp decompresses only as fast as this loop reads, so memory stays near the limit.
    async for chunk in resp.content.iter_any():
        size += len(chunk)
        if size > limit:
            resp.close()  # drop the connection instead of reading (or inflating) the rest
            raise too_large_error(method, path, limit)
        chunks.append(chunk)
    return b"".join(chunks)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Return the seconds a Retry-After header asks to wait (delta-seconds or HTTP date)."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # delay-seconds is digits only (RFC 9110)
        return float(int(value))
    try:
        when = parsedate_to_datetime(value)
    except TypeError, ValueError, IndexError:
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


@dataclass(frozen=True)
class HttpResponse:
    """A fully read response; its repr shows no body (it may hold tokens)."""

    method: str
    url: str = field(repr=False)  # the query holds the state
    status: int
    headers: Mapping[str, str] = field(repr=False)
    body: bytes = field(repr=False)

    @property
    def path(self) -> str:
        """The request path without the query (safe to log)."""
        return urlsplit(self.url).path

    @property
    def location(self) -> str | None:
        """The Location header of a redirect, if any."""
        return self.headers.get("Location")

    def text(self) -> str:
        """The body as text (UTF-8, invalid bytes replaced)."""
        return self.body.decode("utf-8", errors="replace")

    def json_object(self) -> dict[str, Any]:
        """The body as a JSON object.

        Raises:
            TeslaSsoTemporaryError: UNEXPECTED_RESPONSE, the body is not (complete) JSON or
                not an object.
        """
        try:
            data = json.loads(self.body)
        # RecursionError: nesting too deep for the parser (a hostile or broken server).
        except (ValueError, RecursionError) as err:
            raise TeslaSsoTemporaryError(
                TemporaryFailure.UNEXPECTED_RESPONSE,
                f"{self.method} {self.path} answered HTTP {self.status} without valid JSON",
            ) from err
        if not isinstance(data, dict):
            raise TeslaSsoTemporaryError(
                TemporaryFailure.UNEXPECTED_RESPONSE,
                f"{self.method} {self.path} answered JSON that is not an object",
            )
        return data


class Transport(Protocol):
    """How requests reach the server: one request in, one fully read answer out."""

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
        """Send one request and read the whole answer (up to its content type's limit).

        Never follows a redirect; verifies TLS.

        Raises:
            TeslaSsoTemporaryError: CONNECTION_ERROR (the server could not be reached, timed out or
                dropped the connection), RATE_LIMITED (HTTP 429, with the parsed Retry-After),
                SERVER_ERROR (HTTP 5xx), WAF_BLOCKED (HTTP 403 from Akamai's firewall),
                WAF_CHALLENGE (Akamai's JavaScript challenge page) or UNEXPECTED_RESPONSE (the body
                was cut short or too large for its content type).
        """
        ...


@dataclass(frozen=True)
class AiohttpTransport:
    """Requests over an aiohttp session, each with this timeout and TLS setting.

    ``ssl`` is passed with every request: True verifies with the session's own context, an
    SSLContext replaces it (e.g. one capped at TLS 1.2). aiohttp pools connections per context.
    """

    session: aiohttp.ClientSession
    timeout: float
    ssl: SSLContext | bool = True

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
        """Send one request and read the whole answer; see ``Transport.send``."""
        path = urlsplit(url).path
        try:
            async with self.session.request(
                method,
                url,
                params=params,
                data=form,
                json=json_body,
                headers=headers,
                allow_redirects=False,
                ssl=self.ssl,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            ) as resp:
                body = await _read_body(resp, method, path)
                response = HttpResponse(
                    method, str(resp.url), resp.status, resp.headers, body
                )
        except aiohttp.ClientPayloadError as err:
            raise cut_short_error(method, path) from err
        except (aiohttp.ClientError, TimeoutError) as err:
            raise connection_error(method, path, err) from err
        _LOGGER.debug("%s %s -> %s", method, path, response.status)
        raise_for_transient_answer(response)
        return response


def raise_for_transient_answer(response: HttpResponse) -> None:
    """Raise the temporary error an answer means (429, 5xx, WAF block or challenge), if any."""
    status = response.status
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        raise TeslaSsoTemporaryError(
            TemporaryFailure.RATE_LIMITED,
            f"Tesla SSO rate-limited {response.method} {response.path} (HTTP 429)",
            retry_after=retry_after,
        )
    if status >= 500:
        raise TeslaSsoTemporaryError(
            TemporaryFailure.SERVER_ERROR,
            f"Tesla SSO answered HTTP {status} to {response.method} {response.path}",
        )
    if status == 403 and "akamaighost" in response.headers.get("Server", "").lower():
        raise TeslaSsoTemporaryError(TemporaryFailure.WAF_BLOCKED)
    if is_waf_challenge(response.text()):
        raise TeslaSsoTemporaryError(TemporaryFailure.WAF_CHALLENGE)
