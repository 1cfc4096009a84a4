"""Tests of flow_schemas.py: the forms of the config flow."""

from __future__ import annotations

from homeassistant.data_entry_flow import section

from custom_components.tesla_token.flow_schemas import (
    SERVER_FORMS,
    mfa_device_schema,
    with_section_defaults,
)
from custom_components.tesla_token.sso import MfaFactor


def _fields(schema: object) -> dict[str, object]:
    return {str(marker.schema): marker for marker in schema.schema}  # type: ignore[attr-defined]


def test_every_server_form_offers_region_and_server() -> None:
    for step_id, build in SERVER_FORMS.items():
        fields = _fields(build("china"))
        assert fields["region"].default() == "china", step_id  # type: ignore[attr-defined]
        advanced = build("china").schema[fields["advanced"]]
        assert isinstance(advanced, section), step_id
        # The sign-in server, then the API server: both URLs, both optional.
        assert [str(marker) for marker in advanced.schema.schema] == [
            "auth_url",
            "api_url",
        ], step_id
        for selector in advanced.schema.schema.values():
            assert selector.config["type"] == "url", step_id


def test_sections_default_to_the_shown_values() -> None:
    shown = {"auth_url": "https://sso.example.com", "api_url": "https://api.example"}
    schema = with_section_defaults(
        SERVER_FORMS["token"]("global"), {"region": "global", "advanced": shown}
    )
    advanced = _fields(schema)["advanced"]
    assert advanced.default() == shown  # type: ignore[attr-defined]
    # Tesla's own server (no custom URL) leaves the section's fields empty.
    schema = with_section_defaults(
        SERVER_FORMS["token"]("global"),
        {"region": "global", "advanced": {"auth_url": None, "api_url": None}},
    )
    assert _fields(schema)["advanced"].default() == {}  # type: ignore[attr-defined]


def test_device_choice_labels_are_plain_text() -> None:
    factors = [
        MfaFactor(id="f1", name="[Phone](https://evil.example)"),
        MfaFactor(id="f2", name="Wa\u202etch"),
    ]
    selector = mfa_device_schema(factors).schema["device"]
    assert selector.config["options"] == [
        {"value": "f1", "label": "[Phone](https://evil.example)"},
        {"value": "f2", "label": "Watch"},
    ]
