"""What Tesla answers on the happy path, step by step, and the pieces those answers are made of.

The odd answers (answers.py) are built mostly from these pieces, so the client's parsers get past
their first check before they meet the odd part.
"""

from __future__ import annotations

import base64
from functools import cache
import json
import time
from typing import Any
from urllib.parse import quote

from hypothesis import strategies as st

from .answer_server import STATE_MARK, Answer, Step

SUB = "8a3c7b9e-0d4f-4c1a-9e2b-5f6a7b8c9d0e"
SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="150" height="50">'
    b"<text>k3xm</text></svg>"
)
MFA_MARKER = "/authorize/mfa/verify"


def jwt(claims: Any) -> str:
    """A JWT-shaped string carrying `claims` (the signature is not checked by clients)."""
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
    return f"eyJhbGciOiJSUzI1NiJ9.{payload.decode()}.c2lnbmF0dXJl"


def access_claims(base: str) -> dict[str, Any]:
    """The claims of an access token the server at `base` would issue now."""
    now = int(time.time())
    return {
        "iss": base,
        "aud": ["https://owner-api.teslamotors.com/", f"{base}/userinfo"],
        "azp": "ownerapi",
        "sub": SUB,
        "scp": ["openid", "email", "offline_access"],
        "amr": ["pwd"],
        "iat": now,
        "exp": now + 28800,
    }


def token_body(base: str) -> dict[str, Any]:
    """A /token answer of the server at `base`."""
    return {
        "access_token": jwt(access_claims(base)),
        "refresh_token": jwt(
            {"iss": base, "aud": f"{base}/token", "iat": int(time.time())}
        ),
        "id_token": jwt(
            {"iss": base, "aud": "ownerapi", "sub": SUB, "email": "owner@example.com"}
        ),
        "expires_in": 28800,
        "state": STATE_MARK,
        "token_type": "Bearer",
    }


def sign_in_page(*, captcha: bool = False, captcha_src: str = "/captcha") -> str:
    """The sign-in form (with the captcha field and its image when asked)."""
    captcha_field = (
        f'<img data-id="captcha" src="{captcha_src}"><input type="text" name="captcha">'
        if captcha
        else ""
    )
    return (
        '<html><body><form method="post" id="form">'
        '<input type="hidden" name="_csrf" value="csrf-1">'
        '<input type="hidden" name="_phase" value="authenticate">'
        '<input type="hidden" name="transaction_id" value="tx-1">'
        f'<input type="text" name="identity"><input type="password" name="credential">{captcha_field}'
        "</form></body></html>"
    )


def mfa_page() -> str:
    """The page after the password of an account with MFA."""
    return (
        f'<html><script>const csrf = "csrf-2"; post("/oauth2/v3{MFA_MARKER}");'
        '</script><input type="hidden" name="_csrf" value="csrf-2"></html>'
    )


def callback(base: str, **extra: str) -> str:
    """The redirect to the callback with a code for this request's state."""
    query = {
        "code": "c0de",
        "state": STATE_MARK,
        "issuer": quote(base, safe=""),
        **extra,
    }
    return "tesla://auth/callback?" + "&".join(f"{k}={v}" for k, v in query.items())


def _html(text: str, status: int = 200) -> Answer:
    return Answer(
        status, (("Content-Type", "text/html; charset=utf-8"),), text.encode()
    )


def _json(data: Any, status: int = 200) -> Answer:
    return Answer(
        status, (("Content-Type", "application/json"),), json.dumps(data).encode()
    )


def _redirect(location: str) -> Answer:
    return Answer(302, (("Location", location),), b"Found.")


@cache
def faithful(step: Step, base: str) -> st.SearchStrategy[Answer]:
    """What Tesla answers to `step` on a good day (each branch it may take)."""
    choices: dict[Step, list[Answer]] = {
        Step.PAGE: [_html(sign_in_page()), _html(sign_in_page(captcha=True))],
        Step.CAPTCHA: [Answer(200, (("Content-Type", "image/svg+xml"),), SVG)],
        Step.CREDENTIALS: [_redirect(callback(base)), _html(mfa_page())],
        Step.FACTORS: [
            _json(
                {
                    "data": [
                        {"id": "f-1", "name": "Phone", "factorType": "token:software"},
                        {"id": "f-2", "name": "Watch", "factorType": "token:software"},
                    ]
                }
            )
        ],
        Step.VERIFY: [
            _json({"data": {"valid": True, "approved": True, "flagged": False}})
        ],
        Step.BACKUP: [_json({"data": {"valid": True, "reason": None}})],
        Step.FINISH: [_redirect(callback(base))],
        Step.CANCEL: [_redirect(callback(base, error="login_cancelled"))],
        Step.TOKEN: [_json(token_body(base))],
    }
    return st.sampled_from(choices[step])
