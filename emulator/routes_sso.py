"""The sign-in pages: GET/POST /authorize (login, captcha, MFA page, finish, cancel) and /captcha."""

from __future__ import annotations

import re

from aiohttp import web

from . import pages
from .apps import OWNERAPI
from .captcha import render_svg
from .records import AuthorizeParams, Session, Stage, Transaction
from .redirects import callback_url, redirect
from .routes_consent import (
    after_sign_in,
    allowed_redirect_uris,
    app_query_refusal,
    consent_post,
    is_app_sign_in,
)
from .scenario import Account, CaptchaMode, Region, Scenario
from .state import State
from .tokens import DEFAULT_SCOPE
from .urls import REGION_PREFIX, SSO_PATH, other_region, sso_base
from .web_util import find_session, html_response, origin, set_session_cookie, state_of

_CHALLENGE_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
MSG_WRONG_CREDENTIALS = "The email or password you entered is incorrect."
MSG_LOCKED = "Your account has been locked. Please reset your password to unlock it."
MSG_CAPTCHA_MISMATCH = "Captcha does not match"
MSG_RECAPTCHA = "Recaptcha is required"
MSG_MISSING = "Required information is not present in form"


def parse_authorize_query(
    query: dict[str, str], scenario: Scenario
) -> AuthorizeParams | str:
    """The authorize parameters (`ownerapi` or a registered app), or why they are refused."""
    client_id = query.get("client_id", "")
    app = scenario.app(client_id)
    if client_id != OWNERAPI and app is None:
        return "The 'client_id' is missing or unknown."
    if query.get("response_type") != "code":
        return "The 'response_type' must be 'code'."
    if not query.get("redirect_uri"):
        return "The 'redirect_uri' is missing."
    if query.get("code_challenge_method") != "S256":
        return "The 'code_challenge_method' must be 'S256'."
    challenge = query.get("code_challenge", "")
    if not _CHALLENGE_RE.match(challenge):
        return "The 'code_challenge' must be 43 base64url characters (S256)."
    refusal = app_query_refusal(app, query) if app is not None else None
    if refusal is not None:
        return refusal
    return AuthorizeParams(
        client_id=query["client_id"],
        redirect_uri=query["redirect_uri"],
        response_type="code",
        scope=query.get("scope") or DEFAULT_SCOPE,
        code_challenge=challenge,
        code_challenge_method="S256",
        state=query.get("state"),
        login_hint=query.get("login_hint"),
    )


class SsoRoutes:
    """The sign-in pages of one region."""

    def __init__(self, region: Region) -> None:
        """Serve `region` under its path prefix."""
        self.region = region
        self.sso_path = f"{REGION_PREFIX[region]}{SSO_PATH}"

    def add_to(self, router: web.UrlDispatcher) -> None:
        """Register the routes (route names carry the fault endpoint names)."""
        name = f"sso_{self.region.value}"
        router.add_get(
            f"{self.sso_path}/authorize",
            self.authorize_get,
            name=f"{name}.authorize.get",
        )
        router.add_post(
            f"{self.sso_path}/authorize",
            self.authorize_post,
            name=f"{name}.authorize.post",
        )
        router.add_get(
            f"{self.sso_path}/captcha", self.captcha, name=f"{name}.captcha.sso"
        )
        # TeslaPy fetches <origin>/captcha; the session cookie covers both paths.
        router.add_get(
            f"{REGION_PREFIX[self.region]}/captcha",
            self.captcha,
            name=f"{name}.captcha.root",
        )

    def _login_page(
        self,
        state: State,
        transaction: Transaction,
        *,
        status: int = 200,
        identity: str = "",
        messages: dict[str, str] | None = None,
        captcha: bool = False,
    ) -> web.Response:
        return html_response(
            pages.login_page(
                transaction,
                sso_path=self.sso_path,
                identity=identity,
                messages=messages,
                captcha=captcha,
                recaptcha=state.scenario.recaptcha,
            ),
            status=status,
        )

    async def authorize_get(self, request: web.Request) -> web.Response:
        """Serve the sign-in form, or 303 to the account's region."""
        state = state_of(request)
        params = parse_authorize_query(dict(request.query), state.scenario)
        if isinstance(params, str):
            return html_response(pages.error_page("Error", params), status=400)
        allowed = allowed_redirect_uris(state.scenario, params.client_id)
        if params.redirect_uri not in allowed:
            return html_response(
                pages.redirect_uri_refused_page(params.redirect_uri), status=400
            )
        hinted = (
            state.scenario.account(params.login_hint) if params.login_hint else None
        )
        if hinted is not None and hinted.region != self.region:
            target = sso_base(origin(request), other_region(self.region))
            return redirect(
                f"{target}/authorize?{request.rel_url.raw_query_string}", status=303
            )
        session = find_session(request) or state.new_session()
        transaction = state.new_transaction(session, self.region, params)
        transaction.captcha_required = (
            state.scenario.captcha_mode(hinted) == CaptchaMode.FIRST_PAGE
        )
        response = self._login_page(
            state,
            transaction,
            identity=params.login_hint or "",
            captcha=transaction.captcha_required,
        )
        set_session_cookie(request, response, session)
        return response

    async def captcha(self, request: web.Request) -> web.Response:
        """A new captcha image bound to the caller's session."""
        state = state_of(request)
        session = find_session(request)
        if session is None:
            return html_response(pages.error_page("Error", "No session."), status=400)
        answer = state.new_captcha(session)
        return web.Response(
            body=render_svg(answer),
            content_type="image/svg+xml",
            headers={"Cache-Control": "no-store"},
        )

    async def authorize_post(self, request: web.Request) -> web.Response:
        """Judge a form submission: credentials, captcha, finish after MFA, or cancel."""
        state = state_of(request)
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        session = find_session(request)
        transaction = (
            session.transactions.get(form.get("transaction_id", ""))
            if session
            else None
        )
        if session is None or transaction is None or transaction.region != self.region:
            return html_response(
                pages.error_page(
                    "Session expired",
                    "Your sign-in session has expired. Please start again.",
                ),
                status=400,
            )
        if state.now() - transaction.created_at > state.scenario.transaction_lifetime:
            del session.transactions[transaction.id]
            return html_response(
                pages.error_page(
                    "Session expired",
                    "Your sign-in session has expired. Please start again.",
                ),
                status=400,
            )
        if form.get("cancel"):
            del session.transactions[transaction.id]
            return redirect(
                callback_url(
                    transaction.params.redirect_uri,
                    {
                        "error": "login_cancelled",
                        "error_description": "User cancelled login",
                        "state": transaction.params.state,
                    },
                )
            )
        transaction.posts += 1
        if transaction.stage is Stage.CONSENT:
            return await consent_post(request, state, session, transaction)
        if transaction.stage is Stage.VERIFIED:
            return self._finish(request, state, session, transaction)
        if "identity" not in form and "credential" not in form:
            if transaction.stage is Stage.MFA:
                return html_response(
                    pages.mfa_page(transaction, sso_path=self.sso_path)
                )
            return self._login_page(
                state, transaction, messages={"_": f"{MSG_MISSING}: identity"}
            )
        return self._authenticate(request, state, session, transaction, form)

    def _authenticate(
        self,
        request: web.Request,
        state: State,
        session: Session,
        transaction: Transaction,
        form: dict[str, str],
    ) -> web.Response:
        if form.get("_csrf") != transaction.csrf:
            return html_response(
                pages.error_page("Forbidden", "invalid csrf token"), status=403
            )
        identity = form.get("identity", "").strip()
        credential = form.get("credential", "")
        state.note_secret(credential, min_length=8)
        if state.scenario.recaptcha and not form.get("g-recaptcha-response"):
            return self._login_page(
                state,
                transaction,
                identity=identity,
                messages={"recaptcha": MSG_RECAPTCHA},
            )
        account = state.scenario.account(identity) if identity else None
        if account is not None and state.is_locked(account):
            return self._login_page(
                state, transaction, identity=identity, messages={"_": MSG_LOCKED}
            )
        captcha_refusal = self._check_captcha(
            state,
            session=session,
            transaction=transaction,
            account=account,
            identity=identity,
            form=form,
        )
        if captcha_refusal is not None:
            return captcha_refusal
        if account is None or credential != account.password:
            return self._wrong_credentials(state, transaction, account, identity)
        state.runtime(account.email).failed_logins = 0
        transaction.email = account.email
        if account.has_mfa:
            transaction.stage = Stage.MFA
            return html_response(pages.mfa_page(transaction, sso_path=self.sso_path))
        return self._finish(request, state, session, transaction)

    def _check_captcha(
        self,
        state: State,
        *,
        session: Session,
        transaction: Transaction,
        account: Account | None,
        identity: str,
        form: dict[str, str],
    ) -> web.Response | None:
        mode = state.scenario.captcha_mode(account)
        if mode == CaptchaMode.FIRST_PAGE:
            transaction.captcha_required = True
        elif mode == CaptchaMode.AFTER_FIRST_POST and not transaction.captcha_required:
            # The first POST only learns that a captcha is now required.
            transaction.captcha_required = True
            return self._login_page(state, transaction, identity=identity, captcha=True)
        if not transaction.captcha_required:
            return None
        answer = form.get("captcha", "").strip().lower()
        expected = session.captcha_answer
        session.captcha_answer = None  # one try per image
        if not answer:
            return self._login_page(state, transaction, identity=identity, captcha=True)
        if expected is None or answer != expected:
            return self._login_page(
                state,
                transaction,
                identity=identity,
                captcha=True,
                messages={"captcha": MSG_CAPTCHA_MISMATCH},
            )
        return None

    def _wrong_credentials(
        self,
        state: State,
        transaction: Transaction,
        account: Account | None,
        identity: str,
    ) -> web.Response:
        if account is not None:
            runtime = state.runtime(account.email)
            runtime.failed_logins += 1
            limit = state.scenario.lockout_after
            if limit and runtime.failed_logins >= limit:
                runtime.locked = True
                return self._login_page(
                    state, transaction, identity=identity, messages={"_": MSG_LOCKED}
                )
        return self._login_page(
            state,
            transaction,
            status=401,
            identity=identity,
            messages={"_": MSG_WRONG_CREDENTIALS},
            captcha=transaction.captcha_required,
        )

    def _finish(
        self,
        request: web.Request,
        state: State,
        session: Session,
        transaction: Transaction,
    ) -> web.Response:
        """Hand out the code in the redirect (issuer = the account's region); an app's sign-in asks consent first."""
        account = state.scenario.account(transaction.email or "")
        if account is not None and is_app_sign_in(transaction):
            return after_sign_in(request, state, session, transaction, account)
        del session.transactions[transaction.id]
        if account is None:
            return html_response(
                pages.error_page("Error", "The account no longer exists."), status=400
            )
        code = state.issue_code(transaction, account)
        return redirect(
            callback_url(
                transaction.params.redirect_uri,
                {
                    "code": code,
                    "state": transaction.params.state,
                    "issuer": sso_base(origin(request), account.region),
                },
            )
        )
