"""The password sign-in: a scripted conversation with Tesla's form, captcha and MFA pages."""

from __future__ import annotations

import logging
import re
from typing import Any, NoReturn

from .callback import is_callback_url, parse_callback
from .const import REDIRECT_URI
from .errors import (
    LoginFailure,
    TemporaryFailure,
    TeslaSsoError,
    TeslaSsoLoginError,
    TeslaSsoTemporaryError,
    error_code,
    logged_error_name,
)
from .pages import (
    PageKind,
    SsoPage,
    is_account_locked_page,
    raise_for_known_error_page,
    read_page,
)
from .pkce import Pkce
from .steps import Authorized, CaptchaRequired, LoginStep, MfaFactor, MfaRequired
from .token_endpoint import exchange_code
from .tokens import TokenSet
from .transport import HttpResponse, Transport
from .urls import region_redirect_base, trusted_page_url, validate_sso_base

_LOGGER = logging.getLogger(__name__)

_MFA_FAILURES: dict[str, LoginFailure] = {
    "ERR_MAX_VERIFICATION_ATTEMPTS": LoginFailure.MFA_TOO_MANY_ATTEMPTS,
    "ERR_PASS_CODE_REPLAY": LoginFailure.MFA_CODE_REPLAYED,
    "ERR_EXPIRED": LoginFailure.MFA_EXPIRED,
    "ERR_OBJECT_VALIDATION": LoginFailure.MFA_CODE_INVALID,  # not a well-formed passcode
}
_BACKUP_FAILURES: dict[str, LoginFailure] = {
    "ERR_MAX_BACKUP_ATTEMPTS": LoginFailure.BACKUP_CODE_LOCKED,
    "ERR_BACKUP_CODE_REPLAY": LoginFailure.BACKUP_CODE_INVALID,
    "ERR_OBJECT_VALIDATION": LoginFailure.BACKUP_CODE_INVALID,  # not 9 characters
    "ERR_EXPIRED": LoginFailure.MFA_EXPIRED,
}


# Tesla's MFA error codes, known or new: no passcode, backup code or token has this shape.
_MFA_ERROR_CODE = re.compile(r"ERR_[A-Z_]{1,60}")


def _raise_for_error_code(
    body: dict[str, Any], failures: dict[str, LoginFailure], what: str
) -> None:
    """Raise what an MFA answer's error code means (an unknown code is an odd answer)."""
    if (code := error_code(body)) is None:
        return
    message = f"{what} failed: {logged_error_name(code, failures, _MFA_ERROR_CODE)}"
    if (reason := failures.get(code)) is not None:
        raise TeslaSsoLoginError(reason, message)
    raise TeslaSsoTemporaryError(TemporaryFailure.UNEXPECTED_RESPONSE, message)


def _data_object(body: dict[str, Any], what: str) -> dict[str, Any]:
    """Return the ``data`` object of a JSON envelope (else UNEXPECTED_RESPONSE)."""
    data = body.get("data")
    if not isinstance(data, dict):
        raise TeslaSsoTemporaryError(
            TemporaryFailure.UNEXPECTED_RESPONSE,
            f"The {what} answer has no data object",
        )
    return data


def _raise_for_status(response: HttpResponse, what: str) -> NoReturn:
    """Raise the error a known stop page means, else UNEXPECTED_RESPONSE naming the status."""
    raise_for_known_error_page(response.text())
    raise TeslaSsoTemporaryError(
        TemporaryFailure.UNEXPECTED_RESPONSE, f"{what} answered HTTP {response.status}"
    )


