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
    OWNER_API_BASES,
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
        "advanced": {"auth_url": "https://sso.example.com", "api_url": None},
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
    entry = {
        "region": "global",
        "auth_url": "http://127.0.0.1:8765/oauth2/v3",
        "api_url": "http://127.0.0.1:9000",
    }
    assert ServerChoice.from_entry(entry) == ServerChoice(
        Region.GLOBAL, "http://127.0.0.1:8765/oauth2/v3", "http://127.0.0.1:9000"
    )


def test_an_api_server_typed_with_a_custom_sign_in_server() -> None:
    typed = {
        "region": "global",
        "advanced": {
            "auth_url": "http://127.0.0.1:8765/oauth2/v3",
            "api_url": " https://API.example.com/ ",
        },
    }
    choice = ServerChoice.from_input(typed)
    assert choice.api_url == "https://api.example.com"
    assert choice.base == "http://127.0.0.1:8765/oauth2/v3"
    assert choice.suggested_values()["advanced"] == {
        "auth_url": "http://127.0.0.1:8765/oauth2/v3",
        "api_url": "https://api.example.com",
    }
    # Left empty (or blank): the default.
    typed["advanced"]["api_url"] = "  "
    assert ServerChoice.from_input(typed).api_url is None


@pytest.mark.parametrize(
    "api_url",
    [
        "owner-api.example.com",
        "ftp://owner-api.example.com",
        "http://owner-api.example.com",
        "https://owner-api.example.com/api/1",
        "https://user:pw@owner-api.example.com",
        "https://owner-api.example.com?region=cn",
        "https://owner-api.example.com#x",
    ],
)
def test_an_unusable_api_server_is_refused_on_the_section(api_url: str) -> None:
    typed = {
        "region": "global",
        "advanced": {"auth_url": "https://sso.example.com", "api_url": api_url},
    }
    with pytest.raises(InvalidInputError) as refused:
        ServerChoice.from_input(typed)
    assert refused.value.error == StepError("invalid_api_url", "advanced")


def test_an_api_server_needs_a_custom_sign_in_server() -> None:
    typed = {"region": "china", "advanced": {"api_url": "https://api.example.com"}}
    with pytest.raises(InvalidInputError) as refused:
        ServerChoice.from_input(typed)
    assert refused.value.error == StepError("api_url_without_auth_url", "advanced")
    # An unusable sign-in server URL is named first.
    typed["advanced"]["auth_url"] = "ftp://sso.example.com"
    with pytest.raises(TeslaSsoLoginError):
        ServerChoice.from_input(typed)


@pytest.mark.parametrize(
    ("choice", "api_base"),
    [
        (ServerChoice(Region.GLOBAL), "https://owner-api.teslamotors.com"),
        (ServerChoice(Region.CHINA), "https://owner-api.vn.cloud.tesla.cn"),
        # The custom sign-in server's origin serves the API (as the emulator does).
        (
            ServerChoice(Region.CHINA, "http://127.0.0.1:8765/oauth2/v3"),
            "http://127.0.0.1:8765",
        ),
        (
            ServerChoice(Region.GLOBAL, "https://sso.example.com/oauth2/v3"),
            "https://sso.example.com",
        ),
        (
            ServerChoice(
                Region.GLOBAL,
                "https://sso.example.com/oauth2/v3",
                "https://api.example",
            ),
            "https://api.example",
        ),
    ],
    ids=["global", "china", "emulator", "custom-sso", "typed-api"],
)
def test_where_the_api_check_goes(choice: ServerChoice, api_base: str) -> None:
    assert choice.api_base == api_base


def test_tesla_api_servers_by_region() -> None:
    assert OWNER_API_BASES == {
        Region.GLOBAL: "https://owner-api.teslamotors.com",
        Region.CHINA: "https://owner-api.vn.cloud.tesla.cn",
    }
