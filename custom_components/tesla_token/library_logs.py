"""Keeping the HTTP libraries under httpx from logging secrets.

httpx logs each request's URL, query included, at INFO (a sign-in's query holds its state);
httpcore logs the request and response headers at DEBUG (Authorization, Set-Cookie, a Location
with the authorization code), and hpack every header it codes. h2 logs nothing unless handed a
logger (httpcore hands none). The filters below sit on exactly those loggers: a logger's filter
sees the records logged to it, not those of its children, so each is named.
"""

from __future__ import annotations

import logging
from typing import Final

import httpx

# httpcore's loggers: each trace record names the step first, e.g.
# "receive_response_headers.complete return_value=(b'HTTP/1.1', 302, b'Found', [...])".
HTTPCORE_LOGGERS: Final = (
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)
HPACK_LOGGERS: Final = ("hpack.hpack", "hpack.table")
HTTPX_LOGGER: Final = "httpx"


def _without_query(value: object) -> object:
    """An httpx URL without its query, fragment and credentials; anything else as it is."""
    if isinstance(value, httpx.URL):
        return str(value.copy_with(query=None, fragment=None, userinfo=b""))
    return value


class _HttpxFilter(logging.Filter):
    """Keeps httpx's request lines, with each URL's query and credentials cut off."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the URL arguments; drop a record whose text could still hold a query."""
        if isinstance(record.args, tuple):
            record.args = tuple(_without_query(arg) for arg in record.args)
        try:
            message = record.getMessage()
        except TypeError, ValueError:  # a broken record: nothing worth the risk
            return False
        return "?" not in message


class _HttpcoreFilter(logging.Filter):
    """Drops httpcore's header steps (their values: tokens, cookies, codes); keeps the rest."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep only records that cannot carry a header, URL or body."""
        message = record.getMessage()
        step = message.partition(" ")[0]
        return "headers" not in step and "b'" not in message


class _DropAll(logging.Filter):
    """Drops every record (hpack logs nothing but the headers it codes)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Never keep a record."""
        return False


_FILTERS: Final[dict[str, logging.Filter]] = {
    HTTPX_LOGGER: _HttpxFilter(),
    **dict.fromkeys(HTTPCORE_LOGGERS, _HttpcoreFilter()),
    **dict.fromkeys(HPACK_LOGGERS, _DropAll()),
}


def install_library_log_filters() -> None:
    """Put the filters on the libraries' loggers (once: filters are kept by identity)."""
    for name, log_filter in _FILTERS.items():
        logger = logging.getLogger(name)
        if log_filter not in logger.filters:
            logger.addFilter(log_filter)
