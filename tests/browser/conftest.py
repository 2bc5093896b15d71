"""A real headless Chromium, a test MCP Apps host (tests/browser/host) and the views in it.

Needs Debian's `chromium`, Playwright from PyPI and npm (for the host's packages, cached
outside the repository). Where one is missing the tests skip and say which; `.ci/browser`
installs them and runs these tests for real (`-m browser`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_host import Host

HOST_DIR = Path(__file__).parent / "host"
CHROMIUM = os.environ.get("POWERPACK_CHROMIUM", "/usr/bin/chromium")
CACHE = Path(
    os.environ.get("POWERPACK_BROWSER_CACHE")
    or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "powerpack-mcp" / "browser"
)
# The host page's origin: the MCP server's own, so the page reaches /mcp without CORS.
HOST_PATH = "/_test_host/"


def _missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if reason := os.environ.get("POWERPACK_BROWSER_SKIP"):
        return reason
    if not Path(CHROMIUM).is_file():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium; .ci/browser does it)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -e '.[dev]')"
    if shutil.which("npm") is None:
        return "npm is not on PATH (it installs the test host's packages)"
    return None


@pytest.fixture(scope="session")
def host_script() -> str:
    """The test host bundle (built once, cached; npm only when package.json changes)."""
    if reason := _missing():
        # .ci/browser sets REQUIRED once it has installed everything: a skip there is a bug,
        # except the one it announced itself (POWERPACK_BROWSER_SKIP: no Chromium possible).
        if os.environ.get("POWERPACK_BROWSER_REQUIRED") and not os.environ.get(
            "POWERPACK_BROWSER_SKIP"
        ):
            pytest.fail(f"browser tests required but cannot run: {reason}")
        pytest.skip(f"BROWSER TEST SKIPPED: {reason}")
    built = subprocess.run(
        [shutil.which("bash") or "/bin/bash", str(HOST_DIR / "build.sh"), str(CACHE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, f"building the test host failed:\n{built.stderr}"
    return Path(built.stdout.strip()).read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def chromium(host_script: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def open_host(chromium: Any, host_script: str) -> Iterator[Any]:
    """`open_host(origin)` -> a Host page served at origin + HOST_PATH, 600 px wide."""
    pages: list[Any] = []
    html = (HOST_DIR / "host.html").read_text(encoding="utf-8")

    def open_at(origin: str, *, width: int = 600) -> Host:
        page = chromium.new_page(viewport={"width": width, "height": 900})
        page.set_default_timeout(10_000)
        pages.append(page)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.route(
            f"{origin}{HOST_PATH}host.html",
            lambda route: route.fulfill(body=html, content_type="text/html"),
        )
        page.route(
            f"{origin}{HOST_PATH}host.js",
            lambda route: route.fulfill(body=host_script, content_type="text/javascript"),
        )
        page.goto(f"{origin}{HOST_PATH}host.html")
        page.wait_for_function("window.testHost !== undefined")
        assert not errors, errors
        return Host(page)

    yield open_at
    for page in pages:
        page.close()
