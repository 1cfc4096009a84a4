"""Config flow for Tesla Token: the whole Tesla sign-in inside Home Assistant's dialog.

Three paths end in the same entry: email and password (with captcha and MFA when Tesla asks),
the person's own browser (they paste the callback address back), or an existing refresh token.
"""

from __future__ import annotations

import base64
from collections.abc import Container, Mapping
from typing import Any, Final, cast

import aiohttp
from homeassistant.config_entries import (
    SOURCE_REAUTH,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
)
from homeassistant.const import CONF_PASSWORD
from homeassistant.core import callback
from homeassistant.helpers.aiohttp_client import async_create_clientsession
import voluptuous as vol

from .const import CONF_EMAIL, CONF_REFRESH_TOKEN, CONF_REGION, DEFAULT_OPTIONS, DOMAIN
from .entry_data import build_entry_data
from .flow_errors import (
    AUTH_LINK_CHANGED,
    INVALID_MFA_CODE,
    LEGACY_TOKEN,
    StepError,
    attempt,
)
from .flow_input import (
    MfaCode,
    MfaCodeKind,
    ServerChoice,
    compact_token,
    input_too_long,
    parse_mfa_code,
)
from .flow_schemas import (
    CAPTCHA_SCHEMA,
    CONF_CALLBACK_URL,
    CONF_CAPTCHA,
    CONF_CODE,
    CONF_DEVICE,
    LOGIN_METHODS,
    MFA_SCHEMA,
    PASSWORD_FORM_FIELDS,
    SECTION_ADVANCED,
    browser_schema,
    mfa_device_schema,
    password_schema,
    reconfigure_schema,
    token_schema,
    with_section_defaults,
)
from .options_flow import TeslaTokenOptionsFlow
from .shown_text import markdown_text, plain_text
from .sso import (
    REDIRECT_URI,
    Authorized,
    BrowserSignIn,
    CaptchaRequired,
    LoginStep,
    MfaFactor,
    MfaRequired,
    PasswordSignIn,
    Region,
    TeslaSso,
    TokenKind,
    TokenSet,
    token_kind,
)
from .token_session import async_token_session
from .token_store import token_store

# Tokens of the retired v2 era: Tesla no longer refreshes them.
_LEGACY_KINDS: Final = frozenset({TokenKind.V2, TokenKind.LEGACY_EXCHANGED})
# Typed values never shown again in a form.
_SECRET_FIELDS: Final = frozenset(
    {CONF_PASSWORD, CONF_REFRESH_TOKEN, CONF_CAPTCHA, CONF_CODE, CONF_CALLBACK_URL}
)
_SERVER_FORM_FIELDS: Final = frozenset({CONF_REGION, SECTION_ADVANCED})
_BROWSER_FORM_FIELDS: Final = _SERVER_FORM_FIELDS | {CONF_CALLBACK_URL}
_TOKEN_FORM_FIELDS: Final = _SERVER_FORM_FIELDS | {CONF_REFRESH_TOKEN}


def captcha_markdown(svg: bytes) -> str:
    """The captcha as an inline markdown image for the step description."""
    return (
        f"![captcha](data:image/svg+xml;base64,{base64.b64encode(svg).decode('ascii')})"
    )


async def _async_close_login(
    websession: aiohttp.ClientSession, login: PasswordSignIn | None
) -> None:
    """Cancel an unfinished sign-in at Tesla (best effort), then release the session."""
    if login is not None:
        await login.cancel()
    websession.detach()


