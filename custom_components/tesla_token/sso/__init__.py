"""Client for Tesla's single sign-on (OAuth2 v3): sign-in, browser path, tokens and refresh.

Uses aiohttp and the standard library only; it knows nothing about Home Assistant. Start at
``TeslaSso`` (client.py); each Tesla step lives in the module named for it.
"""

from __future__ import annotations

from .browser import BrowserSignIn
from .client import TeslaSso
from .const import REDIRECT_URI, SSO_BASES, Region
from .errors import (
    LoginFailure,
    TemporaryFailure,
    TeslaSsoError,
    TeslaSsoLoginError,
    TeslaSsoTemporaryError,
    TeslaSsoTokenRefusedError,
)
from .password import PasswordSignIn
from .steps import Authorized, CaptchaRequired, LoginStep, MfaFactor, MfaRequired
from .tokens import TokenKind, TokenSet, token_issued_at, token_kind
from .urls import validate_sso_base

__all__ = [
    "REDIRECT_URI",
    "SSO_BASES",
    "Authorized",
    "BrowserSignIn",
    "CaptchaRequired",
    "LoginFailure",
    "LoginStep",
    "MfaFactor",
    "MfaRequired",
    "PasswordSignIn",
    "Region",
    "TemporaryFailure",
    "TeslaSso",
    "TeslaSsoError",
    "TeslaSsoLoginError",
    "TeslaSsoTemporaryError",
    "TeslaSsoTokenRefusedError",
    "TokenKind",
    "TokenSet",
    "token_issued_at",
    "token_kind",
    "validate_sso_base",
]
