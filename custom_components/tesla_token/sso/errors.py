"""Errors raised by the Tesla SSO client.

No message or attribute ever holds a secret (password, token, code, verifier, captcha answer).
"""

# The class names are fixed by the shared contract (docs: sso_api.md), hence no Error suffix.
# ruff: noqa: N818

from __future__ import annotations

from collections.abc import Collection
import re


def logged_error_name(
    name: str | None, known: Collection[str], pattern: re.Pattern[str] | None = None
) -> str:
    """A server's error name as messages and logs may show it, else "unknown".

    The name is the server's text: it could be anything, even a secret it echoes back. Only a
    known name passes, or one of a shape no secret has (``pattern``, matched in full).
    """
    if name is None:
        return "no error name"
    if name in known or (pattern is not None and pattern.fullmatch(name)):
        return name
    return "unknown"


class TeslaSsoError(Exception):
    """Base class of every error the SSO client raises."""

    default_message = "Tesla SSO error"

    def __init__(self, message: str | None = None) -> None:
        """Create the error with a secret-free message (or the class default)."""
        super().__init__(message or self.default_message)


class InvalidServerUrl(TeslaSsoError):
    """The SSO server URL is not usable (not https, or http on a non-loopback host)."""

    default_message = "Invalid SSO server URL"


class InvalidToken(TeslaSsoError):
    """Not a token this client can read."""

    default_message = "Not a readable token"


class LoginError(TeslaSsoError):
    """A sign-in problem the person has to fix."""

    default_message = "Sign-in failed"


class InvalidCredentials(LoginError):
    """Wrong email address or password (HTTP 401)."""

    default_message = "Wrong email address or password"


class AccountLocked(LoginError):
    """The account is locked after too many failed attempts."""

    default_message = "The Tesla account is locked; reset the password"


class CaptchaInvalid(LoginError):
    """The captcha answer did not match; fetch a new image and try again."""

    default_message = "The captcha answer did not match"


class RecaptchaRequired(LoginError):
    """Tesla asks for Google reCAPTCHA, which only a real browser can pass."""

    default_message = "Tesla requires reCAPTCHA; sign in with a browser instead"


class MfaCodeInvalid(LoginError):
    """The multi-factor passcode is wrong."""

    default_message = "The passcode is wrong"


class MfaTooManyAttempts(LoginError):
    """Too many wrong multi-factor passcodes."""

    default_message = "Too many wrong passcodes"


class MfaCodeReplayed(LoginError):
    """The multi-factor passcode was used recently; wait for the next one."""

    default_message = "This passcode was used recently; wait for the next one"


class MfaExpired(LoginError):
    """The multi-factor challenge expired; start the sign-in again."""

    default_message = "The passcode request expired; sign in again"


class BackupCodeInvalid(LoginError):
    """The backup code is wrong or already used."""

    default_message = "The backup code is wrong"


class BackupCodeLocked(LoginError):
    """Backup codes are locked after too many wrong attempts."""

    default_message = "Backup codes are locked after too many attempts"


class RedirectUriRefused(LoginError):
    """Tesla refuses the redirect_uri for this client_id."""

    default_message = "Tesla refused the redirect URI for this client"


class InvalidCallbackUrl(LoginError):
    """The callback URL is not one this sign-in can use."""

    default_message = "Not a valid callback URL"


class StateMismatch(LoginError):
    """The callback or token response belongs to another sign-in (state differs)."""

    default_message = "The callback belongs to a different sign-in attempt"


class CallbackError(LoginError):
    """The callback carries ``error=`` (for example ``login_cancelled``)."""

    default_message = "The sign-in was not completed"

    def __init__(self, error: str, message: str | None = None) -> None:
        """Keep the OAuth error name (a short, non-secret word)."""
        self.error = error
        super().__init__(message or f"The sign-in ended with error {error!r}")


class AuthorizationCodeInvalid(LoginError):
    """The authorization code expired or was already used."""

    default_message = "The authorization code expired or was already used"


class LoginRequired(TeslaSsoError):
    """The refresh token was refused; the person must sign in again."""

    default_message = "The refresh token was refused; sign in again"


class TransientError(TeslaSsoError):
    """A temporary problem; try again later."""

    default_message = "Tesla SSO is temporarily unavailable"

    def __init__(
        self, message: str | None = None, *, retry_after: float | None = None
    ) -> None:
        """Remember how long the server asked us to wait, when it said so."""
        super().__init__(message)
        self.retry_after = retry_after


class SsoConnectionError(TransientError):
    """The server could not be reached (DNS, refused, timeout, dropped connection)."""

    default_message = "Cannot reach the Tesla SSO server"


class ServerError(TransientError):
    """The server answered with a 5xx status."""

    default_message = "The Tesla SSO server had an error"

    def __init__(self, status: int, message: str | None = None) -> None:
        """Keep the HTTP status."""
        self.status = status
        super().__init__(message or f"The Tesla SSO server answered HTTP {status}")


class RateLimited(TransientError):
    """HTTP 429: too many requests; ``retry_after`` holds the server's advice."""

    default_message = "Too many requests to Tesla SSO"


class WafBlocked(TransientError):
    """Akamai's firewall blocked the request (HTTP 403 from AkamaiGHost)."""

    default_message = "Tesla's firewall blocked the request; wait before trying again"


class WafChallenge(TransientError):
    """Akamai answered with a JavaScript challenge page that only a browser can pass."""

    default_message = "Tesla's firewall asks for a browser check"


class UnexpectedResponse(TransientError):
    """A page or JSON body this client does not understand (or a truncated one)."""

    default_message = "Unexpected response from Tesla SSO"
