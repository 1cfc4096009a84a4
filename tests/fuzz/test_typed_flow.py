"""What a person types into the real config flow, against the emulator.

Every input ends in a translated form error, the next step, or a new entry: never an unexpected
exception (the flow would show "unknown" and log it), and never a request to anything but the
server the person chose (or a Tesla SSO origin the SSO client trusts; refused before it leaves).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from homeassistant.config_entries import ConfigFlowResult
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from hypothesis import assume, given, strategies as st
import pytest

from emulator import Emulator
from tests.flow_helpers import (
    CAPTCHA_ACCOUNT,
    MFA_ACCOUNT,
    OWNER,
    PASSWORD,
    browser_sign_in,
    server,
    start,
    submit,
)
from tests.leak_guard import LeakGuard

from .budget import fuzz
from .flow_example import FlowExample, chosen_origins
from .request_log import RequestLog
from .tally import count
from .typed import (
    ACCOUNTS,
    broken_up,
    code_styles,
    custom_servers,
    junk,
    mfa_codes,
    typed_tokens,
)
from .typed_callbacks import pasted_callbacks

regions = st.sampled_from(["global", "china"])


@pytest.fixture
def example(
    *,
    hass: HomeAssistant,
    emulator: Emulator,
    quick_loop: None,
    ha_request_log: RequestLog,
    caplog: pytest.LogCaptureFixture,
    leak_guard: LeakGuard,
) -> FlowExample:
    """Home Assistant, the emulator, and the checks and clean-up of each example."""
    return FlowExample(hass, emulator, ha_request_log, caplog, leak_guard)


def with_server(auth_url: str, region: str, **fields: Any) -> dict[str, Any]:
    """A form's fields with the region and the custom server field."""
    return {"region": region, "advanced": {"auth_url": auth_url}, **fields}


def is_emulator_global_base(emulator: Emulator, auth_url: str) -> bool:
    """Whether the typed server is exactly the emulator's global base (any case, slash)."""
    return auth_url.strip().lower().rstrip("/") == emulator.global_sso


def invalid_server(result: ConfigFlowResult) -> bool:
    return (result.get("errors") or {}).get("advanced") == "invalid_auth_url"


@fuzz(60)
@given(data=st.data(), region=regions, token=typed_tokens, real=st.booleans())
async def test_typed_refresh_token(
    example: FlowExample,
    data: st.DataObject,
    region: str,
    token: str,
    real: bool,
) -> None:
    """Any pasted refresh token and server: a translated error or a new entry."""
    hass, emulator = example.hass, example.emulator
    auth_url = data.draw(custom_servers(emulator.base_url), label="auth_url")
    if real:  # a valid token, as copying may break it up
        token = data.draw(broken_up(emulator.state.mint_refresh_token(OWNER)))
    # The form shows the server again; a token inside it would count as leaked.
    assume("".join(token.split()) not in auth_url)
    assume(not any(secret in auth_url for secret in emulator.state.secrets()))
    example.begin()

    result = await start(hass, "token")
    result = await submit(
        hass, result, with_server(auth_url, region, refresh_token=token)
    )

    count("flow token step: typed refresh token", example.check(result))
    example.check_requests(chosen_origins(auth_url, region))
    if invalid_server(result):
        assert not example.log.urls
    if real and is_emulator_global_base(emulator, auth_url):
        assert result["type"] is FlowResultType.CREATE_ENTRY
    await example.end()


@fuzz(60)
@given(data=st.data(), real_code=st.booleans(), clean=st.booleans())
async def test_pasted_callback(
    example: FlowExample,
    data: st.DataObject,
    real_code: bool,
    clean: bool,
) -> None:
    """Any pasted callback: a translated error or a new entry; an intact one with a real code works."""
    hass, emulator = example.hass, example.emulator
    example.begin()
    result = await start(hass, "browser")
    result = await submit(hass, result, server(emulator))
    placeholders = result["description_placeholders"]
    assert placeholders is not None
    link = placeholders["authorize_url"]
    state = parse_qs(urlsplit(link).query)["state"][0]
    code = None
    if real_code:
        callback = await browser_sign_in(link)
        code = parse_qs(urlsplit(callback).query)["code"][0]
    pasted = data.draw(
        pasted_callbacks(state=state, base=emulator.global_sso, code=code, clean=clean),
        label="pasted",
    )

    result = await submit(
        hass, result, {**server(emulator), "callback_url": pasted.text}
    )

    count("flow browser step: pasted callback", example.check(result))
    example.check_requests(chosen_origins(emulator.global_sso, "global"))
    if result["type"] is FlowResultType.CREATE_ENTRY:
        assert code is not None
        assert state in pasted.text
    own_issuer = pasted.issuer is None or is_emulator_global_base(
        emulator, pasted.issuer
    )
    if real_code and pasted.intact and own_issuer:
        assert result["type"] is FlowResultType.CREATE_ENTRY
    await example.end()


