"""The email-and-password sign-in of the config flow: what it holds between two forms."""

from __future__ import annotations

from typing import cast

from homeassistant.core import HomeAssistant, callback

from .connection import ConnectionProfile, FlowTransport, async_flow_transport
from .const import DOMAIN
from .flow_input import MfaCode, MfaCodeKind
from .sso import (
    CaptchaRequired,
    LoginStep,
    MfaFactor,
    MfaRequired,
    PasswordSignIn,
    TeslaSso,
    TokenSet,
)

# What Tesla asks for next; tokens once the sign-in is through.
type NextStep = CaptchaRequired | MfaRequired | TokenSet


async def _async_close(flow: FlowTransport, login: PasswordSignIn | None) -> None:
    """Cancel an unfinished sign-in at Tesla (best effort), then release the transport."""
    if login is not None:
        await login.cancel()
    await flow.async_close()


class PasswordSignInState:
    """One flow's conversation with Tesla's sign-in pages, from the credentials to the tokens.

    It has its own transport (and cookie jar), so its cookies never mix with another sign-in's, and holds
    the password only until Tesla accepts it (a captcha step sends it again).
    """

    def __init__(self) -> None:
        """Start with no conversation."""
        self.email = ""  # the account signing in (the entry's, when signing in again)
        self.factors: tuple[MfaFactor, ...] = ()
        self.factor: MfaFactor | None = None  # the chosen MFA device
        self._password = ""
        self._flow: FlowTransport | None = None
        self._login: PasswordSignIn | None = None

    async def async_begin(
        self,
        hass: HomeAssistant,
        connection: ConnectionProfile,
        base: str,
        email: str,
        password: str,
    ) -> NextStep:
        """Open a new conversation over `connection` and send the credentials.

        A captcha may come first.

        Raises:
            TeslaSsoError: see the SSO client.
        """
        self.end()
        self.email, self._password = email, password
        if self._flow is None:
            self._flow = await async_flow_transport(hass, connection)
        self._flow.clear_cookies()
        login = self._login = TeslaSso(self._flow.transport, base).password_sign_in()
        if (captcha := await login.start(email)) is not None:
            return captcha
        return await self._async_next(await login.submit_credentials(email, password))

    async def async_captcha_image(self) -> bytes:
        """A new captcha image (SVG)."""
        return await self._running.captcha_image()

    async def async_answer_captcha(self, answer: str) -> NextStep:
        """Send the credentials again with the captcha's answer."""
        step = await self._running.submit_credentials(
            self.email, self._password, answer
        )
        return await self._async_next(step)

    def choose_factor(self, factor_id: str) -> None:
        """Use this MFA device for the passcode."""
        self.factor = {factor.id: factor for factor in self.factors}[factor_id]

    async def async_verify(self, code: MfaCode) -> TokenSet:
        """Check the MFA code (a passcode needs a device; without one, try it as backup)."""
        if code.kind is MfaCodeKind.PASSCODE and self.factor is not None:
            await self._running.verify_passcode(self.factor.id, code.value)
        else:
            await self._running.verify_backup_code(code.value)
        return await self._async_tokens()

    async def _async_next(self, step: LoginStep) -> NextStep:
        """What comes after the credentials were sent."""
        if isinstance(step, CaptchaRequired):
            return step
        # Tesla accepted the credentials: nothing sends the password again.
        self._password = ""
        if isinstance(step, MfaRequired):
            self.factors = step.factors
            if len(step.factors) == 1:
                self.factor = step.factors[0]
            return step
        return await self._async_tokens()

    async def _async_tokens(self) -> TokenSet:
        """Exchange the authorization code for tokens; the conversation is over."""
        tokens = await self._running.fetch_tokens()
        self.end()
        return tokens

    @property
    def _running(self) -> PasswordSignIn:
        """The running conversation: the captcha and MFA steps come only while one runs."""
        return cast("PasswordSignIn", self._login)

    def end(self) -> None:
        """Forget the conversation and the password (the transport stays for a new one)."""
        self._login = None
        self._password = ""
        self.factors = ()
        self.factor = None

    @callback
    def async_close(self, hass: HomeAssistant) -> None:
        """The flow ended: cancel an unfinished sign-in at Tesla and release the transport."""
        flow, login = self._flow, self._login
        self._flow = None
        self.end()
        if flow is not None:
            hass.async_create_background_task(
                _async_close(flow, login), f"{DOMAIN} sign-in clean-up"
            )
