"""Reading what the person typed into the config flow's forms."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
import re
from typing import Any, Final

from homeassistant.const import CONF_CODE, CONF_REGION

from .const import CONF_API_URL, CONF_AUTH_URL, CONF_REFRESH_TOKEN
from .flow_errors import (
    API_URL_WITHOUT_AUTH_URL,
    INVALID_API_URL,
    INVALID_MFA_CODE,
    InvalidInputError,
    StepError,
)
from .flow_schemas import CONF_CALLBACK_URL, CONF_CAPTCHA, SECTION_ADVANCED
from .sso import (
    OWNER_API_BASES,
    SSO_BASES,
    Region,
    TeslaSsoLoginError,
    server_origin,
    validate_api_base,
    validate_sso_base,
)

_PASSCODE = re.compile(r"[0-9]{6}")  # ASCII digits only: Tesla takes no others
_BACKUP_CODE = re.compile(r"[A-Za-z0-9]{9}")
_CODE_SEPARATORS = re.compile(r"[\s-]")
_WHITE_SPACE = re.compile(r"\s+")
# The longest text each pasted or typed field takes: many times any real value (a callback
# with the console's words around it, a refresh token wrapped over lines, a code), and far
# below the 16 MB Home Assistant's API accepts. Longer input is refused before it is parsed.
MAX_INPUT_LENGTHS: Final[Mapping[str, int]] = {
    CONF_CALLBACK_URL: 16_384,
    CONF_REFRESH_TOKEN: 16_384,
    CONF_CAPTCHA: 64,
    CONF_CODE: 64,
}
INPUT_TOO_LONG: Final = "input_too_long"


def check_length(user_input: Mapping[str, Any], field: str) -> None:
    """Refuse a field that holds more text than it can take.

    Raises:
        InvalidInputError: input_too_long, on that field.
    """
    value = user_input.get(field)
    if isinstance(value, str) and len(value) > MAX_INPUT_LENGTHS[field]:
        raise InvalidInputError(StepError(INPUT_TOO_LONG, field))


def _typed_url(user_input: Mapping[str, Any], field: str) -> str:
    """A URL typed into the Advanced section ("" when left empty)."""
    return str(user_input.get(SECTION_ADVANCED, {}).get(field) or "").strip()


@dataclass(frozen=True)
class ServerChoice:
    """The servers a sign-in talks to: the region's, or a custom SSO base that replaces it.

    With a custom SSO base, `api_url` may name the Owner API server too (else the base's
    origin serves the API, as the emulator does); with Tesla's sign-in the API is Tesla's.
    """

    region: Region
    auth_url: str | None = None
    api_url: str | None = None

    @property
    def base(self) -> str:
        """The SSO base URL requests go to."""
        return self.auth_url or SSO_BASES[self.region]

    @property
    def api_base(self) -> str:
        """The Owner API origin that takes the access token (``scheme://host[:port]``)."""
        if self.api_url:
            return self.api_url
        if self.auth_url:
            return server_origin(self.auth_url)
        return OWNER_API_BASES[self.region]

    def same_sign_in(self, other: ServerChoice) -> bool:
        """Tell whether a sign-in with `other` goes where this one goes (the API aside)."""
        return (self.region, self.auth_url) == (other.region, other.auth_url)

    @classmethod
    def from_input(cls, user_input: Mapping[str, Any]) -> ServerChoice:
        """Read the region and the optional custom servers of a form.

        Raises:
            TeslaSsoLoginError: INVALID_SERVER_URL, the custom SSO server URL is not usable.
            InvalidInputError: invalid_api_url, the API server URL is not usable;
                api_url_without_auth_url, an API server URL without a custom SSO server.
        """
        typed_auth = _typed_url(user_input, CONF_AUTH_URL)
        auth_url = validate_sso_base(typed_auth) if typed_auth else None
        api_url: str | None = None
        if typed_api := _typed_url(user_input, CONF_API_URL):
            if auth_url is None:
                raise InvalidInputError(API_URL_WITHOUT_AUTH_URL)
            try:
                api_url = validate_api_base(typed_api)
            except TeslaSsoLoginError as err:
                raise InvalidInputError(INVALID_API_URL) from err
        return cls(
            region=Region(user_input[CONF_REGION]), auth_url=auth_url, api_url=api_url
        )

    @classmethod
    def from_entry(cls, data: Mapping[str, Any]) -> ServerChoice:
        """The servers an existing entry uses (entries stored before api_url: the default)."""
        return cls(
            region=Region(data[CONF_REGION]),
            auth_url=data.get(CONF_AUTH_URL),
            api_url=data.get(CONF_API_URL),
        )

    def suggested_values(self) -> dict[str, Any]:
        """Form values that show this choice again."""
        return {
            CONF_REGION: self.region.value,
            SECTION_ADVANCED: {
                CONF_AUTH_URL: self.auth_url,
                CONF_API_URL: self.api_url,
            },
        }


class MfaCodeKind(StrEnum):
    """Which kind of code the person typed at the MFA step."""

    PASSCODE = "passcode"  # 6 digits from an authenticator device
    BACKUP = "backup"  # one of the account's 9-character backup codes


@dataclass(frozen=True)
class MfaCode:
    """A well-formed MFA code (its value never appears in a repr)."""

    kind: MfaCodeKind
    value: str = field(repr=False)


def parse_mfa_code(typed: str) -> MfaCode:
    """Tell a passcode from a backup code by its form, ignoring spaces and dashes.

    Raises:
        InvalidInputError: invalid_mfa_code, when it is neither 6 digits nor 9 letters or
            digits (checked without asking Tesla).
    """
    # An overlong text is no code, however many separators it has.
    if len(typed) <= MAX_INPUT_LENGTHS[CONF_CODE]:
        compact = _CODE_SEPARATORS.sub("", typed)
        if _PASSCODE.fullmatch(compact):
            return MfaCode(MfaCodeKind.PASSCODE, compact)
        if _BACKUP_CODE.fullmatch(compact):
            return MfaCode(MfaCodeKind.BACKUP, compact)
    raise InvalidInputError(INVALID_MFA_CODE)


def compact_token(typed: str) -> str:
    """A pasted token without the spaces and line breaks that copying may add."""
    # One pass, no list of pieces: the text may be far longer than any token.
    return _WHITE_SPACE.sub("", typed)
