"""Pasted callback URLs: hypothesis strategies, with facts about how each paste was built.

A `Pasted` says whether the paste must work (`intact`), so a test can tell a paste that must
succeed from one that may fail without asking the code under test.
"""

from __future__ import annotations

from dataclasses import dataclass
import string
from urllib.parse import quote, urlsplit

from hypothesis import strategies as st

from .typed import TESLA_CHINA, TESLA_GLOBAL, URL_SAFE, broken_up, junk, url_safe

_CALLBACK_PREFIXES = (
    "tesla://auth/callback",
    "tesla://auth/callback/",
    "TESLA://AUTH/CALLBACK",
    "https://auth.tesla.com/void/callback",
)
_WRONG_PREFIXES = (
    "tesla://auth/callbac",
    "tesla://auth/callback/x",
    "tesla:/auth/callback",
    "tesla//auth/callback",
    "http://auth.tesla.com/void/callback",
    "https://evil.example/callback",
    "https://auth.tesla.com.evil.example/void/callback",
    "javascript://auth/callback",
)
_PARAMS = frozenset({"code", "state", "issuer", "error"})


@dataclass(frozen=True)
class Pasted:
    """A pasted text and what it holds.

    `intact`: a callback of today's or the old redirect URI with exactly one non-empty code,
    this sign-in's state, no error and either no issuer or a trusted one, not broken by a line
    break or glued to other text. Such a paste must work; any other may fail.
    """

    text: str
    intact: bool
    code: str | None
    issuer: str | None  # the issuer parameter of an intact paste (None: it names none)


def _trusted_issuers(base: str) -> list[str]:
    scheme, _, rest = base.partition("://")
    china = base.replace("/oauth2/v3", "/cn/oauth2/v3")
    return [
        base,
        f"{base}/",
        f"{scheme.upper()}://{rest}",
        china,
        TESLA_GLOBAL,
        TESLA_CHINA,
    ]


def _untrusted_issuers(base: str) -> list[str]:
    parts = urlsplit(base)
    other_port = (
        f"{parts.scheme}://{parts.hostname}:{(parts.port or 80) + 1}{parts.path}"
    )
    return [
        "https://evil.example/oauth2/v3",
        "http://auth.tesla.com/oauth2/v3",
        "https://auth.tesla.com.evil.example/oauth2/v3",
        f"{base}?x=1",
        base.replace("127.0.0.1", "127.0.0.2"),
        other_port,
        "https://[",
        "http://[::1",
        "https://[abc]/oauth2/v3",
        "javascript:alert(1)",
        "",
    ]


type Params = list[tuple[str, str]]


def _code_params(draw: st.DrawFn, code: str, clean: bool) -> tuple[Params, bool]:
    """The code parameter(s): usually one, sometimes none, empty, twice or junk."""
    kinds = ["one"] if clean else ["one"] * 8 + ["missing", "empty", "two", "junk"]
    kind = draw(st.sampled_from(kinds))
    params = {
        "one": [("code", code)],
        "missing": [],
        "empty": [("code", "")],
        "two": [("code", code), ("code", draw(url_safe))],
        "junk": [("code", draw(junk))],
    }[kind]
    return params, kind == "one"


def _state_params(draw: st.DrawFn, state: str, clean: bool) -> tuple[Params, bool]:
    """The state parameter(s): usually this sign-in's, sometimes missing, another or twice."""
    others = ["missing", "other", "two", "empty", "longer"]
    kind = draw(st.sampled_from(["same"] if clean else ["same"] * 8 + others))
    values = {
        "same": [state],
        "missing": [],
        "other": [draw(url_safe)],
        "two": [state, state],
        "empty": [""],
        "longer": [f"{state}x"],
    }[kind]
    return [("state", value) for value in values], kind == "same"


