"""What a server may answer: hypothesis strategies for statuses, headers and bodies.

`answers(base)` is anything at all; `scripts(base)` a whole sign-in answered faithfully (see
faithful.py) except for one or two steps.
"""

from __future__ import annotations

from functools import cache
import json
import math
from typing import Any

from hypothesis import strategies as st

from .answer_server import STATE_MARK, Answer, Delivery, Step
from .faithful import (
    MFA_MARKER,
    SUB,
    SVG,
    access_claims,
    callback,
    faithful,
    jwt,
    mfa_page,
    sign_in_page,
    token_body,
)
from .typed import TESLA_CHINA, TESLA_GLOBAL, deeply_nested, json_values, junk


@cache
def _header_text() -> st.SearchStrategy[str]:
    """Header-safe text: no control characters (the server refuses to send those)."""
    return st.text(
        alphabet=st.characters(exclude_categories=["Cc", "Cs", "Zl", "Zp"]), max_size=30
    )


@cache
def locations(base: str) -> st.SearchStrategy[str]:
    """Redirect targets: the callback in many forms, other regions, foreign hosts, junk."""
    origin = base.removesuffix("/oauth2/v3")
    return st.one_of(
        st.sampled_from(
            [
                callback(base),
                callback(TESLA_GLOBAL),
                callback(TESLA_CHINA),
                callback(base.replace("/oauth2/v3", "/cn/oauth2/v3")),
                callback("https://evil.example/oauth2/v3"),
                callback("https://["),
                callback(base, code=""),
                callback(base, error="login_cancelled"),
                callback(base, state="another"),
                "tesla://auth/callback",
                "tesla://auth/callback?code=c0de",
                f"{origin}/cn/oauth2/v3/authorize?state={STATE_MARK}",
                f"{TESLA_CHINA}/authorize?state={STATE_MARK}",
                "https://evil.example/oauth2/v3/authorize",
                "/cn/oauth2/v3/authorize",
                "/oauth2/v3/authorize",
                f"{base}/authorize",
                "//evil.example/oauth2/v3/authorize",
                "//[",
                "http://[::1",
                "https://[abc]/authorize",
                f"{origin}:99999/oauth2/v3/authorize",
                "",
            ]
        ),
        _header_text(),
    )


@cache
def retry_afters() -> st.SearchStrategy[str]:
    """Retry-After values: seconds, dates, and what a broken proxy might send."""
    return st.one_of(
        st.integers(-(10**30), 10**30).map(str),
        st.floats().map(str),
        st.sampled_from(
            [
                "inf",
                "-inf",
                "nan",
                "1e309",
                "Wed, 21 Oct 2015 07:28:00 GMT",
                "Fri, 31 Dec 9999 23:59:59 GMT",
                "Mon, 01 Jan 0001 00:00:00 GMT",
                "Wed, 21 Oct 2015 07:28:00",
                "Wed, 99 Oct 2015 99:99:99 GMT",
                "",
            ]
        ),
        _header_text(),
    )


@cache
def headers(base: str) -> st.SearchStrategy[tuple[tuple[str, str], ...]]:
    """Some of Location, Retry-After, Content-Type and Akamai's Server header."""
    optional = st.fixed_dictionaries(
        {},
        optional={
            "Location": locations(base),
            "Retry-After": retry_afters(),
            "Content-Type": st.sampled_from(
                [
                    "text/html",
                    "application/json",
                    "image/svg+xml",
                    "text/html; charset=utf-16",
                    "application/json; charset=bogus",
                    "",
                ]
            )
            | _header_text(),
            "Server": st.sampled_from(["AkamaiGHost", "akamaighost", "nginx"]),
        },
    )
    return optional.map(lambda found: tuple(found.items()))


@cache
def _hidden_inputs() -> st.SearchStrategy[str]:
    names = (
        st.sampled_from(["_csrf", "transaction_id", "_phase", "cancel", "captcha"])
        | junk
    )
    values = junk | st.sampled_from(['"', "'", "&quot;", "<", ""])
    kinds = st.sampled_from(["hidden", "HIDDEN", "text", ""])
    return st.lists(
        st.builds(
            lambda name, value, kind: (
                f'<input type="{kind}" name="{name}" value="{value}">'
            ),
            names,
            values,
            kinds,
        ),
        max_size=4,
    ).map("".join)


