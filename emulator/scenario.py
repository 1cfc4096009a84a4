"""The scenario: accounts and behaviour knobs of the emulator, loaded from JSON or built in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from enum import StrEnum
import json
from pathlib import Path
from typing import Any
import uuid

from .apps import FIXED_SCOPES, App, apps_from_list, check_scopes
from .connections import (
    HTTP_VERSIONS,
    TLS_VERSIONS,
    AcceptedConnections,
    ConnectionRule,
    accepted_to_json,
)
from .errors import ScenarioError
from .totp import decode_secret

DEFAULT_PASSWORD = "tesla-demo-password"
DEFAULT_REDIRECT_URI = "tesla://auth/callback"
# Namespace for the stable per-account `sub` and per-device factor ids.
_ID_NAMESPACE = uuid.UUID("6f1c3b52-52a4-4c1e-9a3c-7d7f0e1c2b90")


class Region(StrEnum):
    """Which Tesla SSO server an account belongs to."""

    GLOBAL = "global"
    CHINA = "china"


class CaptchaMode(StrEnum):
    """When the sign-in form asks for a captcha."""

    OFF = "off"
    FIRST_PAGE = "first_page"
    AFTER_FIRST_POST = "after_first_post"


class RefreshRotation(StrEnum):
    """What happens to a refresh token once it was used."""

    REUSE = "reuse"
    SINGLE_USE = "single_use"


class FleetConsent(StrEnum):
    """What the consent page of a Fleet API app's sign-in does."""

    PAGE = "page"  # serve the page; the person ticks scopes and allows or denies
    GRANT = "grant"  # no page: grant what was asked (less `fleet_denied_scopes`)
    DENY = "deny"  # no page: the person denies (error=access_denied)


class WafMode(StrEnum):
    """What the (emulated) Akamai edge does with every SSO request."""

    OFF = "off"
    BLOCK = "block"
    CHALLENGE = "challenge"


FACTOR_TYPES = ("token:software", "push_app", "sms")


@dataclass
class MfaDevice:
    """One registered multi-factor device; passcodes follow RFC 6238 from `secret`."""

    name: str
    secret: str = field(repr=False)
    factor_type: str = "token:software"
    id: str = ""


@dataclass
class Account:
    """One Tesla account the emulator knows."""

    email: str
    password: str = field(default=DEFAULT_PASSWORD, repr=False)
    region: Region = Region.GLOBAL
    captcha: CaptchaMode | None = None
    mfa_devices: list[MfaDevice] = field(default_factory=list)
    backup_codes: list[str] = field(default_factory=list, repr=False)
    locked: bool = False
    ou_code: str = "NA"
    locale: str = "en-US"
    sub: str = ""
    full_name: str = ""

    def __post_init__(self) -> None:
        """Derive the stable ids that were not given."""
        self.email = self.email.strip().lower()
        if not self.sub:
            self.sub = str(uuid.uuid5(_ID_NAMESPACE, self.email))
        if not self.full_name:
            self.full_name = self.email.partition("@")[0].title()
        for device in self.mfa_devices:
            if not device.id:
                device.id = str(
                    uuid.uuid5(_ID_NAMESPACE, f"{self.email}/{device.name}")
                )

    @property
    def has_mfa(self) -> bool:
        """Whether signing in needs a second factor."""
        return bool(self.mfa_devices)

    def device(self, name_or_id: str) -> MfaDevice | None:
        """Find a device by its name or its factor id."""
        for device in self.mfa_devices:
            if name_or_id in (device.name, device.id):
                return device
        return None


