"""The real-browser test: Home Assistant's UI, headless Chromium, and the Tesla SSO emulator.

Run by scripts/test-ui. It is no pytest test: Playwright's sync API cannot run inside the event
loop of pytest-homeassistant-custom-component, and the servers here are real processes.
"""
