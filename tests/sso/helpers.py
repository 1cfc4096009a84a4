"""Helpers of the SSO client tests: which error a call raises, a sign-in that only parses,
requests to Tesla's hosts carried to the emulator."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import urlsplit

import aiohttp
import pytest

from custom_components.tesla_token.sso import (
    AiohttpTransport,
    BrowserSignIn,
    HttpResponse,
    LoginFailure,
    TemporaryFailure,
    TeslaSso,
    TeslaSsoError,
    TeslaSsoLoginError,
    TeslaSsoTemporaryError,
)
from emulator import Emulator


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


@dataclass
class ToEmulator:
    """A transport that sends every request to the emulator's origin instead of Tesla's."""

    emulator: Emulator
    session: aiohttp.ClientSession
    asked: list[str] = field(default_factory=list)

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
        self.asked.append(url)
        parts = urlsplit(url)
        return await AiohttpTransport(self.session, 30).send(
            method,
            f"{self.emulator.base_url}{parts.path}",
            params=params,
            form=form,
            json_body=json_body,
            headers=headers,
        )
