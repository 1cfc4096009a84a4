"""Home Assistant's OAuth2 with PKCE for the person's own Tesla app: Fleet API tokens.

The application credential (client id and secret of an app registered on developer.tesla.com)
becomes a ``FleetImplementation``. Home Assistant makes a new one for every flow, so a flow may
point it at the sign-in server, scopes and connection it chose without touching any other flow.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, Final, override

import aiohttp
from homeassistant.components.application_credentials import ClientCredential
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import (
    OAuth2TokenRequestConnectionError,
    OAuth2TokenRequestError,
    OAuth2TokenRequestReauthError,
)
from homeassistant.helpers.config_entry_oauth2_flow import (
    AbstractOAuth2Implementation,
    LocalOAuth2ImplementationWithPkce,
)
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from .const import LOGGER
from .flow_input import ServerChoice
from .flow_schemas import DEFAULT_SCOPES, FIXED_SCOPES, OPTIONAL_SCOPES
from .sso import Region, TeslaSsoError, TokenSet, Transport
from .sso.const import FLEET_API_BASES, FLEET_AUTH_TOKEN_URL, SSO_BASES
from .sso.fleet_api import fleet_api_base
from .sso.token_endpoint import token_set_from_response

_USERS_ME_PATH: Final = "/api/1/users/me"


def requested_scopes(chosen: Iterable[str]) -> tuple[str, ...]:
    """The scopes to ask for: the fixed ones, then the chosen ones in Tesla's order."""
    wanted = set(chosen)
    return (*FIXED_SCOPES, *(scope for scope in OPTIONAL_SCOPES if scope in wanted))


def chosen_scopes(requested: Iterable[str]) -> list[str]:
    """The choosable part of requested scopes (what the form shows ticked)."""
    return [scope for scope in requested if scope in OPTIONAL_SCOPES]


@dataclass(frozen=True)
class FleetEndpoints:
    """Where a Fleet sign-in goes: authorize and token URLs, and the token's audience."""

    authorize_url: str
    token_url: str
    audience: str  # the Fleet API base the tokens are for

    @property
    def token_base(self) -> str:
        """The base of the token URL: the tokens' issuer, where refreshes go."""
        return self.token_url.removesuffix("/token")

    @classmethod
    def for_server(cls, server: ServerChoice) -> FleetEndpoints:
        """Tesla's hosts for the region, or the custom sign-in server for all of it.

        A custom server (the emulator, a proxy) serves ``<base>/authorize`` and
        ``<base>/token``; its API server (``api_base``) is the audience.
        """
        if server.auth_url:
            return cls(
                f"{server.auth_url}/authorize",
                f"{server.auth_url}/token",
                server.api_base,
            )
        if server.region is Region.CHINA:
            base = SSO_BASES[Region.CHINA]
            return cls(f"{base}/authorize", f"{base}/token", FLEET_API_BASES["cn"])
        return cls(
            f"{SSO_BASES[Region.GLOBAL]}/authorize",
            FLEET_AUTH_TOKEN_URL,
            FLEET_API_BASES["na"],
        )


