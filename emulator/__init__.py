"""A local Tesla SSO server for tests and the demo."""