@dataclass
class Scenario:
    """All accounts and knobs; every field can be changed while the emulator runs."""

    accounts: list[Account] = field(default_factory=list)
    access_token_lifetime: int = 28800
    refresh_rotation: RefreshRotation = RefreshRotation.REUSE
    refresh_returns_refresh_token: bool = True
    redirect_uris: list[str] = field(default_factory=lambda: [DEFAULT_REDIRECT_URI])
    captcha: CaptchaMode = CaptchaMode.OFF
    captcha_length: int = 4
    recaptcha: bool = False
    # Since 2023: MFA verify and backup-code requests must carry the MFA page's _csrf (else 403).
    mfa_csrf: bool = False
    waf: WafMode = WafMode.OFF
    lockout_after: int = 5
    mfa_max_attempts: int = 5
    backup_code_attempts: int = 10
    code_lifetime: int = 120
    transaction_lifetime: int = 600
    legacy_token_lifetime: int = 3888000
    # Seconds Tesla's clock is ahead of the real one (negative: behind); moves the iat/exp/
    # auth_time claims of the tokens it issues, not its own timers or the request log.
    clock_offset_seconds: int = 0
    # The connections (TLS/HTTP version) whose token requests mint tokens the Owner API accepts;
    # None = any, () = none. Tokens minted over others carry `x-enc` and get 403.
    accepted_connections: AcceptedConnections = None
    # Fleet API developer apps (client_id other than "ownerapi").
    apps: list[App] = field(default_factory=list)
    fleet_consent: FleetConsent = FleetConsent.PAGE
    # Scopes the person never grants to an app, whatever the consent page says.
    fleet_denied_scopes: list[str] = field(default_factory=list)
    # Seconds an app's refresh token can be used (Tesla: 3 months).
    fleet_refresh_token_lifetime: int = 90 * 24 * 3600

    def app(self, client_id: str) -> App | None:
        """The registered app with that client id."""
        for app in self.apps:
            if app.client_id == client_id:
                return app
        return None

    def account(self, email: str) -> Account | None:
        """Find an account by email (case-insensitive)."""
        wanted = email.strip().lower()
        for account in self.accounts:
            if account.email == wanted:
                return account
        return None

    def captcha_mode(self, account: Account | None) -> CaptchaMode:
        """The captcha mode for an account: its own, else the scenario's."""
        if account is not None and account.captcha is not None:
            return account.captcha
        return self.captcha

    @classmethod
    def default(cls) -> Scenario:
        """The built-in scenario used when no file is given."""
        return cls(
            accounts=[
                Account(email="owner@example.com"),
                Account(email="captcha@example.com", captcha=CaptchaMode.FIRST_PAGE),
                Account(
                    email="mfa@example.com",
                    mfa_devices=[
                        MfaDevice(
                            name="Phone", secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
                        ),
                        MfaDevice(
                            name="Watch", secret="KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"
                        ),
                    ],
                    backup_codes=[
                        "7rk2m9vqa",
                        "p4x8n2wtc",
                        "h6d3j7bse",
                        "q9f5t2mzy",
                        "c8w4r6khn",
                        "u2g7p3dxa",
                        "m5n9v4qtj",
                        "e3b8k6wrs",
                        "z7y2h5cfp",
                        "t4q6x9gdm",
                    ],
                ),
                Account(
                    email="china@example.com",
                    region=Region.CHINA,
                    ou_code="CN",
                    locale="zh-CN",
                ),
            ]
        )

    @classmethod
    def from_file(cls, path: str | Path) -> Scenario:
        """Load a scenario from a JSON file."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as err:
            raise ScenarioError(f"cannot read scenario {path}: {err}") from err
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: Any) -> Scenario:
        """Build and validate a scenario from a JSON-like dict."""
        raw = _require_mapping(data, "scenario")
        _reject_unknown(raw, {f.name for f in fields(cls)}, "scenario")
        scenario = cls()
        return scenario.updated(raw)

    def updated(self, changes: Any) -> Scenario:
        """Return a copy with the given top-level keys replaced (validated)."""
        raw = _require_mapping(changes, "scenario")
        _reject_unknown(raw, {f.name for f in fields(self)}, "scenario")
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        for key, value in raw.items():
            values[key] = _parse_knob(key, value)
        return Scenario(**values)

    def to_dict(self) -> dict[str, Any]:
        """The scenario as JSON-ready data (the same schema from_dict reads)."""
        result: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "accounts":
                result["accounts"] = [account_to_dict(a) for a in value]
            elif f.name == "accepted_connections":
                result[f.name] = accepted_to_json(value)
            elif f.name == "apps":
                result[f.name] = [app.to_dict() for app in value]
            elif isinstance(value, list):
                result[f.name] = list(value)
            else:
                result[f.name] = value
        return result


def account_to_dict(account: Account) -> dict[str, Any]:
    """An account as JSON-ready data."""
    return {
        "email": account.email,
        "password": account.password,
        "region": str(account.region),
        "captcha": None if account.captcha is None else str(account.captcha),
        "mfa_devices": [
            {
                "name": d.name,
                "secret": d.secret,
                "factor_type": d.factor_type,
                "id": d.id,
            }
            for d in account.mfa_devices
        ],
        "backup_codes": list(account.backup_codes),
        "locked": account.locked,
        "ou_code": account.ou_code,
        "locale": account.locale,
        "sub": account.sub,
        "full_name": account.full_name,
    }


def account_from_dict(data: Any) -> Account:
    """Build and validate one account."""
    raw = _require_mapping(data, "account")
    _reject_unknown(raw, {f.name for f in fields(Account)}, "account")
    if "email" not in raw:
        raise ScenarioError("account: 'email' is required")
    captcha = raw.get("captcha")
    devices = [
        _device_from_dict(d)
        for d in _require_list(raw.get("mfa_devices", []), "mfa_devices")
    ]
    names = [d.name for d in devices]
    if len(set(names)) != len(names):
        raise ScenarioError("account: device names must be unique")
    codes = [
        _require_str(c, "backup_codes[]")
        for c in _require_list(raw.get("backup_codes", []), "backup_codes")
    ]
    if any(len(c) != 9 for c in codes):
        raise ScenarioError("account: backup codes have 9 characters")
    return Account(
        email=_require_str(raw["email"], "email"),
        password=_require_str(raw.get("password", DEFAULT_PASSWORD), "password"),
        region=_enum(Region, raw.get("region", "global"), "region"),
        captcha=None if captcha is None else _enum(CaptchaMode, captcha, "captcha"),
        mfa_devices=devices,
        backup_codes=codes,
        locked=_require_bool(raw.get("locked", False), "locked"),
        ou_code=_require_str(raw.get("ou_code", "NA"), "ou_code"),
        locale=_require_str(raw.get("locale", "en-US"), "locale"),
        sub=_require_str(raw.get("sub", ""), "sub"),
        full_name=_require_str(raw.get("full_name", ""), "full_name"),
    )


def _device_from_dict(data: Any) -> MfaDevice:
    raw = _require_mapping(data, "mfa_devices[]")
    _reject_unknown(raw, {f.name for f in fields(MfaDevice)}, "mfa_devices[]")
    if "name" not in raw or "secret" not in raw:
        raise ScenarioError("mfa_devices[]: 'name' and 'secret' are required")
    factor_type = _require_str(raw.get("factor_type", "token:software"), "factor_type")
    if factor_type not in FACTOR_TYPES:
        raise ScenarioError(
            f"mfa_devices[]: factor_type must be one of {', '.join(FACTOR_TYPES)}"
        )
    secret = _require_str(raw["secret"], "secret").replace(" ", "").upper()
    try:
        decode_secret(secret)
    except ValueError as err:
        raise ScenarioError("mfa_devices[]: 'secret' must be base32") from err
    return MfaDevice(
        name=_require_str(raw["name"], "name"),
        secret=secret,
        factor_type=factor_type,
        id=_require_str(raw.get("id", ""), "id"),
    )


_INT_KNOBS = {
    # 0: a broken answer whose token expires as it is issued.
    "access_token_lifetime": 0,
    "captcha_length": 1,
    "lockout_after": 0,
    "mfa_max_attempts": 1,
    "backup_code_attempts": 1,
    "code_lifetime": 1,
    "transaction_lifetime": 1,
    "legacy_token_lifetime": 1,
    "fleet_refresh_token_lifetime": 1,
}


_ENUM_KNOBS: dict[str, type[StrEnum]] = {
    "refresh_rotation": RefreshRotation,
    "captcha": CaptchaMode,
    "waf": WafMode,
    "fleet_consent": FleetConsent,
}


def _parse_int(key: str, value: Any) -> int:
    """Validate an integer knob (with its minimum, when it has one)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise ScenarioError(f"{key}: an integer is required")
    minimum = _INT_KNOBS.get(key)
    if minimum is not None and value < minimum:
        raise ScenarioError(f"{key}: an integer >= {minimum} is required")
    return value


