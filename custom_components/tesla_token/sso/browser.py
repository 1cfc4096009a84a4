"""The browser path: the person signs in with their own browser and pastes the callback back."""

from __future__ import annotations

from urllib.parse import urlencode

import aiohttp

from .callback import parse_callback
from .const import DEFAULT_TIMEOUT, REDIRECT_URI
from .pkce import Pkce
from .steps import Authorized
from .token_client import exchange_code
from .tokens import TokenSet
from .urls import validate_sso_base


class BrowserLogin:
    """Builds the authorize URL (PKCE + state) and turns the pasted callback into tokens."""

    def __init__(self, sso_base: str, *, redirect_uri: str = REDIRECT_URI) -> None:
        """Prepare a browser sign-in against an SSO base (validated; see validate_sso_base)."""
        self.sso_base = validate_sso_base(sso_base)
        self._redirect_uri = redirect_uri
        self._pkce = Pkce()
        self.authorize_url = f"{self.sso_base}/authorize?{urlencode(self._pkce.authorize_params(redirect_uri))}"

    def parse_callback(self, pasted: str) -> Authorized:
        """Read what the person pasted: the callback URL, bare, quoted or in the console line.

        Raises:
            InvalidCallbackUrl: no callback URL, no code, or a foreign issuer.
            StateMismatch: the callback belongs to another sign-in.
            CallbackError: the callback carries ``error=`` (e.g. login_cancelled).
        """
        return parse_callback(
            pasted,
            state=self._pkce.state,
            redirect_uri=self._redirect_uri,
            trusted_base=self.sso_base,
            default_issuer=self.sso_base,
        )

    async def fetch_tokens(
        self,
        session: aiohttp.ClientSession,
        authorized: Authorized,
        *,
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 - a per-request limit
    ) -> TokenSet:
        """Exchange the pasted code for tokens at ``<issuer>/token`` with this sign-in's verifier."""
        return await exchange_code(
            session,
            authorized,
            verifier=self._pkce.verifier,
            redirect_uri=self._redirect_uri,
            state=self._pkce.state,
            trusted_base=self.sso_base,
            timeout=timeout,
        )
