"""The emulator in its own process, so both clients talk to it over loopback alike.

Its request log and control API are read over HTTP (`/__emulator__/…`, which the log leaves out).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
import json
import os
from pathlib import Path
import subprocess
import sys
import tempfile
from typing import Any
from urllib.request import ProxyHandler, Request, build_opener

REPO = Path(__file__).resolve().parents[1]
# Straight to 127.0.0.1, whatever proxy the environment names.
_OPENER = build_opener(ProxyHandler({}))
PASSWORD = "tesla-demo-password"
# TeslaPy 1.5.0 still sends the 2021 redirect_uri; the emulator refuses it unless allowed.
TESLAPY_REDIRECT_URI = "https://auth.tesla.com/void/callback"


def _totp_secret(seed: str) -> str:
    """A stable base32 TOTP secret for an account."""
    return base64.b32encode(seed.encode().ljust(20, b"-")[:20]).decode()


def account(email: str, *, captcha: bool = False, mfa: bool = False) -> dict[str, Any]:
    """An account of the benchmark scenario (one TOTP device "Phone" when `mfa`)."""
    data: dict[str, Any] = {"email": email}
    if captcha:
        data["captcha"] = "first_page"
    if mfa:
        data["mfa_devices"] = [{"name": "Phone", "secret": _totp_secret(email)}]
    return data


@dataclass(frozen=True)
class EmulatorProcess:
    """A running `python -m emulator`."""

    base_url: str

    @property
    def global_sso(self) -> str:
        """The global SSO base."""
        return f"{self.base_url}/oauth2/v3"

    def control(self, method: str, path: str) -> Any:
        """Call the control API (not counted in the request log)."""
        url = f"{self.base_url}/__emulator__/{path}"  # http://127.0.0.1 only
        request = Request(url, method=method)  # noqa: S310
        with _OPENER.open(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def requests(self) -> list[dict[str, Any]]:
        """The SSO requests served since the last clear (method, path, status)."""
        served: list[dict[str, Any]] = self.control("GET", "requests")
        return served

    def clear_requests(self) -> None:
        """Empty the request log."""
        self.control("DELETE", "requests")


@contextmanager
def emulator_process(accounts: list[dict[str, Any]]) -> Iterator[EmulatorProcess]:
    """Start the emulator with these accounts on 127.0.0.1 (any free port); stop it after."""
    scenario = {
        "accounts": accounts,
        "redirect_uris": ["tesla://auth/callback", TESLAPY_REDIRECT_URI],
    }
    with tempfile.TemporaryDirectory() as folder:
        scenario_file = Path(folder) / "scenario.json"
        scenario_file.write_text(json.dumps(scenario), encoding="utf-8")
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [
                sys.executable,
                "-m",
                "emulator",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--scenario",
                str(scenario_file),
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        try:
            if process.stdout is None:
                raise RuntimeError("no pipe to the emulator")
            base_url = process.stdout.readline().strip()
            if not base_url.startswith("http://127.0.0.1:"):
                raise RuntimeError(f"the emulator did not start: {base_url!r}")
            yield EmulatorProcess(base_url)
        finally:
            process.terminate()
            process.wait(timeout=10)
