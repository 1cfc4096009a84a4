"""Sign-in conversations: plain, captcha, MFA, backup codes, cancel, region redirect."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlparse

import aiohttp
import pytest

from emulator import Emulator

from .helpers import Browser, callback, claims, page_messages


async def test_plain_login_redirects_with_code_state_and_issuer(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    browser = Browser(http, emulator.global_sso)
    page = await browser.open("owner@example.com")
    assert page.status == 200
    assert 'id="form"' in page.text
    assert {
        "_csrf",
        "_phase",
        "_process",
        "transaction_id",
        "cancel",
        "identity",
        "credential",
    } <= set(browser.form)
    assert browser.form["_phase"] == "authenticate"
    assert len(browser.form["transaction_id"]) == 8
    assert page_messages(page.text) == {}
    result = callback(await browser.submit("owner@example.com"))
    assert result["state"] == browser.state
    assert result["issuer"] == emulator.global_sso
    status, body, headers = await browser.token(result["code"], result["issuer"])
    assert status == 200
    assert headers["Cache-Control"] == "no-store"
    assert body["state"] == browser.state
    assert body["token_type"] == "Bearer"
    access = claims(body["access_token"])
    assert access["iss"] == emulator.global_sso
    assert access["amr"] == ["pwd"]
    assert access["exp"] - access["iat"] == 28800
    assert claims(body["id_token"])["email"] == "owner@example.com"
    assert "exp" not in claims(body["refresh_token"])
    assert [(r.method, r.path, r.status) for r in emulator.state.requests] == [
        ("GET", "/oauth2/v3/authorize", 200),
        ("POST", "/oauth2/v3/authorize", 302),
        ("POST", "/oauth2/v3/token", 200),
    ]


async def test_captcha_on_first_page_is_an_svg_bound_to_the_session(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    browser = Browser(http, emulator.global_sso)
    page = await browser.open("captcha@example.com")
    assert 'name="captcha"' in page.text
    assert '<img data-id="captcha" src="/oauth2/v3/captcha"' in page.text
    svg = await browser.captcha()
    assert svg.startswith(
        b'<svg xmlns="http://www.w3.org/2000/svg" width="150" height="50"'
    )
    answer = emulator.state.latest_captcha_answer()
    assert answer is not None
    assert len(answer) == 4
    # Each character is drawn as text a person can read.
    assert all(f">{char}</text>" in svg.decode() for char in answer)

    result = callback(
        await browser.submit("captcha@example.com", captcha=answer.upper())
    )
    assert result["issuer"] == emulator.global_sso


async def test_wrong_captcha_asks_again_with_a_new_image(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    browser = Browser(http, emulator.global_sso)
    await browser.open("captcha@example.com")
    await browser.captcha()
    answer = emulator.state.latest_captcha_answer()
    assert answer is not None

    page = await browser.submit("captcha@example.com", captcha="zzzzzz")
    assert page.status == 200
    assert "Captcha does not match" in page.text
    assert 'name="captcha"' in page.text
    # The old image's answer is spent: one try per image.
    page = await browser.submit("captcha@example.com", captcha=answer)
    assert "Captcha does not match" in page.text
    await browser.captcha()
    fresh = emulator.state.latest_captcha_answer()
    assert fresh is not None
    assert (await browser.submit("captcha@example.com", captcha=fresh)).status == 302


async def test_captcha_answer_of_another_session_does_not_count(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    browser = Browser(http, emulator.global_sso)
    await browser.open("captcha@example.com")
    async with aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True)
    ) as other:
        stranger = Browser(other, emulator.global_sso)
        await stranger.open("captcha@example.com")
        await stranger.captcha()
    answer = emulator.state.latest_captcha_answer()
    assert answer is not None
    page = await browser.submit("captcha@example.com", captcha=answer)
    assert "Captcha does not match" in page.text


async def test_captcha_missing_when_required_shows_the_form_with_captcha(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    browser = Browser(http, emulator.global_sso)
    await browser.open("captcha@example.com")
    page = await browser.submit("captcha@example.com")
    assert page.status == 200
    assert 'name="captcha"' in page.text
    assert "Captcha does not match" not in page.text


async def test_captcha_only_after_the_first_post(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    emulator.state.scenario = emulator.state.scenario.updated(
        {"captcha": "after_first_post"}
    )
    browser = Browser(http, emulator.global_sso)
    page = await browser.open("owner@example.com")
    assert 'name="captcha"' not in page.text
    page = await browser.submit("owner@example.com")
    assert page.status == 200
    assert 'name="captcha"' in page.text
    await browser.captcha()
    answer = emulator.state.latest_captcha_answer()
    assert answer is not None
    assert (await browser.submit("owner@example.com", captcha=answer)).status == 302


async def test_captcha_without_login_hint_follows_the_scenario_knob(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    emulator.state.scenario = emulator.state.scenario.updated({"captcha": "first_page"})
    browser = Browser(http, emulator.global_sso)
    page = await browser.open()
    assert 'name="captcha"' in page.text


async def test_recaptcha_markers_only_in_recaptcha_mode(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    """Clients detect reCAPTCHA by its markers: an ordinary page must not carry them."""
    page = await Browser(http, emulator.global_sso).open("owner@example.com")
    assert "recaptcha" not in page.text.lower()


async def test_recaptcha_mode_refuses_scripted_sign_in(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    emulator.state.scenario = emulator.state.scenario.updated({"recaptcha": True})
    browser = Browser(http, emulator.global_sso)
    page = await browser.open("owner@example.com")
    assert "g-recaptcha" in page.text
    # The widget's checkbox is created by script, so a form parser finds nothing to tick.
    assert "g-recaptcha-response" not in browser.form
    page = await browser.submit("owner@example.com")
    assert page.status == 200
    assert "Recaptcha is required" in page.text
    assert page_messages(page.text) == {"recaptcha": "Recaptcha is required"}
    # What a browser's widget adds passes.
    page = await browser.post(
        {
            **browser.form,
            "identity": "owner@example.com",
            "credential": "tesla-demo-password",
            "g-recaptcha-response": "solved",
        }
    )
    assert page.status == 302


async def test_wrong_password_is_401_with_the_form_and_a_message(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    browser = Browser(http, emulator.global_sso)
    await browser.open("owner@example.com")
    page = await browser.submit("owner@example.com", "wrong")
    assert page.status == 401
    assert 'id="form"' in page.text
    assert page_messages(page.text)["_"]
    # The same transaction can try again.
    assert (await browser.submit("owner@example.com")).status == 302


async def test_unknown_account_is_401(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    browser = Browser(http, emulator.global_sso)
    await browser.open()
    assert (await browser.submit("nobody@example.com")).status == 401


async def test_account_locks_after_lockout_after_failures(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    emulator.state.scenario = emulator.state.scenario.updated({"lockout_after": 3})
    browser = Browser(http, emulator.global_sso)
    await browser.open("owner@example.com")
    assert (await browser.submit("owner@example.com", "wrong")).status == 401
    assert (await browser.submit("owner@example.com", "wrong")).status == 401
    page = await browser.submit("owner@example.com", "wrong")
    assert page.status == 200
    assert "Your account has been locked" in page.text
    # Even the right password is refused now.
    page = await browser.submit("owner@example.com")
    assert page.status == 200
    assert "Your account has been locked" in page.text


async def test_a_good_password_resets_the_failure_count(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    emulator.state.scenario = emulator.state.scenario.updated({"lockout_after": 2})
    for _ in range(2):
        browser = Browser(http, emulator.global_sso)
        await browser.open("owner@example.com")
        assert (await browser.submit("owner@example.com", "wrong")).status == 401
        assert (await browser.submit("owner@example.com")).status == 302


async def test_account_locked_in_the_scenario(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    account = emulator.state.scenario.account("owner@example.com")
    assert account is not None
    account.locked = True
    browser = Browser(http, emulator.global_sso)
    await browser.open("owner@example.com")
    assert (
        "Your account has been locked"
        in (await browser.submit("owner@example.com")).text
    )


async def test_cancel_redirects_with_login_cancelled(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    browser = Browser(http, emulator.global_sso)
    await browser.open("owner@example.com")
    result = callback(
        await browser.post(
            {"transaction_id": browser.form["transaction_id"], "cancel": "1"}
        )
    )
    assert result["error"] == "login_cancelled"
    assert result["state"] == browser.state
    assert "code" not in result
    # The transaction is gone.
    assert (await browser.submit("owner@example.com")).status == 400


async def test_redirect_uri_not_allowed_shows_the_refusal_page(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    browser = Browser(
        http, emulator.global_sso, redirect_uri="https://auth.tesla.com/void/callback"
    )
    page = await browser.open("owner@example.com")
    assert page.status == 400
    assert "is not registered for this 'client_id'" in page.text
    assert 'id="form"' not in page.text


async def test_allow_list_is_a_scenario_knob(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    emulator.state.scenario.redirect_uris.append("https://auth.tesla.com/void/callback")
    browser = Browser(
        http, emulator.global_sso, redirect_uri="https://auth.tesla.com/void/callback"
    )
    await browser.open("owner@example.com")
    location = (await browser.submit("owner@example.com")).headers["Location"]
    assert location.startswith("https://auth.tesla.com/void/callback?code=")


@pytest.mark.parametrize(
    "query",
    [
        {"code_challenge_method": "plain"},
        {"code_challenge": "short"},
        {"client_id": "someone"},
        {"response_type": "token"},
    ],
    ids=["plain pkce", "short challenge", "unknown client", "implicit grant"],
)
async def test_authorize_refuses_a_request_tesla_refuses(
    emulator: Emulator, http: aiohttp.ClientSession, query: dict[str, str]
) -> None:
    page = await Browser(http, emulator.global_sso).open("owner@example.com", **query)
    assert page.status == 400


async def test_csrf_token_must_match(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    browser = Browser(http, emulator.global_sso)
    await browser.open("owner@example.com")
    browser.form["_csrf"] = "forged"
    assert (await browser.submit("owner@example.com")).status == 403


async def test_transactions_are_bound_to_the_session_cookie(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    browser = Browser(http, emulator.global_sso)
    page = await browser.open("owner@example.com")
    cookie = page.headers["Set-Cookie"]
    assert cookie.startswith("tesla-auth.sid=s%3A")
    assert "HttpOnly" in cookie
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as cookieless:
        thief = Browser(cookieless, emulator.global_sso, form=dict(browser.form))
        assert (await thief.submit("owner@example.com")).status == 400


async def test_region_redirect_303_for_a_china_account(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    browser = Browser(http, emulator.global_sso)
    url = f"{emulator.global_sso}/authorize?login_hint=china%40example.com&{urlencode(browser.query())}"
    async with http.get(url, allow_redirects=False) as response:
        assert response.status == 303
        location = response.headers["Location"]
    assert location.startswith(f"{emulator.china_sso}/authorize?")
    assert parse_qs(urlparse(location).query)["login_hint"] == ["china@example.com"]

    page = await browser.open("china@example.com")
    assert page.status == 200
    assert browser.base == emulator.china_sso
    result = callback(await browser.submit("china@example.com"))
    assert result["issuer"] == emulator.china_sso
    status, body, _ = await browser.token(result["code"], result["issuer"])
    assert status == 200
    access = claims(body["access_token"])
    assert access["iss"] == emulator.china_sso
    assert access["ou_code"] == "CN"
    assert "https://owner-api.vn.cloud.tesla.cn/" in access["aud"]


async def test_china_base_sends_global_accounts_back(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    browser = Browser(http, emulator.china_sso)
    await browser.open("owner@example.com")
    assert browser.base == emulator.global_sso


async def test_china_account_without_hint_gets_the_china_issuer(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    browser = Browser(http, emulator.global_sso)
    await browser.open()
    result = callback(await browser.submit("china@example.com"))
    assert result["issuer"] == emulator.china_sso
    # Its code is redeemed at the China token endpoint only.
    status, body, _ = await browser.token(result["code"], emulator.global_sso)
    assert (status, body["error"]) == (400, "invalid_grant")
    status, _, _ = await browser.token(result["code"], emulator.china_sso)
    assert status == 200


async def test_expired_transaction_is_refused(
    emulator: Emulator, http: aiohttp.ClientSession, freezer: object
) -> None:
    browser = Browser(http, emulator.global_sso)
    await browser.open("owner@example.com")
    freezer.tick(601)  # type: ignore[attr-defined]
    page = await browser.submit("owner@example.com")
    assert page.status == 400
    assert "expired" in page.text
