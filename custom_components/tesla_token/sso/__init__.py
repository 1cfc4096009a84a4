"""Client for Tesla's single sign-on (OAuth2 v3): sign-in, browser path, tokens and refresh.

Uses aiohttp and the standard library only; it knows nothing about Home Assistant.
"""

from __future__ import annotations

from .browser import BrowserLogin
from .const import CLIENT_ID, REDIRECT_URI, SCOPE, SSO_BASES, Region
from .errors import (
    AccountLocked,
    AuthorizationCodeInvalid,
    BackupCodeInvalid,
    BackupCodeLocked,
    CallbackError,
    CaptchaInvalid,
    InvalidCallbackUrl,
    InvalidCredentials,
    InvalidServerUrl,
    InvalidToken,
    LoginError,
    LoginRequired,
    MfaCodeInvalid,
    MfaCodeReplayed,
    MfaExpired,
    MfaTooManyAttempts,
    RateLimited,
    RecaptchaRequired,
    RedirectUriRefused,
    ServerError,
    SsoConnectionError,
    StateMismatch,
    TeslaSsoError,
    TransientError,
    UnexpectedResponse,
    WafBlocked,
    WafChallenge,
)
from .login import LoginSession
from .steps import Authorized, CaptchaRequired, LoginStep, MfaFactor, MfaRequired
from .token_client import refresh_tokens
from .tokens import TokenKind, TokenSet, decode_jwt_claims, token_kind
from .urls import validate_sso_base

__all__ = [
    "CLIENT_ID",
    "REDIRECT_URI",
    "SCOPE",
    "SSO_BASES",
    "AccountLocked",
    "AuthorizationCodeInvalid",
    "Authorized",
    "BackupCodeInvalid",
    "BackupCodeLocked",
    "BrowserLogin",
    "CallbackError",
    "CaptchaInvalid",
    "CaptchaRequired",
    "InvalidCallbackUrl",
    "InvalidCredentials",
    "InvalidServerUrl",
    "InvalidToken",
    "LoginError",
    "LoginRequired",
    "LoginSession",
    "LoginStep",
    "MfaCodeInvalid",
    "MfaCodeReplayed",
    "MfaExpired",
    "MfaFactor",
    "MfaRequired",
    "MfaTooManyAttempts",
    "RateLimited",
    "RecaptchaRequired",
    "RedirectUriRefused",
    "Region",
    "ServerError",
    "SsoConnectionError",
    "StateMismatch",
    "TeslaSsoError",
    "TokenKind",
    "TokenSet",
    "TransientError",
    "UnexpectedResponse",
    "WafBlocked",
    "WafChallenge",
    "decode_jwt_claims",
    "refresh_tokens",
    "token_kind",
    "validate_sso_base",
]
