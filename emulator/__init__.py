"""A local Tesla SSO server for tests and the demo."""

from __future__ import annotations

from .app import Emulator, create_app
from .errors import ScenarioError
from .faults import Fault, FaultKind
from .records import RequestRecord
from .scenario import (
    Account,
    CaptchaMode,
    MfaDevice,
    RefreshRotation,
    Region,
    Scenario,
    WafMode,
)
from .state import State, UnknownAccountError

__all__ = [
    "Account",
    "CaptchaMode",
    "Emulator",
    "Fault",
    "FaultKind",
    "MfaDevice",
    "RefreshRotation",
    "Region",
    "RequestRecord",
    "Scenario",
    "ScenarioError",
    "State",
    "UnknownAccountError",
    "WafMode",
    "create_app",
]
