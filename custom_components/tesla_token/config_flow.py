"""Config flow for Tesla Token: the whole Tesla sign-in inside Home Assistant's dialog.

Three paths end in the same entry: email and password (with captcha and MFA when Tesla asks),
the person's own browser (they paste the callback address back), or an existing refresh token.
A fourth makes a Fleet API entry: Home Assistant's OAuth2 flow with the person's own Tesla app
(an application credential), PKCE and the scopes they choose.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from functools import partial
import logging
from typing import Any, Final

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    FlowType,
)
from homeassistant.const import CONF_CODE, CONF_DEVICE, CONF_EMAIL, CONF_PASSWORD
from homeassistant.core import callback
from homeassistant.helpers.config_entry_oauth2_flow import AbstractOAuth2FlowHandler

from .connection import PROFILE_ORDER, async_get_token_transport, async_token_transport
from .connection_plan import first_profile
from .const import (
    CONF_AUTH_IMPLEMENTATION,
    CONF_CLIENT_ID,
    CONF_REFRESH_TOKEN,
    CONF_SCOPES_REQUESTED,
    DEFAULT_OPTIONS,
    DOMAIN,
    LOGGER,
)
from .entry_data import FleetApp, build_entry_data
from .fleet_oauth import (
    FleetEndpoints,
    async_account_email,
    chosen_scopes,
    fleet_implementation,
    fleet_unique_id,
    read_tokens,
    requested_scopes,
)
from .flow_errors import (
    AUTH_LINK_CHANGED,
    LEGACY_TOKEN,
    InvalidInputError,
    StepError,
    flow_error,
)
from .flow_input import ServerChoice, check_length, compact_token, parse_mfa_code
from .flow_password import NextStep, PasswordSignInState
from .flow_schemas import (
    CAPTCHA_SCHEMA,
    CONF_CALLBACK_URL,
    CONF_CAPTCHA,
    CONF_SCOPES,
    DEFAULT_SCOPES,
    FLEET_METHOD,
    LOGIN_METHODS,
    MFA_SCHEMA,
    SERVER_FORMS,
    mfa_device_schema,
    with_section_defaults,
)
from .options_flow import TeslaTokenOptionsFlow
from .shown_text import captcha_markdown, markdown_text, plain_text
from .sso import (
    REDIRECT_URI,
    BrowserSignIn,
    CaptchaRequired,
    MfaRequired,
    Region,
    TeslaSso,
    TokenKind,
    TokenSet,
    token_kind,
)
from .token_store import token_store

# Tokens of the retired v2 era: Tesla no longer refreshes them.
_LEGACY_KINDS: Final = frozenset({TokenKind.V2, TokenKind.LEGACY_EXCHANGED})
# Typed values never shown again in a form.
_SECRET_FIELDS: Final = frozenset(
    {CONF_PASSWORD, CONF_REFRESH_TOKEN, CONF_CAPTCHA, CONF_CODE, CONF_CALLBACK_URL}
)


class TeslaTokenConfigFlow(AbstractOAuth2FlowHandler, domain=DOMAIN):
    """Sign in to a Tesla account and store its tokens."""

    DOMAIN = DOMAIN
    VERSION = 1
    MINOR_VERSION = 3

    def __init__(self) -> None:
        """Start with no sign-in running."""
        super().__init__()
        self._server = ServerChoice(Region.GLOBAL)
        # How requests reach Tesla: the entry's profile (reauth, reconfigure), else the first.
        self._connection = PROFILE_ORDER[0]
        self._sign_in = PasswordSignInState()
        # The browser sign-in, kept across retries so its link (PKCE, state) stays valid.
        self._browser: BrowserSignIn | None = None
        # The scopes a Fleet sign-in asks for (fixed and chosen).
        self._fleet_scopes = requested_scopes(DEFAULT_SCOPES)

    @property
    def logger(self) -> logging.Logger:
        """The logger of Home Assistant's OAuth2 steps."""
        return LOGGER

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> TeslaTokenOptionsFlow:
        """Options of an entry: the refresh schedule and the token action."""
        return TeslaTokenOptionsFlow()

    # --- Entry points -------------------------------------------------------------------

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Offer the ways to sign in: Tesla's own client three ways, or one's own app."""
        return self.async_show_menu(
            step_id="user", menu_options=[*LOGIN_METHODS, FLEET_METHOD]
        )

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """The stored token stopped working: sign in again to the same account."""
        self._sign_in.email = entry_data[CONF_EMAIL]
        self._server = ServerChoice.from_entry(entry_data)
        entry = self._get_reauth_entry()
        self._connection = first_profile(entry.options, entry_data)
        if CONF_CLIENT_ID in entry_data:
            # A Fleet API entry signs in again with its own app only.
            self._fleet_scopes = tuple(entry_data[CONF_SCOPES_REQUESTED])
            return await self.async_step_fleet()
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Offer the three ways to sign in again."""
        return self.async_show_menu(
            step_id="reauth_confirm",
            menu_options=LOGIN_METHODS,
            description_placeholders={CONF_EMAIL: markdown_text(self._sign_in.email)},
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Switch region or server, or replace the refresh token, keeping the entry."""
        entry = self._get_reconfigure_entry()
        error: StepError | None = None
        self._connection = first_profile(entry.options, entry.data)
        if CONF_CLIENT_ID in entry.data:
            # A Fleet API entry: region, server and scopes, then its app's sign-in again.
            self._sign_in.email = entry.data[CONF_EMAIL]
            self._server = ServerChoice.from_entry(entry.data)
            self._fleet_scopes = tuple(entry.data[CONF_SCOPES_REQUESTED])
            return await self.async_step_fleet()
        if user_input is None:
            self._server = ServerChoice.from_entry(entry.data)
        else:
            store = token_store(self.hass, entry.entry_id)
            # The stored token is single-use: wait for a running refresh (also one of a
            # set-up retry) and read it after; nothing may spend the successor before it is
            # stored.
            async with store.lock:
                try:
                    tokens = await self._async_refresh(
                        user_input, entry.data[CONF_REFRESH_TOKEN]
                    )
                except Exception as err:  # noqa: BLE001 - flow_error logs the unexpected
                    error = flow_error(err)
                else:
                    await self.async_set_unique_id(
                        tokens.subject, raise_on_progress=False
                    )
                    self._abort_if_unique_id_mismatch(
                        reason="reconfigure_account_mismatch"
                    )
                    data = build_entry_data(
                        tokens,
                        email=tokens.email or entry.data[CONF_EMAIL],
                        server=self._server,
                        connection=self._connection,
                    )
                    # On disk first: the reload reads the token file.
                    await store.async_save(entry, {**entry.data, **data})
                    return self.async_update_reload_and_abort(entry, data_updates=data)
        return self._show_form(
            "reconfigure",
            error,
            user_input,
            placeholders={CONF_EMAIL: markdown_text(entry.data[CONF_EMAIL])},
        )

    # --- Email and password ---------------------------------------------------------------

    async def async_step_password(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for email, password and server, then start the sign-in."""
        if user_input is None:
            return self._show_form("password")
        try:
            self._server = ServerChoice.from_input(user_input)
            step = await self._sign_in.async_begin(
                self.hass,
                self._connection,
                self._server.base,
                user_input[CONF_EMAIL].strip(),
                user_input[CONF_PASSWORD],
            )
        except Exception as err:  # noqa: BLE001 - flow_error logs the unexpected
            return self._sign_in_failed(flow_error(err), user_input)
        return await self._async_next_step(step)

    async def async_step_captcha(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the captcha image; a wrong answer brings a new one."""
        error: StepError | None = None
        if user_input is not None:
            try:
                check_length(user_input, CONF_CAPTCHA)
                step = await self._sign_in.async_answer_captcha(
                    user_input[CONF_CAPTCHA].strip()
                )
            except Exception as err:  # noqa: BLE001 - flow_error logs the unexpected
                error = flow_error(err)
                if error.field != CONF_CAPTCHA:
                    return self._sign_in_failed(error)
            else:
                return await self._async_next_step(step)
        try:
            image = await self._sign_in.async_captcha_image()
        except Exception as err:  # noqa: BLE001 - flow_error logs the unexpected
            return self._sign_in_failed(flow_error(err))
        return self.async_show_form(
            step_id="captcha",
            data_schema=CAPTCHA_SCHEMA,
            errors=error.on_form(CAPTCHA_SCHEMA) if error else {},
            description_placeholders={"captcha_image": captcha_markdown(image)},
        )

    async def async_step_mfa_device(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Let the person choose which of their MFA devices to use."""
        if user_input is not None:
            self._sign_in.choose_factor(user_input[CONF_DEVICE])
            return await self.async_step_mfa()
        return self.async_show_form(
            step_id="mfa_device", data_schema=mfa_device_schema(self._sign_in.factors)
        )

    async def async_step_mfa(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a passcode from the chosen device, or a backup code."""
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                code = parse_mfa_code(user_input[CONF_CODE])
                tokens = await self._sign_in.async_verify(code)
            except Exception as err:  # noqa: BLE001 - flow_error logs the unexpected
                if (error := flow_error(err)).field != CONF_CODE:
                    return self._sign_in_failed(error)
                errors = error.on_form(MFA_SCHEMA)
            else:
                return await self._async_finish(tokens)
        factor = self._sign_in.factor
        return self.async_show_form(
            step_id="mfa",
            data_schema=MFA_SCHEMA,
            errors=errors,
            # The device name comes from Tesla: shown literally, never as markdown.
            description_placeholders={
                "device": markdown_text(factor.name) if factor else ""
            },
        )

    async def _async_next_step(self, step: NextStep) -> ConfigFlowResult:
        """Show what Tesla asks for next, or finish with the tokens."""
        if isinstance(step, CaptchaRequired):
            return await self.async_step_captcha()
        if isinstance(step, MfaRequired):
            if len(step.factors) > 1:
                return await self.async_step_mfa_device()
            return await self.async_step_mfa()
        return await self._async_finish(step)

    def _sign_in_failed(
        self, error: StepError, user_input: Mapping[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Drop the conversation and show why, on the form that can get further.

        That is the password form to start over, or the browser form when only a real
        browser gets through now (reCAPTCHA, firewall).
        """
        self._sign_in.end()
        if error.offers_browser:
            return self._show_browser_form(error)
        return self._show_form("password", error, user_input)

    # --- Browser --------------------------------------------------------------------------

    async def async_step_browser(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the sign-in link; take the callback address the browser could not open."""
        return await self._async_step_tokens(
            user_input, self._async_browser_tokens, self._show_browser_form
        )

    def _show_browser_form(
        self,
        error: StepError | None = None,
        user_input: Mapping[str, Any] | None = None,
    ) -> ConfigFlowResult:
        if self._browser is None:
            self._browser = TeslaSso(
                async_get_token_transport(self.hass, self._connection),
                self._server.base,
            ).browser_sign_in()
        return self._show_form(
            "browser",
            error,
            user_input,
            placeholders={
                "authorize_url": self._browser.authorize_url,
                "callback_prefix": REDIRECT_URI,
            },
        )

    async def _async_browser_tokens(self, user_input: Mapping[str, Any]) -> TokenSet:
        """Exchange the pasted callback for tokens; a changed server first gets a new link.

        Raises:
            TeslaSsoError: see the SSO client.
            InvalidInputError: the sign-in server changed, an API server URL is refused, or
                the pasted text is too long.
        """
        server = ServerChoice.from_input(user_input)
        # Another API server alone leaves the link (and the sign-in begun with it) valid.
        browser = self._browser if server.same_sign_in(self._server) else None
        self._server = server
        if browser is None:
            self._browser = None
            raise InvalidInputError(AUTH_LINK_CHANGED)
        check_length(user_input, CONF_CALLBACK_URL)
        return await browser.fetch_tokens(user_input.get(CONF_CALLBACK_URL, ""))

    # --- Existing refresh token -----------------------------------------------------------

    async def async_step_token(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Take an existing refresh token and prove it works by refreshing it once."""
        return await self._async_step_tokens(
            user_input,
            self._async_refresh,
            partial(self._show_form, "token"),
            token_spent=True,
        )

    async def _async_refresh(
        self, user_input: Mapping[str, Any], stored_token: str = ""
    ) -> TokenSet:
        """Refresh the typed token (else the stored one) once against the chosen server.

        Raises:
            TeslaSsoError: see the SSO client.
            InvalidInputError: the token is too long, or one Tesla no longer refreshes.
        """
        self._server = ServerChoice.from_input(user_input)
        check_length(user_input, CONF_REFRESH_TOKEN)
        refresh_token = (
            compact_token(user_input.get(CONF_REFRESH_TOKEN, "")) or stored_token
        )
        if token_kind(refresh_token) in _LEGACY_KINDS:
            raise InvalidInputError(LEGACY_TOKEN)
        return await TeslaSso(
            await async_token_transport(self.hass, self._connection),
            self._server.base,
        ).refresh(refresh_token)

    # --- The person's own Tesla app (Fleet API, Home Assistant's OAuth2) -------------------

    async def async_step_fleet(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the scopes and the server, then sign in with the person's own app."""
        if user_input is None:
            shown = {CONF_SCOPES: chosen_scopes(self._fleet_scopes)}
            return self._show_form(FLEET_METHOD, user_input=shown)
        try:
            self._server = ServerChoice.from_input(user_input)
        except Exception as err:  # noqa: BLE001 - flow_error logs the unexpected
            return self._show_form(FLEET_METHOD, flow_error(err), user_input)
        self._fleet_scopes = requested_scopes(user_input[CONF_SCOPES])
        # Signing in again: the entry's own app (Home Assistant offers the others when its
        # credential is gone).
        entry = self._entry_being_changed()
        return await self.async_step_pick_implementation(
            {"implementation": entry.data[CONF_AUTH_IMPLEMENTATION]} if entry else None
        )

    async def async_generate_authorize_url(self) -> str:
        """Point the chosen app at this flow's server, scopes and connection; its link."""
        fleet_implementation(self.flow_impl).prepare(
            FleetEndpoints.for_server(self._server),
            self._fleet_scopes,
            await async_token_transport(self.hass, self._connection),
        )
        return await super().async_generate_authorize_url()

    async def async_oauth_create_entry(self, data: dict[str, Any]) -> ConfigFlowResult:
        """Store the app's tokens as a Fleet API entry (flat, as an Owner API entry).

        Home Assistant hands over ``{"auth_implementation", "token"}``; the answer was
        checked when it arrived.
        """
        implementation = fleet_implementation(self.flow_impl)
        endpoints = implementation.endpoints
        signed_in = read_tokens(data["token"], endpoints)
        tokens = signed_in.tokens
        fleet = FleetApp(
            auth_implementation=data[CONF_AUTH_IMPLEMENTATION],
            client_id=implementation.client_id,
            scopes_requested=self._fleet_scopes,
            scopes_granted=signed_in.scopes_granted,
        )
        email = (
            tokens.email
            or await async_account_email(
                await async_token_transport(self.hass, self._connection),
                self._server,
                tokens.access_token,
            )
            or self._sign_in.email
        )
        entry_data = build_entry_data(
            tokens,
            email=email,
            server=self._server,
            connection=self._connection,
            fleet=fleet,
        )
        await self.async_set_unique_id(
            fleet_unique_id(fleet.client_id, tokens.subject), raise_on_progress=False
        )
        if (entry := self._entry_being_changed()) is None:
            # A new sign-in spent no token: an entry of this app and account keeps its own.
            self._abort_if_unique_id_configured()
            return self.async_create_entry(
                title=plain_text(email) or tokens.subject,
                data=entry_data,
                options=dict(DEFAULT_OPTIONS),
            )
        if entry.data[CONF_CLIENT_ID] != fleet.client_id:
            self._abort_if_unique_id_mismatch(reason="fleet_app_mismatch")
        if self.source == SOURCE_REAUTH:
            self._abort_if_unique_id_mismatch(reason="reauth_account_mismatch")
        self._abort_if_unique_id_mismatch(reason="reconfigure_account_mismatch")
        await self._async_save_tokens(entry, entry_data)
        return self.async_update_reload_and_abort(entry, data_updates=entry_data)

    def _entry_being_changed(self) -> ConfigEntry | None:
        """The entry a reauth or reconfigure flow works on; None for a new one."""
        if self.source == SOURCE_REAUTH:
            return self._get_reauth_entry()
        if self.source == SOURCE_RECONFIGURE:
            return self._get_reconfigure_entry()
        return None

    @callback
    def async_abort(
        self,
        *,
        reason: str,
        description_placeholders: Mapping[str, str] | None = None,
        translation_domain: str | None = None,
        next_flow: tuple[FlowType, str] | None = None,
    ) -> ConfigFlowResult:
        """Abort with this integration's texts, Home Assistant's OAuth2 reasons too.

        Its OAuth2 helper would show Home Assistant's generic texts for those; these say
        what to do with a Tesla app (add the credential, check the secret, …).
        """
        return ConfigFlow.async_abort(
            self,
            reason=reason,
            description_placeholders=description_placeholders,
            translation_domain=translation_domain,
            next_flow=next_flow,
        )

    # --- Shared ---------------------------------------------------------------------------

    async def _async_step_tokens(
        self,
        user_input: dict[str, Any] | None,
        get_tokens: Callable[[Mapping[str, Any]], Awaitable[TokenSet]],
        show_form: Callable[[StepError | None, Mapping[str, Any]], ConfigFlowResult],
        *,
        token_spent: bool = False,
    ) -> ConfigFlowResult:
        """Get tokens with what the form holds and finish; else show the form and why."""
        error: StepError | None = None
        if user_input is not None:
            try:
                tokens = await get_tokens(user_input)
            except Exception as err:  # noqa: BLE001 - flow_error logs the unexpected
                error = flow_error(err)
            else:
                return await self._async_finish(tokens, token_spent=token_spent)
        return show_form(error, user_input or {})

    async def _async_finish(
        self, tokens: TokenSet, *, token_spent: bool = False
    ) -> ConfigFlowResult:
        """Create the entry, or update the one being re-authenticated (same account only).

        Args:
            tokens: the new tokens.
            token_spent: a pasted refresh token was spent to get them: an entry of the same
                account takes them (its own token stays valid, this one's successor would
                be lost otherwise).
        """
        email = tokens.email or self._sign_in.email
        data = build_entry_data(
            tokens, email=email, server=self._server, connection=self._connection
        )
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
        store = token_store(self.hass, entry.entry_id)
        async with store.lock:
            await store.async_save(entry, {**entry.data, **data})

    def _show_form(
        self,
        step_id: str,
        error: StepError | None = None,
        user_input: Mapping[str, Any] | None = None,
        placeholders: Mapping[str, str] | None = None,
    ) -> ConfigFlowResult:
        """Show a form with the server choice, prefilled with the known (never the secret) values."""
        schema = SERVER_FORMS[step_id](self._server.region.value)
        suggested: dict[str, Any] = {
            CONF_EMAIL: self._sign_in.email,
            **self._server.suggested_values(),
        }
        suggested |= {
            key: value
            for key, value in (user_input or {}).items()
            if key not in _SECRET_FIELDS
        }
        # The frontend fills a section from its default only: it must carry the shown values.
        data_schema = with_section_defaults(
            self.add_suggested_values_to_schema(schema, suggested), suggested
        )
        return self.async_show_form(
            step_id=step_id,
            data_schema=data_schema,
            errors=error.on_form(schema) if error else {},
            description_placeholders=placeholders,
        )

    @callback
    def async_remove(self) -> None:
        """The flow ended (finished, aborted or closed): release its sign-in."""
        self._sign_in.async_close(self.hass)
