"""The Tesla SSO client: one object per SSO server, holding the transport its requests take."""

from __future__ import annotations

from typing import Final

import aiohttp

from .api_check import ApiAccess, check_api_access
from .browser import BrowserSignIn
from .const import CLIENT_ID, TESLA_SSO_ORIGINS, Region
from .fleet_api import fleet_api_base
from .password import PasswordSignIn
from .token_endpoint import refresh_tokens
from .tokens import TokenSet
from .transport import AiohttpTransport, Transport
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
        transport: aiohttp.ClientSession | Transport,
        base: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Use this SSO base, and this transport (or aiohttp session) for every request.

        Args:
            transport: how requests go out; an aiohttp session is wrapped in an
                AiohttpTransport with ``timeout`` (a Transport brings its own timeout).
            base: the SSO base (Tesla's or a custom one).
            timeout: seconds each request may take, when ``transport`` is a session.

        Raises:
            TeslaSsoLoginError: INVALID_SERVER_URL, the base cannot be used.
        """
        self.base = validate_sso_base(base)
        self._transport: Transport = (
            AiohttpTransport(transport, timeout)
            if isinstance(transport, aiohttp.ClientSession)
            else transport
        )
        self._custom = origin_of(self.base) not in TESLA_SSO_ORIGINS

    def password_sign_in(self) -> PasswordSignIn:
        """Start the scripted email/password conversation (give this client its own cookie jar)."""
        return PasswordSignIn(self._transport, self.base)

    def browser_sign_in(self) -> BrowserSignIn:
        """Start a sign-in in the person's own browser (its ``authorize_url`` to open)."""
        return BrowserSignIn(self._transport, self.base)

    async def refresh(
        self,
        refresh_token: str,
        *,
        issuer: str | None = None,
        client_id: str | None = None,
    ) -> TokenSet:
        """Get fresh tokens; the answer may carry a new (rotated) refresh token.

        Args:
            refresh_token: the current refresh token; kept when the answer carries none.
            issuer: the SSO base that issued the tokens (None: this base). With Tesla's base
                the request goes to that issuer (global or China); with a custom base it goes
                to the custom base unless the issuer shares its origin.
            client_id: the client id of one's own Fleet API app (None: ``ownerapi``). With
                Tesla's base an app refreshes at the Fleet auth host (``FLEET_AUTH_TOKEN_URL``;
                China: the China issuer's ``/token``), with a custom base as above.

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
            client_id=client_id or CLIENT_ID,
        )

    async def check_api_access(
        self, access_token: str, api_base: str, *, fleet: bool = False
    ) -> ApiAccess:
        """Ask Tesla's API at ``api_base`` whether it accepts this access token.

        Over this client's transport: the same connection kind as its token requests.
        ``fleet``: a Fleet API token, asked about at the Fleet API (``/api/1/users/me``).
        Never raises for Tesla's answers or a failed request (see ``check_api_access``).
        """
        return await check_api_access(
            self._transport, api_base, access_token, fleet=fleet
        )

    async def check_fleet_api_access(
        self, access_token: str, region: Region, api_base: str | None = None
    ) -> ApiAccess:
        """Ask the Fleet API whether it accepts this app token (``/api/1/users/me``).

        ``api_base``: where to ask (a custom server's); None: the account's regional base on
        Tesla's Fleet API (see ``fleet_api_base``); unknown for now, the API is unreachable.
        Never raises for Tesla's answers or a failed request.
        """
        base = api_base or await self.fleet_api_base(access_token, region)
        if base is None:
            return ApiAccess.UNREACHABLE
        return await self.check_api_access(access_token, base, fleet=True)

    async def fleet_api_base(self, access_token: str, region: Region) -> str | None:
        """Return the Fleet API base of the token's account; None when Tesla cannot tell now.

        From the token's ``ou_code``, else Tesla's ``/api/1/users/region``. Never raises.
        """
        return await fleet_api_base(self._transport, access_token, region)
