"""Fleet API developer apps: one's own client id, secret, exact redirect URIs and allowed scopes."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from .errors import ScenarioError

OWNERAPI = "ownerapi"
# Tesla's Fleet API scopes (vehicle_location separate since 2025-03).
FLEET_SCOPES = (
    "openid",
    "offline_access",
    "user_data",
    "vehicle_device_data",
    "vehicle_location",
    "vehicle_cmds",
    "vehicle_charging_cmds",
    "energy_device_data",
    "energy_cmds",
)
# Shown ticked on the consent page; the person cannot untick them.
FIXED_SCOPES = ("openid", "offline_access")
# What the consent page says each scope allows.
SCOPE_TEXT = {
    "openid": "Sign in with your Tesla account",
    "offline_access": "Stay connected (refresh tokens)",
    "user_data": "Profile information",
    "vehicle_device_data": "Vehicle information",
    "vehicle_location": "Vehicle location",
    "vehicle_cmds": "Vehicle commands",
    "vehicle_charging_cmds": "Vehicle charging management",
    "energy_device_data": "Energy product information",
    "energy_cmds": "Energy product settings",
}


@dataclass
class App:
    """One app registered on developer.tesla.com."""

    client_id: str
    client_secret: str = field(repr=False)
    redirect_uris: list[str] = field(default_factory=list)
    scopes: list[str] = field(default_factory=lambda: list(FLEET_SCOPES))
    name: str = ""

    def __post_init__(self) -> None:
        """Name the app after its client id unless it has a name."""
        if not self.name:
            self.name = self.client_id

    def to_dict(self, *, secret: bool = True) -> dict[str, Any]:
        """JSON-ready form; `secret=False` leaves the client secret out."""
        data: dict[str, Any] = {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "redirect_uris": list(self.redirect_uris),
            "scopes": list(self.scopes),
            "name": self.name,
        }
        if not secret:
            del data["client_secret"]
        return data


def _strings(value: Any, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ScenarioError(f"app: {name} must be a list of strings")
    return list(value)


def check_scopes(scopes: list[str], name: str) -> list[str]:
    """Refuse names that are not Fleet API scopes."""
    unknown = sorted(set(scopes) - set(FLEET_SCOPES))
    if unknown:
        raise ScenarioError(
            f"{name}: unknown scopes {', '.join(unknown)} "
            f"(known: {', '.join(FLEET_SCOPES)})"
        )
    return scopes


def app_from_dict(data: Any) -> App:
    """Build and validate one app."""
    if not isinstance(data, dict):
        raise ScenarioError("app: an object is required")
    unknown = sorted(set(data) - {f.name for f in fields(App)})
    if unknown:
        raise ScenarioError(f"app: unknown keys {', '.join(unknown)}")
    client_id, secret = data.get("client_id"), data.get("client_secret")
    if not isinstance(client_id, str) or not client_id.strip():
        raise ScenarioError("app: 'client_id' (a non-empty string) is required")
    if client_id == OWNERAPI:
        raise ScenarioError("app: 'ownerapi' is Tesla's own client, not an app")
    if not isinstance(secret, str) or not secret:
        raise ScenarioError("app: 'client_secret' (a non-empty string) is required")
    redirect_uris = _strings(data.get("redirect_uris", []), "redirect_uris")
    if not redirect_uris:
        raise ScenarioError("app: at least one redirect_uri is required")
    scopes = check_scopes(
        _strings(data.get("scopes", list(FLEET_SCOPES)), "scopes"), "app scopes"
    )
    name = data.get("name", "")
    if not isinstance(name, str):
        raise ScenarioError("app: 'name' must be a string")
    return App(
        client_id=client_id,
        client_secret=secret,
        redirect_uris=redirect_uris,
        scopes=scopes,
        name=name,
    )


def apps_from_list(value: Any) -> list[App]:
    """The `apps` knob: a list of apps with unique client ids."""
    if not isinstance(value, list):
        raise ScenarioError("apps: a list is required")
    apps = [app_from_dict(a) for a in value]
    ids = [a.client_id for a in apps]
    if len(set(ids)) != len(ids):
        raise ScenarioError("apps: client ids must be unique")
    return apps
