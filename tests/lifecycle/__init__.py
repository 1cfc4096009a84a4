"""Tests of the token lifecycle: refresh coordinator, entities, repairs, actions."""