class PasswordSignIn:
    """One password sign-in conversation; made by ``TeslaSso.password_sign_in()``.

    The transport's session is the client's: give it a cookie jar of its own.
    """

    def __init__(
        self, transport: Transport, sso_base: str, *, redirect_uri: str = REDIRECT_URI
    ) -> None:
        """Prepare a sign-in against an SSO base (validated; see validate_sso_base)."""
        self._transport = transport
        self._chosen_base = validate_sso_base(sso_base)
        self.sso_base = self._chosen_base
        self._redirect_uri = redirect_uri
        self._pkce = Pkce()
        self._params: dict[str, str] = {}
        self._form: dict[str, str] = {}
        self._captcha_url = ""
        self._mfa_csrf = ""
        self._authorized: Authorized | None = None

    @property
    def _authorize_url(self) -> str:
        return f"{self.sso_base}/authorize"

    @property
    def _transaction_id(self) -> str:
        return self._form.get("transaction_id", "")

    async def start(self, email: str) -> CaptchaRequired | None:
        """Load the sign-in form (following a region redirect once).

        Returns:
            CaptchaRequired when the form asks for a captcha, None for the plain form.
        """
        self._params = self._pkce.authorize_params(self._redirect_uri, login_hint=email)
        self._authorized = None
        response = await self._transport.send(
            "GET", self._authorize_url, params=self._params
        )
        if 300 <= response.status < 400:
            new_base = region_redirect_base(
                response.location or "", response.url, self._chosen_base
            )
            if new_base is None:
                raise TeslaSsoTemporaryError(
                    TemporaryFailure.UNEXPECTED_RESPONSE,
                    "The sign-in page redirected to a server that is not trusted",
                )
            _LOGGER.debug("Region redirect from %s to %s", self.sso_base, new_base)
            self.sso_base = new_base
            response = await self._transport.send(
                "GET", self._authorize_url, params=self._params
            )
        if response.status != 200:
            _raise_for_status(response, "The sign-in page")
        page = self._take_page(response)
        if page.kind is PageKind.SIGN_IN:
            return None
        if page.kind is PageKind.CAPTCHA_REQUIRED:
            return CaptchaRequired()
        raise TeslaSsoTemporaryError(
            TemporaryFailure.UNEXPECTED_RESPONSE,
            f"The sign-in page is a {page.kind.name} page, not the form",
        )

    def _take_page(self, response: HttpResponse) -> SsoPage:
        """Read a page and keep its form inputs and captcha location for the next request."""
        page = read_page(response.text())
        if page.kind is not PageKind.MFA:
            self._form = page.form
            # "" when the page points the image off the SSO server: captcha_image() refuses it.
            self._captcha_url = (
                trusted_page_url(
                    page.captcha_src or "/captcha", response.url, self._chosen_base
                )
                or ""
            )
        return page

    def _require_form(self) -> None:
        if not self._form:
            raise RuntimeError("Call start() before this step")

    async def captcha_image(self) -> bytes:
        """Fetch the captcha image (SVG) bound to this conversation."""
        self._require_form()
        if not self._captcha_url:
            raise TeslaSsoTemporaryError(
                TemporaryFailure.UNEXPECTED_RESPONSE,
                "The sign-in page puts the captcha image on another server",
            )
        response = await self._transport.send("GET", self._captcha_url)
        if response.status != 200 or not response.body:
            raise TeslaSsoTemporaryError(
                TemporaryFailure.UNEXPECTED_RESPONSE,
                f"The captcha image answered HTTP {response.status}",
            )
        if b"<svg" not in response.body[:2048].lower():
            raise TeslaSsoTemporaryError(
                TemporaryFailure.UNEXPECTED_RESPONSE, "The captcha is not an SVG image"
            )
        return response.body

    async def submit_credentials(
        self, email: str, password: str, captcha: str | None = None
    ) -> LoginStep:
        """Post email and password (and the captcha answer) and say what comes next.

        Raises:
            TeslaSsoLoginError: INVALID_CREDENTIALS, ACCOUNT_LOCKED, CAPTCHA_INVALID,
                RECAPTCHA_REQUIRED, REDIRECT_URI_REFUSED, CALLBACK_ERROR, STATE_MISMATCH,
                INVALID_CALLBACK_URL.
            TeslaSsoTemporaryError: WAF, rate limit, server or connection trouble, or an unknown page.
        """
        self._require_form()
        form = {**self._form, "identity": email, "credential": password}
        if captcha is not None:
            form["captcha"] = captcha
        response = await self._transport.send(
            "POST", self._authorize_url, params=self._params, form=form
        )
        if response.status == 401:
            if is_account_locked_page(response.text()):
                raise TeslaSsoLoginError(LoginFailure.ACCOUNT_LOCKED)
            raise TeslaSsoLoginError(LoginFailure.INVALID_CREDENTIALS)
        if 300 <= response.status < 400:
            return self._authorized_from(response)
        if response.status != 200:
            _raise_for_status(response, "The sign-in form")
        page = self._take_page(response)
        if page.kind is PageKind.MFA:
            # Since 2023 the MFA requests carry the MFA page's _csrf; the form's is the fallback.
            self._mfa_csrf = page.csrf or self._form["_csrf"]
            return MfaRequired(await self._mfa_factors())
        if page.kind is PageKind.CAPTCHA_INVALID:
            raise TeslaSsoLoginError(LoginFailure.CAPTCHA_INVALID)
        if page.kind is PageKind.CAPTCHA_REQUIRED:
            return CaptchaRequired()
        raise TeslaSsoTemporaryError(
            TemporaryFailure.UNEXPECTED_RESPONSE,
            "The sign-in form came back without a captcha or a known message",
        )

    def _authorized_from(self, response: HttpResponse) -> Authorized:
        """Read the code from a redirect to the callback."""
        location = response.location or ""
        if not is_callback_url(location, self._redirect_uri):
            raise TeslaSsoTemporaryError(
                TemporaryFailure.UNEXPECTED_RESPONSE,
                "The sign-in redirected somewhere other than the callback",
            )
        self._authorized = parse_callback(
            location,
            state=self._pkce.state,
            redirect_uri=self._redirect_uri,
            trusted_base=self._chosen_base,
            default_issuer=self.sso_base,
        )
        _LOGGER.debug("Signed in; code issued by %s", self._authorized.issuer)
        return self._authorized

    async def _mfa_factors(self) -> tuple[MfaFactor, ...]:
        """List the account's MFA devices."""
        response = await self._transport.send(
            "GET",
            f"{self.sso_base}/authorize/mfa/factors",
            params={"transaction_id": self._transaction_id},
        )
        if response.status != 200:
            raise TeslaSsoTemporaryError(
                TemporaryFailure.UNEXPECTED_RESPONSE,
                f"The MFA device list answered HTTP {response.status}",
            )
        data = response.json_object().get("data")
        if not isinstance(data, list):
            raise TeslaSsoTemporaryError(
                TemporaryFailure.UNEXPECTED_RESPONSE,
                "The MFA device list has no data list",
            )
        factors: list[MfaFactor] = []
        for entry in data:
            if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
                raise TeslaSsoTemporaryError(
                    TemporaryFailure.UNEXPECTED_RESPONSE, "An MFA device has no id"
                )
            factors.append(
                MfaFactor(
                    id=entry["id"],
                    name=str(entry.get("name") or entry["id"]),
                )
            )
        return tuple(factors)

    def _mfa_json(self, **fields: str) -> dict[str, str]:
        return {
            "transaction_id": self._transaction_id,
            "_csrf": self._mfa_csrf,
            **fields,
        }

    async def verify_passcode(self, factor_id: str, passcode: str) -> Authorized:
        """Verify a passcode from the chosen device, then finish the sign-in.

        Raises:
            TeslaSsoLoginError: MFA_CODE_INVALID, MFA_TOO_MANY_ATTEMPTS, MFA_CODE_REPLAYED,
                MFA_EXPIRED.
        """
        self._require_form()
        response = await self._transport.send(
            "POST",
            f"{self.sso_base}/authorize/mfa/verify",
            json_body=self._mfa_json(factor_id=factor_id, passcode=passcode),
        )
        body = response.json_object()
        _raise_for_error_code(body, _MFA_FAILURES, "MFA verification")
        data = _data_object(body, "MFA verification")
        if data.get("valid") is not True or data.get("approved") is not True:
            raise TeslaSsoLoginError(LoginFailure.MFA_CODE_INVALID)
        return await self._finish()

    async def verify_backup_code(self, backup_code: str) -> Authorized:
        """Use a backup code instead of a device passcode, then finish the sign-in.

        Raises:
            TeslaSsoLoginError: BACKUP_CODE_INVALID, BACKUP_CODE_LOCKED, MFA_EXPIRED.
        """
        self._require_form()
        response = await self._transport.send(
            "POST",
            f"{self.sso_base}/authorize/mfa/backupcodes/attempt",
            json_body=self._mfa_json(backup_code=backup_code),
        )
        body = response.json_object()
        _raise_for_error_code(body, _BACKUP_FAILURES, "Backup code check")
        data = _data_object(body, "backup code")
        if data.get("valid") is True:
            return await self._finish()
        if (
            data.get("locked") is True
            or data.get("attemptsRemaining") == 0
            or data.get("reason") == "ERR_MAX_BACKUP_ATTEMPTS"
        ):
            raise TeslaSsoLoginError(LoginFailure.BACKUP_CODE_LOCKED)
        raise TeslaSsoLoginError(LoginFailure.BACKUP_CODE_INVALID)

    async def _finish(self) -> Authorized:
        """POST only the transaction id; the answer redirects to the callback with the code."""
        response = await self._transport.send(
            "POST",
            self._authorize_url,
            params=self._params,
            form={"transaction_id": self._transaction_id},
        )
        if not 300 <= response.status < 400:
            _raise_for_status(response, "Finishing the sign-in")
        return self._authorized_from(response)

    async def fetch_tokens(self) -> TokenSet:
        """Exchange the authorization code for tokens at ``<issuer>/token``."""
        if self._authorized is None:
            raise RuntimeError("The sign-in has no authorization code yet")
        return await exchange_code(
            self._transport,
            self._authorized,
            pkce=self._pkce,
            redirect_uri=self._redirect_uri,
            trusted_base=self._chosen_base,
        )

    async def cancel(self) -> None:
        """Tell Tesla the sign-in is abandoned (best effort; never raises)."""
        if not self._transaction_id or self._authorized is not None:
            return
        try:
            await self._transport.send(
                "POST",
                self._authorize_url,
                params=self._params,
                form={"transaction_id": self._transaction_id, "cancel": "1"},
            )
        # RuntimeError: the caller already closed the session.
        except (TeslaSsoError, RuntimeError) as err:
            _LOGGER.debug("Cancelling the sign-in failed: %s", type(err).__name__)
        finally:
            self._form = {}
