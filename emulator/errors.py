"""The error a scenario, app or fault definition raises when it does not follow the schema."""

from __future__ import annotations


class ScenarioError(ValueError):
    """A scenario file or dict does not follow the schema."""
