"""What a person types: hypothesis strategies for tokens, MFA codes, emails and the server field.

Pasted callback URLs are in typed_callbacks.py.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
import json
import string
from typing import Any

from hypothesis import strategies as st

URL_SAFE = string.ascii_letters + string.digits + "-._~"
HEX = "0123456789abcdef"
TESLA_GLOBAL = "https://auth.tesla.com/oauth2/v3"
TESLA_CHINA = "https://auth.tesla.cn/oauth2/v3"
ACCOUNTS = (
    "owner@example.com",
    "captcha@example.com",
    "mfa@example.com",
    "china@example.com",
)

# Any text at all (every Unicode character but surrogates), kept short.
junk = st.text(max_size=24)
# Codes and states as Tesla makes them (hex, base64url): never ending in "." or ",", which
# a paste loses as sentence punctuation.
url_safe = st.text(
    alphabet=string.ascii_letters + string.digits + "-_~", min_size=1, max_size=24
)
# What copying adds inside a long value: spaces, line breaks, a no-break space.
_BREAKS = (" ", "\n", "\r\n", "\t", "  \n  ", "\u00a0")


@st.composite
def broken_up(draw: st.DrawFn, text: str) -> str:
    """`text` with line breaks or spaces inserted, as copying from a narrow window does."""
    positions = draw(
        st.lists(st.integers(0, len(text)), max_size=3, unique=True).map(sorted)
    )
    pieces, last = [], 0
    for position in positions:
        pieces.append(text[last:position])
        pieces.append(draw(st.sampled_from(_BREAKS)))
        last = position
    pieces.append(text[last:])
    return "".join(pieces)


# --- Tokens -----------------------------------------------------------------------------

json_values: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=10,
)
_CLAIM_VALUES = st.one_of(
    json_values,
    st.sampled_from(
        [
            TESLA_GLOBAL,
            TESLA_CHINA,
            "https://fleet-auth.prd.vn.cloud.tesla.com/oauth2/v3/nts",
            "https://evil.example/oauth2/v3",
            "ownerapi",
            "",
        ]
    ),
    st.floats(min_value=-1e300, max_value=1e300),
)
claims = st.dictionaries(
    st.sampled_from(["iss", "azp", "sub", "exp", "iat", "aud", "email", "data"])
    | st.text(max_size=6),
    _CLAIM_VALUES,
    max_size=6,
)


def deeply_nested(depth: int) -> str:
    """A JSON array nested `depth` levels deep (a parser without a limit runs out of stack)."""
    return "[" * depth + "]" * depth


_PAYLOAD_TEXTS = st.one_of(
    claims.map(json.dumps),
    json_values.map(json.dumps),
    st.integers(100, 20000).map(deeply_nested),
    junk,
)


def _b64(data: bytes, *, urlsafe: bool, padded: bool) -> str:
    encoded = (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(data)
    text = encoded.decode("ascii")
    return text if padded else text.rstrip("=")


@st.composite
def jwt_like(draw: st.DrawFn) -> str:
    """Three (or two, or four) dot-separated parts whose middle one decodes to something."""
    header = _b64(
        draw(st.sampled_from([b'{"alg":"RS256","typ":"JWT"}', b"{}", b"x"])),
        urlsafe=True,
        padded=False,
    )
    payload_text = draw(_PAYLOAD_TEXTS)
    payload = draw(
        st.sampled_from(["b64url", "b64url=", "b64", "raw", "empty"]).map(
            lambda how: {
                "b64url": _b64(payload_text.encode(), urlsafe=True, padded=False),
                "b64url=": _b64(payload_text.encode(), urlsafe=True, padded=True),
                "b64": _b64(payload_text.encode(), urlsafe=False, padded=False),
                "raw": payload_text,
                "empty": "",
            }[how]
        )
    )
    signature = draw(st.text(alphabet=URL_SAFE, max_size=12))
    parts = [header, payload, signature]
    extra = draw(st.sampled_from([0, 0, 0, -1, 1]))
    if extra < 0:
        parts.pop()
    elif extra > 0:
        parts.append(signature)
    return ".".join(parts)


_HEX64 = st.text(alphabet=HEX + HEX.upper(), min_size=64, max_size=64)
_NEAR_HEX = st.text(alphabet=HEX + "g", min_size=63, max_size=65)

legacy_tokens = st.one_of(
    _HEX64,
    st.builds(
        lambda prefix, body: f"{prefix}{body}",
        st.sampled_from(["qts-", "eu-", "cn-", "QTS-", "qts_", "xx-"]),
        _HEX64 | _NEAR_HEX,
    ),
    _NEAR_HEX,
)

# Whatever lands in the refresh token field.
typed_tokens = st.one_of(junk, jwt_like(), legacy_tokens).flatmap(
    lambda token: st.just(token) | broken_up(token)
)


# --- MFA codes, emails, captcha answers ------------------------------------------------

_SEPARATORS = ("", " ", "-", " - ", "  ", "\t")


@dataclass(frozen=True)
class CodeStyle:
    """How a person types a code: a separator in the middle, spaces around."""

    separator: str
    around: str

    def apply(self, code: str) -> str:
        """`code` typed this way."""
        middle = len(code) // 2
        return (
            f"{self.around}{code[:middle]}{self.separator}{code[middle:]}{self.around}"
        )


code_styles = st.builds(
    CodeStyle,
    st.sampled_from(_SEPARATORS),
    st.sampled_from(["", " ", "\n", " \t"]),
)


def separated(code: str) -> st.SearchStrategy[str]:
    """A code with the separators and surrounding spaces a person may type."""
    return code_styles.map(lambda style: style.apply(code))


mfa_codes = st.one_of(
    st.text(alphabet=string.digits, min_size=6, max_size=6).flatmap(separated),
    st.text(
        alphabet=string.ascii_letters + string.digits, min_size=9, max_size=9
    ).flatmap(separated),
    # Other scripts' digits are \d to Python's re.
    st.text(alphabet=st.characters(categories=["Nd"]), min_size=6, max_size=6),
    st.text(alphabet=string.digits, min_size=0, max_size=12),
    junk,
)

emails = st.one_of(
    st.emails(),
    st.sampled_from(ACCOUNTS).flatmap(
        lambda email: st.sampled_from(
            [email, email.upper(), f"  {email} ", f"{email}\n"]
        )
    ),
    junk,
)


# --- The custom SSO server field ---------------------------------------------------------


def custom_servers(base_url: str) -> st.SearchStrategy[str]:
    """What lands in the "custom SSO server" field, around the emulator at `base_url`."""
    host_port = base_url.removeprefix("http://")
    # The emulator's global base as a person may type it: these sign in for real.
    emulator_global = st.sampled_from(
        [
            f"{base_url}/oauth2/v3",
            f"{base_url}/oauth2/v3/",
            f"  {base_url}/oauth2/v3\n",
            f"HTTP://{host_port}/oauth2/v3",
        ]
    )
    usable = st.sampled_from(
        [
            f"{base_url}/cn/oauth2/v3",
            f"{base_url}/oauth2/v3//",
            base_url,
            f"http://localhost:{host_port.rpartition(':')[2]}/oauth2/v3",
            TESLA_GLOBAL,
            "https://evil.example/oauth2/v3",
            "http://127.0.0.2/oauth2/v3",
            "http://[::1]:1/oauth2/v3",
        ]
    )
    same_origin_paths = st.text(alphabet=URL_SAFE + "/%", max_size=16).map(
        lambda path: f"{base_url}/{path}"
    )
    broken = st.sampled_from(
        [
            "",
            "   ",
            f"ftp://{host_port}/oauth2/v3",
            "http://auth.tesla.com/oauth2/v3",
            f"http://user:secret@{host_port}/oauth2/v3",
            f"{base_url}/oauth2/v3?x=1",
            f"{base_url}/oauth2/v3#top",
            "https://[",
            "http://[::1",
            "https://[abc]/oauth2/v3",
            "https://a]b/oauth2/v3",
            "http://127.0.0.1:99999/oauth2/v3",
            "http://127.0.0.1:-1/oauth2/v3",
            "javascript:alert(1)",
            f"//{host_port}/oauth2/v3",
            f"{host_port}/oauth2/v3",
            "https://",
            "http:///oauth2/v3",
            "https://exa mple.com/oauth2/v3",
            "file:///etc/passwd",
            "data:text/html,hi",
        ]
    )
    return st.one_of(
        emulator_global, emulator_global, usable, same_origin_paths, broken, junk
    )
