"""Reading the callback URL (from a 302 Location or pasted by a person) into an Authorized step."""

from __future__ import annotations

import re
import string
from urllib.parse import parse_qs

from .const import LEGACY_REDIRECT_URI, REDIRECT_URI
from .errors import LoginFailure, TeslaSsoLoginError, logged_error_name
from .steps import Authorized
from .urls import trusted_issuer

_LETTERS = frozenset(string.ascii_letters)
_SCHEME_CHARS = _LETTERS | frozenset(string.digits + "+.-")
_URL_REST = re.compile(r"[^\s'\"<>`]+")  # matched at one position only: linear
# OAuth error names are lower-case words joined by "_" (login_cancelled, access_denied); a
# code, passcode or token has digits or capitals, so it never passes for one.
_ERROR_NAME = re.compile(r"(?=.{1,64}$)[a-z]+(?:_[a-z]+)*")
_TRAILING_PUNCTUATION = ".,;)"
_LINE_BREAK_RUN = re.compile(r"[\r\n]+")


def _join_wrapped_lines(pasted: str) -> str:
    """Drop line breaks and the blanks around them (copying a wrapped line adds them).

    Linear in the length of the text: a regular expression with blanks on both sides of the
    break backtracks quadratically over a long run of blanks.
    """
    lines = _LINE_BREAK_RUN.split(pasted)
    if len(lines) == 1:
        return pasted
    first, *middle, last = lines
    # Only the blanks that touch a break go: the ends of the whole text keep theirs.
    return "".join(
        [
            first.rstrip(" \t"),
            *(line.strip(" \t") for line in middle),
            last.lstrip(" \t"),
        ]
    )


def _scheme_start(text: str, colon: int) -> int | None:
    """Where the URL scheme that ends at ``colon`` starts (its first letter), if it has one."""
    start = colon
    while start > 0 and text[start - 1] in _SCHEME_CHARS:
        start -= 1
    # A scheme starts with a letter: skip the digits and signs before the first one.
    while start < colon and text[start] not in _LETTERS:
        start += 1
    return start if start < colon else None


def _first_url(text: str) -> str | None:
    """The first ``scheme://rest`` in the text, found in linear time.

    Each ``://`` is looked at once, and the scheme runs before different ``://`` do not
    overlap, so no character is scanned more than a few times.
    """
    colon = text.find("://")
    while colon != -1:
        start = _scheme_start(text, colon)
        # Only a real scheme's rest is read: it may run over the next "://" as well.
        if start is not None and (rest := _URL_REST.match(text, colon + 3)):
            return text[start : rest.end()]
        colon = text.find("://", colon + 1)
    return None


def extract_url(pasted: str) -> str:
    """Find the URL in pasted text (plain, quoted, or inside the browser's console line).

    Raises:
        TeslaSsoLoginError: INVALID_CALLBACK_URL, the text holds no URL.
    """
    # A URL has no white space: line breaks in it come from copying a wrapped line.
    url = _first_url(_join_wrapped_lines(pasted))
    if url is None:
        raise TeslaSsoLoginError(
            LoginFailure.INVALID_CALLBACK_URL, "The pasted text contains no URL"
        )
    return url.rstrip(_TRAILING_PUNCTUATION)


def _callback_prefixes(redirect_uri: str) -> set[str]:
    """The URLs (without query) that a callback may start with."""
    return {
        uri.rstrip("/").lower()
        for uri in (redirect_uri, REDIRECT_URI, LEGACY_REDIRECT_URI)
    }


def is_callback_url(url: str, redirect_uri: str) -> bool:
    """Tell whether a URL is the sign-in callback (today's or the old void/callback)."""
    return url.partition("?")[0].rstrip("/").lower() in _callback_prefixes(redirect_uri)


def _single(params: dict[str, list[str]], name: str) -> str | None:
    """Return the one value of a query parameter, None when absent.

    Raises:
        TeslaSsoLoginError: INVALID_CALLBACK_URL, the parameter appears more than once.
    """
    values = params.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise TeslaSsoLoginError(
            LoginFailure.INVALID_CALLBACK_URL,
            f"The callback carries {name} more than once",
        )
    return values[0]


def parse_callback(
    pasted: str,
    *,
    state: str,
    redirect_uri: str,
    trusted_base: str,
    default_issuer: str,
) -> Authorized:
    """Turn a callback URL into an Authorized step after checking state and issuer.

    Args:
        pasted: the callback URL, possibly with spaces, quotes or the console's wording around it.
        state: the state this sign-in sent.
        redirect_uri: the redirect_uri this sign-in sent.
        trusted_base: the SSO base the person chose; an issuer must share its origin or be Tesla's.
        default_issuer: the issuer to use when the callback names none.

    Raises:
        TeslaSsoLoginError: INVALID_CALLBACK_URL (not a callback, no code, or a foreign
            issuer), CALLBACK_ERROR (the callback carries ``error=``) or STATE_MISMATCH (the
            state differs from this sign-in's).
    """
    url = extract_url(pasted)
    if not is_callback_url(url, redirect_uri):
        raise TeslaSsoLoginError(
            LoginFailure.INVALID_CALLBACK_URL, "The URL is not Tesla's sign-in callback"
        )
    query = url.partition("?")[2].partition("#")[0]
    params = parse_qs(query, keep_blank_values=True)
    error = _single(params, "error")
    if error is not None:
        name = logged_error_name(error, (), _ERROR_NAME)
        raise TeslaSsoLoginError(
            LoginFailure.CALLBACK_ERROR, f"The sign-in ended with error {name!r}"
        )
    code = _single(params, "code")
    if not code:
        raise TeslaSsoLoginError(
            LoginFailure.INVALID_CALLBACK_URL, "The callback has no code"
        )
    if _single(params, "state") != state:
        raise TeslaSsoLoginError(LoginFailure.STATE_MISMATCH)
    issuer = _single(params, "issuer")
    if issuer is None:
        return Authorized(code=code, issuer=default_issuer)
    trusted = trusted_issuer(issuer, trusted_base)
    if trusted is None:
        raise TeslaSsoLoginError(
            LoginFailure.INVALID_CALLBACK_URL,
            "The callback names an issuer that is not a trusted SSO server",
        )
    return Authorized(code=code, issuer=trusted)
