"""Run the demo: the Tesla SSO emulator and Home Assistant with Tesla Token, on loopback.

Started by scripts/develop. Prepares a throw-away configuration folder (.develop/), creates the
owner user on first start, prints the URLs and demo accounts, and stops both on Ctrl-C.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
import json
import os
from pathlib import Path
import signal
import subprocess
import sys
import time
from urllib.error import URLError
from urllib.request import Request, urlopen

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(
    0, str(REPO)
)  # the emulator's scenario model, and certifi from the venv

import certifi  # noqa: E402 - after the path

from emulator import Scenario  # noqa: E402 - after the path

# Tesla since June 2026, as the demo plays it: tokens minted over HTTP/1.1 are refused by the
# Owner API; only HTTP/2 connections mint tokens it accepts.
DEMO_ACCEPTED_CONNECTIONS = [{"http": "2"}]
DEMO_USER = "demo"
DEMO_PASSWORD = "tesla-token-demo"
DEMO_ACCOUNTS = (
    ("owner@example.com", "plain sign-in"),
    ("captcha@example.com", "a captcha on the first page"),
    ("mfa@example.com", 'two MFA devices, "Phone" and "Watch", and backup codes'),
    ("china@example.com", "a China-region account (the emulator redirects it)"),
)

# The Fleet API app the emulator knows in the demo (one's own developer.tesla.com app).
DEMO_APP_ID = "tesla-token-demo"
DEMO_APP_SECRET = "demo-secret"  # a demo value, like the demo passwords


def demo_app(hass_port: int) -> dict[str, object]:
    """The demo app, with the redirect URIs Home Assistant's OAuth2 helper uses."""
    return {
        "client_id": DEMO_APP_ID,
        "client_secret": DEMO_APP_SECRET,
        "name": "Tesla Token demo",
        "redirect_uris": [
            f"http://127.0.0.1:{hass_port}/auth/external/callback",
            f"http://localhost:{hass_port}/auth/external/callback",
            "https://my.home-assistant.io/redirect/oauth",
        ],
    }


CONFIGURATION_YAML = """\
# Written by scripts/develop: a minimal Home Assistant for the Tesla Token demo.
homeassistant:
  name: Tesla Token demo
  time_zone: UTC
  country: US
  unit_system: metric
frontend:
config:
recorder:
logger:
  default: warning
  logs:
    custom_components.tesla_token: debug
    # The camera helper complains that libturbojpeg is missing; the demo has no cameras.
    homeassistant.components.camera.img_util: critical
"""


def write_store(
    config_dir: Path, key: str, version: int, data: object, minor: int = 1
) -> None:
    """Write a Home Assistant .storage file."""
    storage = config_dir / ".storage"
    storage.mkdir(parents=True, exist_ok=True)
    document = {"version": version, "minor_version": minor, "key": key, "data": data}
    (storage / key).write_text(json.dumps(document, indent=2), encoding="utf-8")


def add_demo_credential(config_dir: Path) -> None:
    """Store the demo app as an application credential, as Home Assistant's dialog would.

    Written once: a credential removed or added in the UI stays so. Its id is the one
    Home Assistant gives (``slugify("<domain>.<client id>")``); without an ``auth_domain``
    that id names the implementation.
    """
    if (config_dir / ".storage" / "application_credentials").exists():
        return
    item = {
        "id": "tesla_token_tesla_token_demo",
        "domain": "tesla_token",
        "client_id": DEMO_APP_ID,
        "client_secret": DEMO_APP_SECRET,
        "name": "Tesla Token demo",
    }
    write_store(config_dir, "application_credentials", 1, {"items": [item]})


