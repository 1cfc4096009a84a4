"""How far Tesla's clock is from this one, and when that is worth telling (pure functions)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .const import CONF_ACCESS_TOKEN, CONF_EXPIRES_AT, CONF_ISSUED_AT
from .sso import token_issued_at

# Network delays and whole-second claims make a few seconds of difference normal; more than a
# few minutes means one of the clocks is wrong: logged and shown in the diagnostics.
NOTABLE_SKEW_SECONDS: Final = 300.0
# A repair issue once the clocks differ by a tenth of the token's lifetime (48 minutes for
# Tesla's 8-hour tokens), and never for less than the notable skew. Refreshes here follow this
# machine's clock and are not affected; a skew this large misleads every other program that
# compares the token's own times with this machine's clock, and means Home Assistant's clock
# (automations, history) is off by as much.
ISSUE_SKEW_SHARE: Final = 0.1


def stored_clock_offset(data: Mapping[str, Any]) -> float | None:
    """Return the offset measured at the last refresh: the access token's iat minus its arrival.

    The entry stores when the token arrived (this machine's clock) beside the token, whose own
    ``iat`` is Tesla's clock; None when the token carries no ``iat``.
    """
    iat = token_issued_at(str(data[CONF_ACCESS_TOKEN]))
    return None if iat is None else iat - float(data[CONF_ISSUED_AT])


def is_notable(offset: float | None) -> bool:
    """Return whether the clocks differ by more than a few minutes."""
    return offset is not None and abs(offset) > NOTABLE_SKEW_SECONDS


def needs_issue(offset: float | None, data: Mapping[str, Any]) -> bool:
    """Return whether the clocks differ enough to open a repair issue."""
    if offset is None:
        return False
    lifetime = float(data[CONF_EXPIRES_AT]) - float(data[CONF_ISSUED_AT])
    return abs(offset) > max(NOTABLE_SKEW_SECONDS, lifetime * ISSUE_SKEW_SHARE)


def hours_and_minutes(offset: float) -> tuple[int, int]:
    """Return the size of an offset as whole hours and the minutes left (rounded)."""
    minutes = round(abs(offset) / 60)
    return divmod(minutes, 60)
