"""The Tesla SSO client: one object per SSO server, holding the session and the timeout."""

from __future__ import annotations

from typing import Final

import aiohttp

from .browser import BrowserSignIn
from .const import TESLA_SSO_ORIGINS
from .password import PasswordSignIn
from .token_endpoint import refresh_tokens
from .tokens import TokenSet
from .transport import Transport
from .urls import origin_of, validate_sso_base

# Seconds each request to the SSO server may take.
DEFAULT_TIMEOUT: Final = 30.0


class TeslaSso:
    """Signs in to and refreshes tokens at one SSO server (Tesla's, or a custom one).

    A base on Tesla's own origins (auth.tesla.com, auth.tesla.cn) is Tesla's; any other
    (a proxy, a local emulator) is custom.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Use this session and SSO base for every request.

        Raises:
            TeslaSsoLoginError: INVALID_SERVER_URL, the base cannot be used.
        """
        self.base = validate_sso_base(base)
        self._transport = Transport(session, timeout)
        self._custom = origin_of(self.base) not in TESLA_SSO_ORIGINS

    def password_sign_in(self) -> PasswordSignIn:
        """Start the scripted email/password conversation (give this client its own cookie jar)."""
        return PasswordSignIn(self._transport, self.base)

    def browser_sign_in(self) -> BrowserSignIn:
        """Start a sign-in in the person's own browser (its ``authorize_url`` to open)."""
        return BrowserSignIn(self._transport, self.base)

    async def refresh(
        self, refresh_token: str, *, issuer: str | None = None
    ) -> TokenSet:
        """Get fresh tokens; the answer may carry a new (rotated) refresh token.

        Args:
            refresh_token: the current refresh token; kept when the answer carries none.
            issuer: the SSO base that issued the tokens (None: this base). With Tesla's base
                the request goes to that issuer (global or China); with a custom base it goes
                to the custom base unless the issuer shares its origin.

        Raises:
            TeslaSsoLoginError: INVALID_SERVER_URL, the issuer is not a trusted SSO server.
            TeslaSsoTokenRefusedError: the refresh token was refused; sign in again.
            TeslaSsoTemporaryError: the server could not answer usefully now.
        """
        return await refresh_tokens(
            self._transport,
            issuer or self.base,
            refresh_token,
            trusted_base=self.base if self._custom else None,
        )
