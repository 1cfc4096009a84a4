"""Reading sign-in pages: every known page, and loud failure on an unknown one."""

from __future__ import annotations

import pytest

from custom_components.tesla_token.sso import LoginFailure, TemporaryFailure
from custom_components.tesla_token.sso.pages import (
    PageKind,
    is_account_locked_page,
    read_page,
)
from tests.sso.helpers import raises_sso

HIDDEN = """
  <input type="hidden" name="_csrf" value="csrf-1" />
  <input type="hidden" name="_phase" value="authenticate" />
  <input type="hidden" name="_process" value="1" />
  <input type="hidden" name="transaction_id" value="tx123456" />
  <input type="hidden" name="cancel" value="" id="form-input-cancel" />
"""
VISIBLE = """
  <input type="text" name="identity" value="" />
  <input type="password" name="credential" />
"""
CAPTCHA = """
  <img data-id="captcha" src="/oauth2/v3/captcha" />
  <input type="text" name="captcha" value="" />
"""


def sign_in_page(
    *, extra: str = "", messages: str = "{}", before_form: str = ""
) -> str:
    return f"""<!doctype html><html><head><title>Tesla SSO - Sign In</title>
<script>var messages = {messages};</script></head><body>
<input type="hidden" name="unrelated" value="outside" />{before_form}
<form method="post" id="form">{HIDDEN}{VISIBLE}{extra}<input name="" value="x"/></form>
</body></html>"""


def test_plain_sign_in_form() -> None:
    page = read_page(sign_in_page())
    assert page.kind is PageKind.SIGN_IN
    assert page.form == {
        "_csrf": "csrf-1",
        "_phase": "authenticate",
        "_process": "1",
        "transaction_id": "tx123456",
        "cancel": "",
    }
    assert page.captcha_src is None
    assert "csrf-1" not in repr(page)


def test_form_with_captcha() -> None:
    page = read_page(sign_in_page(extra=CAPTCHA))
    assert page.kind is PageKind.CAPTCHA_REQUIRED
    assert page.captcha_src == "/oauth2/v3/captcha"


def test_captcha_outside_the_form_is_not_a_captcha_field() -> None:
    page = read_page(sign_in_page(before_form='<input name="captcha" />'))
    assert page.kind is PageKind.SIGN_IN


def test_wrong_captcha_message() -> None:
    page = read_page(
        sign_in_page(extra=CAPTCHA, messages='{"captcha": "Captcha does not match"}')
    )
    assert page.kind is PageKind.CAPTCHA_INVALID
    assert page.form["transaction_id"] == "tx123456"


def test_mfa_page_with_csrf_in_a_hidden_input() -> None:
    html = """<html><body><input type="hidden" name="_csrf" value="mfa-csrf" />
    <input type="hidden" name="transaction_id" value="tx999" />
    <script>ajax("POST", "/oauth2/v3/authorize/mfa/verify", {});</script></body></html>"""
    page = read_page(html)
    assert page.kind is PageKind.MFA
    assert page.csrf == "mfa-csrf"


def test_mfa_page_with_ids_in_a_script() -> None:
    html = """<html><script>
      ajax("POST", "/oauth2/v3/authorize/mfa/verify", {
        transaction_id: "kmhFSHNk", _csrf: 'script-csrf' });
    </script></html>"""
    page = read_page(html)
    assert page.kind is PageKind.MFA
    assert page.csrf == "script-csrf"


def test_mfa_page_without_csrf() -> None:
    page = read_page('<script>fetch("/oauth2/v3/authorize/mfa/verify")</script>')
    assert page.kind is PageKind.MFA
    assert page.csrf is None


@pytest.mark.parametrize(
    ("html", "error"),
    [
        (
            "<html><body><noscript>Please enable JavaScript to view the page content.</noscript></body></html>",
            TemporaryFailure.WAF_CHALLENGE,
        ),
        (
            "<p>The redirect_uri 'https://auth.tesla.com/void/callback' is not registered for this 'client_id'.</p>",
            LoginFailure.REDIRECT_URI_REFUSED,
        ),
        (
            "<p>The redirect_uri &#39;x&#39; is not registered for this &#39;client_id&#39;.</p>",
            LoginFailure.REDIRECT_URI_REFUSED,
        ),
        (
            sign_in_page(messages='{"_": "Your account has been locked"}'),
            LoginFailure.ACCOUNT_LOCKED,
        ),
        (
            sign_in_page(extra='<div class="g-recaptcha" data-sitekey="k"></div>'),
            LoginFailure.RECAPTCHA_REQUIRED,
        ),
        (
            sign_in_page(messages='{"_": "Recaptcha is required"}'),
            LoginFailure.RECAPTCHA_REQUIRED,
        ),
    ],
)
def test_known_stop_pages(html: str, error: LoginFailure | TemporaryFailure) -> None:
    with raises_sso(error):
        read_page(html)


def test_recaptcha_script_is_recaptcha() -> None:
    with raises_sso(LoginFailure.RECAPTCHA_REQUIRED):
        read_page(
            sign_in_page(
                extra='<script src="https://www.google.com/recaptcha/api.js"></script>'
            )
        )


def test_a_mere_mention_of_recaptcha_in_a_script_is_not_recaptcha() -> None:
    script = (
        '<script>var robot = document.getElementById("g-recaptcha-checkbox");</script>'
    )
    assert read_page(sign_in_page(before_form=script)).kind is PageKind.SIGN_IN


def test_locked_marker() -> None:
    assert is_account_locked_page("<p>Your account has been locked.</p>")
    assert not is_account_locked_page(sign_in_page())


@pytest.mark.parametrize(
    ("html", "named"),
    [
        ("<html><body>Maintenance</body></html>", 'id="form"'),
        (
            '<form id="login"><input type="hidden" name="_csrf" value="x"/></form>',
            'id="form"',
        ),
        (
            '<form id="form"><input type="hidden" name="_csrf" value="x"/></form>',
            "transaction_id",
        ),
        (
            '<form id="form"><input type="hidden" name="transaction_id" value="t"/></form>',
            "_csrf",
        ),
        ("", 'id="form"'),
    ],
)
def test_unknown_pages_fail_loudly(html: str, named: str) -> None:
    with raises_sso(TemporaryFailure.UNEXPECTED_RESPONSE) as err:
        read_page(html)
    assert named in str(err.value)
