"""Constants for the Tesla Token integration."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "tesla_token"
LOGGER: Final = logging.getLogger(__package__)
