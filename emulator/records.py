"""The records the emulator keeps while it runs: sessions, transactions, codes, tokens, requests."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
import secrets

from .connections import Connection
from .scenario import Region


class Stage(StrEnum):
    """Where a sign-in transaction stands."""

    LOGIN = "login"  # the form was served; credentials not yet accepted
    MFA = "mfa"  # password accepted, a second factor is needed
    VERIFIED = "verified"  # second factor accepted; the finish POST gets the code
    CONSENT = "consent"  # an app's sign-in: signed in, the consent page is waiting


@dataclass(frozen=True)
class AuthorizeParams:
    """The query of GET /authorize, kept for the POSTs of the same transaction."""

    client_id: str
    redirect_uri: str
    response_type: str
    scope: str
    code_challenge: str
    code_challenge_method: str
    state: str | None
    login_hint: str | None


@dataclass
class Transaction:
    """One sign-in attempt (the form's `transaction_id`)."""

    id: str
    csrf: str = field(repr=False)
    region: Region
    params: AuthorizeParams
    created_at: float
    email: str | None = None
    stage: Stage = Stage.LOGIN
    captcha_required: bool = False
    posts: int = 0
    mfa_failures: int = 0
    amr: tuple[str, ...] = ("pwd",)
    # The MFA page's own _csrf (the 2023 change: its JSON requests must carry it).
    mfa_csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24), repr=False)


@dataclass
class Session:
    """A `tesla-auth.sid` browser session; captcha and transactions are bound to it."""

    id: str
    transactions: dict[str, Transaction] = field(default_factory=dict)
    captcha_answer: str | None = field(default=None, repr=False)


@dataclass
class AuthCode:
    """An authorization code handed out in the redirect."""

    email: str
    region: Region
    redirect_uri: str
    code_challenge: str
    state: str | None
    amr: tuple[str, ...]
    scope: str
    created_at: float
    used: bool = False
    client_id: str = "ownerapi"


@dataclass
class RefreshRecord:
    """A refresh token the emulator issued."""

    email: str
    region: Region
    amr: tuple[str, ...]
    scope: str
    issued_at: float
    active: bool = True
    client_id: str = "ownerapi"
    # None: no end (ownerapi); an app's refresh token ends 3 months after issue.
    expires_at: float | None = None


@dataclass
class AccessRecord:
    """An access token the emulator issued (the legacy exchange and the Owner API check it).

    Attributes:
        connection: what the token request arrived over.
        accepted: whether the scenario accepted that connection; a refused one's token carries
            `x-enc` and the Owner API answers it 403.
        client_id: "ownerapi", or the Fleet API app the token was issued to.
        scopes: the `scp` claim.
    """

    email: str
    region: Region
    expires_at: float
    jti: str = ""
    grant: str = ""
    issued_at: float = 0.0
    connection: Connection | None = None
    accepted: bool = True
    client_id: str = "ownerapi"
    scopes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form, without the token itself."""
        return {
            "jti": self.jti,
            "email": self.email,
            "region": str(self.region),
            "grant": self.grant,
            "issued_at": self.issued_at,
            "expires_at": self.expires_at,
            "connection": None
            if self.connection is None
            else self.connection.to_dict(),
            "accepted": self.accepted,
            "client_id": self.client_id,
            "scopes": list(self.scopes),
        }


@dataclass
class AccountRuntime:
    """What happened to an account while the emulator ran."""

    failed_logins: int = 0
    locked: bool = False
    backup_failures: int = 0
    used_backup_codes: set[str] = field(default_factory=set, repr=False)
    used_totp_steps: dict[str, set[int]] = field(default_factory=dict)


@dataclass(frozen=True)
class RequestRecord:
    """One served request: never a body, a value or a secret, only names."""

    method: str
    path: str
    status: int
    time: float
    query: tuple[str, ...] = ()
    form: tuple[str, ...] = ()
    connection: Connection | None = None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "time": self.time,
            "query": list(self.query),
            "form": list(self.form),
            "connection": None
            if self.connection is None
            else self.connection.to_dict(),
        }
