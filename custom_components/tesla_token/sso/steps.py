"""What a sign-in step returns: the next thing the person has to do."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class MfaFactor:
    """One multi-factor device of the account."""

    id: str
    name: str


@dataclass(frozen=True)
class CaptchaRequired:
    """A captcha must be answered: show ``captcha_image()``, then submit again."""


@dataclass(frozen=True)
class MfaRequired:
    """A passcode from one of these devices (or a backup code) is needed."""

    factors: tuple[MfaFactor, ...]


@dataclass(frozen=True)
class Authorized:
    """Tesla handed out an authorization code; next: exchange it for tokens."""

    code: str = field(repr=False)
    issuer: str


type LoginStep = CaptchaRequired | MfaRequired | Authorized
