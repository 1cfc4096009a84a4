"""Letting Home Assistant's SSL contexts trust an emulator's throw-away CA (tests and bench only).

Nothing in the product turns verification off: the profiles reach the emulator's HTTPS port
through Home Assistant's own client contexts, which trust its CA once this has run.
"""

from __future__ import annotations

from pathlib import Path

import certifi
from homeassistant.core import HomeAssistant
from homeassistant.util import ssl as ssl_util
import pytest

from custom_components.tesla_token.connection import DATA_TLS12_CONTEXT
from emulator import Emulator


def trust_emulator_ca(
    hass: HomeAssistant,
    emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    folder: Path,
) -> None:
    """Trust the emulator's CA in every client context, cached or made from now on.

    The cached contexts (every cipher list and ALPN, made when homeassistant.util.ssl is
    imported) load the CA; contexts made later read REQUESTS_CA_BUNDLE, set to certifi's bundle
    plus the CA (a file in `folder`); the integration's TLS 1.2 context is dropped so it is
    made again. Each emulator has a CA of its own, so nothing else starts trusting it.
    """
    for cipher in ssl_util.SSLCipherList:
        for alpn in ssl_util._SSL_ALPN_PROTOCOLS:
            ssl_util.client_context(cipher, alpn).load_verify_locations(
                cadata=emulator.ca_pem
            )
    bundle = folder / "ca-bundle.pem"
    bundle.write_text(
        Path(certifi.where()).read_text(encoding="ascii") + emulator.ca_pem,
        encoding="ascii",
    )
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    hass.data.pop(DATA_TLS12_CONTEXT, None)
