"""Reading what the person typed into the config flow's forms."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
import re
from typing import Any, Final

from .const import CONF_AUTH_URL, CONF_REFRESH_TOKEN, CONF_REGION
from .flow_errors import StepError
from .flow_schemas import CONF_CALLBACK_URL, CONF_CAPTCHA, CONF_CODE, SECTION_ADVANCED
from .sso import SSO_BASES, Region, validate_sso_base

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


def input_too_long(user_input: Mapping[str, Any], field: str) -> StepError | None:
    """The error to show when a field holds more text than it can take, else None."""
    value = user_input.get(field)
    if isinstance(value, str) and len(value) > MAX_INPUT_LENGTHS[field]:
        return StepError(INPUT_TOO_LONG, field)
    return None


@dataclass(frozen=True)
class ServerChoice:
    """The SSO server a sign-in talks to: the region's, or a custom base that replaces it."""

    region: Region
    auth_url: str | None = None

    @property
    def base(self) -> str:
        """The SSO base URL requests go to."""
        return self.auth_url or SSO_BASES[self.region]

    @classmethod
    def from_input(cls, user_input: Mapping[str, Any]) -> ServerChoice:
        """Read the region and the optional custom server of a form.

        Raises:
            TeslaSsoLoginError: INVALID_SERVER_URL, the custom server URL is not usable.
        """
        typed = str(
            user_input.get(SECTION_ADVANCED, {}).get(CONF_AUTH_URL) or ""
        ).strip()
        return cls(
            region=Region(user_input[CONF_REGION]),
            auth_url=validate_sso_base(typed) if typed else None,
        )

    @classmethod
    def from_entry(cls, data: Mapping[str, Any]) -> ServerChoice:
        """The server an existing entry uses."""
        return cls(region=Region(data[CONF_REGION]), auth_url=data.get(CONF_AUTH_URL))

    def suggested_values(self) -> dict[str, Any]:
        """Form values that show this choice again."""
        return {
            CONF_REGION: self.region.value,
            SECTION_ADVANCED: {CONF_AUTH_URL: self.auth_url},
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


def parse_mfa_code(typed: str) -> MfaCode | None:
    """Tell a passcode from a backup code by its form, ignoring spaces and dashes.

    Returns:
        The code, or None when it is neither 6 digits nor 9 letters or digits.
    """
    if len(typed) > MAX_INPUT_LENGTHS[CONF_CODE]:
        return None  # no code, however many separators it has
    compact = _CODE_SEPARATORS.sub("", typed)
    if _PASSCODE.fullmatch(compact):
        return MfaCode(MfaCodeKind.PASSCODE, compact)
    if _BACKUP_CODE.fullmatch(compact):
        return MfaCode(MfaCodeKind.BACKUP, compact)
    return None


def compact_token(typed: str) -> str:
    """A pasted token without the spaces and line breaks that copying may add."""
    # One pass, no list of pieces: the text may be far longer than any token.
    return _WHITE_SPACE.sub("", typed)