def prepare_config(config_dir: Path, hass_port: int) -> None:
    """Write configuration.yaml, the loopback HTTP settings and the onboarding state."""
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "configuration.yaml").write_text(CONFIGURATION_YAML, encoding="utf-8")
    link = config_dir / "custom_components"
    if not link.exists():
        link.symlink_to(REPO / "custom_components")
    # Home Assistant keeps its HTTP settings in storage; bind to loopback only.
    http = {
        "server_host": ["127.0.0.1"],
        "server_port": hass_port,
        "cors_allowed_origins": ["https://cast.home-assistant.io"],
        "use_x_forwarded_for": False,
        "login_attempts_threshold": -1,
        "ip_ban_enabled": True,
        "ssl_profile": "modern",
        "use_x_frame_options": True,
        "created_at": datetime.now(UTC).isoformat(),
        "error": None,
        "error_message": None,
    }
    write_store(
        config_dir,
        "http",
        2,
        {"stable": http, "pending": None, "yaml_migration_done": True},
        minor=2,
    )
    add_demo_credential(config_dir)
    onboarding = config_dir / ".storage" / "onboarding"
    if not onboarding.exists():
        # Everything but the user step; the user is created through the API below.
        write_store(
            config_dir,
            "onboarding",
            4,
            {"done": ["core_config", "analytics", "integration"]},
        )


