"""Helpers of the SSO client tests: which error a call raises, a sign-in that only parses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast

import aiohttp
import pytest

from custom_components.tesla_token.sso import (
    BrowserSignIn,
    LoginFailure,
    TemporaryFailure,
    TeslaSso,
    TeslaSsoError,
    TeslaSsoLoginError,
    TeslaSsoTemporaryError,
)


@contextmanager
def raises_sso(
    reason: LoginFailure | TemporaryFailure, match: str | None = None
) -> Iterator[pytest.ExceptionInfo[TeslaSsoError]]:
    """Like pytest.raises, for the SSO error of this reason (a login or a temporary one)."""
    error_type: type[TeslaSsoLoginError | TeslaSsoTemporaryError] = (
        TeslaSsoLoginError
        if isinstance(reason, LoginFailure)
        else TeslaSsoTemporaryError
    )
    with pytest.raises(error_type, match=match) as info:
        yield info  # type: ignore[misc]
    assert info.value.reason is reason, f"{info.value.reason} is not {reason}"


# Parsing a pasted callback sends no request: a sign-in that only parses needs no session.
_NO_SESSION = cast("aiohttp.ClientSession", None)


def offline_browser_sign_in(base: str) -> BrowserSignIn:
    """A browser sign-in whose pasted callbacks are only parsed, never exchanged."""
    return TeslaSso(_NO_SESSION, base).browser_sign_in()