def _issuer_params(draw: st.DrawFn, base: str, clean: bool) -> tuple[Params, bool]:
    """The issuer parameter(s): none, a trusted one, a foreign or broken one, or two.

    Clean: none, or the chosen server itself (spelled as a browser may show it).
    """
    kinds = ["none", "own"]
    if not clean:
        kinds += ["none", "trusted", "trusted", "untrusted", "two", "junk"]
    kind = draw(st.sampled_from(kinds))
    params: Params = {
        "none": [],
        "own": [("issuer", draw(st.sampled_from(_trusted_issuers(base)[:3])))],
        "trusted": [("issuer", draw(st.sampled_from(_trusted_issuers(base))))],
        "untrusted": [("issuer", draw(st.sampled_from(_untrusted_issuers(base))))],
        "two": [("issuer", base), ("issuer", TESLA_GLOBAL)],
        "junk": [("issuer", draw(junk))],
    }[kind]
    return params, kind in ("none", "own", "trusted")


def _other_params(draw: st.DrawFn, clean: bool) -> tuple[Params, bool]:
    """Sometimes error=…, and unrelated parameters."""
    params: Params = []
    has_error = not clean and draw(st.integers(0, 5)) == 0
    if has_error:
        params.append(
            (
                "error",
                draw(st.sampled_from(["login_cancelled", "access_denied"]) | junk),
            )
        )
    names = st.text(alphabet=string.ascii_lowercase + "_", min_size=1, max_size=6)
    params += draw(
        st.lists(
            st.tuples(names, junk).filter(lambda pair: pair[0] not in _PARAMS),
            max_size=2,
        )
    )
    return params, not has_error


def _query(draw: st.DrawFn, params: Params, clean: bool) -> tuple[str, bool]:
    """The query string: percent-encoded, or raw as a careless tool might show it."""
    raw = not clean and draw(st.integers(0, 3)) == 0
    encoded = "&".join(
        f"{name}={value if raw else quote(value, safe='')}" for name, value in params
    )
    unchanged = not raw or all(value == quote(value, safe="") for _, value in params)
    return encoded, unchanged


_WRAPPERS = (
    "{}",
    "  {}\n",
    '"{}"',
    "'{}'",
    "<{}>",
    "{}.",
    "({})",
    "Failed to launch '{}' because the scheme does not have a registered handler.",
    "Navigated to {}",
)


@st.composite
def pasted_callbacks(
    draw: st.DrawFn,
    *,
    state: str,
    base: str,
    code: str | None = None,
    clean: bool = False,
) -> Pasted:
    """A pasted callback for a sign-in with `state` against `base`, valid or subtly not.

    Args:
        state: the state the sign-in sent.
        base: the chosen SSO base.
        code: a real authorization code to use; a random one when None.
        clean: only pastes that must work (intact, naming no issuer or the chosen server),
            still in any wrapping, parameter order and with unrelated parameters.
    """
    code = code if code is not None else draw(url_safe)
    prefix = draw(st.sampled_from(_CALLBACK_PREFIXES))
    intact = clean or draw(st.integers(0, 4)) > 0
    if not intact:
        prefix = draw(
            st.sampled_from(_WRONG_PREFIXES) | st.builds("{}://{}".format, junk, junk)
        )
    params: Params = []
    for part, ok in (
        _code_params(draw, code, clean),
        _state_params(draw, state, clean),
        _issuer_params(draw, base, clean),
        _other_params(draw, clean),
    ):
        params += part
        intact &= ok
    query, unchanged = _query(draw, draw(st.permutations(params)), clean)
    intact &= unchanged
    with_query = bool(params) or draw(st.booleans())  # "…/callback?" with nothing after
    url = f"{prefix}?{query}" if with_query else prefix
    if draw(st.integers(0, 4)) == 0:
        url += "#" + draw(st.text(alphabet=URL_SAFE, max_size=8))
    if not clean and draw(st.integers(0, 5)) == 0:  # a line break copied along
        broken = draw(broken_up(url))
        intact &= broken == url
        url = broken
    text = draw(st.sampled_from(_WRAPPERS)).format(url)
    if (
        not clean and draw(st.integers(0, 5)) == 0
    ):  # glued on: may hide or break the URL
        text = draw(junk) + text + draw(junk)
        intact = False
    issuers = [value for name, value in params if name == "issuer"]
    return Pasted(
        text=text,
        intact=intact,
        code=code if intact else None,
        issuer=issuers[0] if intact and issuers else None,
    )
