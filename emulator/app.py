"""The aiohttp application and the `Emulator` that runs it on a local port."""

from __future__ import annotations

from aiohttp import web

from . import routes_control, routes_legacy
from .middleware import emulator_middleware
from .routes_mfa import MfaRoutes
from .routes_sso import SsoRoutes
from .routes_token import TokenRoutes
from .scenario import Region, Scenario
from .state import State
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
    routes_control.add_to(app.router)
    return app


class Emulator:
    """A local Tesla SSO server: `await start()`, point a client at `global_sso`, `await stop()`."""

    def __init__(self, scenario: Scenario | None = None) -> None:
        """Prepare the server with `scenario` (None = the built-in default)."""
        self.state = State(scenario if scenario is not None else Scenario.default())
        self.app = create_app(self.state)
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None

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

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on host:port (port 0 = any free port)."""
        runner = web.AppRunner(self.app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        bound_port = runner.addresses[0][1]
        # A wildcard address is not something a client can connect to: show loopback instead.
        shown_host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)  # noqa: S104
        if ":" in shown_host:
            shown_host = f"[{shown_host}]"
        self._base_url = f"http://{shown_host}:{bound_port}"
        self.state.base_url = self._base_url

    async def stop(self) -> None:
        """Stop listening and drop open connections."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._base_url = None
