"""Which connection profiles a refresh tries, and in which order (pure functions).

Tesla's API refused tokens minted over some client connections (June 2026) while the refresh
itself answered 200. In automatic mode a refused token is refreshed at once over the next
profile, one refresh per profile, until Tesla accepts one; the profile that worked is
remembered (in the entry) and tried first next time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .connection import PROFILE_ORDER, ConnectionProfile
from .const import (
    CONF_API_ACCESS,
    CONF_API_CHECK,
    CONF_API_CHECKED_AT,
    CONF_API_ROUND_FAILED_AT,
    CONF_CONNECTION,
    CONF_CONNECTION_CHOICE,
    CONF_ISSUED_AT,
    CONNECTION_AUTOMATIC,
    DEFAULT_API_CHECK,
)
from .sso import ApiAccess

# After a round in which Tesla refused every profile, the next round waits this long (seconds):
# the regular refreshes go on meanwhile over one profile, and a person's refresh starts one.
ROUND_PAUSE: Final = 4 * 3600


def api_check_enabled(options: Mapping[str, Any]) -> bool:
    """Return whether each new token is checked against Tesla's API."""
    return bool(options.get(CONF_API_CHECK, DEFAULT_API_CHECK))


def stored_verdict(data: Mapping[str, Any]) -> str | None:
    """Return what Tesla's API last said of a token of this entry (None: never asked).

    A check that could not reach the API keeps the verdict before it, so after a refresh the
    previous token's verdict stands until the API answers again.
    """
    verdict = data.get(CONF_API_ACCESS)
    return None if verdict is None else str(verdict)


def stored_token_checked(data: Mapping[str, Any]) -> bool:
    """Return whether Tesla's API answered about the stored token itself."""
    checked_at = data.get(CONF_API_CHECKED_AT)
    return checked_at is not None and float(checked_at) >= float(data[CONF_ISSUED_AT])


def fixed_profile(options: Mapping[str, Any]) -> ConnectionProfile | None:
    """Return the profile the person chose, None in automatic mode."""
    choice = options.get(CONF_CONNECTION_CHOICE, CONNECTION_AUTOMATIC)
    return None if choice == CONNECTION_AUTOMATIC else ConnectionProfile(choice)


def remembered_profile(data: Mapping[str, Any]) -> ConnectionProfile:
    """Return the profile that minted the stored tokens (the first profile when unknown)."""
    try:
        return ConnectionProfile(str(data.get(CONF_CONNECTION)))
    except ValueError:
        return PROFILE_ORDER[0]


def first_profile(
    options: Mapping[str, Any], data: Mapping[str, Any]
) -> ConnectionProfile:
    """Return the profile the next request to Tesla starts with (also a sign-in's)."""
    return fixed_profile(options) or remembered_profile(data)


def profiles_to_try(
    options: Mapping[str, Any],
    data: Mapping[str, Any],
    *,
    now: float,
    new_round: bool,
) -> tuple[ConnectionProfile, ...]:
    """Return the profiles one request may refresh over, in order (at least one).

    Args:
        options: the entry's options (check on or off, automatic or a fixed profile).
        data: the entry's data (the remembered profile, when the last round failed).
        now: the current time (epoch seconds).
        new_round: a person asked for this refresh: a failed round's pause does not apply.
    """
    start = first_profile(options, data)
    if fixed_profile(options) is not None or not api_check_enabled(options):
        # Nothing to adapt: a fixed choice, or no check to tell a refused token.
        return (start,)
    failed_at = data.get(CONF_API_ROUND_FAILED_AT)
    if failed_at is not None and not new_round and now < float(failed_at) + ROUND_PAUSE:
        return (start,)
    others = tuple(profile for profile in PROFILE_ORDER if profile != start)
    if stored_verdict(data) == ApiAccess.REJECTED and stored_token_checked(data):
        # The stored token's profile is known refused: try it last.
        return (*others, start)
    return (start, *others)