@cache
def html_pages(base: str) -> st.SearchStrategy[str]:
    """Pages assembled from the markers and inputs the client looks for."""
    snippets = st.sampled_from(
        [
            '<form method="post" id="form">',
            "</form>",
            '<input type="text" name="captcha">',
            '<img data-id="captcha" src="/captcha">',
            '<img data-id="captcha" src="https://evil.example/captcha">',
            '<img data-id="captcha" src="//[">',
            '<img data-id="captcha" src="//evil.example/captcha?x=1">',
            '<img data-id="captcha" src="http://127.0.0.1:99999/captcha">',
            '<img data-id="captcha" src="javascript:alert(1)">',
            f'<script>post("/oauth2/v3{MFA_MARKER}")</script>',
            '<script>var o = {_csrf: "c-9", transaction_id: "t-9"};</script>',
            "<noscript>Please enable JavaScript</noscript>",
            "Captcha does not match",
            "Your account has been locked",
            '<div class="g-recaptcha"></div>',
            "Recaptcha is required",
            "The redirect_uri is not registered for this 'client_id'",
            "<!-- unterminated",
            "<![CDATA[",
            "&#x0;&#99999999;&bogus;",
        ]
    )
    pieces = st.one_of(snippets, _hidden_inputs(), junk, locations(base))
    return st.lists(pieces, max_size=8).map("".join)


@cache
def numbers() -> st.SearchStrategy[Any]:
    """What a number member of a JSON answer may hold (JSON has no limits; Python reads them all)."""
    extremes = [0, -1, 1e308, -1e308, 10**400, 2**63, math.inf, -math.inf, math.nan]
    return st.one_of(
        st.sampled_from([*extremes, True, None, "28800"]),
        st.integers(),
        st.floats(),
    )


@cache
def _claims(base: str) -> st.SearchStrategy[dict[str, Any]]:
    """Access token claims with some of them swapped for odd values."""
    odd = {
        "iss": st.sampled_from(
            [
                base,
                f"{base}/",
                TESLA_GLOBAL,
                TESLA_CHINA,
                "https://evil.example/oauth2/v3",
                "https://[",
                "",
            ]
        )
        | json_values,
        "sub": st.sampled_from([SUB, ""]) | json_values,
        "exp": numbers(),
        "iat": numbers(),
        "azp": st.sampled_from(["ownerapi"]) | json_values,
    }
    return st.builds(
        lambda replaced, dropped: {
            key: value
            for key, value in {**access_claims(base), **replaced}.items()
            if key not in dropped
        },
        st.fixed_dictionaries({}, optional=odd),
        st.sets(st.sampled_from(list(odd)), max_size=1),
    )


@cache
def json_bodies(base: str) -> st.SearchStrategy[Any]:
    """JSON answers shaped like the MFA and token answers, with odd members."""
    token = st.one_of(
        _claims(base).map(jwt), junk, json_values, st.sampled_from(["", "a.b.c"])
    )
    factor = st.fixed_dictionaries(
        {},
        optional={
            "id": st.sampled_from(["f-1"]) | json_values,
            "name": json_values,
            "factorType": json_values,
        },
    )
    data = st.one_of(
        json_values,
        st.lists(factor | json_values, max_size=3),
        st.fixed_dictionaries(
            {},
            optional={
                "valid": json_values,
                "approved": json_values,
                "locked": json_values,
                "attemptsRemaining": numbers(),
                "reason": st.sampled_from(
                    ["ERR_MAX_BACKUP_ATTEMPTS", "ERR_BACKUP_CODE_REPLAY"]
                )
                | json_values,
            },
        ),
    )
    error = st.one_of(
        st.sampled_from(
            [
                "invalid_grant",
                "login_required",
                "invalid_request",
                "ERR_MAX_VERIFICATION_ATTEMPTS",
                "ERR_PASS_CODE_REPLAY",
                "ERR_EXPIRED",
                "ERR_OBJECT_VALIDATION",
                "UNAUTHORIZED",
            ]
        ).flatmap(lambda code: st.sampled_from([code, {"code": code}])),
        json_values,
    )
    return st.fixed_dictionaries(
        {},
        optional={
            "data": data,
            "error": error,
            "access_token": token,
            "refresh_token": token,
            "id_token": token,
            "expires_in": numbers(),
            "state": st.sampled_from([STATE_MARK, "another"]) | json_values,
        },
    )