class TeslaTokenConfigFlow(ConfigFlow, domain=DOMAIN):
    """Sign in to a Tesla account and store its tokens."""

    VERSION = 1

    def __init__(self) -> None:
        """Start with no sign-in running."""
        self._email = ""
        self._server = ServerChoice(Region.GLOBAL)
        # The password sign-in: its own cookie jar, and the password only until Tesla
        # accepts it (a captcha step sends it again).
        self._websession: aiohttp.ClientSession | None = None
        self._login: PasswordSignIn | None = None
        self._password = ""
        self._factors: tuple[MfaFactor, ...] = ()
        self._factor: MfaFactor | None = None
        # The browser sign-in, kept across retries so its link (PKCE, state) stays valid.
        self._browser: BrowserSignIn | None = None

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> TeslaTokenOptionsFlow:
        """Options of an entry: the refresh schedule and the token action."""
        return TeslaTokenOptionsFlow()

    # --- Entry points -------------------------------------------------------------------

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Offer the three ways to sign in."""
        return self.async_show_menu(step_id="user", menu_options=LOGIN_METHODS)

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """The stored token stopped working: sign in again to the same account."""
        self._email = entry_data[CONF_EMAIL]
        self._server = ServerChoice.from_entry(entry_data)
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Offer the three ways to sign in again."""
        return self.async_show_menu(
            step_id="reauth_confirm",
            menu_options=LOGIN_METHODS,
            description_placeholders={CONF_EMAIL: markdown_text(self._email)},
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Switch region or server, or replace the refresh token, keeping the entry."""
        entry = self._get_reconfigure_entry()
        error: StepError | None = None
        if user_input is None:
            self._server = ServerChoice.from_entry(entry.data)
        else:
            new_token = compact_token(user_input.get(CONF_REFRESH_TOKEN, ""))
            tokens = token_store(self.hass, entry.entry_id)
            # The stored token is single-use: wait for a running refresh (also one of a
            # set-up retry) and read it after; nothing may spend the successor before it is
            # stored.
            async with tokens.lock:
                result = await attempt(
                    self._async_refresh(
                        user_input, new_token or entry.data[CONF_REFRESH_TOKEN]
                    )
                )
                if isinstance(result, TokenSet):
                    await self.async_set_unique_id(
                        result.subject, raise_on_progress=False
                    )
                    self._abort_if_unique_id_mismatch(
                        reason="reconfigure_account_mismatch"
                    )
                    data = build_entry_data(
                        result,
                        email=result.email or entry.data[CONF_EMAIL],
                        server=self._server,
                    )
                    await tokens.async_save(entry, {**entry.data, **data})
                    return self.async_update_reload_and_abort(entry, data_updates=data)
            error = result
        return self._show_form(
            "reconfigure",
            reconfigure_schema(self._server.region.value),
            user_input=user_input,
            error=error,
            fields=_TOKEN_FORM_FIELDS,
            placeholders={CONF_EMAIL: markdown_text(entry.data[CONF_EMAIL])},
        )

    # --- Email and password ---------------------------------------------------------------

    async def async_step_password(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for email, password and server, then start the sign-in."""
        if user_input is None:
            return self._show_password_form()
        self._email = user_input[CONF_EMAIL].strip()
        self._password = user_input[CONF_PASSWORD]
        step = await attempt(self._async_begin_login(user_input))
        if isinstance(step, StepError):
            return self._login_failed(step, user_input)
        return await self._async_next_login_step(step)

    async def async_step_captcha(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the captcha image; a wrong answer brings a new one."""
        error: StepError | None = None
        if user_input is not None:
            step: LoginStep | StepError | None = input_too_long(
                user_input, CONF_CAPTCHA
            )
            if step is None:
                step = await attempt(
                    self._running_login.submit_credentials(
                        self._email, self._password, user_input[CONF_CAPTCHA].strip()
                    )
                )
            if not isinstance(step, StepError) or step.field != CONF_CAPTCHA:
                return await self._async_next_login_step(step)
            error = step
        image = await attempt(self._running_login.captcha_image())
        if isinstance(image, StepError):
            return self._login_failed(image)
        return self.async_show_form(
            step_id="captcha",
            data_schema=CAPTCHA_SCHEMA,
            errors=error.on_form({CONF_CAPTCHA}) if error else None,
            description_placeholders={"captcha_image": captcha_markdown(image)},
        )

    async def async_step_mfa_device(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Let the person choose which of their MFA devices to use."""
        if user_input is not None:
            self._factor = {factor.id: factor for factor in self._factors}[
                user_input[CONF_DEVICE]
            ]
            return await self.async_step_mfa()
        return self.async_show_form(
            step_id="mfa_device", data_schema=mfa_device_schema(self._factors)
        )

    async def async_step_mfa(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a passcode from the chosen device, or a backup code."""
        error: StepError | None = None
        if user_input is not None:
            code = parse_mfa_code(user_input[CONF_CODE])
            result = (
                INVALID_MFA_CODE
                if code is None
                else await attempt(self._async_verify(code))
            )
            if not isinstance(result, StepError):
                return await self._async_finish_login()
            if result.field != CONF_CODE:
                return self._login_failed(result)
            error = result
        return self.async_show_form(
            step_id="mfa",
            data_schema=MFA_SCHEMA,
            errors=error.on_form({CONF_CODE}) if error else None,
            # The device name comes from Tesla: shown literally, never as markdown.
            description_placeholders={
                "device": markdown_text(self._factor.name) if self._factor else ""
            },
        )

    async def _async_begin_login(self, user_input: Mapping[str, Any]) -> LoginStep:
        """Open a new sign-in conversation and send the credentials (after a captcha, if asked).

        Raises:
            TeslaSsoError: see the SSO client.
        """
        self._server = ServerChoice.from_input(user_input)
        websession = self._login_websession()
        websession.cookie_jar.clear()
        login = self._login = TeslaSso(websession, self._server.base).password_sign_in()
        if (captcha := await login.start(self._email)) is not None:
            return captcha
        return await login.submit_credentials(self._email, self._password)

    async def _async_next_login_step(
        self, step: LoginStep | StepError
    ) -> ConfigFlowResult:
        """Show what Tesla asks for next, or finish; an error starts the sign-in over."""
        if isinstance(step, StepError):
            return self._login_failed(step)
        if isinstance(step, CaptchaRequired):
            return await self.async_step_captcha()
        # Tesla accepted the credentials: nothing sends the password again.
        self._password = ""
        if isinstance(step, MfaRequired):
            self._factors = step.factors
            if len(step.factors) > 1:
                return await self.async_step_mfa_device()
            self._factor = next(iter(step.factors), None)
            return await self.async_step_mfa()
        return await self._async_finish_login()

    async def _async_verify(self, code: MfaCode) -> Authorized:
        """Check the MFA code with Tesla (a passcode needs a device; without one, try it as backup)."""
        if code.kind is MfaCodeKind.PASSCODE and self._factor is not None:
            return await self._running_login.verify_passcode(
                self._factor.id, code.value
            )
        return await self._running_login.verify_backup_code(code.value)

    async def _async_finish_login(self) -> ConfigFlowResult:
        """Exchange the authorization code for tokens and store them."""
        tokens = await attempt(self._running_login.fetch_tokens())
        if isinstance(tokens, StepError):
            return self._login_failed(tokens)
        self._end_login()
        return await self._async_finish(tokens, tokens.email or self._email)

    @property
    def _running_login(self) -> PasswordSignIn:
        """The running sign-in: the captcha and MFA steps are only reachable while one runs."""
        return cast("PasswordSignIn", self._login)

    def _login_websession(self) -> aiohttp.ClientSession:
        """This flow's own HTTP session, so its cookies never mix with another sign-in's."""
        if self._websession is None:
            # unsafe=True keeps cookies of IP-address hosts too (a local SSO server).
            self._websession = async_create_clientsession(
                self.hass, auto_cleanup=False, cookie_jar=aiohttp.CookieJar(unsafe=True)
            )
        return self._websession

    def _end_login(self) -> None:
        """Forget the sign-in conversation and the password."""
        self._login = None
        self._password = ""
        self._factors = ()
        self._factor = None

    def _login_failed(
        self, error: StepError, user_input: Mapping[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Drop the conversation and show why, on the form that can get further.

        That is the password form to start over, or the browser form when only a real
        browser gets through now (reCAPTCHA, firewall).
        """
        self._end_login()
        if error.offers_browser:
            return self._show_browser_form(error)
        return self._show_password_form(error, user_input)

    def _show_password_form(
        self,
        error: StepError | None = None,
        user_input: Mapping[str, Any] | None = None,
    ) -> ConfigFlowResult:
        return self._show_form(
            "password",
            password_schema(self._server.region.value),
            user_input=user_input,
            error=error,
            fields=PASSWORD_FORM_FIELDS,
        )

    # --- Browser --------------------------------------------------------------------------

    async def async_step_browser(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the sign-in link; take the callback address the browser could not open."""
        error: StepError | None = None
        if user_input is not None:
            result = await attempt(self._async_browser_tokens(user_input))
            if isinstance(result, TokenSet):
                return await self._async_finish(result, result.email or self._email)
            error = result
        return self._show_browser_form(error, user_input)

    def _show_browser_form(
        self,
        error: StepError | None = None,
        user_input: Mapping[str, Any] | None = None,
    ) -> ConfigFlowResult:
        if self._browser is None:
            self._browser = TeslaSso(
                async_token_session(self.hass), self._server.base
            ).browser_sign_in()
        return self._show_form(
            "browser",
            browser_schema(self._server.region.value),
            user_input=user_input,
            error=error,
            fields=_BROWSER_FORM_FIELDS,
            placeholders={
                "authorize_url": self._browser.authorize_url,
                "callback_prefix": REDIRECT_URI,
            },
        )

    async def _async_browser_tokens(
        self, user_input: Mapping[str, Any]
    ) -> TokenSet | StepError:
        """Exchange the pasted callback for tokens; a changed server first gets a new link.

        Raises:
            TeslaSsoError: see the SSO client.
        """
        server = ServerChoice.from_input(user_input)
        if server != self._server or self._browser is None:
            self._server = server
            self._browser = None
            return AUTH_LINK_CHANGED
        if too_long := input_too_long(user_input, CONF_CALLBACK_URL):
            return too_long
        return await self._browser.fetch_tokens(user_input.get(CONF_CALLBACK_URL, ""))

    # --- Existing refresh token -----------------------------------------------------------

    async def async_step_token(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Take an existing refresh token and prove it works by refreshing it once."""
        error: StepError | None = None
        if user_input is not None:
            result = await attempt(
                self._async_refresh(
                    user_input, compact_token(user_input[CONF_REFRESH_TOKEN])
                )
            )
            if isinstance(result, TokenSet):
                return await self._async_finish(
                    result, result.email or self._email, token_spent=True
                )
            error = result
        return self._show_form(
            "token",
            token_schema(self._server.region.value),
            user_input=user_input,
            error=error,
            fields=_TOKEN_FORM_FIELDS,
        )

    async def _async_refresh(
        self, user_input: Mapping[str, Any], refresh_token: str
    ) -> TokenSet | StepError:
        """Refresh once against the chosen server; the answer carries the rotated token.

        Raises:
            TeslaSsoError: see the SSO client.
        """
        self._server = ServerChoice.from_input(user_input)
        if too_long := input_too_long(user_input, CONF_REFRESH_TOKEN):
            return too_long
        if token_kind(refresh_token) in _LEGACY_KINDS:
            return LEGACY_TOKEN
        return await TeslaSso(
            async_token_session(self.hass), self._server.base
        ).refresh(refresh_token)

    # --- Shared ---------------------------------------------------------------------------

    async def _async_finish(
        self, tokens: TokenSet, email: str, *, token_spent: bool = False
    ) -> ConfigFlowResult:
        """Create the entry, or update the one being re-authenticated (same account only).

        Args:
            tokens: the new tokens.
            email: the account's email address, when known.
            token_spent: a pasted refresh token was spent to get them: an entry of the same
                account takes them (its own token stays valid, this one's successor would
                be lost otherwise).
        """
        data = build_entry_data(tokens, email=email, server=self._server)
        await self.async_set_unique_id(tokens.subject, raise_on_progress=False)
        if self.source == SOURCE_REAUTH:
            self._abort_if_unique_id_mismatch(reason="reauth_account_mismatch")
            entry = self._get_reauth_entry()
            await self._async_save_tokens(entry, data)
            return self.async_update_reload_and_abort(entry, data_updates=data)
        if token_spent and (
            existing := self.hass.config_entries.async_entry_for_domain_unique_id(
                DOMAIN, tokens.subject
            )
        ):
            data[CONF_EMAIL] = email or existing.data[CONF_EMAIL]
            await self._async_save_tokens(existing, data)
            return self.async_update_reload_and_abort(
                existing, data_updates=data, reason="token_updated"
            )
        # A sign-in spent no token: the existing entry keeps its own, still valid.
        self._abort_if_unique_id_configured()
        return self.async_create_entry(
            title=plain_text(email) or tokens.subject,
            data=data,
            options=dict(DEFAULT_OPTIONS),
        )

    async def _async_save_tokens(
        self, entry: ConfigEntry, data: dict[str, Any]
    ) -> None:
        """Write new tokens into an existing entry, on disk at once, under its lock."""
        tokens = token_store(self.hass, entry.entry_id)
        async with tokens.lock:
            await tokens.async_save(entry, {**entry.data, **data})

    def _show_form(
        self,
        step_id: str,
        schema: vol.Schema,
        *,
        user_input: Mapping[str, Any] | None = None,
        error: StepError | None = None,
        fields: Container[str],
        placeholders: Mapping[str, str] | None = None,
    ) -> ConfigFlowResult:
        """Show a form prefilled with the known (never the secret) values."""
        suggested: dict[str, Any] = {
            CONF_EMAIL: self._email,
            **self._server.suggested_values(),
        }
        if user_input is not None:
            suggested |= {
                key: value
                for key, value in user_input.items()
                if key not in _SECRET_FIELDS
            }
        # The frontend fills a section from its default only: it must carry the shown values.
        data_schema = with_section_defaults(
            self.add_suggested_values_to_schema(schema, suggested), suggested
        )
        return self.async_show_form(
            step_id=step_id,
            data_schema=data_schema,
            errors=error.on_form(fields) if error else None,
            description_placeholders=placeholders,
        )

    @callback
    def async_remove(self) -> None:
        """The flow ended (finished, aborted or closed): release its session."""
        websession, login = self._websession, self._login
        self._websession = None
        self._end_login()
        if websession is not None:
            self.hass.async_create_background_task(
                _async_close_login(websession, login), f"{DOMAIN} sign-in clean-up"
            )
