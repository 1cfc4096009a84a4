"""Registering Fleet API apps (scenario, control API, Python, command line) and seeing their tokens."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from emulator import Emulator, Scenario, ScenarioError
from emulator.__main__ import main, parse_args, with_apps

from .fleet_helpers import APP_ID, APP_REDIRECT, APP_SECRET, fleet_tokens, register
from .test_control import control

APP = {
    "client_id": APP_ID,
    "client_secret": APP_SECRET,
    "redirect_uris": [APP_REDIRECT],
}


async def test_register_list_and_replace_over_the_control_api(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    assert await control(http, emulator, "GET", "apps") == (200, [])
    status, listed = await control(http, emulator, "POST", "apps", json=APP)
    assert status == 200
    assert listed == [
        {
            "client_id": APP_ID,
            "redirect_uris": [APP_REDIRECT],
            "scopes": [
                "openid",
                "offline_access",
                "user_data",
                "vehicle_device_data",
                "vehicle_location",
                "vehicle_cmds",
                "vehicle_charging_cmds",
                "energy_device_data",
                "energy_cmds",
            ],
            "name": APP_ID,
        }
    ]
    replacement = {**APP, "scopes": ["openid", "offline_access"], "name": "Mine"}
    await control(http, emulator, "POST", "apps", json=replacement)
    status, listed = await control(http, emulator, "GET", "apps")
    assert [(a["name"], a["scopes"]) for a in listed] == [
        ("Mine", ["openid", "offline_access"])
    ]
    async with http.get(f"{emulator.base_url}/__emulator__/apps") as response:
        assert APP_SECRET not in await response.text()
    # Registered over the control API: an app that can sign in.
    tokens = await fleet_tokens(http, emulator, scope="openid offline_access")
    assert tokens["scope"] == "openid offline_access"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"client_id": ""}, "client_id"),
        ({"client_id": "ownerapi"}, "ownerapi"),
        ({"client_secret": ""}, "client_secret"),
        ({"redirect_uris": []}, "redirect_uri"),
        ({"redirect_uris": "http://x"}, "redirect_uris"),
        ({"scopes": ["openid", "email"]}, "email"),
        ({"bogus": 1}, "bogus"),
    ],
)
async def test_control_api_refuses_a_bad_app(
    emulator: Emulator,
    http: aiohttp.ClientSession,
    change: dict[str, Any],
    message: str,
) -> None:
    status, body = await control(http, emulator, "POST", "apps", json={**APP, **change})
    assert status == 400
    assert message in body["error"]
    assert emulator.state.scenario.apps == []


async def test_tokens_listing_names_client_and_scopes(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    register(emulator)
    tokens = await fleet_tokens(http, emulator)
    async with http.get(f"{emulator.base_url}/__emulator__/tokens") as response:
        text = await response.text()
    listed = json.loads(text)
    assert [(t["client_id"], t["scopes"], t["grant"]) for t in listed] == [
        (
            APP_ID,
            ["openid", "offline_access", "user_data", "vehicle_device_data"],
            "authorization_code",
        )
    ]
    for secret in (APP_SECRET, tokens["access_token"], tokens["refresh_token"]):
        assert secret not in text


def test_scenario_knobs_round_trip() -> None:
    data = {
        "apps": [{**APP, "scopes": ["openid", "offline_access", "user_data"]}],
        "fleet_consent": "grant",
        "fleet_denied_scopes": ["user_data"],
        "fleet_refresh_token_lifetime": 3600,
    }
    scenario = Scenario.from_dict(data)
    assert scenario.app(APP_ID) is not None
    assert Scenario.from_dict(scenario.to_dict()).to_dict() == scenario.to_dict()
    assert APP_SECRET not in repr(scenario)
    assert Scenario.default().apps == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"fleet_consent": "maybe"}, "fleet_consent"),
        ({"fleet_denied_scopes": ["openid"]}, "cannot be denied"),
        ({"fleet_denied_scopes": ["email"]}, "unknown scopes"),
        ({"fleet_refresh_token_lifetime": 0}, "fleet_refresh_token_lifetime"),
        ({"apps": [APP, APP]}, "unique"),
        ({"apps": {}}, "list"),
    ],
)
def test_scenario_refuses_bad_fleet_knobs(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        Scenario.from_dict(data)


async def test_register_helper_secrets_and_reset(emulator: Emulator) -> None:
    app = emulator.register_app("helper-app", "helper-secret-1", [APP_REDIRECT])
    assert emulator.state.scenario.app("helper-app") is app
    assert "helper-secret-1" in emulator.state.secrets()
    emulator.state.reset()
    assert emulator.state.scenario.apps == []  # the start scenario had none


def test_command_line_registers_apps(capsys: pytest.CaptureFixture[str]) -> None:
    args = parse_args(["--app", json.dumps(APP)])
    scenario = with_apps(Scenario.default(), args.app)
    assert [a.client_id for a in scenario.apps] == [APP_ID]
    assert main(["--app", "{not json"]) == 2
    assert "--app" in capsys.readouterr().err
    assert main(["--app", json.dumps({**APP, "client_secret": ""})]) == 2
    assert "client_secret" in capsys.readouterr().err
