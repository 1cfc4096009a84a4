"""Errors raised by the Tesla SSO client: four classes, the cause in a ``reason``.

No message or attribute ever holds a secret (password, token, code, verifier, captcha answer).
"""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum
import re


class LoginFailure(StrEnum):
    """Why a sign-in step failed: something the person has to fix."""

    INVALID_SERVER_URL = "invalid_server_url"
    INVALID_CREDENTIALS = "invalid_credentials"
    ACCOUNT_LOCKED = "account_locked"
    CAPTCHA_INVALID = "captcha_invalid"
    RECAPTCHA_REQUIRED = "recaptcha_required"
    MFA_CODE_INVALID = "mfa_code_invalid"
    MFA_CODE_REPLAYED = "mfa_code_replayed"
    MFA_TOO_MANY_ATTEMPTS = "mfa_too_many_attempts"
    MFA_EXPIRED = "mfa_expired"
    BACKUP_CODE_INVALID = "backup_code_invalid"
    BACKUP_CODE_LOCKED = "backup_code_locked"
    REDIRECT_URI_REFUSED = "redirect_uri_refused"
    INVALID_CALLBACK_URL = "invalid_callback_url"
    STATE_MISMATCH = "state_mismatch"
    CALLBACK_ERROR = "callback_error"
    CODE_INVALID = "code_invalid"
    INVALID_TOKEN = "invalid_token"


class TemporaryFailure(StrEnum):
    """Why Tesla's SSO could not answer usefully now; trying again later may help."""

    CONNECTION_ERROR = "connection_error"
    SERVER_ERROR = "server_error"
    RATE_LIMITED = "rate_limited"
    WAF_BLOCKED = "waf_blocked"
    WAF_CHALLENGE = "waf_challenge"
    UNEXPECTED_RESPONSE = "unexpected_response"


_LOGIN_MESSAGES: dict[LoginFailure, str] = {
    LoginFailure.INVALID_SERVER_URL: "Invalid SSO server URL",
    LoginFailure.INVALID_CREDENTIALS: "Wrong email address or password",
    LoginFailure.ACCOUNT_LOCKED: "The Tesla account is locked; reset the password",
    LoginFailure.CAPTCHA_INVALID: "The captcha answer did not match",
    LoginFailure.RECAPTCHA_REQUIRED: (
        "Tesla requires reCAPTCHA; sign in with a browser instead"
    ),
    LoginFailure.MFA_CODE_INVALID: "The passcode is wrong",
    LoginFailure.MFA_CODE_REPLAYED: (
        "This passcode was used recently; wait for the next one"
    ),
    LoginFailure.MFA_TOO_MANY_ATTEMPTS: "Too many wrong passcodes",
    LoginFailure.MFA_EXPIRED: "The passcode request expired; sign in again",
    LoginFailure.BACKUP_CODE_INVALID: "The backup code is wrong",
    LoginFailure.BACKUP_CODE_LOCKED: "Backup codes are locked after too many attempts",
    LoginFailure.REDIRECT_URI_REFUSED: "Tesla refused the redirect URI for this client",
    LoginFailure.INVALID_CALLBACK_URL: "Not a valid callback URL",
    LoginFailure.STATE_MISMATCH: "The callback belongs to a different sign-in attempt",
    LoginFailure.CALLBACK_ERROR: "The sign-in was not completed",
    LoginFailure.CODE_INVALID: "The authorization code expired or was already used",
    LoginFailure.INVALID_TOKEN: "Not a readable token",
}
_TEMPORARY_MESSAGES: dict[TemporaryFailure, str] = {
    TemporaryFailure.CONNECTION_ERROR: "Cannot reach the Tesla SSO server",
    TemporaryFailure.SERVER_ERROR: "The Tesla SSO server had an error",
    TemporaryFailure.RATE_LIMITED: "Too many requests to Tesla SSO",
    TemporaryFailure.WAF_BLOCKED: (
        "Tesla's firewall blocked the request; wait before trying again"
    ),
    TemporaryFailure.WAF_CHALLENGE: "Tesla's firewall asks for a browser check",
    TemporaryFailure.UNEXPECTED_RESPONSE: "Unexpected response from Tesla SSO",
}


class TeslaSsoError(Exception):
    """Base class of every error the SSO client raises; ``str(err)`` holds no secret."""

    def __init__(self, message: str | None = None) -> None:
        """Create the error with a secret-free message."""
        super().__init__(message or "Tesla SSO error")


class TeslaSsoLoginError(TeslaSsoError):
    """A sign-in step failed for a reason the person has to fix (see ``reason``)."""

    def __init__(self, reason: LoginFailure, message: str | None = None) -> None:
        """Keep the reason; the message defaults to the reason's."""
        self.reason = reason
        super().__init__(message or _LOGIN_MESSAGES[reason])


class TeslaSsoTokenRefusedError(TeslaSsoError):
    """The refresh token was refused; the person must sign in again."""

    def __init__(self, message: str | None = None) -> None:
        """Create the error (the message says what to do)."""
        super().__init__(message or "The refresh token was refused; sign in again")


class TeslaSsoTemporaryError(TeslaSsoError):
    """A temporary problem (see ``reason``); ``retry_after`` is the server's advice, if any."""

    def __init__(
        self,
        reason: TemporaryFailure,
        message: str | None = None,
        *,
        retry_after: float | None = None,
    ) -> None:
        """Keep the reason and how long the server asked us to wait, when it said so."""
        self.reason = reason
        self.retry_after = retry_after
        super().__init__(message or _TEMPORARY_MESSAGES[reason])


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


def error_code(body: dict[str, object]) -> str | None:
    """The error name of a JSON answer: ``{"error": {"code": …}}`` or a bare ``{"error": "…"}``."""
    error = body.get("error")
    if isinstance(error, dict):
        error = error.get("code")
    return error if isinstance(error, str) else None
