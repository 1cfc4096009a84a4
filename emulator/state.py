"""The live state of one emulator: scenario, sessions, codes, tokens, request log and faults."""

from __future__ import annotations

import copy
import secrets
import string
import time
import uuid

from . import tokens
from .apps import OWNERAPI, App
from .connections import Connection, accepts
from .faults import Fault, FaultTable
from .records import (
    AccessRecord,
    AccountRuntime,
    AuthCode,
    AuthorizeParams,
    RefreshRecord,
    RequestRecord,
    Session,
    Transaction,
)
from .scenario import Account, Region, Scenario
from .totp import totp as totp_code
from .urls import sso_base

_TRANSACTION_ALPHABET = string.ascii_letters + string.digits
# Captcha characters a person cannot confuse (no 0/o, 1/l/i).
CAPTCHA_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


class UnknownAccountError(LookupError):
    """No account (or device) with that email (or name) in the scenario."""


class State:
    """Everything the emulator knows; tests may read it and change `scenario` at run time."""

    def __init__(self, scenario: Scenario) -> None:
        """Start from `scenario` with nothing issued yet."""
        self.scenario = scenario
        self._initial = copy.deepcopy(scenario)
        self.base_url = "http://127.0.0.1"
        # Every secret that passed through (kept across reset(): a leak check needs them all).
        self._seen_secrets: set[str] = set()
        self._clear()

    def _clear(self) -> None:
        self.key = secrets.token_bytes(32)
        self.requests: list[RequestRecord] = []
        self.faults = FaultTable()
        self.sessions: dict[str, Session] = {}
        self.codes: dict[str, AuthCode] = {}
        self.refresh_tokens: dict[str, RefreshRecord] = {}
        self.access_tokens: dict[str, AccessRecord] = {}
        self.accounts_runtime: dict[str, AccountRuntime] = {}
        self._latest_captcha: str | None = None

    @staticmethod
    def now() -> float:
        """The current time, read afresh each time (so freezegun moves it)."""
        return time.time()

    def tesla_now(self) -> float:
        """The time Tesla's clock shows (the scenario's `clock_offset_seconds` off `now()`).

        Only the time claims of issued tokens use it: codes, transactions, TOTP steps and the
        request log follow `now()`.
        """
        return self.now() + self.scenario.clock_offset_seconds

    # --- the operations tests and the control API use ---------------------------------

    def reset(self) -> None:
        """Back to the scenario the emulator started with; forget everything issued."""
        self.scenario = copy.deepcopy(self._initial)
        self._clear()

    def secrets(self) -> set[str]:
        """Every secret this emulator handed out, received or holds, for leak checks (read-only).

        That is: the passwords, backup codes and MFA device secrets of the accounts and the
        client secrets of the apps (the live and the starting scenario), every access, refresh and id token it minted (including the
        owner-api exchange), every authorization code it issued, the passwords (8+ characters),
        authorization codes and refresh tokens (20+) and PKCE code verifiers (43+) it received,
        the TOTP passcodes it issued (`totp()`) or accepted, and its sign-in session ids.
        Captcha answers are not secrets: a person reads them off the image.
        """
        held = {
            value
            for scenario in (self.scenario, self._initial)
            for account in scenario.accounts
            for value in (
                account.password,
                *account.backup_codes,
                *(device.secret for device in account.mfa_devices),
            )
        }
        held |= {
            app.client_secret
            for scenario in (self.scenario, self._initial)
            for app in scenario.apps
        }
        return held | self._seen_secrets | set(self.sessions)

    def note_secret(self, *values: str | None, min_length: int = 1) -> None:
        """Remember secrets that passed through a route.

        Args:
            values: the secrets (None and empty values are skipped).
            min_length: skip shorter values; for what a client sends, which may be junk (a
                fuzzer's "oauth2" is no secret, and would turn up in every log line).
        """
        self._seen_secrets.update(
            value for value in values if value and len(value) >= min_length
        )

    def latest_captcha_answer(self) -> str | None:
        """The answer of the captcha served last (any session)."""
        return self._latest_captcha

    def totp(self, email: str, device_name: str) -> str:
        """The current RFC 6238 passcode of an account's device."""
        device = self.require_account(email).device(device_name)
        if device is None:
            raise UnknownAccountError("no such device")
        code = totp_code(device.secret, self.now())
        self.note_secret(code)
        return code

    def backup_codes(self, email: str) -> list[str]:
        """The backup codes of an account that were not used yet."""
        account = self.require_account(email)
        used = self.runtime(account.email).used_backup_codes
        return [code for code in account.backup_codes if code not in used]

    def mint_refresh_token(self, email: str, amr: tuple[str, ...] = ("pwd",)) -> str:
        """A valid refresh token for the account, as if it had just signed in."""
        account = self.require_account(email)
        issuer = sso_base(self.base_url, account.region)
        return self._new_refresh_token(account, issuer, amr, tokens.DEFAULT_SCOPE)

    def register_app(self, app: App) -> None:
        """Register a Fleet API app, replacing the one with the same client id."""
        self.scenario.apps = [
            a for a in self.scenario.apps if a.client_id != app.client_id
        ]
        self.scenario.apps.append(app)

    def revoke(self, email: str) -> None:
        """Revoke every token and code of the account (as a password change does)."""
        account = self.require_account(email)
        for record in self.refresh_tokens.values():
            if record.email == account.email:
                record.active = False
        self.access_tokens = {
            t: r for t, r in self.access_tokens.items() if r.email != account.email
        }
        self.codes = {c: r for c, r in self.codes.items() if r.email != account.email}

    def set_fault(self, endpoint: str, fault: Fault) -> None:
        """Arm a fault on an endpoint (see faults.ENDPOINTS)."""
        self.faults.add(endpoint, fault)

    def clear_faults(self) -> None:
        """Disarm every fault."""
        self.faults.clear()

    def clear_requests(self) -> None:
        """Forget the request log."""
        self.requests.clear()

    # --- accounts ------------------------------------------------------------------------

    def require_account(self, email: str) -> Account:
        """The account with that email; raises UnknownAccountError."""
        account = self.scenario.account(email)
        if account is None:
            raise UnknownAccountError("no such account")
        return account

    def runtime(self, email: str) -> AccountRuntime:
        """The run-time counters of an account."""
        return self.accounts_runtime.setdefault(email.strip().lower(), AccountRuntime())

    def is_locked(self, account: Account) -> bool:
        """Whether sign-in is refused for the account."""
        return account.locked or self.runtime(account.email).locked

    # --- sessions, transactions, captcha --------------------------------------------------

    def new_session(self) -> Session:
        """A fresh `tesla-auth.sid` session."""
        session = Session(id=secrets.token_urlsafe(24))
        self.sessions[session.id] = session
        return session

    def new_transaction(
        self, session: Session, region: Region, params: AuthorizeParams
    ) -> Transaction:
        """A new sign-in transaction bound to `session`."""
        transaction = Transaction(
            id="".join(secrets.choice(_TRANSACTION_ALPHABET) for _ in range(8)),
            csrf=secrets.token_urlsafe(27),
            region=region,
            params=params,
            created_at=self.now(),
        )
        session.transactions[transaction.id] = transaction
        return transaction

    def new_captcha(self, session: Session) -> str:
        """Draw a new captcha answer for the session (the previous one stops working)."""
        answer = "".join(
            secrets.choice(CAPTCHA_ALPHABET)
            for _ in range(self.scenario.captcha_length)
        )
        session.captcha_answer = answer
        self._latest_captcha = answer
        return answer

    # --- codes and tokens ----------------------------------------------------------------

    def issue_code(
        self, transaction: Transaction, account: Account, scope: str | None = None
    ) -> str:
        """An authorization code for a finished transaction (`scope`: what was granted)."""
        code = secrets.token_hex(30)
        self.note_secret(code)
        self.codes[code] = AuthCode(
            email=account.email,
            region=account.region,
            redirect_uri=transaction.params.redirect_uri,
            code_challenge=transaction.params.code_challenge,
            state=transaction.params.state,
            amr=transaction.amr,
            scope=transaction.params.scope if scope is None else scope,
            created_at=self.now(),
            client_id=transaction.params.client_id,
        )
        return code

    def issue_tokens(
        self,
        account: Account,
        issuer: str,
        amr: tuple[str, ...],
        scope: str,
        *,
        refresh_token: str | None = None,
        connection: Connection | None = None,
        grant_type: str = "",
    ) -> dict[str, object]:
        """An `ownerapi` token response body; mints a refresh token unless one is passed to repeat.

        The access token carries `x-enc` when the scenario does not accept `connection`, the
        connection the token request arrived over (None: not over the network, always accepted).
        """
        grant = tokens.Grant(account, issuer, amr, scope)
        access = self._new_access_token(grant, connection, grant_type)
        if refresh_token is None:
            refresh_token = self._new_refresh_token(account, issuer, amr, scope)
        id_token = tokens.id_token(self.key, account, issuer, self.tesla_now())
        self.note_secret(id_token)
        return {
            "access_token": access,
            "refresh_token": refresh_token,
            "id_token": id_token,
            "expires_in": self.scenario.access_token_lifetime,
            "token_type": "Bearer",
        }

    def issue_app_tokens(
        self,
        app_grant: tokens.AppGrant,
        *,
        connection: Connection | None = None,
        grant_type: str = "",
    ) -> dict[str, object]:
        """A Fleet API app's token response body, with a new (single-use) refresh token.

        The refresh token comes only with `offline_access`, the id_token only with `openid`.
        """
        grant = app_grant.grant
        granted = tokens.scopes(grant.scope)
        body: dict[str, object] = {
            "access_token": self._new_access_token(
                grant, connection, grant_type, app_grant
            )
        }
        if "offline_access" in granted:
            body["refresh_token"] = self._new_refresh_token(
                grant.account,
                grant.issuer,
                grant.amr,
                grant.scope,
                client_id=app_grant.client_id,
            )
        if "openid" in granted:
            id_token = tokens.id_token(
                self.key,
                grant.account,
                grant.issuer,
                self.tesla_now(),
                audience=app_grant.client_id,
            )
            self.note_secret(id_token)
            body["id_token"] = id_token
        body |= {
            "expires_in": self.scenario.access_token_lifetime,
            "token_type": "Bearer",
            "scope": " ".join(granted),
        }
        return body

    def _new_access_token(
        self,
        grant: tokens.Grant,
        connection: Connection | None,
        grant_type: str,
        app_grant: tokens.AppGrant | None = None,
    ) -> str:
        """Mint and record an access token (an app's when `app_grant` is given)."""
        now = self.now()
        lifetime = self.scenario.access_token_lifetime
        accepted = connection is None or accepts(
            self.scenario.accepted_connections, connection
        )
        jti = str(uuid.uuid4())
        marker = None if accepted or connection is None else connection.marker()
        if app_grant is None:
            access = tokens.access_token(
                self.key, grant, lifetime, self.tesla_now(), jti=jti, marker=marker
            )
        else:
            access = tokens.fleet_access_token(
                self.key, app_grant, lifetime, self.tesla_now(), jti=jti, marker=marker
            )
        self.access_tokens[access] = AccessRecord(
            email=grant.account.email,
            region=grant.account.region,
            expires_at=now + lifetime,
            jti=jti,
            grant=grant_type,
            issued_at=now,
            connection=connection,
            accepted=accepted,
            client_id=OWNERAPI if app_grant is None else app_grant.client_id,
            scopes=tuple(tokens.scopes(grant.scope)),
        )
        self.note_secret(access)
        return access

    def _new_refresh_token(
        self,
        account: Account,
        issuer: str,
        amr: tuple[str, ...],
        scope: str,
        *,
        client_id: str = OWNERAPI,
    ) -> str:
        now = self.now()
        token = tokens.refresh_token(
            self.key, tokens.Grant(account, issuer, amr, scope), self.tesla_now()
        )
        self.note_secret(token)
        self.refresh_tokens[token] = RefreshRecord(
            email=account.email,
            region=account.region,
            amr=amr,
            scope=scope,
            issued_at=now,
            client_id=client_id,
            # Fleet API refresh tokens end 3 months after issue; ownerapi ones do not.
            expires_at=None
            if client_id == OWNERAPI
            else now + self.scenario.fleet_refresh_token_lifetime,
        )
        return token
