"""Text from Tesla's answers (MFA device names, email addresses) is shown literally.

Step descriptions are rendered as markdown with their placeholders pasted in: a device name
such as `[click](https://…)` must not become a link, an image or HTML, invisible or
direction-changing characters must not hide or reorder text, and a long name is cut short.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from homeassistant.config_entries import SOURCE_REAUTH, SOURCE_RECONFIGURE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.tesla_token.const import DOMAIN
from emulator import Account, Emulator, MfaDevice

from .conftest import Secrets
from .frontend import literal_text
from .helpers import add_entry, credentials, start, submit

ACCOUNT = "names@example.com"
# Markdown that would render as a link and a remote image.
MARKDOWN_NAME = "[click](https://evil.example) ![x](https://evil.example/a.png)"
# A right-to-left override, a zero-width space, a line break and a NUL byte.
HIDDEN_NAME = "Pho\u202ene\u200b\nX\x00"
LONG_NAME = "Watch " + "w" * 200
CAPPED_LONG_NAME = LONG_NAME[:63] + "…"  # 64 characters in all
# An email address from Tesla's id_token with markdown and a right-to-left override.
MARKDOWN_EMAIL = "\u202e[x](https://evil.example)@example.com"
SHOWN_EMAIL = "[x](https://evil.example)@example.com"
_SECRETS = (
    "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
    "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU",
    "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
)


def add_account(emulator: Emulator, *device_names: str) -> None:
    """An account of the emulator with MFA devices of these names."""
    emulator.state.scenario.accounts.append(
        Account(
            email=ACCOUNT,
            mfa_devices=[
                MfaDevice(name=name, secret=secret)
                for name, secret in zip(device_names, _SECRETS, strict=False)
            ],
        )
    )


def device_labels(result: Any) -> list[str]:
    """The labels of the `mfa_device` step's choices."""
    options = result["data_schema"].schema["device"].config["options"]
    return [option["label"] for option in options]


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        (MARKDOWN_NAME, MARKDOWN_NAME),
        (HIDDEN_NAME, "Phone X"),
        (LONG_NAME, CAPPED_LONG_NAME),
    ],
    ids=["markdown", "hidden-characters", "long"],
)
async def test_the_passcode_step_shows_the_device_name_literally(
    hass: HomeAssistant, emulator: Emulator, secrets: Secrets, name: str, shown: str
) -> None:
    """The passcode step names the device as text, then the sign-in finishes."""
    add_account(emulator, name)
    result = await start(hass, "password")
    result = await submit(hass, result, credentials(emulator, ACCOUNT))
    assert result["step_id"] == "mfa"
    assert literal_text(result["description_placeholders"]["device"]) == shown

    code = emulator.state.totp(ACCOUNT, name)
    secrets.add(code)
    result = await submit(hass, result, {"code": code})
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_the_device_choice_labels_are_clean_and_short(
    hass: HomeAssistant, emulator: Emulator, secrets: Secrets
) -> None:
    """The choice lists the names as plain text; the chosen one is named literally next."""
    add_account(emulator, MARKDOWN_NAME, HIDDEN_NAME, LONG_NAME)
    result = await start(hass, "password")
    result = await submit(hass, result, credentials(emulator, ACCOUNT))
    assert result["step_id"] == "mfa_device"
    # Labels are plain text in the frontend: markdown stays as typed, nothing is hidden.
    assert device_labels(result) == [MARKDOWN_NAME, "Phone X", CAPPED_LONG_NAME]

    options = result["data_schema"].schema["device"].config["options"]
    result = await submit(hass, result, {"device": options[0]["value"]})
    assert literal_text(result["description_placeholders"]["device"]) == MARKDOWN_NAME
    code = emulator.state.totp(ACCOUNT, MARKDOWN_NAME)
    secrets.add(code)
    result = await submit(hass, result, {"code": code})
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_the_rest_api_hands_out_the_names_escaped(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
) -> None:
    """What the frontend receives: clean labels and a description placeholder as text."""
    add_account(emulator, MARKDOWN_NAME, HIDDEN_NAME)
    assert await async_setup_component(hass, "config", {})
    client = await hass_client()
    flows = "/api/config/config_entries/flow"

    async def post(path: str, payload: dict[str, Any]) -> Any:
        response = await client.post(path, json=payload)
        assert response.status == HTTPStatus.OK
        return await response.json()

    menu = await post(flows, {"handler": DOMAIN})
    form = await post(f"{flows}/{menu['flow_id']}", {"next_step_id": "password"})
    form = await post(f"{flows}/{form['flow_id']}", credentials(emulator, ACCOUNT))
    assert form["step_id"] == "mfa_device"
    options = form["data_schema"][0]["selector"]["select"]["options"]
    assert [option["label"] for option in options] == [MARKDOWN_NAME, "Phone X"]

    form = await post(f"{flows}/{form['flow_id']}", {"device": options[0]["value"]})
    assert form["step_id"] == "mfa"
    assert literal_text(form["description_placeholders"]["device"]) == MARKDOWN_NAME


async def test_an_email_from_tesla_is_shown_literally(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """Entry title, reconfigure and sign-in again show the address as text.

    The repair issue is checked in tests/lifecycle/test_reauth.py.
    """
    emulator.state.scenario.accounts.append(Account(email=MARKDOWN_EMAIL))
    entry = await add_entry(hass, emulator, MARKDOWN_EMAIL)
    assert entry.title == SHOWN_EMAIL

    reconfigure = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
    )
    assert literal_text(reconfigure["description_placeholders"]["email"]) == (
        SHOWN_EMAIL
    )
    hass.config_entries.flow.async_abort(reconfigure["flow_id"])

    reauth = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_REAUTH, "entry_id": entry.entry_id},
        data=dict(entry.data),
    )
    assert literal_text(reauth["description_placeholders"]["email"]) == SHOWN_EMAIL
    hass.config_entries.flow.async_abort(reauth["flow_id"])
