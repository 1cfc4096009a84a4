"""Why a refresh failed: the errors the coordinator raises, and their short reasons."""

from __future__ import annotations

from homeassistant.exceptions import HomeAssistantError

from .const import DOMAIN
from .sso import (
    LoginFailure,
    TeslaSsoError,
    TeslaSsoLoginError,
    TeslaSsoTemporaryError,
    TeslaSsoTokenRefusedError,
)


class _TranslatedRefreshError(HomeAssistantError):
    """A refresh error whose message comes from the translations."""

    def __init__(self, translation_key: str, **placeholders: str) -> None:
        """Name the message and its placeholders (never a token)."""
        super().__init__(
            translation_domain=DOMAIN,
            translation_key=translation_key,
            translation_placeholders=placeholders,
        )


class RefreshFailedError(_TranslatedRefreshError):
    """Refreshing failed for now; the stored token stays and retries follow."""

    def __init__(self, reason: str) -> None:
        """Describe the failure by its short reason."""
        super().__init__("refresh_failed", reason=reason)
        self.reason = reason


class TokenRefusedError(_TranslatedRefreshError):
    """Tesla refused the stored tokens: only signing in again helps."""

    def __init__(self, account: str) -> None:
        """Name the account whose sign-in Tesla no longer accepts."""
        super().__init__("reauth_required", account=account)


class InvalidLifetimeError(Exception):
    """Tesla's answer gives the access token no lifetime (it expires as it is issued)."""


def failure_reason(err: BaseException) -> str:
    """Return a short, secret-free code for why a refresh failed (shown in events, state)."""
    if isinstance(err, InvalidLifetimeError):
        return "invalid_lifetime"
    if isinstance(err, TeslaSsoTemporaryError):
        return err.reason.value
    if isinstance(err, TeslaSsoTokenRefusedError):
        return "login_required"
    if isinstance(err, TeslaSsoLoginError) and (
        err.reason is LoginFailure.INVALID_SERVER_URL
    ):
        return "untrusted_issuer"
    if isinstance(err, TeslaSsoError):
        return "sso_error"
    return "unknown_error"