def _parse_knob(key: str, value: Any) -> Any:
    if key == "accounts":
        accounts = [account_from_dict(a) for a in _require_list(value, "accounts")]
        emails = [a.email for a in accounts]
        if len(set(emails)) != len(emails):
            raise ScenarioError("accounts: emails must be unique")
        return accounts
    if key in _INT_KNOBS or key == "clock_offset_seconds":
        return _parse_int(key, value)
    if key in _ENUM_KNOBS:
        return _enum(_ENUM_KNOBS[key], value, key)
    if key in ("recaptcha", "refresh_returns_refresh_token", "mfa_csrf"):
        return _require_bool(value, key)
    if key in _LIST_KNOBS:
        return _LIST_KNOBS[key](value)
    if key == "redirect_uris":
        return [_require_str(v, "redirect_uris[]") for v in _require_list(value, key)]
    raise ScenarioError(
        f"scenario: unknown key {key!r}"
    )  # pragma: no cover - guarded above


def _parse_denied(value: Any) -> list[str]:
    """Validate `fleet_denied_scopes`: Fleet API scopes, never openid or offline_access."""
    key = "fleet_denied_scopes"
    denied = check_scopes(
        [_require_str(v, f"{key}[]") for v in _require_list(value, key)], key
    )
    if set(denied) & set(FIXED_SCOPES):
        raise ScenarioError(f"{key}: openid and offline_access cannot be denied")
    return denied


