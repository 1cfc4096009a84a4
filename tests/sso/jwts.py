"""Build unsigned JWT-shaped strings for tests that need no server."""

from __future__ import annotations

import base64
import json
from typing import Any


def _segment(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def make_jwt(claims: dict[str, Any]) -> str:
    """Return header.payload.signature with a dummy signature."""
    header = _segment(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    payload = _segment(json.dumps(claims).encode())
    return f"{header}.{payload}.{_segment(b'not-a-signature')}"
