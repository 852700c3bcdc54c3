"""Browser fixtures: a live app server per test and Playwright driving Debian's Chromium (no download).

Without /usr/bin/chromium these tests skip, unless AIGOV_REQUIRE_REAL_SERVICES=1 (CI), where the
missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.server import AppServer

# Reruns on a loaded 2-core machine can take seconds; assertions wait for what a user would wait for.
expect.set_options(timeout=30_000)

CHROMIUM = os.environ.get("AIGOV_CHROMIUM", "/usr/bin/chromium")
REQUIRE_REAL = os.environ.get("AIGOV_REQUIRE_REAL_SERVICES") == "1"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        if REQUIRE_REAL:
            pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package (.ci/run does).")
        pytest.skip(f"Chromium not found at {CHROMIUM}; install Debian's chromium to run browser tests")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, "viewport": {"width": 1400, "height": 1000}, "locale": "zh-CN"}


@pytest.fixture
def live_server(db_url: str, tmp_path: Path) -> Iterator[str]:
    """Base URL of a real `streamlit run app.py` against this test's database."""
    with AppServer(db_url, tmp_path) as server:
        yield server.url
