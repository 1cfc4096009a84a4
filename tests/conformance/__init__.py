"""Conformance with the rules of hassfest, HACS and the Integration Quality Scale."""
