"""Fixtures for the pressure tests: a frozen clock the emulator follows too."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
import pytest

FROZEN_START = "2026-03-02 08:00:00+00:00"


@pytest.fixture(autouse=True)
def frozen_time(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    """Freeze the clock before any token is minted (the emulator reads time.time())."""
    freezer.move_to(FROZEN_START)
    return freezer
