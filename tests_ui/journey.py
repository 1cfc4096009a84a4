"""A person adds Tesla Token in Home Assistant's UI and signs in with captcha and MFA.

Every text the test looks for comes from the integration's translations/en.json, so the test
checks that the dialog shows what the translations say. Each step leaves a screenshot.
"""

from __future__ import annotations

from dataclasses import dataclass
import json
from pathlib import Path
import re
from typing import Any

from playwright.sync_api import Locator, Page, expect

from .pixels import drawn_share, looks_drawn
from .servers import HASS_PASSWORD, HASS_USER, REPO, Servers

TRANSLATIONS = REPO / "custom_components" / "tesla_token" / "translations" / "en.json"
INTEGRATION_NAME = "Tesla Token"
# The account of scenario.json: a captcha on the first page, then two MFA devices.
EMAIL = "mfa@example.com"
PASSWORD = "tesla-demo-password"
MFA_DEVICE = "Watch"  # the second device: the choice must reach the sign-in
STATUS_ENTITY = "sensor.mfa_example_com_status"

# Screenshot file names (the README links them; the HA login is not part of the sign-in).
SHOT_LOGIN = "00-login.png"
SHOT_ADD_INTEGRATION = "01-add-integration.png"
SHOT_SIGN_IN_METHODS = "02-sign-in-menu.png"
SHOT_EMAIL_PASSWORD = "03-email-and-password.png"
SHOT_CAPTCHA = "04-captcha.png"
SHOT_MFA_DEVICE = "05-mfa-device.png"
SHOT_MFA_CODE = "06-mfa-code.png"
SHOT_CREATED = "07-created.png"
SHOT_DEVICE_PAGE = "08-device-page.png"


class UiCheckError(AssertionError):
    """What the browser shows is not what a person should see."""


def check(condition: bool, message: str) -> None:
    """Fail the test with this message unless the condition holds."""
    if not condition:
        raise UiCheckError(message)


def _config_step(strings: dict[str, Any], step: str) -> dict[str, Any]:
    step_strings: dict[str, Any] = strings["config"]["step"][step]
    return step_strings


@dataclass(frozen=True)
class Texts:
    """What the translations make the dialog say."""

    menu_title: str
    password_option: str
    browser_option: str
    fleet_option: str
    fleet_title: str
    password_title: str
    browser_title: str
    browser_link: str
    advanced_section: str
    captcha_title: str
    mfa_device_title: str
    mfa_title: str
    invalid_auth: str
    auth_link_changed: str
    status_name: str
    status_valid: str
    api_access_name: str
    api_access_accepted: str

    @classmethod
    def load(cls, path: Path = TRANSLATIONS) -> Texts:
        """Read the texts from en.json."""
        strings = json.loads(path.read_text(encoding="utf-8"))
        password = _config_step(strings, "password")
        browser = _config_step(strings, "browser")
        menu_options = _config_step(strings, "user")["menu_options"]
        errors = strings["config"]["error"]
        status = strings["entity"]["sensor"]["status"]
        api_access = strings["entity"]["sensor"]["api_access"]
        link = re.search(r"\[([^\]]+)\]\(\{authorize_url\}\)", browser["description"])
        if link is None:
            raise UiCheckError("the browser step's description has no sign-in link")
        return cls(
            menu_title=_config_step(strings, "user")["title"],
            password_option=menu_options["password"],
            browser_option=menu_options["browser"],
            fleet_option=menu_options["fleet"],
            fleet_title=_config_step(strings, "fleet")["title"],
            password_title=password["title"],
            browser_title=browser["title"],
            browser_link=link.group(1),
            advanced_section=password["sections"]["advanced"]["name"],
            captcha_title=_config_step(strings, "captcha")["title"],
            mfa_device_title=_config_step(strings, "mfa_device")["title"],
            mfa_title=_config_step(strings, "mfa")["title"],
            invalid_auth=errors["invalid_auth"],
            auth_link_changed=errors["auth_link_changed"],
            status_name=status["name"],
            status_valid=status["state"]["valid"],
            api_access_name=api_access["name"],
            api_access_accepted=api_access["state"]["accepted"],
        )