real_sign_ins = st.sampled_from(ACCOUNTS).flatmap(
    lambda email: st.tuples(
        st.sampled_from([email, email.upper(), f"  {email} "]), st.just(PASSWORD)
    )
)
# Random emails only: a wrong password for a real account would lock it for later examples.
other_sign_ins = st.tuples(st.emails() | junk, junk)


@fuzz(60)
@given(data=st.data(), region=regions, sign_in=real_sign_ins | other_sign_ins)
async def test_typed_credentials(
    example: FlowExample,
    data: st.DataObject,
    region: str,
    sign_in: tuple[str, str],
) -> None:
    """Any email, password and server: a translated error, the next step, or a new entry."""
    hass, emulator = example.hass, example.emulator
    email, password = sign_in
    auth_url = data.draw(custom_servers(emulator.base_url), label="auth_url")
    # The form shows the email and server again; a password inside them (this example's or an
    # earlier one's) would count as leaked.
    shown = f"{email} {auth_url}"
    assume(not any(typed in shown for typed in {*example.typed_passwords, password}))
    # Hypothesis also types constants of loaded code, such as the emulator's backup codes:
    # one typed into the server URL is shown again by the form, not leaked by the client.
    assume(not any(secret in shown for secret in emulator.state.secrets()))
    assume(not any(password in earlier for earlier in example.shown_again))
    example.typed_passwords.add(password)
    example.shown_again.add(shown)
    example.begin()

    result = await start(hass, "password")
    result = await submit(
        hass, result, with_server(auth_url, region, email=email, password=password)
    )

    outcome = example.check(result)
    count("flow password step: email, password, server", outcome)
    example.check_requests(chosen_origins(auth_url, region))
    if invalid_server(result):
        assert not example.log.urls
    if password == PASSWORD and is_emulator_global_base(emulator, auth_url):
        expected = {
            OWNER: str(FlowResultType.CREATE_ENTRY),
            CAPTCHA_ACCOUNT: "captcha []",
            MFA_ACCOUNT: "mfa_device []",
        }.get(email.strip().lower())
        assert expected is None or outcome == expected, outcome
    await example.end()


@fuzz(50)
@given(data=st.data(), answer_kind=st.sampled_from(["typed", "real", "real-ish"]))
async def test_typed_captcha(
    example: FlowExample,
    data: st.DataObject,
    answer_kind: str,
) -> None:
    """Any captcha answer: a new image with an error, or a new entry for the right one."""
    hass, emulator = example.hass, example.emulator
    example.begin()
    result = await start(hass, "password")
    result = await submit(
        hass,
        result,
        {**server(emulator), "email": CAPTCHA_ACCOUNT, "password": PASSWORD},
    )
    assert result["step_id"] == "captcha"
    real = emulator.state.latest_captcha_answer() or ""
    answer = {
        "typed": data.draw(junk, label="answer"),
        "real": f" {real}\n",
        "real-ish": data.draw(
            st.sampled_from([real.upper(), real[:-1], real + real[-1]])
        ),
    }[answer_kind]

    result = await submit(hass, result, {"captcha": answer})

    outcome = example.check(result)
    count("flow captcha step: typed answer", outcome)
    example.check_requests(chosen_origins(emulator.global_sso, "global"))
    if answer_kind == "real":
        assert outcome == str(FlowResultType.CREATE_ENTRY), outcome
    await example.end()


@fuzz(50)
@given(
    data=st.data(),
    device=st.sampled_from(["Phone", "Watch"]),
    code_kind=st.sampled_from(["typed", "typed", "passcode", "backup"]),
)
async def test_typed_mfa_code(
    example: FlowExample,
    data: st.DataObject,
    device: str,
    code_kind: str,
) -> None:
    """Any MFA code: a translated error on the form (or back to sign-in), or a new entry."""
    hass, emulator = example.hass, example.emulator
    example.begin()
    result = await start(hass, "password")
    result = await submit(
        hass, result, {**server(emulator), "email": MFA_ACCOUNT, "password": PASSWORD}
    )
    assert result["step_id"] == "mfa_device"
    schema = result["data_schema"]
    assert schema is not None
    factors = {
        option["label"]: option["value"]
        for option in schema.schema["device"].config["options"]
    }
    result = await submit(hass, result, {"device": factors[device]})
    assert result["step_id"] == "mfa"
    if code_kind == "typed":
        code = data.draw(mfa_codes, label="code")
    else:
        # The style is drawn, the code is read: draws must not depend on the clock or on
        # which backup codes earlier examples used up.
        style = data.draw(code_styles, label="style")
        unused = emulator.state.backup_codes(MFA_ACCOUNT) or ["usedup123"]
        code = style.apply(
            emulator.state.totp(MFA_ACCOUNT, device)
            if code_kind == "passcode"
            else unused[0]
        )

    result = await submit(hass, result, {"code": code})

    count("flow mfa step: typed code", example.check(result))
    example.check_requests(chosen_origins(emulator.global_sso, "global"))
    await example.end()
