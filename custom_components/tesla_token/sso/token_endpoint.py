"""The token endpoint: exchanging an authorization code and refreshing tokens."""

from __future__ import annotations

import logging
import time
from typing import Any

from .const import CLIENT_ID, FLEET_AUTH_BASE, SCOPE, SSO_BASES, Region
from .errors import (
    LoginFailure,
    TemporaryFailure,
    TeslaSsoLoginError,
    TeslaSsoTemporaryError,
    TeslaSsoTokenRefusedError,
    error_code,
    logged_error_name,
)
from .pkce import Pkce
from .steps import Authorized
from .tokens import (
    LATEST_EPOCH,
    TokenSet,
    decode_jwt_claims,
    json_seconds,
    number_claim,
)
from .transport import HttpResponse, Transport
from .urls import origin_of, trusted_issuer, trusted_token_issuer, validate_sso_base

_LOGGER = logging.getLogger(__name__)
_REFRESH_REFUSALS = frozenset({"login_required", "invalid_grant"})
# The token endpoint's error names that may show in messages and logs (RFC 6749 5.2, OpenID
# Connect); any other text stays out of them.
_KNOWN_ERRORS = _REFRESH_REFUSALS | {
    "invalid_request",
    "invalid_client",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "interaction_required",
    "consent_required",
    "server_error",
    "temporarily_unavailable",
}


def _error_name(response: HttpResponse) -> str | None:
    """Return the OAuth error name of an error response (``{"error": …}``), if it has one."""
    try:
        return error_code(response.json_object())
    except TeslaSsoTemporaryError:
        return None


def _string(body: dict[str, Any], name: str) -> str | None:
    """Return a non-empty string member of a JSON object, else None."""
    value = body.get(name)
    return value if isinstance(value, str) and value else None


def token_set_from_response(
    body: dict[str, Any],
    *,
    trusted_base: str,
    contacted_base: str | None = None,
    previous_refresh_token: str | None = None,
    app: bool = False,
) -> TokenSet:
    """Build a TokenSet from a /token answer.

    The server that answered is trusted (it was checked before the request), and it has spent
    the code or single-use refresh token: its tokens are kept whatever the access token's
    ``iss`` says. ``iss`` only chooses where the next refresh goes among trusted servers;
    without a trusted one it goes where this request went.

    Args:
        body: the JSON answer.
        trusted_base: the SSO base whose origin (or Tesla's) may issue these tokens.
        contacted_base: the SSO base the request went to (default: ``trusted_base``).
        previous_refresh_token: kept when the answer carries no new refresh token.
        app: tokens of one's own Fleet API app: Tesla's Fleet auth host may issue them too
            (``iss`` = ``<base>/nts``).

    Raises:
        TeslaSsoTemporaryError: UNEXPECTED_RESPONSE, tokens missing or unreadable.
    """
    access_token = _string(body, "access_token")
    refresh_token = _string(body, "refresh_token") or previous_refresh_token
    if access_token is None or refresh_token is None:
        missing = "access_token" if access_token is None else "refresh_token"
        raise TeslaSsoTemporaryError(
            TemporaryFailure.UNEXPECTED_RESPONSE, f"The token response has no {missing}"
        )
    try:
        claims = decode_jwt_claims(access_token)
    except TeslaSsoLoginError as err:
        raise TeslaSsoTemporaryError(
            TemporaryFailure.UNEXPECTED_RESPONSE,
            "The access token in the token response is not a JWT",
        ) from err
    # An empty sub is no account id (TokenSet.subject would refuse it later).
    if not claims.get("sub") or not isinstance(claims["sub"], str):
        raise TeslaSsoTemporaryError(
            TemporaryFailure.UNEXPECTED_RESPONSE, "The access token has no sub claim"
        )
    named = claims.get("iss")
    trust = trusted_token_issuer if app else trusted_issuer
    issuer = trust(named, trusted_base) if isinstance(named, str) else None
    if issuer is None:
        # Not its value: a server's text stays out of the log.
        _LOGGER.debug("The access token names no trusted issuer; keeping the answer")
        issuer = validate_sso_base(contacted_base or trusted_base)
    # Times are anchored on this machine's clock: Tesla's may be off by hours, and a schedule
    # that mixes both clocks refreshes far too early (or too late).
    received_at = time.time()
    lifetime = _lifetime(claims, body, received_at)
    if lifetime is None:
        raise TeslaSsoTemporaryError(
            TemporaryFailure.UNEXPECTED_RESPONSE,
            "The token response gives no usable expiry (exp or expires_in)",
        )
    iat = number_claim(claims, "iat")
    return TokenSet(
        access_token=access_token,
        refresh_token=refresh_token,
        id_token=_string(body, "id_token"),
        # A lifetime <= 0 is kept as it is: the caller decides (the refresh token is spent).
        # The clamp keeps an absurd one a time a datetime can hold.
        expires_at=min(max(received_at + lifetime, 0.0), LATEST_EPOCH),
        issued_at=received_at,
        issuer=issuer,
        clock_offset=None if iat is None else iat - received_at,
        scopes=_granted_scopes(body, claims),
    )


