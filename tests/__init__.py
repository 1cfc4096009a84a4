"""Tests for the Tesla Token integration."""
