"""What the config flow shows when the sign-in fails: translated error keys and their fields."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import voluptuous as vol

from .const import CONF_REFRESH_TOKEN, LOGGER
from .flow_schemas import CONF_CALLBACK_URL, CONF_CAPTCHA, CONF_CODE, SECTION_ADVANCED
from .sso import (
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
    LoginRequired,
    MfaCodeInvalid,
    MfaCodeReplayed,
    MfaExpired,
    MfaTooManyAttempts,
    RecaptchaRequired,
    RedirectUriRefused,
    StateMismatch,
    TeslaSsoError,
    TransientError,
    WafBlocked,
    WafChallenge,
)

BASE: Final = "base"


@dataclass(frozen=True)
class StepError:
    """A translated error key and the form field it belongs to ("base" for the whole form)."""

    key: str
    field: str = BASE
    offers_browser: bool = (
        False  # only a real browser gets through now: offer that path
    )

    def on_form(self, schema: vol.Schema) -> dict[str, str]:
        """The `errors` of a form: on this error's field when the form has it, else on base."""
        fields = {str(marker.schema) for marker in schema.schema}
        return {self.field if self.field in fields else BASE: self.key}


class InvalidInputError(Exception):
    """What the person typed is refused before anything is sent to Tesla."""

    def __init__(self, error: StepError) -> None:
        """Refuse the input with this error."""
        super().__init__(error.key)
        self.error = error


UNKNOWN: Final = StepError("unknown")
INVALID_MFA_CODE: Final = StepError("invalid_mfa_code", CONF_CODE)
LEGACY_TOKEN: Final = StepError("legacy_token", CONF_REFRESH_TOKEN)
# The browser step's server changed: the link was rebuilt and the pasted address is void.
AUTH_LINK_CHANGED: Final = StepError("auth_link_changed")

# First match wins, so a subclass comes before its parent.
_ERRORS: Final[tuple[tuple[type[TeslaSsoError], StepError], ...]] = (
    (InvalidServerUrl, StepError("invalid_auth_url", SECTION_ADVANCED)),
    (InvalidCredentials, StepError("invalid_auth")),
    (AccountLocked, StepError("account_locked")),
    (CaptchaInvalid, StepError("captcha_invalid", CONF_CAPTCHA)),
    (RecaptchaRequired, StepError("recaptcha_required", offers_browser=True)),
    (MfaCodeInvalid, INVALID_MFA_CODE),
    (BackupCodeInvalid, INVALID_MFA_CODE),
    (MfaCodeReplayed, StepError("mfa_replay", CONF_CODE)),
    (MfaTooManyAttempts, StepError("mfa_locked")),
    (BackupCodeLocked, StepError("mfa_locked")),
    (MfaExpired, StepError("mfa_expired")),
    (RedirectUriRefused, StepError("redirect_uri_refused")),
    (InvalidCallbackUrl, StepError("invalid_callback_url", CONF_CALLBACK_URL)),
    (StateMismatch, StepError("state_mismatch", CONF_CALLBACK_URL)),
    (CallbackError, StepError("callback_error", CONF_CALLBACK_URL)),
    (AuthorizationCodeInvalid, StepError("code_expired", CONF_CALLBACK_URL)),
    (LoginRequired, StepError("invalid_refresh_token", CONF_REFRESH_TOKEN)),
    (InvalidToken, StepError("invalid_refresh_token", CONF_REFRESH_TOKEN)),
    (WafBlocked, StepError("waf_blocked", offers_browser=True)),
    (WafChallenge, StepError("waf_blocked", offers_browser=True)),
    (TransientError, StepError("cannot_connect")),
)


def flow_error(err: Exception) -> StepError:
    """The error to show for a failed step: refused input, an SSO client error, or a surprise.

    Anything else than those is unexpected: it is logged with its traceback (SSO errors never
    carry a secret, and nothing here logs the input).
    """
    if isinstance(err, InvalidInputError):
        return err.error
    if not isinstance(err, TeslaSsoError):
        LOGGER.error(
            "Unexpected error while talking to Tesla's sign-in service", exc_info=err
        )
        return UNKNOWN
    LOGGER.debug("Tesla sign-in step failed: %s", type(err).__name__)
    for error_type, step_error in _ERRORS:
        if isinstance(err, error_type):
            return step_error
    return UNKNOWN