def _granted_scopes(
    body: dict[str, Any], claims: dict[str, Any]
) -> tuple[str, ...] | None:
    """Return the scopes granted; None when the answer does not say.

    The answer's ``scope`` (space separated), else the access token's ``scp``.
    """
    scope, scp = body.get("scope"), claims.get("scp")
    if isinstance(scope, str):
        names = scope.split()
    elif isinstance(scp, list) and all(isinstance(name, str) for name in scp):
        names = scp
    else:
        return None
    return tuple(dict.fromkeys(names))


def _lifetime(
    claims: dict[str, Any], body: dict[str, Any], received_at: float
) -> float | None:
    """Return the access token's lifetime: ``exp - iat``, else ``expires_in``.

    Both come from one clock (Tesla's), so their difference holds whatever that clock says.
    Only a token with ``exp`` and neither ``iat`` nor ``expires_in`` is measured against the
    local clock.
    """
    iat = number_claim(claims, "iat")
    exp = number_claim(claims, "exp")
    if iat is not None and exp is not None:
        return exp - iat
    expires_in = json_seconds(body.get("expires_in"))
    if expires_in is not None:
        return expires_in
    return None if exp is None else exp - received_at


async def exchange_code(
    transport: Transport,
    authorized: Authorized,
    *,
    pkce: Pkce,
    redirect_uri: str,
    trusted_base: str,
) -> TokenSet:
    """Exchange an authorization code at ``<issuer>/token`` with its sign-in's verifier.

    Raises:
        TeslaSsoLoginError: INVALID_CALLBACK_URL (the issuer is not a trusted SSO server),
            CODE_INVALID (the code expired or was already used) or STATE_MISMATCH (the answer
            echoes another sign-in's state).
        TeslaSsoTemporaryError: the server could not answer usefully now.
    """
    issuer = trusted_issuer(authorized.issuer, trusted_base)
    if issuer is None:
        raise TeslaSsoLoginError(
            LoginFailure.INVALID_CALLBACK_URL,
            "The authorization code names an untrusted issuer",
        )
    response = await transport.send(
        "POST",
        f"{issuer}/token",
        json_body={
            "grant_type": "authorization_code",
            "client_id": CLIENT_ID,
            "code": authorized.code,
            "code_verifier": pkce.verifier,
            "redirect_uri": redirect_uri,
        },
    )
    if response.status in (400, 401):
        error = _error_name(response)
        if error == "invalid_grant":
            raise TeslaSsoLoginError(LoginFailure.CODE_INVALID)
        raise TeslaSsoTemporaryError(
            TemporaryFailure.UNEXPECTED_RESPONSE,
            f"The token endpoint refused the code (HTTP {response.status}, "
            f"{logged_error_name(error, _KNOWN_ERRORS)})",
        )
    if response.status != 200:
        raise TeslaSsoTemporaryError(
            TemporaryFailure.UNEXPECTED_RESPONSE,
            f"The token endpoint answered HTTP {response.status}",
        )
    body = response.json_object()
    echoed_state = body.get("state")
    if echoed_state is not None and echoed_state != pkce.state:
        raise TeslaSsoLoginError(
            LoginFailure.STATE_MISMATCH,
            "The token response belongs to a different sign-in attempt",
        )
    return token_set_from_response(
        body, trusted_base=trusted_base, contacted_base=issuer
    )


