"""Browser journeys: pytest-playwright driving Debian's Chromium (/usr/bin/chromium); never a
downloaded browser. Deselected where /usr/bin/chromium does not exist (see tests/conftest.py)."""

import os

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make around it
# are ordinary synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }
