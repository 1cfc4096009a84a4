"""A Fleet API app's sign-in: its authorize checks and the consent step after the login.

The login itself (password, captcha, MFA) is the `ownerapi` one; only its end differs: instead
of the code, the person sees which scopes the app asks for, may untick the optional ones, and
allows or denies. The scenario's `fleet_consent` can answer for them (`grant`, `deny`), and
`fleet_denied_scopes` are never granted.
"""

from __future__ import annotations

from aiohttp import web

from . import pages
from .apps import FIXED_SCOPES, OWNERAPI, App
from .records import Session, Stage, Transaction
from .redirects import callback_url, redirect
from .scenario import Account, FleetConsent, Scenario
from .state import State
from .tokens import scopes
from .urls import sso_base
from .web_util import html_response, origin


def allowed_redirect_uris(scenario: Scenario, client_id: str) -> list[str]:
    """The redirect URIs allowed for a client: the app's own, or the scenario's for ownerapi."""
    app = scenario.app(client_id)
    return app.redirect_uris if app is not None else scenario.redirect_uris


def app_query_refusal(app: App, query: dict[str, str]) -> str | None:
    """Why an app's authorize query is refused (after the checks every client gets)."""
    if not query.get("state"):
        return "The 'state' is missing."
    requested = query.get("scope", "").split()
    if not requested:
        return "The 'scope' is missing."
    refused = [s for s in requested if s not in app.scopes]
    if refused:
        return f"The scope '{refused[0]}' is not allowed for this 'client_id'."
    return None


def granted_scopes(
    requested: list[str], ticked: list[str], denied: list[str]
) -> list[str]:
    """What the person grants: the fixed scopes, and the ticked optional ones, less `denied`."""
    return [
        s for s in requested if (s in FIXED_SCOPES or s in ticked) and s not in denied
    ]


def is_app_sign_in(transaction: Transaction) -> bool:
    """Whether the transaction signs in for a Fleet API app (not `ownerapi`)."""
    return transaction.params.client_id != OWNERAPI


def _deny(session: Session, transaction: Transaction) -> web.Response:
    session.transactions.pop(transaction.id, None)
    return redirect(
        callback_url(
            transaction.params.redirect_uri,
            {
                "error": "access_denied",
                "error_description": "The user denied access",
                "state": transaction.params.state,
            },
        )
    )


def _grant(
    request: web.Request,
    state: State,
    session: Session,
    transaction: Transaction,
    ticked: list[str],
) -> web.Response:
    session.transactions.pop(transaction.id, None)
    account = state.scenario.account(transaction.email or "")
    if account is None:
        return html_response(
            pages.error_page("Error", "The account no longer exists."), status=400
        )
    granted = granted_scopes(
        scopes(transaction.params.scope), ticked, state.scenario.fleet_denied_scopes
    )
    code = state.issue_code(transaction, account, scope=" ".join(granted))
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


def after_sign_in(
    request: web.Request,
    state: State,
    session: Session,
    transaction: Transaction,
    account: Account,
) -> web.Response:
    """The signed-in person's next step: the consent page, or the scenario's answer for them."""
    transaction.email = account.email
    consent = state.scenario.fleet_consent
    if consent == FleetConsent.DENY:
        return _deny(session, transaction)
    requested = scopes(transaction.params.scope)
    if consent == FleetConsent.GRANT:
        return _grant(request, state, session, transaction, requested)
    transaction.stage = Stage.CONSENT
    app = state.scenario.app(transaction.params.client_id)
    return html_response(
        pages.consent_page(
            transaction,
            app_name=app.name if app is not None else transaction.params.client_id,
            scopes=requested,
        )
    )


async def consent_post(
    request: web.Request, state: State, session: Session, transaction: Transaction
) -> web.Response:
    """Judge the consent form: `consent=deny` denies; else the ticked `scope` boxes are granted."""
    form = await request.post()
    if form.get("_csrf") != transaction.csrf:
        return html_response(
            pages.error_page("Forbidden", "invalid csrf token"), status=403
        )
    if form.get("consent") == "deny":
        return _deny(session, transaction)
    ticked = [v for v in form.getall("scope", []) if isinstance(v, str)]
    return _grant(request, state, session, transaction, ticked)
