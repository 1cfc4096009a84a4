"""Minting RS256-shaped JSON Web Tokens (the signature is an HMAC; clients never verify it)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

# An RS256 signature is 256 bytes; repeat the HMAC so the tokens have the real shape and size.
_SIGNATURE_REPEAT = 8


def b64url(data: bytes) -> str:
    """Base64url without padding, as JWTs use it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def encode(claims: dict[str, Any], key: bytes, kid: str = "emulator-key-1") -> str:
    """Encode `claims` as a compact JWT."""
    header = {"alg": "RS256", "typ": "JWT", "kid": kid}
    signing_input = ".".join(
        b64url(json.dumps(part, separators=(",", ":")).encode())
        for part in (header, claims)
    )
    digest = hmac.new(key, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(digest * _SIGNATURE_REPEAT)}"


def decode_claims(token: str) -> dict[str, Any] | None:
    """The claims of a token minted here, or None when it is not a JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except ValueError:
        return None
    return claims if isinstance(claims, dict) else None
