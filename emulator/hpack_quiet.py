"""Keeping hpack's DEBUG log, which shows every header value it codes, quiet where asked.

hpack (under h2 and httpx's HTTP/2) logs header names and values at DEBUG: cookies and
`Authorization: Bearer …` included. The emulator's side of a conversation is Tesla's, not the
client's: it runs its HTTP/2 coding under `hpack_quiet()`; a client is left to answer for its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
import contextlib
import contextvars
import functools
import logging

_HPACK_QUIET = contextvars.ContextVar("emulator_hpack_quiet", default=False)


class _QuietHpack(logging.Filter):
    """Drops hpack's records while `hpack_quiet()` is in force."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep the record unless this context asked for quiet."""
        return not _HPACK_QUIET.get()


_QUIET_FILTER = _QuietHpack()
for _name in ("hpack.hpack", "hpack.table"):
    logging.getLogger(_name).addFilter(_QUIET_FILTER)


@contextlib.contextmanager
def hpack_quiet() -> Iterator[None]:
    """Keep hpack's DEBUG records (header values: cookies, tokens) out of the log in this context."""
    token = _HPACK_QUIET.set(True)
    try:
        yield
    finally:
        _HPACK_QUIET.reset(token)


def quiet[**P, R](method: Callable[P, R]) -> Callable[P, R]:
    """Run `method` under hpack_quiet()."""

    @functools.wraps(method)
    def quieted(*args: P.args, **kwargs: P.kwargs) -> R:
        with hpack_quiet():
            return method(*args, **kwargs)

    return quieted
