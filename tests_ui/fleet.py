"""The Fleet API path in the real dialog: the demo app's credential, Tesla's page in a window.

Home Assistant's OAuth2 step opens the sign-in in a new window, and Home Assistant's callback
closes it; the dialog goes on by itself. The emulator knows the demo app (its redirect URI is
Home Assistant's own callback), and the demo configuration holds its application credential.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .journey import PASSWORD, Journey, check

FLEET_EMAIL = "fleet@example.com"  # an account of scenario.json without captcha or MFA
# What the new account's sensors say once it is set up.
FLEET_STATES = {
    "sensor.fleet_example_com_status": "valid",
    "sensor.fleet_example_com_token_kind": "fleet_api",
    "sensor.fleet_example_com_api_access": "accepted",
}


class FleetJourney(Journey):
    """Fleet API with one's own app: Tesla's sign-in and consent, the entry and its health."""

    name = "sign in with one's own Tesla app (Fleet API)"

    def run(self) -> None:
        """Choose the server, sign in and allow the app in the window Home Assistant opens."""
        page = self.page
        emulator = self.servers.emulator
        self.open_home()
        self.find_integration()
        self.choose_sign_in_method(self.texts.fleet_option)

        expect(self.dialog_title(self.texts.fleet_title)).to_be_visible()
        self.open_advanced().fill(emulator.global_sso)
        with page.context.expect_page() as opened:
            self.submit()
        tesla = opened.value
        tesla.wait_for_load_state()
        check(
            tesla.url.startswith(f"{emulator.global_sso}/authorize?"),
            f"the window opened {tesla.url.split('?')[0]}, not the chosen server",
        )
        tesla.locator("input[name=identity]").fill(FLEET_EMAIL)
        tesla.locator("input[name=credential]").fill(PASSWORD)
        tesla.get_by_role("button", name="Sign In").click()
        # Home Assistant's callback page closes the window.
        with tesla.expect_event("close"):
            tesla.get_by_role("button", name="Allow").click()

        finish = page.get_by_role("button", name=re.compile(r"finish", re.IGNORECASE))
        expect(finish).to_be_visible()
        finish.click()
        expect(finish).to_be_hidden()
        entries = page.evaluate(
            "() => document.querySelector('home-assistant').hass.callWS("
            "{type: 'config_entries/get', domain: 'tesla_token'})"
        )
        titles = [entry["title"] for entry in entries]
        check(FLEET_EMAIL in titles, f"no entry named {FLEET_EMAIL}: {titles}")
        # Set-up checked the Fleet token at the (emulated) Fleet API's users/me.
        for entity, state in FLEET_STATES.items():
            page.wait_for_function(
                "([entity, state]) => document.querySelector('home-assistant')"
                ".hass.states[entity]?.state === state",
                arg=[entity, state],
                timeout=15_000,
            )
