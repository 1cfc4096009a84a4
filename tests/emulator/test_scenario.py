"""Scenario files, the default scenario, TOTP, and the command line."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from emulator import (
    CaptchaMode,
    Emulator,
    RefreshRotation,
    Region,
    Scenario,
    ScenarioError,
)
from emulator.__main__ import main, parse_args
from emulator.totp import hotp, matching_counter, totp

RFC6238_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # base32 of "12345678901234567890"


def test_default_scenario() -> None:
    scenario = Scenario.default()
    assert scenario.access_token_lifetime == 28800
    assert scenario.refresh_rotation is RefreshRotation.REUSE
    assert scenario.redirect_uris == ["tesla://auth/callback"]
    owner = scenario.account("OWNER@example.com")
    assert owner is not None
    assert owner.password == "tesla-demo-password"
    assert not owner.has_mfa
    captcha = scenario.account("captcha@example.com")
    assert captcha is not None
    assert scenario.captcha_mode(captcha) is CaptchaMode.FIRST_PAGE
    mfa = scenario.account("mfa@example.com")
    assert mfa is not None
    assert [d.name for d in mfa.mfa_devices] == ["Phone", "Watch"]
    assert mfa.backup_codes
    china = scenario.account("china@example.com")
    assert china is not None
    assert china.region is Region.CHINA
    # Stable ids: the same account has the same `sub` in every run.
    assert owner.sub == Scenario.default().account("owner@example.com").sub  # type: ignore[union-attr]


def test_round_trip_through_json(tmp_path: Path) -> None:
    data = Scenario.default().to_dict()
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(data))
    assert Scenario.from_file(path).to_dict() == data


def test_example_scenario_from_the_readme(tmp_path: Path) -> None:
    readme = (Path(__file__).parents[2] / "emulator" / "README.md").read_text()
    example = readme.split("```json", 1)[1].split("```", 1)[0]
    scenario = Scenario.from_dict(json.loads(example))
    assert scenario.accounts


@pytest.mark.parametrize(
    "value",
    [
        "any",
        "none",
        [{"http": "2"}],
        [{"tls": "1.2"}, {"http": "2", "tls": "1.3"}, {"tls": "none"}],
    ],
)
def test_accepted_connections_round_trip(value: object) -> None:
    assert Scenario.default().accepted_connections is None  # "any": today's tests
    scenario = Scenario.from_dict({"accepted_connections": value})
    assert scenario.to_dict()["accepted_connections"] == value
    assert Scenario.from_dict(scenario.to_dict()).to_dict() == scenario.to_dict()


def test_minimal_scenario_takes_defaults() -> None:
    scenario = Scenario.from_dict({"accounts": [{"email": "A@B.example"}]})
    account = scenario.account("a@b.example")
    assert account is not None
    assert account.password == "tesla-demo-password"
    assert account.region is Region.GLOBAL
    assert scenario.lockout_after == 5


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"accounts": "x"},
        {"accounts": [{"password": "x"}]},
        {"accounts": [{"email": "a@b.c"}, {"email": "A@B.C"}]},
        {"accounts": [{"email": "a@b.c", "region": "mars"}]},
        {"accounts": [{"email": "a@b.c", "captcha": "always"}]},
        {"accounts": [{"email": "a@b.c", "backup_codes": ["short"]}]},
        {"accounts": [{"email": "a@b.c", "locked": "yes"}]},
        {"accounts": [{"email": 5}]},
        {"accounts": [{"email": "a@b.c", "mfa_devices": [{"name": "X"}]}]},
        {
            "accounts": [
                {
                    "email": "a@b.c",
                    "mfa_devices": [
                        {"name": "X", "secret": "JBSWY3DP", "factor_type": "fax"}
                    ],
                }
            ]
        },
        {
            "accounts": [
                {
                    "email": "a@b.c",
                    "mfa_devices": [{"name": "X", "secret": "JBSWY3DP"}] * 2,
                }
            ]
        },
        {"accounts": [{"email": "a@b.c", "mfa_devices": ["X"]}]},
        {"waf": "sometimes"},
        {"recaptcha": 1},
        {"redirect_uris": "tesla://auth/callback"},
        {"captcha_length": 0},
        {"lockout_after": True},
        {"accepted_connections": "some"},
        {"accepted_connections": [{"http": "3"}]},
        {"accepted_connections": [{"tls": "1.1"}]},
        {"accepted_connections": [{}]},
        {"accepted_connections": [{"http": "2", "alpn": "h2"}]},
        {"accepted_connections": ["http2"]},
        {"accepted_connections": {"http": "2"}},
    ],
)
def test_invalid_scenarios_are_refused(data: object) -> None:
    with pytest.raises(ScenarioError):
        Scenario.from_dict(data)


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError):
        Scenario.from_file(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(ScenarioError):
        Scenario.from_file(tmp_path / "bad.json")


def test_totp_matches_rfc_6238() -> None:
    # RFC 6238 appendix B, SHA1, truncated to the 6 digits Tesla uses.
    assert totp(RFC6238_SECRET, 59) == "287082"
    assert totp(RFC6238_SECRET, 1111111109) == "081804"
    assert totp(RFC6238_SECRET, 1234567890) == "005924"
    assert hotp(RFC6238_SECRET, 1) == "287082"
    # One step of clock drift either way is accepted.
    assert matching_counter(RFC6238_SECRET, "287082", 59 + 30) == 1
    assert matching_counter(RFC6238_SECRET, "287082", 59 + 90) is None


def test_command_line() -> None:
    args = parse_args([])
    assert (args.host, args.port, args.https_port, args.scenario, args.ca_file) == (
        "127.0.0.1",
        8765,
        0,
        None,
        None,
    )
    args = parse_args(["--host", "localhost", "--port", "0", "--scenario", "s.json"])
    assert (args.host, args.port, args.scenario) == ("localhost", 0, "s.json")
    args = parse_args(["--https-port", "8766", "--ca-file", "ca.pem"])
    assert (args.https_port, args.ca_file) == (8766, Path("ca.pem"))


def test_command_line_refuses_a_bad_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"accounts": [{"email": "a@b.c", "bogus": 1}]}))
    assert main(["--scenario", str(path)]) == 2
    assert "bogus" in capsys.readouterr().err


async def test_base_url_only_while_running(socket_enabled: None) -> None:
    server = Emulator()
    with pytest.raises(RuntimeError):
        _ = server.base_url
    with pytest.raises(RuntimeError):
        _ = server.https_url
    with pytest.raises(RuntimeError):
        _ = server.ca_pem
    await server.start()
    assert server.global_sso == f"{server.base_url}/oauth2/v3"
    assert server.china_sso == f"{server.base_url}/cn/oauth2/v3"
    assert server.https_url.startswith("https://127.0.0.1:")
    assert server.https_url != server.base_url.replace("http:", "https:")
    assert server.ca_pem.startswith("-----BEGIN CERTIFICATE-----")
    ca_file = server.ca_file
    assert await asyncio.to_thread(ca_file.read_text) == server.ca_pem
    await server.stop()
    await server.stop()
    assert not await asyncio.to_thread(ca_file.exists)  # the throw-away CA is gone
    with pytest.raises(RuntimeError):
        _ = server.base_url
    with pytest.raises(RuntimeError):
        _ = server.ca_file


def test_reprs_never_show_secrets() -> None:
    text = repr(Scenario.default())
    assert "tesla-demo-password" not in text
    assert "JBSWY3DP" not in text
    assert "7rk2m9vqa" not in text
