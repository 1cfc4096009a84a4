"""A Fleet API app's authorize: its checks, the reused login, the consent step and the callback."""

from __future__ import annotations

from urllib.parse import urlencode

import aiohttp
import pytest

from emulator import Emulator
from tests.flow_helpers import browser_sign_in

from .fleet_helpers import (
    APP_ID,
    APP_REDIRECT,
    EMAIL,
    SCOPES,
    FleetBrowser,
    consent_form,
    register,
)
from .helpers import callback


@pytest.fixture(autouse=True)
def app(emulator: Emulator) -> None:
    register(emulator)


async def test_login_then_consent_then_callback(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    browser = FleetBrowser(http, emulator.global_sso)
    page = await browser.open(EMAIL)
    assert page.status == 200
    assert 'id="form"' in page.text  # the ownerapi sign-in form, reused
    consent = await browser.submit(EMAIL)
    assert consent.status == 200
    form = consent_form(consent.text)
    # Every requested scope is a ticked box; only openid and offline_access are fixed.
    assert form.boxes == {
        "openid": True,
        "offline_access": True,
        "user_data": False,
        "vehicle_device_data": False,
    }
    assert APP_ID in consent.text
    redirected = await browser.consent(consent)
    assert redirected.headers["Location"].startswith(f"{APP_REDIRECT}?code=")
    result = callback(redirected)
    assert result["state"] == browser.state
    assert result["issuer"] == emulator.global_sso
    assert len(result["code"]) == 60


async def test_unticked_scope_is_not_granted(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    browser = FleetBrowser(http, emulator.global_sso)
    status, body = await browser.exchange(
        await browser.code(untick=("vehicle_device_data",))
    )
    assert status == 200
    assert body["scope"] == "openid offline_access user_data"


async def test_fixed_scopes_are_granted_even_when_not_sent(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    """A form that sends no box at all still grants openid and offline_access."""
    browser = FleetBrowser(http, emulator.global_sso)
    await browser.open(EMAIL)
    consent = await browser.submit(EMAIL)
    page = await browser.post({**consent_form(consent.text).hidden, "consent": "allow"})
    status, body = await browser.exchange(callback(page)["code"])
    assert status == 200
    assert body["scope"] == "openid offline_access"


async def test_deny_redirects_with_access_denied(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    browser = FleetBrowser(http, emulator.global_sso)
    await browser.open(EMAIL)
    result = callback(await browser.consent(await browser.submit(EMAIL), deny=True))
    assert result["error"] == "access_denied"
    assert result["state"] == browser.state
    assert "code" not in result


async def test_consent_with_a_foreign_csrf_is_refused(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    browser = FleetBrowser(http, emulator.global_sso)
    await browser.open(EMAIL)
    consent = await browser.submit(EMAIL)
    form = {**consent_form(consent.text).hidden, "_csrf": "forged", "consent": "allow"}
    assert (await browser.post(form)).status == 403


async def test_knob_grants_without_a_page_less_the_denied_scopes(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    emulator.state.scenario = emulator.state.scenario.updated(
        {"fleet_consent": "grant", "fleet_denied_scopes": ["vehicle_device_data"]}
    )
    browser = FleetBrowser(http, emulator.global_sso)
    await browser.open(EMAIL)
    result = callback(await browser.submit(EMAIL))  # no consent page
    status, body = await browser.exchange(result["code"])
    assert status == 200
    assert body["scope"] == "openid offline_access user_data"


async def test_denied_scopes_also_apply_to_the_page(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    emulator.state.scenario.fleet_denied_scopes = ["user_data"]
    browser = FleetBrowser(http, emulator.global_sso)
    status, body = await browser.exchange(await browser.code())
    assert status == 200
    assert body["scope"] == "openid offline_access vehicle_device_data"


async def test_knob_denies_without_a_page(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    emulator.state.scenario = emulator.state.scenario.updated({"fleet_consent": "deny"})
    browser = FleetBrowser(http, emulator.global_sso)
    await browser.open(EMAIL)
    result = callback(await browser.submit(EMAIL))
    assert result == {
        "error": "access_denied",
        "error_description": "The user denied access",
        "state": browser.state,
    }


async def test_flow_helpers_browser_sign_in_works_with_grant(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    """The integration tests' scripted browser gets the callback in one POST."""
    emulator.state.scenario = emulator.state.scenario.updated(
        {"fleet_consent": "grant"}
    )
    browser = FleetBrowser(http, emulator.global_sso)
    url = f"{emulator.global_sso}/authorize?{urlencode(browser.query())}"
    location = await browser_sign_in(url)
    assert location.startswith(f"{APP_REDIRECT}?code=")
    assert f"state={browser.state}" in location


async def test_mfa_then_consent(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    browser = FleetBrowser(http, emulator.global_sso)
    await browser.open("mfa@example.com")
    await browser.submit("mfa@example.com")
    factor = (await browser.factors())[0]
    passcode = emulator.state.totp("mfa@example.com", factor["name"])
    _, verified = await browser.verify(factor["id"], passcode)
    assert verified["data"]["valid"] is True
    consent = await browser.finish()
    result = callback(await browser.consent(consent))
    status, body = await browser.exchange(result["code"])
    assert status == 200
    assert body["scope"] == SCOPES


async def test_china_account_is_sent_to_its_region(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    browser = FleetBrowser(http, emulator.global_sso)
    code = await browser.code("china@example.com")
    assert browser.base == emulator.china_sso  # the 303 was followed
    status, body = await browser.exchange(code)
    assert status == 200
    assert body["scope"] == SCOPES


async def test_prompt_missing_scopes_is_accepted(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    browser = FleetBrowser(http, emulator.global_sso)
    page = await browser.open(EMAIL, prompt_missing_scopes="true")
    assert page.status == 200
    assert 'id="form"' in page.text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"client_id": "not-registered"}, "client_id"),
        ({"redirect_uri": APP_REDIRECT + "/"}, "is not registered for this"),
        ({"redirect_uri": "tesla://auth/callback"}, "is not registered for this"),
        ({"scope": "openid offline_access energy_cmds"}, "energy_cmds"),
        ({"scope": ""}, "scope"),
        ({"state": ""}, "state"),
        ({"code_challenge_method": "plain"}, "S256"),
        ({"response_type": "token"}, "response_type"),
    ],
)
async def test_authorize_refusals(
    emulator: Emulator,
    http: aiohttp.ClientSession,
    change: dict[str, str],
    message: str,
) -> None:
    register(
        emulator,
        scopes=["openid", "offline_access", "user_data", "vehicle_device_data"],
    )
    browser = FleetBrowser(http, emulator.global_sso)
    page = await browser.open(EMAIL, **change)
    assert page.status == 400
    assert message in page.text
    assert 'id="form"' not in page.text


async def test_ownerapi_does_not_take_an_apps_redirect_uri(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    browser = FleetBrowser(http, emulator.global_sso, client_id="ownerapi")
    page = await browser.open(EMAIL, scope="openid email offline_access")
    assert page.status == 400
    assert "is not registered for this" in page.text
