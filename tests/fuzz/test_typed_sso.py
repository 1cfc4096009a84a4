"""What a person pastes, straight into the SSO client's readers, in bulk.

Each reader either returns a usable value or raises the TeslaSsoError its docstring names: never
another exception, and never a value that would send a code or token to a foreign server.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import re
from urllib.parse import parse_qs, urlsplit

from hypothesis import given, strategies as st

from custom_components.tesla_token.sso import (
    BrowserSignIn,
    TeslaSsoLoginError,
    TokenKind,
    token_kind,
    validate_sso_base,
)
from custom_components.tesla_token.sso.tokens import decode_jwt_claims
from tests.sso.helpers import offline_browser_sign_in

from .budget import fuzz
from .request_log import TESLA_ORIGINS, origin_of
from .tally import count
from .typed import (
    HEX,
    TESLA_GLOBAL,
    custom_servers,
    json_values,
    jwt_like,
    typed_tokens,
)
from .typed_callbacks import pasted_callbacks

LOCAL_BASE = "http://127.0.0.1:8765/oauth2/v3"

bases = st.sampled_from([LOCAL_BASE, TESLA_GLOBAL])


def state_of(login: BrowserSignIn) -> str:
    return parse_qs(urlsplit(login.authorize_url).query)["state"][0]


@fuzz(400)
@given(base=bases, clean=st.booleans(), data=st.data())
def test_a_pasted_callback_is_read_or_refused(
    base: str, clean: bool, data: st.DataObject
) -> None:
    """An intact callback gives its code; anything else a login error, never a foreign issuer."""
    login = offline_browser_sign_in(base)
    state = state_of(login)
    pasted = data.draw(
        pasted_callbacks(state=state, base=base, clean=clean), label="pasted"
    )

    refusal: str | None = None
    try:
        authorized = login.parse_callback(pasted.text)
    except TeslaSsoLoginError as err:
        refusal = err.reason.value
    count("sso parse_callback: pasted callbacks", refusal or "Authorized")
    if refusal is not None:
        assert not pasted.intact, f"an intact callback was refused ({refusal})"
        return

    assert origin_of(authorized.issuer) in {origin_of(base), *TESLA_ORIGINS}
    # A line break inside the address comes from copying a wrapped line: it is rejoined.
    assert state in re.sub(r"[ \t]*[\r\n]+[ \t]*", "", pasted.text)
    if pasted.intact:
        assert authorized.code == pasted.code


@fuzz(200)
@given(
    text=st.text()
    | st.text().map("tesla://auth/callback?{}".format)
    | st.text().map("https://auth.tesla.com/void/callback?code=x&state={}".format)
)
def test_any_text_is_read_or_refused(text: str) -> None:
    """Random text, with or without the callback's beginning, never breaks the reader."""
    login = offline_browser_sign_in(LOCAL_BASE)
    try:
        authorized = login.parse_callback(text)
    except TeslaSsoLoginError:
        return
    raise AssertionError(f"random text was accepted as a callback: {authorized!r}")


_hosts = st.sampled_from(
    [
        "auth.tesla.com",
        "AUTH.TESLA.CN",
        "127.0.0.1",
        "127.1.2.3",
        "localhost",
        "[::1]",
        "[::ffff:127.0.0.1]",
        "evil.example",
        "bücher.example",
        "[",
        "[abc]",
        "a]b",
        "",
        "exa mple.com",
    ]
)
_ports = st.sampled_from(["", ":443", ":80", ":8765", ":0", ":99999", ":-1", ":x", ":"])


@st.composite
def typed_urls(draw: st.DrawFn) -> str:
    """URL-shaped text: a scheme, maybe credentials, a host, a port, a path, a query."""
    scheme = draw(st.sampled_from(["https", "http", "HTTPS", "ftp", "javascript", ""]))
    user = draw(st.sampled_from(["", "user@", "user:secret@", "@"]))
    path = draw(
        st.sampled_from(["/oauth2/v3", "/oauth2/v3/", "", "/", "//x"])
        | st.text(max_size=8)
    )
    tail = draw(st.sampled_from(["", "?x=1", "#f", "?", "#"]))
    around = draw(st.sampled_from(["", " ", "\n"]))
    url = f"{scheme}://{user}{draw(_hosts)}{draw(_ports)}{path}{tail}"
    return f"{around}{url}{around}"


@fuzz(400)
@given(url=typed_urls() | custom_servers("http://127.0.0.1:8765") | st.text())
def test_a_typed_server_url_is_normalised_or_refused(url: str) -> None:
    """A usable base comes back normalised and stable; anything else is INVALID_SERVER_URL."""
    try:
        base = validate_sso_base(url)
    except TeslaSsoLoginError:
        count("sso validate_sso_base: typed URLs", "invalid_server_url")
        return
    count("sso validate_sso_base: typed URLs", "usable")

    assert validate_sso_base(base) == base
    assert base == base.strip()
    assert not base.endswith("/")
    parts = urlsplit(base)
    assert not parts.query
    assert not parts.fragment
    assert parts.username is None
    assert parts.password is None
    assert parts.scheme == "https" or (
        parts.scheme == "http" and is_loopback(parts.hostname or "")
    )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


@fuzz(300)
@given(token=typed_tokens | st.text())
def test_any_pasted_token_gets_a_kind(token: str) -> None:
    """token_kind never raises; decode_jwt_claims reads a JSON object or raises INVALID_TOKEN."""
    kind = token_kind(token)
    assert isinstance(kind, TokenKind)
    count("sso token_kind: pasted tokens", kind.value)
    try:
        claims = decode_jwt_claims(token)
    except TeslaSsoLoginError:
        assert kind in (TokenKind.UNKNOWN, TokenKind.V2, TokenKind.LEGACY_EXCHANGED)
        return
    assert isinstance(claims, dict)


@fuzz(200)
@given(
    body=st.text(alphabet=HEX + HEX.upper(), min_size=64, max_size=64),
    prefix=st.sampled_from(["", "qts-", "eu-", "cn-"]),
    around=st.sampled_from(["", " ", "\n", "\t "]),
)
def test_legacy_tokens_are_recognised(body: str, prefix: str, around: str) -> None:
    """A v2 or exchanged owner-API token is told apart, whatever spaces surround it."""
    expected = TokenKind.LEGACY_EXCHANGED if prefix else TokenKind.V2
    assert token_kind(f"{around}{prefix}{body}{around}") is expected


def encode_jwt(claims: object) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
    return f"eyJhbGciOiJSUzI1NiJ9.{payload.decode()}.c2ln"


@fuzz(150)
@given(
    claims=st.dictionaries(
        st.text(max_size=8),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=8),
            lambda children: (
                st.lists(children, max_size=3)
                | st.dictionaries(st.text(max_size=4), children, max_size=3)
            ),
            max_leaves=8,
        ),
        max_size=6,
    )
)
def test_jwt_claims_survive_the_round_trip(claims: dict[str, object]) -> None:
    """Whatever JSON object a JWT carries comes back unchanged."""
    assert decode_jwt_claims(encode_jwt(claims)) == claims


@fuzz(200)
@given(
    payload=json_values.filter(lambda value: not isinstance(value, dict)) | jwt_like()
)
def test_a_jwt_without_an_object_is_no_token(payload: object) -> None:
    """A payload that is JSON but not an object (or not JSON) is INVALID_TOKEN, not a crash."""
    token = payload if isinstance(payload, str) else encode_jwt(payload)
    try:
        claims = decode_jwt_claims(token)
    except TeslaSsoLoginError:
        return
    assert isinstance(claims, dict)
