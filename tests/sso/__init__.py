"""Tests of the Tesla SSO client."""