class Journey:
    """What every journey does in the dialog: open it, read it, submit it."""

    name = ""

    def __init__(
        self, page: Page, servers: Servers, screenshots: Path | None = None
    ) -> None:
        """Drive this page against these servers, saving screenshots into a folder (if any)."""
        self.page = page
        self.servers = servers
        self.screenshots = screenshots
        self.texts = Texts.load()

    def run(self) -> None:
        """The whole journey; raises AssertionError (or a Playwright timeout) on failure."""
        raise NotImplementedError

    def open_home(self) -> None:
        """Open Home Assistant, logging in as the demo owner unless still logged in."""
        page = self.page
        page.goto(self.servers.hass_url)
        username = page.locator("input[name=username]")
        settings = page.get_by_role("link", name="Settings")
        expect(username.or_(settings)).to_be_visible()
        if username.is_visible():
            username.fill(HASS_USER)
            page.locator("input[name=password]").fill(HASS_PASSWORD)
            self.shot(SHOT_LOGIN)
            page.get_by_role("button", name="Log in").click()
        expect(settings).to_be_visible()

    def find_integration(self) -> None:
        """Settings → Devices & services → Add integration → search for it → choose it."""
        page = self.page
        page.get_by_role("link", name="Settings").click()
        page.get_by_text("Devices & services", exact=True).click()
        page.get_by_role("button", name="Add integration").click()
        search = page.get_by_placeholder("Search for a brand name")
        search.click()
        search.press_sequentially(INTEGRATION_NAME)
        # Inside the dialog: once an entry exists, the dashboard has a card of that name too.
        result = page.locator("dialog-add-integration").get_by_text(
            INTEGRATION_NAME, exact=True
        )
        expect(result).to_be_visible()
        self.shot(SHOT_ADD_INTEGRATION)
        result.click()

    def choose_sign_in_method(self, option_text: str) -> None:
        """The first step is the menu of the ways to sign in."""
        page = self.page
        expect(self.dialog_title(self.texts.menu_title)).to_be_visible()
        option = page.get_by_text(option_text, exact=True)
        expect(option).to_be_visible()
        self.shot(SHOT_SIGN_IN_METHODS)
        option.click()

    def open_advanced(self) -> Locator:
        """The sign-in server field, with its collapsed section opened if need be."""
        auth_url = self.page.locator("input[name=auth_url]")
        if not auth_url.is_visible():
            self.page.get_by_text(self.texts.advanced_section, exact=True).click()
        expect(auth_url).to_be_visible()
        return auth_url

    def finish(self, email: str, shot: str | None = None) -> None:
        """The entry exists: Home Assistant offers to name the device; close the dialog."""
        page = self.page
        finish = page.get_by_role("button", name=re.compile(r"finish", re.IGNORECASE))
        expect(finish).to_be_visible()
        # The new device is named after the account.
        expect(page.get_by_role("textbox", name="Device name")).to_have_value(email)
        if shot:
            self.shot(shot)
        finish.click()
        expect(finish).to_be_hidden()

    def dialog_title(self, title: str) -> Locator:
        """The open dialog's title (a slotted element of the dialog header)."""
        exact = re.compile(rf"^\s*{re.escape(title)}\s*$")
        return self.page.locator("ha-dialog [slot=headerTitle]", has_text=exact)

    def submit(self) -> None:
        """Press the dialog's Submit button."""
        self.page.get_by_role("button", name="Submit").click()

    def shot(self, name: str) -> None:
        """Save a screenshot of the whole window (journeys without a folder take none)."""
        if self.screenshots is None:
            return
        self.page.wait_for_timeout(300)  # let ripples and transitions settle
        self.page.screenshot(path=self.screenshots / name)