def wait_for(url: str, seconds: float) -> None:
    """Wait until a URL answers (any HTTP status)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urlopen(url, timeout=2):  # noqa: S310 - a loopback URL we built
                return
        except URLError as err:
            if getattr(err, "code", None) is not None:
                return
            time.sleep(0.5)
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"scripts/develop: {url} did not answer within {seconds:.0f} s")


def create_owner(hass_url: str) -> None:
    """Create the demo owner user unless onboarding already did."""
    body = json.dumps(
        {
            "name": "Demo",
            "username": DEMO_USER,
            "password": DEMO_PASSWORD,
            "client_id": f"{hass_url}/",
            "language": "en",
        }
    ).encode()
    request = Request(  # noqa: S310 - a loopback URL we built
        f"{hass_url}/api/onboarding/users",
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urlopen(request, timeout=30):  # noqa: S310 - a loopback URL we built
            pass
    except URLError as err:
        if getattr(err, "code", None) != 403:  # 403: the user exists already
            raise


def write_scenario(path: Path) -> None:
    """The built-in scenario, with Tesla accepting only tokens minted over HTTP/2."""
    scenario = Scenario.default().updated(
        {"accepted_connections": DEMO_ACCEPTED_CONNECTIONS}
    )
    path.write_text(json.dumps(scenario.to_dict(), indent=2), encoding="utf-8")


def write_ca_bundle(ca_file: Path, bundle: Path, seconds: float = 30) -> None:
    """Public CAs plus the emulator's throw-away one, for Home Assistant to verify it by.

    Home Assistant reads REQUESTS_CA_BUNDLE when it builds its SSL contexts: the demo's
    Home Assistant trusts the emulator like a real server, with verification on.
    """
    deadline = time.monotonic() + seconds
    while not ca_file.exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"the emulator wrote no CA to {ca_file}")
        time.sleep(0.1)
    public = Path(certifi.where()).read_text(encoding="utf-8")
    bundle.write_text(public + "\n" + ca_file.read_text(encoding="utf-8"), "utf-8")


def main() -> int:
    """Start both servers and wait for Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--hass-port", type=int, default=int(os.environ.get("HASS_PORT", "8123"))
    )
    parser.add_argument(
        "--emulator-port",
        type=int,
        default=int(os.environ.get("EMULATOR_PORT", "8765")),
    )
    parser.add_argument(
        "--emulator-https-port",
        type=int,
        default=int(os.environ.get("EMULATOR_HTTPS_PORT", "8766")),
    )
    parser.add_argument("--config", type=Path, default=REPO / ".develop" / "config")
    args = parser.parse_args()

    prepare_config(args.config, args.hass_port)
    # The emulator's HTTPS port has a CA made at each start; a copy here for curl --cacert.
    ca_file = args.config.parent / "emulator-ca.pem"
    ca_file.unlink(missing_ok=True)
    scenario_file = args.config.parent / "emulator-scenario.json"
    write_scenario(scenario_file)
    python = sys.executable
    emulator = subprocess.Popen(  # noqa: S603 - our own module
        [
            python,
            "-m",
            "emulator",
            "--host",
            "127.0.0.1",
            "--port",
            str(args.emulator_port),
            "--https-port",
            str(args.emulator_https_port),
            "--ca-file",
            str(ca_file),
            "--scenario",
            str(scenario_file),
            "--app",
            json.dumps(demo_app(args.hass_port)),
        ],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
    )
    bundle = args.config.parent / "ca-bundle.pem"
    try:
        write_ca_bundle(ca_file, bundle)
    except RuntimeError:
        emulator.terminate()
        raise
    hass = subprocess.Popen(  # noqa: S603 - Home Assistant from our venv
        [python, "-m", "homeassistant", "--config", str(args.config), "--skip-pip"],
        cwd=REPO,
        env={**os.environ, "REQUESTS_CA_BUNDLE": str(bundle)},
    )
    processes = (hass, emulator)

    def stop(*_: object) -> None:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        emulator_url = f"http://127.0.0.1:{args.emulator_port}"
        emulator_https = f"https://127.0.0.1:{args.emulator_https_port}"
        control = f"{emulator_url}/__emulator__"
        hass_url = f"http://127.0.0.1:{args.hass_port}"
        wait_for(f"{emulator_url}/__emulator__/requests", 30)
        wait_for(f"{hass_url}/api/onboarding", 300)
        create_owner(hass_url)
        accounts = "\n".join(f"    {email:22} {what}" for email, what in DEMO_ACCOUNTS)
        print(
            f"""
Tesla Token demo is running.
  Home Assistant:   {hass_url}   (user {DEMO_USER!r}, password {DEMO_PASSWORD!r})
  Tesla SSO emulator: {emulator_https}   (HTTP/1.1 or HTTP/2, TLS 1.2 or 1.3; its throw-away
                      CA {ca_file}, which this Home Assistant trusts)
                      {emulator_url}   (plain HTTP: control API, captcha and MFA codes)

Add the integration: Settings -> Devices & services -> Add integration -> Tesla Token.
Open "Advanced" and set the Tesla sign-in server to {emulator_https}/oauth2/v3
Demo accounts (password: tesla-demo-password):
{accounts}
Captcha answers and MFA codes: {emulator_url}/__emulator__/captcha/latest and
  {emulator_url}/__emulator__/mfa/code?email=mfa@example.com&device=Phone

Fleet API app (application credentials): client id {DEMO_APP_ID!r}, secret {DEMO_APP_SECRET!r}
  authorize {emulator_url}/oauth2/v3/authorize   token {emulator_url}/oauth2/v3/token
  Fleet API base {emulator_url} (GET /api/1/users/me, /api/1/users/region)

Tesla's June 2026 gate: tokens minted over a connection Tesla dislikes get 403 from the Owner API.
  The demo accepts only HTTP/2 (an entry lands on "http2" by itself; see the device page's
  "API access" and "Connection to Tesla"). Change it ("any", "none", [{{"tls": "1.2"}}], …):
    curl -X PATCH -d '{{"accepted_connections": [{{"tls": "1.2"}}]}}' {control}/scenario
  Which connection minted each access token, and whether the Owner API accepts it:
    curl {control}/tokens
  The Owner API check: curl --cacert {ca_file} --http2 -H "Authorization: Bearer …" \
    {emulator_https}/api/1/products

Press Ctrl-C to stop both.""",
            flush=True,
        )
        while all(process.poll() is None for process in processes):
            time.sleep(1)
    except KeyboardInterrupt:
        return 0
    else:
        return 1  # one of them stopped by itself
    finally:
        stop()


if __name__ == "__main__":
    sys.exit(main())
