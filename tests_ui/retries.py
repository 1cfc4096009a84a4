"""Forms shown again keep the chosen sign-in server; Tesla's texts are shown as plain text.

The frontend fills a form that comes back (after an error, or with a renewed link) by its own
rules, which REST-level tests cannot see: these journeys retry in the real dialog.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from playwright.sync_api import expect

from .journey import PASSWORD, Journey, check

# Accounts of scenario.json (no captcha): two MFA devices, one named in markdown; no MFA.
RETRY_EMAIL = "retry@example.com"
MARKDOWN_DEVICE = "[click](https://evil.example) ![x](https://evil.example/a.png)"
BROWSER_EMAIL = "browser@example.com"
CALLBACK_PREFIX = "tesla://auth/callback?"
TESLA_LINK = re.compile(r"^https://auth\.tesla\.com/oauth2/v3/authorize\?")
# Links and images the device name would make if it were rendered as markdown.
EVIL_LINKS = "ha-dialog a[href*='evil.example'], ha-dialog img[src*='evil.example']"


class PasswordRetryJourney(Journey):
    """A wrong password, then the right one: the retry still goes to the chosen servers."""

    name = "a wrong password, then the right one, on the chosen server"

    def run(self) -> None:
        """Retry on the same form, then MFA with a device named in markdown."""
        page = self.page
        self.open_home()
        self.find_integration()
        self.choose_sign_in_method(self.texts.password_option)

        expect(self.dialog_title(self.texts.password_title)).to_be_visible()
        page.locator("input[name=email]").fill(RETRY_EMAIL)
        page.locator("input[name=password]").fill("not-the-password")
        self.open_advanced().fill(self.servers.emulator.global_sso)
        # The emulator serves the API too: under another name it is an API server apart.
        api_url = f"http://localhost:{urlsplit(self.servers.emulator.base_url).port}"
        page.locator("input[name=api_url]").fill(api_url)
        self.submit()

        expect(page.get_by_text(self.texts.invalid_auth)).to_be_visible()
        expect(page.locator("input[name=email]")).to_have_value(RETRY_EMAIL)
        # The form shown again still names the chosen servers.
        expect(self.open_advanced()).to_have_value(self.servers.emulator.global_sso)
        expect(page.locator("input[name=api_url]")).to_have_value(api_url)
        page.locator("input[name=password]").fill(PASSWORD)
        self.submit()

        # Tesla's device names are labels and text, never links or images.
        expect(self.dialog_title(self.texts.mfa_device_title)).to_be_visible()
        device = page.get_by_role("radio", name=MARKDOWN_DEVICE)
        device.check()
        check(page.locator(EVIL_LINKS).count() == 0, "a device name became a link")
        self.submit()

        expect(self.dialog_title(self.texts.mfa_title)).to_be_visible()
        expect(page.get_by_text(f"({MARKDOWN_DEVICE})")).to_be_visible()
        check(
            page.locator(EVIL_LINKS).count() == 0,
            "the device name in the description became a link or an image",
        )
        code = self.servers.emulator.mfa_code(RETRY_EMAIL, MARKDOWN_DEVICE)
        page.locator("input[name=code]").fill(code)
        self.submit()
        self.finish(RETRY_EMAIL)


class BrowserPathJourney(Journey):
    """The browser path with a custom server: the renewed link works to the end."""

    name = "sign in with the browser on the chosen server"

    def run(self) -> None:
        """Choose the server, sign in on its page in a second tab, paste the address back."""
        page = self.page
        emulator = self.servers.emulator
        self.open_home()
        self.find_integration()
        self.choose_sign_in_method(self.texts.browser_option)

        expect(self.dialog_title(self.texts.browser_title)).to_be_visible()
        link = page.locator("ha-dialog a", has_text=self.texts.browser_link)
        # First the region's server: Tesla's own.
        expect(link).to_have_attribute("href", TESLA_LINK)
        self.open_advanced().fill(emulator.global_sso)
        self.submit()

        expect(page.get_by_text(self.texts.auth_link_changed)).to_be_visible()
        renewed = re.compile(f"^{re.escape(emulator.global_sso)}/authorize\\?")
        expect(link).to_have_attribute("href", renewed)
        expect(self.open_advanced()).to_have_value(emulator.global_sso)

        callback = self.sign_in_on_the_server_page(link.get_attribute("href") or "")
        page.locator("textarea[name=callback_url]").fill(callback)
        self.submit()
        self.finish(BROWSER_EMAIL)

    def sign_in_on_the_server_page(self, link: str) -> str:
        """Sign in in a second tab; return the address the browser could not open."""
        tab = self.page.context.new_page()
        try:
            tab.goto(link)
            tab.locator("input[name=identity]").fill(BROWSER_EMAIL)
            tab.locator("input[name=credential]").fill(PASSWORD)
            with tab.expect_request(
                lambda request: request.url.startswith(CALLBACK_PREFIX)
            ) as callback:
                tab.get_by_role("button", name="Sign In").click()
            return callback.value.url
        finally:
            tab.close()
