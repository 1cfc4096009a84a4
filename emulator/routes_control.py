"""The JSON control API under /__emulator__/ for tests and the demo."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .apps import app_from_dict
from .errors import ScenarioError
from .faults import Fault, check_endpoint
from .scenario import Scenario, account_from_dict
from .state import UnknownAccountError
from .urls import CONTROL_PREFIX
from .web_util import json_response, state_of


def _bad_request(message: str) -> web.Response:
    return json_response({"error": message}, status=400)


def _not_found(message: str) -> web.Response:
    return json_response({"error": message}, status=404)


async def _json_body(request: web.Request) -> Any:
    try:
        return json.loads(await request.read() or b"{}")
    except ValueError as err:
        raise ScenarioError("the body must be JSON") from err


async def latest_captcha(request: web.Request) -> web.Response:
    """GET captcha/latest -> {"answer": str | null}."""
    return json_response({"answer": state_of(request).latest_captcha_answer()})


async def mfa_code(request: web.Request) -> web.Response:
    """GET mfa/code?email=&device= -> {"code": "123456"}."""
    try:
        code = state_of(request).totp(
            request.query.get("email", ""), request.query.get("device", "")
        )
    except UnknownAccountError as err:
        return _not_found(str(err))
    return json_response({"code": code})


async def backup_codes(request: web.Request) -> web.Response:
    """GET mfa/backup_codes?email= -> {"codes": [unused codes]}."""
    try:
        codes = state_of(request).backup_codes(request.query.get("email", ""))
    except UnknownAccountError as err:
        return _not_found(str(err))
    return json_response({"codes": codes})


async def list_requests(request: web.Request) -> web.Response:
    """GET requests -> every served SSO request, in order (names only, never values)."""
    return json_response([r.to_dict() for r in state_of(request).requests])


async def list_tokens(request: web.Request) -> web.Response:
    """GET tokens -> the access tokens issued, in order: who, for which client and scopes, how, over which connection (never the token)."""
    return json_response(
        [r.to_dict() for r in state_of(request).access_tokens.values()]
    )


async def clear_requests(request: web.Request) -> web.Response:
    """DELETE requests -> forget the log."""
    state_of(request).clear_requests()
    return json_response({"ok": True})


async def get_scenario(request: web.Request) -> web.Response:
    """GET scenario -> the live scenario."""
    return json_response(state_of(request).scenario.to_dict())


async def put_scenario(request: web.Request) -> web.Response:
    """PUT scenario -> replace the whole scenario (omitted keys take their defaults)."""
    state = state_of(request)
    state.scenario = Scenario.from_dict(await _json_body(request))
    return json_response(state.scenario.to_dict())


async def patch_scenario(request: web.Request) -> web.Response:
    """PATCH scenario -> replace only the given top-level keys."""
    state = state_of(request)
    state.scenario = state.scenario.updated(await _json_body(request))
    return json_response(state.scenario.to_dict())


async def put_account(request: web.Request) -> web.Response:
    """POST accounts -> add an account, or replace the one with the same email."""
    state = state_of(request)
    account = account_from_dict(await _json_body(request))
    state.scenario.accounts = [
        a for a in state.scenario.accounts if a.email != account.email
    ]
    state.scenario.accounts.append(account)
    return json_response(state.scenario.to_dict())


async def list_apps(request: web.Request) -> web.Response:
    """GET apps -> the registered Fleet API apps, without their client secrets."""
    return json_response(
        [app.to_dict(secret=False) for app in state_of(request).scenario.apps]
    )


async def put_app(request: web.Request) -> web.Response:
    """POST apps -> register an app, or replace the one with the same client_id."""
    state = state_of(request)
    state.register_app(app_from_dict(await _json_body(request)))
    return json_response([app.to_dict(secret=False) for app in state.scenario.apps])


async def list_faults(request: web.Request) -> web.Response:
    """GET faults -> the armed faults."""
    return json_response(state_of(request).faults.to_list())


async def add_fault(request: web.Request) -> web.Response:
    """POST faults {"endpoint", "kind", ...} -> arm a fault."""
    body = await _json_body(request)
    if not isinstance(body, dict):
        raise ScenarioError("fault: an object is required")
    endpoint = check_endpoint(str(body.pop("endpoint", "")))
    state = state_of(request)
    state.set_fault(endpoint, Fault.from_dict(body))
    return json_response(state.faults.to_list())


async def clear_faults(request: web.Request) -> web.Response:
    """DELETE faults -> disarm all."""
    state_of(request).clear_faults()
    return json_response({"ok": True})


async def revoke(request: web.Request) -> web.Response:
    """POST revoke {"email"} -> revoke every token and code of the account."""
    body = await _json_body(request)
    try:
        state_of(request).revoke(
            str(body.get("email", "")) if isinstance(body, dict) else ""
        )
    except UnknownAccountError as err:
        return _not_found(str(err))
    return json_response({"ok": True})


async def mint(request: web.Request) -> web.Response:
    """POST mint {"email", "mfa": bool} -> {"refresh_token"} valid for the account."""
    body = await _json_body(request)
    if not isinstance(body, dict):
        raise ScenarioError("mint: an object is required")
    amr = ("pwd", "mfa", "otp") if body.get("mfa") else ("pwd",)
    try:
        token = state_of(request).mint_refresh_token(str(body.get("email", "")), amr)
    except UnknownAccountError as err:
        return _not_found(str(err))
    return json_response({"refresh_token": token})


async def reset(request: web.Request) -> web.Response:
    """POST reset -> back to the start scenario, forget everything issued."""
    state_of(request).reset()
    return json_response({"ok": True})


@web.middleware
async def control_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """Turn validation errors of the control API into 400 JSON answers."""
    try:
        response: web.StreamResponse = await handler(request)
    except ScenarioError as err:
        return _bad_request(str(err))
    return response


def add_to(router: web.UrlDispatcher) -> None:
    """Register the control routes."""
    p = CONTROL_PREFIX
    router.add_get(f"{p}/captcha/latest", latest_captcha)
    router.add_get(f"{p}/mfa/code", mfa_code)
    router.add_get(f"{p}/mfa/backup_codes", backup_codes)
    router.add_get(f"{p}/requests", list_requests)
    router.add_delete(f"{p}/requests", clear_requests)
    router.add_get(f"{p}/tokens", list_tokens)
    router.add_get(f"{p}/scenario", get_scenario)
    router.add_put(f"{p}/scenario", put_scenario)
    router.add_patch(f"{p}/scenario", patch_scenario)
    router.add_post(f"{p}/accounts", put_account)
    router.add_get(f"{p}/apps", list_apps)
    router.add_post(f"{p}/apps", put_app)
    router.add_get(f"{p}/faults", list_faults)
    router.add_post(f"{p}/faults", add_fault)
    router.add_delete(f"{p}/faults", clear_faults)
    router.add_post(f"{p}/revoke", revoke)
    router.add_post(f"{p}/mint", mint)
    router.add_post(f"{p}/reset", reset)
