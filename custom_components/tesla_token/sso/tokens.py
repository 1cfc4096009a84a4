"""Facts about tokens, read without verifying signatures."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from enum import StrEnum
import json
import re
from typing import Any
from urllib.parse import urlsplit

from .const import FLEET_ISSUER_SUFFIX
from .errors import LoginFailure, TeslaSsoLoginError

_LEGACY_EXCHANGED = re.compile(r"(?:qts|eu|cn)-[0-9a-fA-F]{64}")
_V2 = re.compile(r"[0-9a-fA-F]{64}")
_SSO_BASE_PATH = "/oauth2/v3"
# 9999-12-31 23:59:59 UTC, the last second a datetime can hold.
LATEST_EPOCH = 253402300799.0


class TokenKind(StrEnum):
    """What kind of Tesla token a string is."""

    OWNER_API = "owner_api"
    FLEET_API = "fleet_api"
    LEGACY_EXCHANGED = "legacy_exchanged"
    V2 = "v2"
    UNKNOWN = "unknown"


def decode_jwt_claims(token: str) -> dict[str, Any]:
    """Return the claims of a JWT without checking its signature.

    Raises:
        TeslaSsoLoginError: INVALID_TOKEN, the string is not a JWT with a JSON object as payload.
    """
    parts = token.strip().split(".")
    if len(parts) != 3 or not parts[1]:
        raise TeslaSsoLoginError(
            LoginFailure.INVALID_TOKEN, "Not a JWT (expected three dot-separated parts)"
        )
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
    # RecursionError: nesting too deep for the parser.
    except (binascii.Error, UnicodeError, ValueError, RecursionError) as err:
        raise TeslaSsoLoginError(
            LoginFailure.INVALID_TOKEN, "The JWT payload is not base64url-encoded JSON"
        ) from err
    if not isinstance(claims, dict):
        raise TeslaSsoLoginError(
            LoginFailure.INVALID_TOKEN, "The JWT payload is not a JSON object"
        )
    return claims


def token_kind(token: str) -> TokenKind:
    """Recognise a Tesla token by its shape (and, for JWTs, its issuer and azp claims)."""
    token = token.strip()
    if _LEGACY_EXCHANGED.fullmatch(token):
        return TokenKind.LEGACY_EXCHANGED
    if _V2.fullmatch(token):
        return TokenKind.V2
    try:
        claims = decode_jwt_claims(token)
    except TeslaSsoLoginError:
        return TokenKind.UNKNOWN
    issuer = claims.get("iss")
    issuer_path = urlsplit(issuer).path.rstrip("/") if isinstance(issuer, str) else ""
    if issuer_path.endswith(FLEET_ISSUER_SUFFIX):
        return TokenKind.FLEET_API
    if claims.get("azp") == "ownerapi" or issuer_path.endswith(_SSO_BASE_PATH):
        return TokenKind.OWNER_API
    return TokenKind.UNKNOWN


def json_seconds(value: Any) -> float | None:
    """Return a JSON number of seconds of either sign, or None when it is no usable number.

    JSON puts no limit on numbers: infinity, NaN and values past the year 9999 (or beyond
    float) are no time anyone can schedule, so they count as missing.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        seconds = float(value)
    except OverflowError:  # an integer beyond float's range
        return None
    return (
        seconds if -LATEST_EPOCH <= seconds <= LATEST_EPOCH else None
    )  # NaN fails both


def usable_seconds(value: Any) -> float | None:
    """Return a JSON number of seconds that is a time (not negative), else None."""
    seconds = json_seconds(value)
    return seconds if seconds is not None and seconds >= 0 else None


def number_claim(claims: dict[str, Any], name: str) -> float | None:
    """Return a time claim (``exp``, ``iat``), or None when missing or not a usable time."""
    return usable_seconds(claims.get(name))


def token_issued_at(token: str) -> float | None:
    """When a JWT was issued (its ``iat``, by the issuer's clock); None when it does not say."""
    return number_claim(_claims_or_empty(token), "iat")


def _claims_or_empty(token: str | None) -> dict[str, Any]:
    """Return a JWT's claims, or an empty dict for a missing or opaque token."""
    if not token:
        return {}
    try:
        return decode_jwt_claims(token)
    except TeslaSsoLoginError:
        return {}


@dataclass(frozen=True)
class TokenSet:
    """The tokens of one signed-in account; its repr never shows a token.

    `issued_at` and `expires_at` are times of this machine's clock (when the answer arrived, and
    that plus the token's lifetime), whatever Tesla's clock says.
    """

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    id_token: str | None = field(repr=False)
    expires_at: float
    issued_at: float
    issuer: str
    # Seconds Tesla's clock was ahead of this one (its ``iat`` minus the local arrival time);
    # None when the access token carries no ``iat``.
    clock_offset: float | None = None
    # The scopes granted (the answer's ``scope``, else the access token's ``scp``); None when
    # neither says.
    scopes: tuple[str, ...] | None = None

    @property
    def subject(self) -> str:
        """The account's stable id (access token ``sub``).

        Raises:
            TeslaSsoLoginError: INVALID_TOKEN, the access token has no ``sub``.
        """
        subject = _claims_or_empty(self.access_token).get("sub")
        if not isinstance(subject, str) or not subject:
            raise TeslaSsoLoginError(
                LoginFailure.INVALID_TOKEN, "The access token has no subject"
            )
        return subject

    @property
    def email(self) -> str | None:
        """The account's email address from the id_token, when there is one."""
        email = _claims_or_empty(self.id_token).get("email")
        return email if isinstance(email, str) and email else None

    @property
    def lifetime(self) -> float:
        """Seconds between issue and expiry of the access token."""
        return self.expires_at - self.issued_at

    @property
    def refresh_token_issued_at(self) -> float | None:
        """When the refresh token was issued (its ``iat``), if it says."""
        return token_issued_at(self.refresh_token)
