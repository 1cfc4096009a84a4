"""One complete sign-in per path, by this integration's client and by TeslaPy 1.5.0.

Both answer the captcha and the passcode from the emulator's control API, as a person would
read them off the image and the phone (those calls are not in the request log).
"""

from __future__ import annotations

from enum import StrEnum
import os
from typing import Any

import aiohttp
import requests
import teslapy  # type: ignore[import-untyped]

from custom_components.tesla_token.sso import (
    Authorized,
    CaptchaRequired,
    MfaRequired,
    TeslaSso,
    TokenSet,
)

from .emulator_process import PASSWORD, EmulatorProcess, account

DEVICE = "Phone"
# Straight to 127.0.0.1, whatever proxy the environment names.
_CONTROL = requests.Session()
_CONTROL.trust_env = False


class SignInPath(StrEnum):
    """What Tesla asks for on the way in."""

    PLAIN = "plain"
    CAPTCHA = "captcha"
    MFA = "MFA"
    CAPTCHA_MFA = "captcha + MFA"


# The fewest requests each path can take: the pages, answers and token exchange it needs.
PROTOCOL_MINIMUM = {
    SignInPath.PLAIN: 3,
    SignInPath.CAPTCHA: 4,
    SignInPath.MFA: 6,
    SignInPath.CAPTCHA_MFA: 7,
}


def email_for(path: SignInPath, client: str, run: int) -> str:
    """The account a run signs in to.

    MFA accounts are one per run: a passcode is good once per 30-second step and device.
    """
    if path is SignInPath.PLAIN:
        return "owner@example.com"
    if path is SignInPath.CAPTCHA:
        return "captcha@example.com"
    prefix = "mfa" if path is SignInPath.MFA else "captcha-mfa"
    return f"{prefix}-{client}-{run}@example.com"


def scenario_accounts(clients: list[str], runs: int) -> list[dict[str, Any]]:
    """Every account the benchmark signs in to."""
    accounts = [
        account("owner@example.com"),
        account("captcha@example.com", captcha=True),
    ]
    accounts.extend(
        account(
            email_for(path, client, run),
            captcha=path is SignInPath.CAPTCHA_MFA,
            mfa=True,
        )
        for client in clients
        for run in range(runs)
        for path in (SignInPath.MFA, SignInPath.CAPTCHA_MFA)
    )
    return accounts


async def _control(http: aiohttp.ClientSession, url: str) -> Any:
    async with http.get(url) as response:
        return await response.json()


async def sign_in_with_this_client(emulator: EmulatorProcess, email: str) -> TokenSet:
    """The whole sign-in as the config flow drives it: own session, captcha, MFA, tokens."""
    control = f"{emulator.base_url}/__emulator__"
    async with aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True)  # the emulator is an IP address
    ) as http:
        login = TeslaSso(http, emulator.global_sso).password_sign_in()
        if isinstance(await login.start(email), CaptchaRequired):
            await login.captcha_image()
            answer = (await _control(http, f"{control}/captcha/latest"))["answer"]
            step = await login.submit_credentials(email, PASSWORD, answer)
        else:
            step = await login.submit_credentials(email, PASSWORD)
        if isinstance(step, MfaRequired):
            code = await _control(
                http, f"{control}/mfa/code?email={email}&device={DEVICE}"
            )
            step = await login.verify_passcode(step.factors[0].id, code["code"])
        if not isinstance(step, Authorized):
            raise TypeError(f"the sign-in stopped at {step!r}")
        return await login.fetch_tokens()


def point_teslapy_at(emulator: EmulatorProcess) -> None:
    """Point TeslaPy's owner-API exchange at the emulator and let oauthlib use plain http."""
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    teslapy.BASE_URL = f"{emulator.base_url}/"


def sign_in_with_teslapy(emulator: EmulatorProcess, email: str) -> None:
    """TeslaPy's whole sign-in (it ends with its 2021 owner-API token exchange)."""
    control = f"{emulator.base_url}/__emulator__"

    def captcha_solver(_svg: bytes) -> str:
        return str(
            _CONTROL.get(f"{control}/captcha/latest", timeout=10).json()["answer"]
        )

    def passcode_getter() -> str:
        answer = _CONTROL.get(
            f"{control}/mfa/code",
            params={"email": email, "device": DEVICE},
            timeout=10,
        )
        return str(answer.json()["code"])

    def first(factors: list[dict[str, Any]]) -> dict[str, Any]:
        return factors[0]

    # TeslaPy keeps the SSO base it last used in its cache: that is how it is pointed here.
    cache: dict[str, Any] = {email: {"url": f"{emulator.base_url}/"}}
    tesla = teslapy.Tesla(
        email,
        PASSWORD,
        cache_loader=lambda: cache,
        cache_dumper=cache.update,
        captcha_solver=captcha_solver,
        passcode_getter=passcode_getter,
        factor_selector=first,
    )
    tesla.trust_env = False  # no proxy from the environment
    try:
        tesla.fetch_token()
        if not tesla.authorized:
            raise RuntimeError("TeslaPy did not sign in")
    finally:
        tesla.close()