class FleetImplementation(LocalOAuth2ImplementationWithPkce):
    """PKCE sign-in with the person's own Tesla app (an application credential)."""

    def __init__(
        self, hass: HomeAssistant, auth_domain: str, credential: ClientCredential
    ) -> None:
        """Use the credential's app with Tesla's worldwide hosts until a flow says otherwise."""
        endpoints = FleetEndpoints.for_server(ServerChoice(Region.GLOBAL))
        super().__init__(
            hass,
            auth_domain,
            credential.client_id,
            endpoints.authorize_url,
            endpoints.token_url,
            credential.client_secret,
        )
        self._name = credential.name or credential.client_id
        self.endpoints = endpoints
        self.scopes: tuple[str, ...] = requested_scopes(DEFAULT_SCOPES)
        # The flow's connection to Tesla; None: Home Assistant's shared session.
        self._transport: Transport | None = None

    @property
    @override
    def name(self) -> str:
        """The credential's name (else the app's client id) in Home Assistant's app picker."""
        return self._name

    def prepare(
        self,
        endpoints: FleetEndpoints,
        scopes: Iterable[str],
        transport: Transport,
    ) -> None:
        """Sign in at these endpoints with these scopes, over this connection."""
        self.endpoints = endpoints
        self.authorize_url = endpoints.authorize_url
        self.token_url = endpoints.token_url
        self.scopes = tuple(scopes)
        self._transport = transport

    @property
    @override
    def extra_authorize_data(self) -> dict[str, Any]:
        """PKCE (the parent's), the scopes, and Tesla's page for scopes not yet granted."""
        return {
            **super().extra_authorize_data,
            "scope": " ".join(self.scopes),
            "prompt_missing_scopes": "true",
        }

    @property
    @override
    def extra_token_resolve_data(self) -> dict[str, Any]:
        """The verifier (the parent's) and the Fleet API base Tesla requires as audience."""
        return {**super().extra_token_resolve_data, "audience": self.endpoints.audience}

    @override
    async def _token_request(self, data: dict[str, Any]) -> dict[str, Any]:
        """Ask the token endpoint over the flow's connection; errors as Home Assistant's.

        The answer is checked as the other sign-in paths check theirs, and its
        ``expires_in`` is set from the token's lifetime: Home Assistant logs a whole answer
        that lacks it.

        Raises:
            OAuth2TokenRequestReauthError: Tesla refused the request (4xx, e.g. a wrong secret).
            OAuth2TokenRequestError: another unexpected status.
            OAuth2TokenRequestConnectionError: no usable answer (network, 429, 5xx, odd body).
        """
        if self._transport is None:
            return await super()._token_request(data)
        # Application credentials always have a secret; Tesla requires it for the exchange.
        form = {
            **data,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }
        try:
            response = await self._transport.send("POST", self.token_url, form=form)
            if response.status == 200:
                body = response.json_object()
                tokens = read_tokens(body, self.endpoints).tokens
                return {**body, "expires_in": round(tokens.lifetime)}
        except TeslaSsoError as err:
            LOGGER.debug("Fleet token request failed: %s", err)
            raise OAuth2TokenRequestConnectionError(domain=self.domain) from err
        LOGGER.debug("Fleet token request answered HTTP %s", response.status)
        error_class = (
            OAuth2TokenRequestReauthError
            if 400 <= response.status < 500
            else OAuth2TokenRequestError
        )
        url = URL(self.token_url)
        raise error_class(
            domain=self.domain,
            status=response.status,
            request_info=aiohttp.RequestInfo(
                url, "POST", CIMultiDictProxy(CIMultiDict()), url
            ),
        )


def fleet_implementation(
    implementation: AbstractOAuth2Implementation,
) -> FleetImplementation:
    """The flow's implementation, which this integration's credentials always make.

    Raises:
        TypeError: another integration registered an implementation for this domain.
    """
    if not isinstance(implementation, FleetImplementation):
        raise TypeError(f"Not a Tesla app credential: {type(implementation).__name__}")
    return implementation


@dataclass(frozen=True)
class FleetTokens:
    """The tokens of a Fleet sign-in and the scopes Tesla granted."""

    tokens: TokenSet
    scopes_granted: tuple[str, ...]


def read_tokens(body: dict[str, Any], endpoints: FleetEndpoints) -> FleetTokens:
    """Read a token answer as every path does (times anchored on this machine's clock).

    The issuer stored is the token endpoint's base: refreshes go there, whatever the access
    token's ``iss`` (``…/nts``) names.

    Raises:
        TeslaSsoTemporaryError: UNEXPECTED_RESPONSE, tokens missing or unreadable.
    """
    tokens = token_set_from_response(body, trusted_base=endpoints.token_base, app=True)
    return FleetTokens(
        replace(tokens, issuer=endpoints.token_base), tokens.scopes or ()
    )


async def async_account_email(
    transport: Transport, server: ServerChoice, access_token: str
) -> str | None:
    """The account's email from the Fleet API's ``users/me`` (needs ``user_data``).

    For tokens whose id_token names none. Asked at the custom server's API, or at the
    account's regional base of Tesla's Fleet API. Never raises: no answer is no email.
    """
    api_base = (
        server.api_base
        if server.auth_url
        else await fleet_api_base(transport, access_token, server.region)
    )
    if api_base is None:
        return None
    try:
        response = await transport.send(
            "GET",
            f"{api_base}{_USERS_ME_PATH}",
            headers={"Authorization": f"Bearer {access_token}"},
        )
        if response.status != 200:
            LOGGER.debug("Fleet users/me answered HTTP %s", response.status)
            return None
        account = response.json_object().get("response")
    except TeslaSsoError as err:
        LOGGER.debug("Fleet users/me failed: %s", err)
        return None
    email = account.get("email") if isinstance(account, dict) else None
    return email if isinstance(email, str) and email else None


def fleet_unique_id(client_id: str, subject: str) -> str:
    """The unique id of a Fleet API entry: one per app and account.

    Never an Owner API entry's (the bare account id): both kinds of one account coexist.
    """
    return f"fleet:{client_id}:{subject}"
