"""The MFA endpoints: factors, passcode verify, backup codes (JSON `{"data"}` / `{"error"}` envelopes)."""

from __future__ import annotations

from datetime import UTC, datetime
import re
import uuid

from aiohttp import web

from .records import Session, Stage, Transaction
from .scenario import Account, Region
from .state import State
from .totp import matching_counter
from .urls import REGION_PREFIX, SSO_PATH
from .web_util import error_envelope, find_session, json_response, read_fields, state_of

_PASSCODE_RE = re.compile(r"^\d{6}$")
_ACTIVATED_AT = "2021-02-01T07:27:44.000Z"
MFA_AMR = ("pwd", "mfa", "otp")


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class MfaRoutes:
    """The MFA JSON endpoints of one region."""

    def __init__(self, region: Region) -> None:
        """Serve `region` under its path prefix."""
        self.region = region
        self.mfa_path = f"{REGION_PREFIX[region]}{SSO_PATH}/authorize/mfa"

    def add_to(self, router: web.UrlDispatcher) -> None:
        """Register the routes (route names carry the fault endpoint names)."""
        name = f"sso_{self.region.value}"
        router.add_get(
            f"{self.mfa_path}/factors", self.factors, name=f"{name}.mfa_factors"
        )
        router.add_post(
            f"{self.mfa_path}/verify", self.verify, name=f"{name}.mfa_verify"
        )
        router.add_post(
            f"{self.mfa_path}/backupcodes/attempt",
            self.backup_code,
            name=f"{name}.mfa_backupcodes",
        )

    def _transaction(
        self, request: web.Request, state: State, transaction_id: str | None
    ) -> tuple[Session, Transaction, Account] | web.Response:
        """The MFA-stage transaction of the caller's session, or the error answer."""
        session = find_session(request)
        transaction = (
            session.transactions.get(transaction_id or "") if session else None
        )
        if (
            session is None
            or transaction is None
            or transaction.region != self.region
            or transaction.stage is Stage.LOGIN
        ):
            return error_envelope(
                "UNAUTHORIZED", "The transaction is unknown or not awaiting MFA.", 401
            )
        account = state.scenario.account(transaction.email or "")
        if account is None:
            return error_envelope("UNAUTHORIZED", "The account no longer exists.", 401)
        if state.now() - transaction.created_at > state.scenario.transaction_lifetime:
            return error_envelope("ERR_EXPIRED", "The transaction has expired.", 400)
        return session, transaction, account

    @staticmethod
    def _csrf_refused(
        state: State, transaction: Transaction, fields: dict[str, str]
    ) -> web.Response | None:
        """The 2023 check (knob mfa_csrf): the JSON must carry the MFA page's _csrf."""
        if state.scenario.mfa_csrf and fields.get("_csrf") != transaction.mfa_csrf:
            return error_envelope("FORBIDDEN", "Invalid CSRF token.", 403)
        return None

    async def factors(self, request: web.Request) -> web.Response:
        """The account's registered devices."""
        state = state_of(request)
        found = self._transaction(request, state, request.query.get("transaction_id"))
        if isinstance(found, web.Response):
            return found
        _, _, account = found
        return json_response(
            {
                "data": [
                    {
                        "dispatchRequired": device.factor_type != "token:software",
                        "id": device.id,
                        "name": device.name,
                        "factorType": device.factor_type,
                        "factorProvider": "TESLA",
                        "securityLevel": 1,
                        "activatedAt": _ACTIVATED_AT,
                        "updatedAt": _ACTIVATED_AT,
                    }
                    for device in account.mfa_devices
                ]
            }
        )

    async def verify(self, request: web.Request) -> web.Response:
        """Check a passcode: wrong = 200 with valid:false; errors in the error envelope."""
        state = state_of(request)
        fields = await read_fields(request)
        if (
            fields is None
            or not {"transaction_id", "factor_id", "passcode"} <= fields.keys()
        ):
            return error_envelope(
                "ERR_OBJECT_VALIDATION",
                "Attributes transaction_id, factor_id, passcode are required.",
                400,
            )
        found = self._transaction(request, state, fields["transaction_id"])
        if isinstance(found, web.Response):
            return found
        _, transaction, account = found
        if (refused := self._csrf_refused(state, transaction, fields)) is not None:
            return refused
        device = next(
            (d for d in account.mfa_devices if d.id == fields["factor_id"]), None
        )
        if device is None:
            return error_envelope(
                "ERR_INVALID_FACTOR",
                "The factor is not registered for this account.",
                400,
            )
        passcode = fields["passcode"].strip()
        if not _PASSCODE_RE.match(passcode):
            return error_envelope(
                "ERR_OBJECT_VALIDATION", "The passcode must be 6 digits.", 400
            )
        if transaction.mfa_failures >= state.scenario.mfa_max_attempts:
            return error_envelope(
                "ERR_MAX_VERIFICATION_ATTEMPTS", "Too many verification attempts.", 400
            )
        now = state.now()
        counter = matching_counter(device.secret, passcode, now)
        used = state.runtime(account.email).used_totp_steps.setdefault(device.id, set())
        if counter is not None and counter in used:
            return error_envelope(
                "ERR_PASS_CODE_REPLAY", "Passcode has been used recently.", 400
            )
        valid = counter is not None
        if counter is not None:
            state.note_secret(passcode)
            used.add(counter)
            transaction.stage = Stage.VERIFIED
            transaction.amr = MFA_AMR
        else:
            transaction.mfa_failures += 1
        challenge = str(uuid.uuid4())
        return json_response(
            {
                "data": {
                    "id": str(uuid.uuid4()),
                    "challengeId": challenge,
                    "factorId": device.id,
                    "passCode": passcode,
                    "approved": True,
                    "flagged": False,
                    "valid": valid,
                    "createdAt": _iso(now),
                    "updatedAt": _iso(now),
                }
            }
        )

    async def backup_code(self, request: web.Request) -> web.Response:
        """Try a 9-character backup code; always HTTP 200 with the outcome in `data`."""
        state = state_of(request)
        fields = await read_fields(request)
        if fields is None or not {"transaction_id", "backup_code"} <= fields.keys():
            return error_envelope(
                "ERR_OBJECT_VALIDATION",
                "Attributes transaction_id, backup_code are required.",
                400,
            )
        found = self._transaction(request, state, fields["transaction_id"])
        if isinstance(found, web.Response):
            return found
        _, transaction, account = found
        if (refused := self._csrf_refused(state, transaction, fields)) is not None:
            return refused
        runtime = state.runtime(account.email)
        limit = state.scenario.backup_code_attempts
        code = fields["backup_code"].strip().lower()
        reason: str | None = None
        valid = False
        if runtime.backup_failures >= limit:
            reason = "ERR_MAX_BACKUP_ATTEMPTS"
        elif len(code) != 9:
            reason = "ERR_OBJECT_VALIDATION"
        elif code in runtime.used_backup_codes:
            reason = "ERR_BACKUP_CODE_REPLAY"
            runtime.backup_failures += 1
        elif code in account.backup_codes:
            valid = True
            runtime.used_backup_codes.add(code)
            transaction.stage = Stage.VERIFIED
            transaction.amr = MFA_AMR
        else:
            runtime.backup_failures += 1
        remaining = max(limit - runtime.backup_failures, 0)
        if not valid and reason is None and remaining == 0:
            reason = "ERR_MAX_BACKUP_ATTEMPTS"
        messages = {
            None: None,
            "ERR_MAX_BACKUP_ATTEMPTS": "Reached maximum backup attempts.",
            "ERR_OBJECT_VALIDATION": "Backup passcode contains 9 characters.",
            "ERR_BACKUP_CODE_REPLAY": "Backup passcode has already been used.",
        }
        return json_response(
            {
                "data": {
                    "valid": valid,
                    "reason": reason,
                    "message": messages[reason]
                    if reason
                    else (None if valid else "Invalid backup passcode."),
                    "codesRemaining": len(
                        [
                            c
                            for c in account.backup_codes
                            if c not in runtime.used_backup_codes
                        ]
                    ),
                    "attemptsRemaining": remaining,
                    "locked": remaining == 0,
                }
            }
        )