async def refresh_tokens(
    transport: Transport,
    issuer: str,
    refresh_token: str,
    *,
    trusted_base: str | None = None,
    client_id: str = CLIENT_ID,
) -> TokenSet:
    """Get fresh tokens from the issuing SSO server.

    Args:
        transport: any session (no cookies are needed) and the request timeout.
        issuer: the SSO base of the tokens (the trusted ``iss`` of their access token, else
            the server that issued them).
        refresh_token: the current refresh token; kept when the answer carries none.
        trusted_base: a custom SSO base the issuer may share an origin with; without it only
            Tesla's own SSO servers are trusted. When the issuer is on another origin (a proxy
            in front of Tesla), the refresh goes through the custom server too.
        client_id: ``ownerapi``, or the client id of one's own Fleet API app: with Tesla's
            servers an app refreshes at the Fleet auth host (China: the China SSO base), and
            sends no scope (the grant keeps its scopes).

    Raises:
        TeslaSsoLoginError: INVALID_SERVER_URL, the issuer is not a trusted SSO server.
        TeslaSsoTokenRefusedError: the refresh token was refused; the person must sign in again.
        TeslaSsoTemporaryError: the server could not answer usefully now.
    """
    base = trusted_base if trusted_base is not None else SSO_BASES[Region.GLOBAL]
    app = client_id != CLIENT_ID
    checked_issuer = (trusted_token_issuer if app else trusted_issuer)(issuer, base)
    if checked_issuer is None:
        raise TeslaSsoLoginError(
            LoginFailure.INVALID_SERVER_URL,
            "The token issuer is not a trusted SSO server",
        )
    if trusted_base is not None and origin_of(checked_issuer) != origin_of(base):
        # The person chose this server for a reason (a proxy): refreshes go to it as well.
        checked_issuer = validate_sso_base(base)
    if not app:
        response = await transport.send(
            "POST",
            f"{checked_issuer}/token",
            json_body={
                "grant_type": "refresh_token",
                "client_id": CLIENT_ID,
                "refresh_token": refresh_token,
                "scope": SCOPE,
            },
        )
    else:
        if trusted_base is None and checked_issuer != SSO_BASES[Region.CHINA]:
            # Tesla asks apps to use the Fleet auth host (auth.tesla.com is unreliable for them).
            checked_issuer = FLEET_AUTH_BASE
        # As Tesla documents it: a form, no secret, no scope.
        response = await transport.send(
            "POST",
            f"{checked_issuer}/token",
            form={
                "grant_type": "refresh_token",
                "client_id": client_id,
                "refresh_token": refresh_token,
            },
        )
    if response.status in (400, 401):
        error = _error_name(response)
        if response.status == 401 or error in _REFRESH_REFUSALS:
            _LOGGER.debug(
                "Refresh refused by %s (%s)",
                checked_issuer,
                logged_error_name(error, _KNOWN_ERRORS),
            )
            raise TeslaSsoTokenRefusedError
        raise TeslaSsoTemporaryError(
            TemporaryFailure.UNEXPECTED_RESPONSE,
            "The token endpoint refused the refresh (HTTP 400, "
            f"{logged_error_name(error, _KNOWN_ERRORS)})",
        )
    if response.status != 200:
        raise TeslaSsoTemporaryError(
            TemporaryFailure.UNEXPECTED_RESPONSE,
            f"The token endpoint answered HTTP {response.status}",
        )
    return token_set_from_response(
        response.json_object(),
        trusted_base=base,
        contacted_base=checked_issuer,
        app=app,
        previous_refresh_token=refresh_token,
    )
