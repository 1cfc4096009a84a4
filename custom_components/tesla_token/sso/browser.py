"""The browser sign-in: the person signs in with their own browser and pastes the callback back."""

from __future__ import annotations

from urllib.parse import urlencode

from .callback import parse_callback
from .const import REDIRECT_URI
from .pkce import Pkce
from .steps import Authorized
from .token_endpoint import exchange_code
from .tokens import TokenSet
from .transport import Transport


class BrowserSignIn:
    """Builds the authorize URL (PKCE + state) and turns the pasted callback into tokens.

    Made by ``TeslaSso.browser_sign_in()``; keep it across retries so the link stays valid.
    """

    def __init__(
        self, transport: Transport, sso_base: str, *, redirect_uri: str = REDIRECT_URI
    ) -> None:
        """Prepare a browser sign-in against a validated SSO base."""
        self._transport = transport
        self._sso_base = sso_base
        self._redirect_uri = redirect_uri
        self._pkce = Pkce()
        self.authorize_url = f"{sso_base}/authorize?{urlencode(self._pkce.authorize_params(redirect_uri))}"

    def parse_callback(self, pasted: str) -> Authorized:
        """Read what the person pasted: the callback URL, bare, quoted or in the console line.

        Raises:
            TeslaSsoLoginError: INVALID_CALLBACK_URL (no callback URL, no code, or a foreign
                issuer), STATE_MISMATCH (another sign-in's callback) or CALLBACK_ERROR (the
                callback carries ``error=``, e.g. login_cancelled).
        """
        return parse_callback(
            pasted,
            state=self._pkce.state,
            redirect_uri=self._redirect_uri,
            trusted_base=self._sso_base,
            default_issuer=self._sso_base,
        )

    async def fetch_tokens(self, pasted: str) -> TokenSet:
        """Read the pasted callback and exchange its code at ``<issuer>/token``.

        Raises:
            TeslaSsoLoginError: see ``parse_callback``; CODE_INVALID (the code expired or was
                used) or STATE_MISMATCH (the answer echoes another sign-in's state).
            TeslaSsoTemporaryError: the server could not answer usefully now.
        """
        authorized = self.parse_callback(pasted)
        return await exchange_code(
            self._transport,
            authorized,
            pkce=self._pkce,
            redirect_uri=self._redirect_uri,
            trusted_base=self._sso_base,
        )
