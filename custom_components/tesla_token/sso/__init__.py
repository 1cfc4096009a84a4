"""Client for Tesla's single sign-on (OAuth2 v3): sign-in, browser path, tokens and refresh.

Uses aiohttp and the standard library only; it knows nothing about Home Assistant. Start at
``TeslaSso`` (client.py). Each Tesla step has its module: password.py (the form, captcha and
MFA conversation), browser.py (the link to open and the pasted callback, read by callback.py),
token_endpoint.py (code exchange and refresh, also of one's own Fleet API app), api_check.py
(does Tesla's API accept a token), fleet_api.py (which Fleet API base serves an account),
pages.py (reading Tesla's pages), transport.py (every request), and beside them errors.py,
tokens.py, urls.py, pkce.py, steps.py, const.py.
"""

from __future__ import annotations

from .api_check import ApiAccess, check_api_access
from .browser import BrowserSignIn
from .client import TeslaSso
from .const import OWNER_API_BASES, REDIRECT_URI, SSO_BASES, Region

# Fleet API (one's own app): hosts and facts.
from .const import (  # isort: skip
    FLEET_API_BASES,
    FLEET_AUTH_TOKEN_URL,
    FLEET_REFRESH_TOKEN_LIFETIME,
)
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
from .transport import AiohttpTransport, HttpResponse, Transport
from .urls import server_origin, validate_api_base, validate_sso_base

__all__ = [
    # Fleet API (one's own app).
    "FLEET_API_BASES",
    "FLEET_AUTH_TOKEN_URL",
    "FLEET_REFRESH_TOKEN_LIFETIME",
    # The rest.
    "OWNER_API_BASES",
    "REDIRECT_URI",
    "SSO_BASES",
    "AiohttpTransport",
    "ApiAccess",
    "Authorized",
    "BrowserSignIn",
    "CaptchaRequired",
    "HttpResponse",
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
    "Transport",
    "check_api_access",
    "server_origin",
    "token_issued_at",
    "token_kind",
    "validate_api_base",
    "validate_sso_base",
]
