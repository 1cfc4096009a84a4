"""Why a refresh failed: the errors the coordinator raises, and their short reasons."""

from __future__ import annotations

from typing import Final

from homeassistant.exceptions import HomeAssistantError

from .const import DOMAIN
from .sso import (
    InvalidServerUrl,
    LoginRequired,
    RateLimited,
    ServerError,
    SsoConnectionError,
    TeslaSsoError,
    TransientError,
    UnexpectedResponse,
    WafBlocked,
    WafChallenge,
)

# Reasons of a server that blocks this network for a while: retries wait longer.
BLOCKED_REASONS: Final = frozenset({"rate_limited", "waf_blocked", "waf_challenge"})


class RefreshFailedError(HomeAssistantError):
    """Refreshing failed for now; the stored token stays and retries follow (translated)."""

    def __init__(self, reason: str) -> None:
        """Describe the failure by its short reason (never a token)."""
        super().__init__(
            translation_domain=DOMAIN,
            translation_key="refresh_failed",
            translation_placeholders={"reason": reason},
        )
        self.reason = reason


class TokenRefusedError(HomeAssistantError):
    """Tesla refused the stored tokens: only signing in again helps (translated)."""

    def __init__(self, account: str) -> None:
        """Name the account whose sign-in Tesla no longer accepts."""
        super().__init__(
            translation_domain=DOMAIN,
            translation_key="reauth_required",
            translation_placeholders={"account": account},
        )


class InvalidLifetimeError(Exception):
    """Tesla's answer gives the access token no lifetime (it expires as it is issued)."""


def failure_reason(err: BaseException) -> str:
    """Return a short, secret-free code for why a refresh failed."""
    reasons: tuple[tuple[type[BaseException], str], ...] = (
        (InvalidLifetimeError, "invalid_lifetime"),
        (RateLimited, "rate_limited"),
        (WafBlocked, "waf_blocked"),
        (WafChallenge, "waf_challenge"),
        (ServerError, "server_error"),
        (SsoConnectionError, "connection_error"),
        (UnexpectedResponse, "unexpected_response"),
        (TransientError, "temporary_error"),
        (LoginRequired, "login_required"),
        (InvalidServerUrl, "untrusted_issuer"),
        (TeslaSsoError, "sso_error"),
    )
    for error_type, reason in reasons:
        if isinstance(err, error_type):
            return reason
    return "unknown_error"