class SignInJourney(Journey):
    """The steps, in the order a person takes them; the README's screenshots come from here."""

    name = "sign in with captcha and the second MFA device"

    def run(self) -> None:
        """The whole journey; raises AssertionError (or a Playwright timeout) on failure."""
        self.open_home()
        self.find_integration()
        self.choose_sign_in_method(self.texts.password_option)
        self.enter_credentials()
        self.answer_captcha()
        self.choose_mfa_device()
        self.enter_mfa_code()
        self.finish(EMAIL, SHOT_CREATED)
        self.check_device_page()

    # --- Steps ----------------------------------------------------------------------------

    def enter_credentials(self) -> None:
        """Email, password, and the emulator as the sign-in server (in the Advanced section)."""
        page = self.page
        expect(self.dialog_title(self.texts.password_title)).to_be_visible()
        page.locator("input[name=email]").fill(EMAIL)
        page.locator("input[name=password]").fill(PASSWORD)
        # The section starts collapsed; its header opens it.
        auth_url = page.locator("input[name=auth_url]")
        expect(auth_url).to_be_hidden()
        page.get_by_text(self.texts.advanced_section, exact=True).click()
        auth_url.fill(self.servers.emulator.global_sso)
        self.shot(SHOT_EMAIL_PASSWORD)
        self.submit()

    def answer_captcha(self) -> None:
        """The captcha image renders in the dialog; type what it shows."""
        page = self.page
        expect(self.dialog_title(self.texts.captcha_title)).to_be_visible()
        image = page.locator('img[src^="data:image/svg+xml"]')
        expect(image).to_be_visible()
        self.check_image_rendered(image)
        self.shot(SHOT_CAPTCHA)
        page.locator("input[name=captcha]").fill(self.servers.emulator.captcha_answer())
        self.submit()

    def choose_mfa_device(self) -> None:
        """The account has two MFA devices: choose the second one."""
        page = self.page
        expect(self.dialog_title(self.texts.mfa_device_title)).to_be_visible()
        device = page.get_by_role("radio", name=MFA_DEVICE)
        device.check()
        expect(device).to_be_checked()
        self.shot(SHOT_MFA_DEVICE)
        self.submit()

    def enter_mfa_code(self) -> None:
        """The passcode step names the chosen device; enter its current code."""
        page = self.page
        expect(self.dialog_title(self.texts.mfa_title)).to_be_visible()
        expect(page.get_by_text(f"({MFA_DEVICE})")).to_be_visible()
        code = self.servers.emulator.mfa_code(EMAIL, MFA_DEVICE)
        page.locator("input[name=code]").fill(code)
        self.shot(SHOT_MFA_CODE)
        self.submit()

    def check_device_page(self) -> None:
        """Open the account's device: the token is valid and Tesla's API accepts it."""
        page = self.page
        # The integrations dashboard now has a card for the integration.
        page.get_by_text(INTEGRATION_NAME, exact=True).first.click()
        page.get_by_text("Tesla account").first.click()
        expect(page).to_have_url(re.compile(r"/config/devices/device/"))
        # The entity row: its name sits in the row's shadow root, its state in the row itself.
        status_row = page.locator("hui-generic-entity-row").filter(
            has=page.get_by_text(self.texts.status_name, exact=True)
        )
        expect(status_row).to_have_count(1)
        expect(status_row).to_contain_text(self.texts.status_valid)
        # Set-up checked the new token with the (emulated) Owner API.
        api_row = page.locator("hui-generic-entity-row").filter(
            has=page.get_by_text(self.texts.api_access_name, exact=True)
        )
        expect(api_row).to_have_count(1)
        expect(api_row).to_contain_text(self.texts.api_access_accepted)
        state = page.evaluate(
            "(entity) => document.querySelector('home-assistant')"
            ".hass.states[entity]?.state",
            STATUS_ENTITY,
        )
        check(state == "valid", f"{STATUS_ENTITY} is {state!r}, not 'valid'")
        self.shot(SHOT_DEVICE_PAGE)

    # --- Helpers --------------------------------------------------------------------------

    def check_image_rendered(self, image: Locator) -> None:
        """The captcha is an SVG data: URL that decodes to a real picture, not a blank box."""
        source = image.get_attribute("src") or ""
        check(source.startswith("data:image/svg+xml"), "the captcha is no SVG data URL")
        width, height = image.evaluate(
            "img => img.decode().then(() => [img.naturalWidth, img.naturalHeight])"
        )
        check(width > 0 and height > 0, f"the captcha image is {width} x {height} px")
        pixels = image.screenshot()
        check(
            looks_drawn(pixels),
            f"the captcha looks blank: {drawn_share(pixels):.1%} of its pixels are drawn",
        )
