"""How long a 429 asks the caller to wait."""

from __future__ import annotations

import pytest

from custom_components.tesla_token.sso.transport import parse_retry_after

NOW = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (None, None),
        ("", None),
        ("120", 120.0),
        (" 7 ", 7.0),
        ("-5", None),  # not delay-seconds: no advice
        ("1e308", None),
        ("inf", None),
        ("nan", None),
        ("١٢٠", None),  # digits, but not ASCII ones
        ("Tue, 14 Nov 2023 22:14:20 GMT", 60.0),
        ("Tue, 14 Nov 2023 22:00:00 GMT", 0.0),
        ("Tue, 14 Nov 2023 22:14:20", None),  # no zone: not an HTTP date
        ("soon", None),
    ],
)
def test_retry_after(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, now=NOW) == seconds


def test_retry_after_date_uses_the_clock() -> None:
    assert parse_retry_after("Mon, 01 Jan 2001 00:00:00 GMT") == 0.0