@st.composite
def _mangled(draw: st.DrawFn, body: bytes) -> bytes:
    """A real body cut short or with junk put in somewhere."""
    at = draw(st.integers(0, len(body)))
    if draw(st.booleans()):
        return body[:at]
    return body[:at] + draw(junk).encode() + body[at:]


@cache
def bodies(base: str) -> st.SearchStrategy[bytes]:
    """Any body: real ones mangled, pages, JSON, deep nesting, bytes that are not UTF-8."""
    real = st.sampled_from(
        [
            sign_in_page().encode(),
            sign_in_page(captcha=True).encode(),
            mfa_page().encode(),
            json.dumps(token_body(base)).encode(),
            SVG,
        ]
    )
    return st.one_of(
        real.flatmap(_mangled),
        html_pages(base).map(str.encode),
        json_bodies(base).map(lambda data: json.dumps(data).encode()),
        json_values.map(lambda data: json.dumps(data).encode()),
        st.sampled_from([5, 5000, 200_000]).map(
            lambda depth: deeply_nested(depth).encode()
        ),
        st.binary(max_size=64),
        st.just(b""),
    )


@cache
def token_answers(base: str) -> st.SearchStrategy[Answer]:
    """/token answers that carry an access token, with odd claims and members around it."""
    token = st.one_of(_claims(base).map(jwt), junk, json_values)
    body = st.fixed_dictionaries(
        {"access_token": _claims(base).map(jwt)},
        optional={
            "refresh_token": token,
            "id_token": token
            | st.builds(lambda email: jwt({"email": email}), json_values),
            "expires_in": numbers(),
            "state": st.sampled_from([STATE_MARK, "another"]) | json_values,
            "error": json_values,
        },
    )
    return st.builds(
        lambda status, data: Answer(
            status, (("Content-Type", "application/json"),), json.dumps(data).encode()
        ),
        st.sampled_from([200, 200, 200, 400, 401]),
        body,
    )


@cache
def redirects(base: str) -> st.SearchStrategy[Answer]:
    """A redirect to anywhere: the callback in many forms, other regions, foreign hosts, junk."""
    return st.builds(
        lambda status, location: Answer(status, (("Location", location),), b"Found."),
        st.sampled_from([301, 302, 303, 307, 308]),
        locations(base),
    )


@cache
def captcha_pages(base: str) -> st.SearchStrategy[Answer]:
    """The sign-in form asking for a captcha whose image is somewhere odd."""
    sources = st.sampled_from(
        [
            "/captcha",
            "captcha",
            "/captcha?ts=1",
            "https://evil.example/captcha",
            "//evil.example/captcha",
            "//[",
            "http://[::1",
            "https://[abc]/captcha",
            "http://127.0.0.1:99999/captcha",
            f"{base.removesuffix('/oauth2/v3')}:1/captcha",
            f"{TESLA_GLOBAL.removesuffix('/oauth2/v3')}/captcha",
            "javascript:alert(1)",
            "data:image/svg+xml;base64,PHN2Zy8+",
            "",
        ]
    )
    return sources.map(
        lambda src: Answer(
            200,
            (("Content-Type", "text/html"),),
            sign_in_page(captcha=True, captcha_src=src).encode(),
        )
    )


@cache
def answers(base: str) -> st.SearchStrategy[Answer]:
    """Anything at all: a status, some headers, a body, delivered whole or not."""
    anything = st.builds(
        Answer,
        status=st.sampled_from([200, 200, 302, 303, 400, 401, 403, 429, 500, 503])
        | st.integers(200, 599),
        headers=headers(base),
        body=bodies(base),
        delivery=st.sampled_from(
            [Delivery.WHOLE] * 8 + [Delivery.CUT_SHORT, Delivery.DROPPED]
        ),
    )
    return st.one_of(anything, anything, redirects(base), captcha_pages(base))


@st.composite
def scripts(draw: st.DrawFn, base: str) -> dict[Step, Answer]:
    """A whole conversation's answers: faithful ones, with one or two steps answered oddly."""
    script = {step: draw(faithful(step, base)) for step in Step}
    for step in draw(st.sets(st.sampled_from(list(Step)), min_size=1, max_size=2)):
        odd = answers(base)
        if step is Step.TOKEN:
            odd = token_answers(base) | odd
        script[step] = draw(odd)
    return script
