"""Reading Tesla's sign-in pages: the form, captcha and MFA markers and the known error pages.

A page that matches nothing known raises UNEXPECTED_RESPONSE naming what was missing, so a change
on Tesla's side fails loudly instead of silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, auto
from html import unescape
from html.parser import HTMLParser
import re

from .errors import (
    LoginFailure,
    TemporaryFailure,
    TeslaSsoLoginError,
    TeslaSsoTemporaryError,
)

MFA_MARKER = "/authorize/mfa/verify"
_WAF_CHALLENGE = re.compile(r"<noscript>\s*Please enable JavaScript", re.IGNORECASE)
_REDIRECT_URI_REFUSED = re.compile(
    r"is not registered for this\s*['\"]?client_id", re.IGNORECASE
)
_RECAPTCHA_TEXT = "recaptcha is required"
_RECAPTCHA_CLASS = "g-recaptcha"
_LOCKED_MARKER = "your account has been locked"
_CAPTCHA_MISMATCH_MARKER = "captcha does not match"
_SCRIPT_VALUE = r"""['"]?{name}['"]?\s*[:=]\s*['"]([^'"]+)['"]"""
_REQUIRED_FORM_INPUTS = ("_csrf", "transaction_id")


class PageKind(Enum):
    """What a 200 sign-in page asks for."""

    SIGN_IN = auto()
    CAPTCHA_REQUIRED = auto()
    CAPTCHA_INVALID = auto()
    MFA = auto()


@dataclass(frozen=True)
class SsoPage:
    """The parts of a sign-in page the client needs; its repr shows no form values."""

    kind: PageKind
    form: dict[str, str] = field(repr=False)  # hidden inputs of form id="form"
    captcha_src: str | None = None
    # The MFA page's _csrf: its JSON requests need it since 2023.
    csrf: str | None = field(default=None, repr=False)


class _PageParser(HTMLParser):
    """Collects the sign-in form's hidden inputs, the captcha field and hidden inputs elsewhere."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.form_found = False
        self.form: dict[str, str] = {}
        self.page_hidden: dict[str, str] = {}
        self.captcha_field = False
        self.captcha_src: str | None = None
        self.recaptcha_widget = False
        self._in_form = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name.lower(): value or "" for name, value in attrs}
        if _is_recaptcha_widget(tag, attributes):
            self.recaptcha_widget = True
        if tag == "form" and attributes.get("id") == "form":
            self.form_found = self._in_form = True
        elif tag == "input":
            self._input(attributes)
        elif tag == "img" and attributes.get("data-id") == "captcha":
            self.captcha_src = attributes.get("src") or None

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False

    def _input(self, attributes: dict[str, str]) -> None:
        name = attributes.get("name", "")
        if not name:
            return
        if name == "captcha" and self._in_form:
            self.captcha_field = True
        if attributes.get("type", "").lower() != "hidden":
            return
        self.page_hidden.setdefault(name, attributes.get("value", ""))
        if self._in_form:
            self.form[name] = attributes.get("value", "")


def _is_recaptcha_widget(tag: str, attributes: dict[str, str]) -> bool:
    """Google's widget: an element of class g-recaptcha, or the reCAPTCHA script."""
    if _RECAPTCHA_CLASS in attributes.get("class", "").split():
        return True
    return tag == "script" and "recaptcha/api" in attributes.get("src", "")


def _parse(html: str) -> _PageParser:
    parser = _PageParser()
    parser.feed(html)
    parser.close()
    return parser


def is_waf_challenge(html: str) -> bool:
    """Tell whether a body is Akamai's JavaScript challenge page."""
    return _WAF_CHALLENGE.search(html) is not None


def _script_value(html: str, name: str) -> str | None:
    """Find ``name: "value"`` in an inline script (how the MFA page carries its ids)."""
    match = re.search(_SCRIPT_VALUE.format(name=re.escape(name)), html)
    return match.group(1) if match else None


def raise_for_known_error_page(html: str, parsed: _PageParser | None = None) -> None:
    """Raise the error a known stop page means (WAF, refused redirect_uri, locked, reCAPTCHA)."""
    text = unescape(html)
    lowered = text.lower()
    if is_waf_challenge(text):
        raise TeslaSsoTemporaryError(TemporaryFailure.WAF_CHALLENGE)
    if _REDIRECT_URI_REFUSED.search(text):
        raise TeslaSsoLoginError(LoginFailure.REDIRECT_URI_REFUSED)
    if _LOCKED_MARKER in lowered:
        raise TeslaSsoLoginError(LoginFailure.ACCOUNT_LOCKED)
    if _RECAPTCHA_TEXT in lowered or (parsed or _parse(html)).recaptcha_widget:
        raise TeslaSsoLoginError(LoginFailure.RECAPTCHA_REQUIRED)


def is_account_locked_page(html: str) -> bool:
    """Tell whether a page says the account is locked."""
    return _LOCKED_MARKER in unescape(html).lower()


def read_page(html: str) -> SsoPage:
    """Read a 200 page from the authorize endpoint.

    Raises:
        TeslaSsoLoginError: REDIRECT_URI_REFUSED (Tesla does not accept the redirect_uri for
            this client_id), ACCOUNT_LOCKED, RECAPTCHA_REQUIRED (Google reCAPTCHA is on).
        TeslaSsoTemporaryError: WAF_CHALLENGE (Akamai's JavaScript challenge page), or
            UNEXPECTED_RESPONSE (none of the known pages, or the form lacks a required input).
    """
    parser = _parse(html)
    raise_for_known_error_page(html, parser)
    if MFA_MARKER in html:
        return SsoPage(
            kind=PageKind.MFA,
            form=parser.form,
            csrf=parser.page_hidden.get("_csrf") or _script_value(html, "_csrf"),
        )
    if not parser.form_found:
        raise TeslaSsoTemporaryError(
            TemporaryFailure.UNEXPECTED_RESPONSE,
            'The sign-in page has neither a form with id="form" nor a known message',
        )
    missing = [name for name in _REQUIRED_FORM_INPUTS if not parser.form.get(name)]
    if missing:
        raise TeslaSsoTemporaryError(
            TemporaryFailure.UNEXPECTED_RESPONSE,
            f"The sign-in form lacks the hidden input(s) {', '.join(missing)}",
        )
    if _CAPTCHA_MISMATCH_MARKER in unescape(html).lower():
        kind = PageKind.CAPTCHA_INVALID
    elif parser.captcha_field:
        kind = PageKind.CAPTCHA_REQUIRED
    else:
        kind = PageKind.SIGN_IN
    return SsoPage(
        kind=kind,
        form=parser.form,
        captcha_src=parser.captcha_src,
        csrf=parser.form["_csrf"],
    )