def _parse_accepted(value: Any) -> AcceptedConnections:
    """Validate the `accepted_connections` knob: "any", "none" or a list of rules."""
    if value == "any":
        return None
    if value == "none":
        return ()
    if not isinstance(value, list):
        raise ScenarioError(
            'accepted_connections: "any", "none" or a list of {"http", "tls"} is required'
        )
    rules = []
    for raw in value:
        if not isinstance(raw, dict) or not raw or set(raw) - {"http", "tls"}:
            raise ScenarioError(
                'accepted_connections[]: an object with "http" and/or "tls" is required'
            )
        http, tls = raw.get("http"), raw.get("tls")
        if http is not None and http not in HTTP_VERSIONS:
            raise ScenarioError(
                f"accepted_connections[]: http must be one of {', '.join(HTTP_VERSIONS)}"
            )
        if tls is not None and tls not in TLS_VERSIONS:
            raise ScenarioError(
                f"accepted_connections[]: tls must be one of {', '.join(TLS_VERSIONS)}"
            )
        rules.append(ConnectionRule(http=http, tls=tls))
    return tuple(rules)


# Knobs with a parser of their own.
_LIST_KNOBS: dict[str, Callable[[Any], Any]] = {
    "accepted_connections": _parse_accepted,
    "apps": apps_from_list,
    "fleet_denied_scopes": _parse_denied,
}


def _enum[E: StrEnum](kind: type[E], value: Any, name: str) -> E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(str(m) for m in kind)
        raise ScenarioError(f"{name}: must be one of {allowed}") from None


def _require_mapping(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ScenarioError(f"{name}: an object is required")
    return value


def _require_list(value: Any, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise ScenarioError(f"{name}: a list is required")
    return value


def _require_str(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise ScenarioError(f"{name}: a string is required")
    return value


def _require_bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise ScenarioError(f"{name}: true or false is required")
    return value


def _reject_unknown(raw: dict[str, Any], known: set[str], name: str) -> None:
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ScenarioError(f"{name}: unknown keys {', '.join(unknown)}")
