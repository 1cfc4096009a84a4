"""A local Tesla SSO server for tests and the demo."""

from __future__ import annotations

from .app import Emulator, create_app
from .apps import FLEET_SCOPES, App
from .errors import ScenarioError
from .faults import Fault, FaultKind
from .records import RequestRecord
from .scenario import (
    Account,
    CaptchaMode,
    FleetConsent,
    MfaDevice,
    RefreshRotation,
    Region,
    Scenario,
    WafMode,
)
from .state import State, UnknownAccountError

__all__ = [
    "FLEET_SCOPES",
    "Account",
    "App",
    "CaptchaMode",
    "Emulator",
    "Fault",
    "FaultKind",
    "FleetConsent",
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
