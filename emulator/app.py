"""The aiohttp application and the `Emulator` that runs it on a local port."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import cast

from aiohttp import web

from . import routes_control, routes_fleet_api, routes_legacy, routes_owner_api
from .apps import FLEET_SCOPES, App
from .https_server import HttpsServer
from .middleware import emulator_middleware
from .routes_mfa import MfaRoutes
from .routes_sso import SsoRoutes
from .routes_token import TokenRoutes
from .scenario import Region, Scenario
from .state import State
from .tls import TlsMaterial
from .urls import REGION_PREFIX, SSO_PATH
from .web_util import STATE_KEY


def create_app(state: State) -> web.Application:
    """The emulator's aiohttp application over `state`."""
    app = web.Application(
        middlewares=[routes_control.control_errors, emulator_middleware]
    )
    app[STATE_KEY] = state
    for region in Region:
        SsoRoutes(region).add_to(app.router)
        MfaRoutes(region).add_to(app.router)
        TokenRoutes(region).add_to(app.router)
    routes_legacy.add_to(app.router)
    routes_owner_api.add_to(app.router)
    routes_fleet_api.add_to(app.router)
    routes_control.add_to(app.router)
    return app


def _url(scheme: str, host: str, port: int) -> str:
    # A wildcard address is not something a client can connect to: show loopback instead.
    shown_host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)  # noqa: S104
    if ":" in shown_host:
        shown_host = f"[{shown_host}]"
    return f"{scheme}://{shown_host}:{port}"


class Emulator:
    """A local Tesla SSO server: `await start()`, point a client at `global_sso`, `await stop()`.

    It listens twice: plain HTTP (`base_url`) and HTTPS (`https_url`, TLS 1.2/1.3, HTTP/1.1 or
    HTTP/2) with a certificate from a CA made at start (`ca_pem`, `ca_file`: only a test's own
    SSL context trusts it).
    """

    def __init__(self, scenario: Scenario | None = None) -> None:
        """Prepare the server with `scenario` (None = the built-in default)."""
        self.state = State(scenario if scenario is not None else Scenario.default())
        self.app = create_app(self.state)
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None
        self._https_url: str | None = None
        self._https: HttpsServer | None = None
        self._tls: TlsMaterial | None = None

    @property
    def base_url(self) -> str:
        """http://host:port of the running server."""
        if self._base_url is None:
            raise RuntimeError("the emulator is not running")
        return self._base_url

    @property
    def global_sso(self) -> str:
        """The global SSO base (also the `iss` of global tokens)."""
        return f"{self.base_url}{REGION_PREFIX[Region.GLOBAL]}{SSO_PATH}"

    @property
    def china_sso(self) -> str:
        """The China SSO base (also the `iss` of China tokens)."""
        return f"{self.base_url}{REGION_PREFIX[Region.CHINA]}{SSO_PATH}"

    @property
    def https_url(self) -> str:
        """https://host:port of the HTTPS port (the same app as `base_url`)."""
        if self._https_url is None:
            raise RuntimeError("the emulator is not running")
        return self._https_url

    @property
    def ca_pem(self) -> str:
        """The PEM certificate of the CA that signed the HTTPS port's certificate."""
        return self._require_tls().ca_pem

    @property
    def ca_file(self) -> Path:
        """A file holding `ca_pem` (removed at stop)."""
        return self._require_tls().ca_file

    def _require_tls(self) -> TlsMaterial:
        if self._tls is None:
            raise RuntimeError("the emulator is not running")
        return self._tls

    def register_app(
        self,
        client_id: str,
        client_secret: str,
        redirect_uris: list[str],
        scopes: list[str] | None = None,
        name: str = "",
    ) -> App:
        """Register (or replace) a Fleet API app; `scopes` it may ask for (None = all)."""
        app = App(
            client_id=client_id,
            client_secret=client_secret,
            redirect_uris=list(redirect_uris),
            scopes=list(FLEET_SCOPES if scopes is None else scopes),
            name=name,
        )
        self.state.register_app(app)
        return app

    async def start(
        self, host: str = "127.0.0.1", port: int = 0, https_port: int = 0
    ) -> None:
        """Listen on host:port for HTTP and host:https_port for HTTPS (0 = any free port)."""
        loop = asyncio.get_running_loop()
        # Key generation and certificate files: not in the event loop.
        self._tls = await loop.run_in_executor(None, TlsMaterial.create, [host])
        runner = web.AppRunner(self.app, access_log=None)
        await runner.setup()
        self._runner = runner
        try:
            await web.TCPSite(runner, host, port).start()
            self._https = HttpsServer(cast("web.Server", runner.server))
            bound_https = await self._https.start(
                host, https_port, self._tls.server_context
            )
        except BaseException:
            await self.stop()
            raise
        self._base_url = _url("http", host, runner.addresses[0][1])
        self._https_url = _url("https", host, bound_https)
        self.state.base_url = self._base_url

    async def stop(self) -> None:
        """Stop listening and drop open connections."""
        if self._https is not None:
            await self._https.stop()
            self._https = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._tls is not None:
            await asyncio.get_running_loop().run_in_executor(None, self._tls.remove)
            self._tls = None
        self._base_url = None
        self._https_url = None
