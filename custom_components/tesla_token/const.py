"""Constants for the Tesla Token integration."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "tesla_token"
LOGGER: Final = logging.getLogger(__package__)

# Config entry data (besides homeassistant.const's CONF_EMAIL, CONF_REGION and
# CONF_ACCESS_TOKEN). The password is never stored, nor the id_token.
CONF_AUTH_URL: Final = "auth_url"  # a custom SSO base (emulator, proxy) or None
# The Owner API server typed with a custom SSO base; None or absent: the default (the custom
# base's origin, else Tesla's for the region).
CONF_API_URL: Final = "api_url"
CONF_ISSUER: Final = "issuer"  # the SSO base that issued the tokens: refreshes go there
CONF_REFRESH_TOKEN: Final = "refresh_token"
CONF_EXPIRES_AT: Final = "expires_at"  # epoch seconds
CONF_ISSUED_AT: Final = "issued_at"  # epoch seconds
CONF_REFRESH_TOKEN_ISSUED_AT: Final = "refresh_token_issued_at"  # epoch seconds or None
# The issued_at of the tokens Tesla refused (since entry version 1.2): a sign-in since then
# stores tokens issued at another time.
CONF_REFUSED_ISSUED_AT: Final = "refused_issued_at"
# Since entry version 1.3: the connection profile that minted the stored tokens, what Tesla's
# API said of them (None: not checked yet) and when it last answered.
CONF_CONNECTION: Final = "connection"
CONF_API_ACCESS: Final = "api_access"
CONF_API_CHECKED_AT: Final = "api_checked_at"  # epoch seconds or None
# When a whole round of connection profiles ended refused (None: not since the last success).
CONF_API_ROUND_FAILED_AT: Final = "api_round_failed_at"
# Fleet API entries (one's own Tesla app) have these four keys besides; Owner API entries none.
CONF_AUTH_IMPLEMENTATION = "auth_implementation"
CONF_CLIENT_ID = "client_id"
CONF_SCOPES_REQUESTED = "scopes_requested"
CONF_SCOPES_GRANTED = "scopes_granted"

# Options.
CONF_REFRESH_MODE: Final = "refresh_mode"
REFRESH_MODE_LIFETIME_SHARE: Final = "lifetime_share"
REFRESH_MODE_BEFORE_EXPIRY: Final = "before_expiry"
CONF_REFRESH_SHARE: Final = "refresh_share"  # percent of the access token's lifetime
CONF_REFRESH_MINUTES_BEFORE: Final = "refresh_minutes_before"
CONF_REPAIR_GRACE_MINUTES: Final = "repair_grace_minutes"
CONF_ALLOW_TOKEN_ACTION: Final = "allow_token_action"
CONF_API_CHECK: Final = "api_check"
CONF_CONNECTION_CHOICE: Final = "connection_choice"  # "automatic" or one profile
CONNECTION_AUTOMATIC: Final = "automatic"

DEFAULT_REFRESH_MODE: Final = REFRESH_MODE_LIFETIME_SHARE
DEFAULT_REFRESH_SHARE: Final = 75
DEFAULT_REFRESH_MINUTES_BEFORE: Final = 60
DEFAULT_REPAIR_GRACE_MINUTES: Final = 60
DEFAULT_ALLOW_TOKEN_ACTION: Final = False
DEFAULT_API_CHECK: Final = True

DEFAULT_OPTIONS: Final[dict[str, str | int | bool]] = {
    CONF_REFRESH_MODE: DEFAULT_REFRESH_MODE,
    CONF_REFRESH_SHARE: DEFAULT_REFRESH_SHARE,
    CONF_REFRESH_MINUTES_BEFORE: DEFAULT_REFRESH_MINUTES_BEFORE,
    CONF_REPAIR_GRACE_MINUTES: DEFAULT_REPAIR_GRACE_MINUTES,
    CONF_ALLOW_TOKEN_ACTION: DEFAULT_ALLOW_TOKEN_ACTION,
    CONF_API_CHECK: DEFAULT_API_CHECK,
    CONF_CONNECTION_CHOICE: CONNECTION_AUTOMATIC,
}

# Events and actions.
EVENT_TOKEN_REFRESHED: Final = f"{DOMAIN}_refreshed"
EVENT_TOKEN_REFRESH_FAILED: Final = f"{DOMAIN}_refresh_failed"
EVENT_API_REJECTED: Final = f"{DOMAIN}_api_rejected"
SERVICE_REFRESH: Final = "refresh"
SERVICE_GET_ACCESS_TOKEN: Final = "get_access_token"

# Repair issue ids (suffixed with the entry id).
ISSUE_REFRESH_FAILING: Final = "refresh_failing"
ISSUE_CLOCK_SKEW: Final = "clock_skew"
ISSUE_API_REJECTED: Final = "api_rejected"
# The clock skew issue's texts: Home Assistant's clock is ahead of Tesla's, or behind it.
ISSUE_CLOCK_AHEAD: Final = "clock_ahead"
ISSUE_CLOCK_BEHIND: Final = "clock_behind"
