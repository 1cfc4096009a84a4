"""What the config flow shows when the sign-in fails: translated error keys and their fields."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from homeassistant.const import CONF_CODE
import voluptuous as vol

from .const import CONF_REFRESH_TOKEN, LOGGER
from .flow_schemas import CONF_CALLBACK_URL, CONF_CAPTCHA, SECTION_ADVANCED
from .sso import (
    LoginFailure,
    TemporaryFailure,
    TeslaSsoLoginError,
    TeslaSsoTemporaryError,
    TeslaSsoTokenRefusedError,
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
INVALID_API_URL: Final = StepError("invalid_api_url", SECTION_ADVANCED)
# With Tesla's own sign-in server the API is Tesla's too: another one is a mistake.
API_URL_WITHOUT_AUTH_URL: Final = StepError(
    "api_url_without_auth_url", SECTION_ADVANCED
)

INVALID_REFRESH_TOKEN: Final = StepError("invalid_refresh_token", CONF_REFRESH_TOKEN)
CANNOT_CONNECT: Final = StepError("cannot_connect")
WAF_BLOCKED: Final = StepError("waf_blocked", offers_browser=True)
MFA_LOCKED: Final = StepError("mfa_locked")

# What the form shows for each reason the SSO client gives.
_ERRORS: Final[dict[LoginFailure | TemporaryFailure, StepError]] = {
    LoginFailure.INVALID_SERVER_URL: StepError("invalid_auth_url", SECTION_ADVANCED),
    LoginFailure.INVALID_CREDENTIALS: StepError("invalid_auth"),
    LoginFailure.ACCOUNT_LOCKED: StepError("account_locked"),
    LoginFailure.CAPTCHA_INVALID: StepError("captcha_invalid", CONF_CAPTCHA),
    LoginFailure.RECAPTCHA_REQUIRED: StepError(
        "recaptcha_required", offers_browser=True
    ),
    LoginFailure.MFA_CODE_INVALID: INVALID_MFA_CODE,
    LoginFailure.BACKUP_CODE_INVALID: INVALID_MFA_CODE,
    LoginFailure.MFA_CODE_REPLAYED: StepError("mfa_replay", CONF_CODE),
    LoginFailure.MFA_TOO_MANY_ATTEMPTS: MFA_LOCKED,
    LoginFailure.BACKUP_CODE_LOCKED: MFA_LOCKED,
    LoginFailure.MFA_EXPIRED: StepError("mfa_expired"),
    LoginFailure.REDIRECT_URI_REFUSED: StepError("redirect_uri_refused"),
    LoginFailure.INVALID_CALLBACK_URL: StepError(
        "invalid_callback_url", CONF_CALLBACK_URL
    ),
    LoginFailure.STATE_MISMATCH: StepError("state_mismatch", CONF_CALLBACK_URL),
    LoginFailure.CALLBACK_ERROR: StepError("callback_error", CONF_CALLBACK_URL),
    LoginFailure.CODE_INVALID: StepError("code_expired", CONF_CALLBACK_URL),
    LoginFailure.INVALID_TOKEN: INVALID_REFRESH_TOKEN,
    TemporaryFailure.WAF_BLOCKED: WAF_BLOCKED,
    TemporaryFailure.WAF_CHALLENGE: WAF_BLOCKED,
}


def flow_error(err: Exception) -> StepError:
    """The error to show for a failed step: refused input, an SSO client error, or a surprise.

    Anything else than those is unexpected: it is logged with its traceback (SSO errors never
    carry a secret, and nothing here logs the input).
    """
    if isinstance(err, InvalidInputError):
        return err.error
    if not isinstance(
        err, (TeslaSsoLoginError, TeslaSsoTemporaryError, TeslaSsoTokenRefusedError)
    ):
        LOGGER.error(
            "Unexpected error while talking to Tesla's sign-in service", exc_info=err
        )
        return UNKNOWN
    # The class and reason only: never the message.
    LOGGER.debug(
        "Tesla sign-in step failed: %s %s",
        type(err).__name__,
        getattr(err, "reason", ""),
    )
    if isinstance(err, TeslaSsoTokenRefusedError):
        return INVALID_REFRESH_TOKEN
    if isinstance(err, TeslaSsoTemporaryError):
        return _ERRORS.get(err.reason, CANNOT_CONNECT)
    return _ERRORS[err.reason]
