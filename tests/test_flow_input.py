"""Tests of flow_input.py: reading what a person typed into the config flow's forms."""

from __future__ import annotations

import pytest

from custom_components.tesla_token.flow_errors import InvalidInputError, StepError
from custom_components.tesla_token.flow_input import (
    MAX_INPUT_LENGTHS,
    MfaCode,
    MfaCodeKind,
    ServerChoice,
    check_length,
    compact_token,
    parse_mfa_code,
)
from custom_components.tesla_token.sso import (
    SSO_BASES,
    LoginFailure,
    Region,
    TeslaSsoLoginError,
)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("123456", MfaCode(MfaCodeKind.PASSCODE, "123456")),
        (" 123 456 ", MfaCode(MfaCodeKind.PASSCODE, "123456")),
        ("abcd-efgh-1", MfaCode(MfaCodeKind.BACKUP, "abcdefgh1")),
        ("ABCD EFGH 1", MfaCode(MfaCodeKind.BACKUP, "ABCDEFGH1")),
    ],
)
def test_a_code_is_told_apart_by_its_form(typed: str, code: MfaCode) -> None:
    assert parse_mfa_code(typed) == code


@pytest.mark.parametrize(
    "typed",
    ["12345", "1234567", "١٢٣٤٥٦", "zzzz-zzzz", "123456" + "-" * 100, ""],
    ids=[
        "five-digits",
        "seven-digits",
        "arabic-digits",
        "eight-letters",
        "long",
        "empty",
    ],
)
def test_anything_else_is_no_code(typed: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        parse_mfa_code(typed)
    assert refused.value.error == StepError("invalid_mfa_code", "code")


def test_a_code_value_never_shows_in_its_repr() -> None:
    assert "123456" not in repr(MfaCode(MfaCodeKind.PASSCODE, "123456"))


def test_check_length_refuses_only_overlong_text() -> None:
    limit = MAX_INPUT_LENGTHS["refresh_token"]
    check_length({"refresh_token": "x" * limit}, "refresh_token")
    check_length({}, "refresh_token")  # an optional field left empty
    with pytest.raises(InvalidInputError) as refused:
        check_length({"refresh_token": "x" * (limit + 1)}, "refresh_token")
    assert refused.value.error == StepError("input_too_long", "refresh_token")


def test_compact_token_drops_the_white_space_copying_adds() -> None:
    assert compact_token(" eyJ.abc\n.def\t ") == "eyJ.abc.def"


def test_server_choice_of_a_form() -> None:
    typed = {"region": "china", "advanced": {"auth_url": " https://sso.example.com "}}
    choice = ServerChoice.from_input(typed)
    assert choice == ServerChoice(Region.CHINA, "https://sso.example.com")
    assert choice.base == "https://sso.example.com"
    assert choice.suggested_values() == {
        "region": "china",
        "advanced": {"auth_url": "https://sso.example.com"},
    }
    assert (
        ServerChoice.from_input({"region": "global"}).base == SSO_BASES[Region.GLOBAL]
    )
    with pytest.raises(TeslaSsoLoginError) as refused:
        ServerChoice.from_input(
            {"region": "global", "advanced": {"auth_url": "ftp://x"}}
        )
    assert refused.value.reason is LoginFailure.INVALID_SERVER_URL


def test_server_choice_of_an_entry() -> None:
    entry = {"region": "global", "auth_url": None}
    assert ServerChoice.from_entry(entry) == ServerChoice(Region.GLOBAL)
