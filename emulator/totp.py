"""Time-based one-time passwords (RFC 6238: HMAC-SHA1, 6 digits, 30 s steps)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct

STEP_SECONDS = 30
DIGITS = 6


def decode_secret(secret: str) -> bytes:
    """Decode a base32 secret (spaces and missing padding allowed); raises ValueError."""
    cleaned = secret.replace(" ", "").upper()
    if not cleaned:
        raise ValueError("empty secret")
    cleaned += "=" * (-len(cleaned) % 8)
    try:
        return base64.b32decode(cleaned)
    except binascii.Error as err:
        raise ValueError("not base32") from err


def counter_at(timestamp: float) -> int:
    """The RFC 6238 time step that contains `timestamp`."""
    return int(timestamp // STEP_SECONDS)


def hotp(secret: str, counter: int) -> str:
    """The RFC 4226 code for one counter value."""
    digest = hmac.new(
        decode_secret(secret), struct.pack(">Q", counter), hashlib.sha1
    ).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**DIGITS).zfill(DIGITS)


def totp(secret: str, timestamp: float) -> str:
    """The code valid at `timestamp`."""
    return hotp(secret, counter_at(timestamp))


def matching_counter(
    secret: str, passcode: str, timestamp: float, window: int = 1
) -> int | None:
    """The time step (within +-window steps of now) whose code equals `passcode`, else None."""
    now = counter_at(timestamp)
    for counter in range(now - window, now + window + 1):
        # compare_digest takes ASCII text only; any other passcode simply does not match.
        if passcode.isascii() and hmac.compare_digest(hotp(secret, counter), passcode):
            return counter
    return None
