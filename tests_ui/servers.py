"""The two servers the browser test talks to: the Tesla SSO emulator and Home Assistant.

Both run as child processes on 127.0.0.1 only, with a throw-away configuration folder. The
configuration comes from scripts/develop_demo.py, so the test sees what the demo shows.
"""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
from dataclasses import dataclass
import importlib.util
import json
import os
from pathlib import Path
import signal
import socket
import subprocess
import sys
import time
from types import ModuleType
from typing import IO, Any
from urllib.error import URLError
from urllib.parse import urlencode
from urllib.request import urlopen

REPO = Path(__file__).resolve().parent.parent
SCENARIO = Path(__file__).resolve().parent / "scenario.json"
LOOPBACK = "127.0.0.1"

# Seconds each server may take to answer after its start (Home Assistant loads its frontend).
EMULATOR_START_SECONDS = 30
HASS_START_SECONDS = 120


def load_demo() -> ModuleType:
    """Import scripts/develop_demo.py (the demo's configuration and owner user)."""
    spec = importlib.util.spec_from_file_location(
        "develop_demo", REPO / "scripts" / "develop_demo.py"
    )
    if spec is None or spec.loader is None:
        raise RuntimeError("scripts/develop_demo.py is missing")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


DEMO = load_demo()
HASS_USER: str = DEMO.DEMO_USER
HASS_PASSWORD: str = DEMO.DEMO_PASSWORD


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class Emulator:
    """The running emulator, seen through its control API."""

    base_url: str

    @property
    def global_sso(self) -> str:
        """The global SSO base, to type into the integration's server field."""
        return f"{self.base_url}/oauth2/v3"

    def control(self, path: str, **query: str) -> Any:
        """GET a control API path (JSON)."""
        url = f"{self.base_url}/__emulator__/{path}"
        if query:
            url = f"{url}?{urlencode(query)}"
        with urlopen(url, timeout=10) as answer:  # noqa: S310 - our loopback server
            return json.load(answer)

    def captcha_answer(self) -> str:
        """The answer of the captcha the emulator served last."""
        answer: str = self.control("captcha/latest")["answer"]
        return answer

    def mfa_code(self, email: str, device: str) -> str:
        """The current passcode of an MFA device."""
        code: str = self.control("mfa/code", email=email, device=device)["code"]
        return code


@dataclass(frozen=True)
class Servers:
    """Where the test finds the two servers."""

    emulator: Emulator
    hass_url: str
    config_dir: Path


class _Children:
    """Child processes started in their own process groups, stopped together."""

    def __init__(self, log_dir: Path) -> None:
        self._log_dir = log_dir
        self._processes: list[tuple[subprocess.Popen[bytes], IO[bytes]]] = []

    def start(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        """Start a child whose output goes to <log_dir>/<name>.log."""
        log = (self._log_dir / f"{name}.log").open("wb")
        process = subprocess.Popen(  # noqa: S603 - our own modules from our venv
            args,
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._processes.append((process, log))
        return process

    def log(self, name: str) -> str:
        """What a child printed so far."""
        path = self._log_dir / f"{name}.log"
        return (
            path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
        )

    def stop(self) -> None:
        """Stop every child (its whole process group), killing it after 20 s."""
        for process, _ in self._processes:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for process, log in self._processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
            log.close()


def _wait_for_emulator(children: _Children, process: subprocess.Popen[bytes]) -> str:
    """The emulator prints its base URL on its first line of stdout."""
    deadline = time.monotonic() + EMULATOR_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the emulator stopped:\n{children.log('emulator')}")
        for line in children.log("emulator").splitlines():
            if line.startswith(f"http://{LOOPBACK}:"):
                return line.strip()
        time.sleep(0.2)
    raise RuntimeError("the emulator printed no base URL")


def _wait_for_hass(
    children: _Children, process: subprocess.Popen[bytes], hass_url: str
) -> None:
    """Wait until Home Assistant's HTTP server answers."""
    deadline = time.monotonic() + HASS_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"Home Assistant stopped:\n{children.log('hass')[-4000:]}"
            )
        try:
            with urlopen(f"{hass_url}/api/onboarding", timeout=2):  # noqa: S310
                return
        except URLError as err:
            if getattr(err, "code", None) is not None:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(
        f"Home Assistant did not answer within {HASS_START_SECONDS} s:\n"
        f"{children.log('hass')[-4000:]}"
    )


@contextlib.contextmanager
def running_servers(work_dir: Path) -> Iterator[Servers]:
    """Start the emulator (scenario.json) and Home Assistant; stop both on the way out.

    On a failure inside the block, the last lines both servers printed go to stderr.
    """
    python = sys.executable
    children = _Children(work_dir)
    hass_port = free_port()
    try:
        emulator_process = children.start(
            "emulator",
            [
                python,
                "-m",
                "emulator",
                "--host",
                LOOPBACK,
                "--port",
                "0",
                "--scenario",
                str(SCENARIO),
                # The demo's Fleet API app, with Home Assistant's callback on its port.
                "--app",
                json.dumps(DEMO.demo_app(hass_port)),
            ],
        )
        config_dir = work_dir / "config"
        DEMO.prepare_config(config_dir, hass_port)
        hass_process = children.start(
            "hass",
            [python, "-m", "homeassistant", "--config", str(config_dir), "--skip-pip"],
        )
        emulator = Emulator(_wait_for_emulator(children, emulator_process))
        hass_url = f"http://{LOOPBACK}:{hass_port}"
        _wait_for_hass(children, hass_process, hass_url)
        DEMO.create_owner(hass_url)
        yield Servers(emulator=emulator, hass_url=hass_url, config_dir=config_dir)
    except BaseException:
        for name in ("emulator", "hass"):
            sys.stderr.write(
                f"--- last output of {name} ---\n{children.log(name)[-3000:]}\n"
            )
        raise
    finally:
        children.stop()
