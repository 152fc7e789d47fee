"""Fixtures for the browser tests: the real app on loopback, driven by Debian's Chromium.

The server is the production app (same factory, same plugins) over the demo
database, so these tests see exactly what a person opening ``make run`` would.
The browser is the system Chromium at :data:`CHROMIUM`: Playwright never
downloads one, and a machine without it fails loudly instead of skipping, so
a green run always means the pages were really drawn.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    BrowserContext,
    ConsoleMessage,
    Error,
    Page,
    Playwright,
    Request,
    sync_playwright,
)
from werkzeug.serving import BaseWSGIServer, make_server

from inspector.config import Config, DatabaseConfig
from inspector.plugin import load_plugins
from inspector.render.png import CHROMIUM_ARGS as PNG_CHROMIUM_ARGS
from inspector.web.app import create_app
from inspector.web.state import EXTENSION, WebState

#: Debian's Chromium (package ``chromium``, installed by ``make test``).
CHROMIUM: Final = Path("/usr/bin/chromium")

#: Headless, no sandbox (containers), and no traffic of the browser's own:
#: every request the tests see comes from the page under test.  The same
#: flags as the server's own PNG export.
CHROMIUM_ARGS: Final = PNG_CHROMIUM_ARGS

#: Where screenshots of the main pages are kept for people to look at.
SCREENSHOTS: Final = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

#: Generous enough for a loaded 2-core CI machine, short enough to fail fast.
TIMEOUT_MS: Final = 20_000

#: Chromium's own report of an HTTP error status; expected only for a page
#: that is meant to answer with one (the 404 test).
FAILED_LOAD: Final = re.compile(r"^Failed to load resource: the server responded with a status")


@dataclass(frozen=True)
class LiveServer:
    """The app under test, listening on an ephemeral loopback port."""

    origin: str

    def url(self, path: str) -> str:
        """Absolute URL of ``path`` (which starts with ``/``) on this server."""
        return self.origin + path


@dataclass
class PageRecord:
    """What one page did besides rendering: console errors and every request.

    Collected from the moment the page is opened, so an error thrown while
    a plot is still drawing, or a script fetched from a CDN, is never missed.
    """

    origin: str
    console_errors: list[ConsoleMessage] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        """Start recording ``page``'s console errors, uncaught exceptions and requests."""
        page.on("console", self._on_console)
        page.on("pageerror", self._on_page_error)
        page.on("request", self._on_request)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(message)

    def _on_page_error(self, error: Error) -> None:
        self.page_errors.append(f"{error.name}: {error.message}")

    def _on_request(self, request: Request) -> None:
        self.requests.append(request.url)

    def foreign_requests(self) -> list[str]:
        """Requests that left the test server (data: URLs never leave the browser)."""
        return [
            url
            for url in self.requests
            if not url.startswith("data:") and _origin(url) != self.origin
        ]

    def unexpected_console_errors(self, failing_urls: Collection[str] = ()) -> list[str]:
        """Console errors, minus Chromium's note about a page meant to fail to load."""
        return [
            f"{m.text} ({m.location.get('url', '?')})"
            for m in self.console_errors
            if not (FAILED_LOAD.match(m.text) and m.location.get("url") in failing_urls)
        ]

    def assert_clean(self, failing_urls: Collection[str] = ()) -> None:
        """No script error, no console error, nothing fetched from another origin.

        ``failing_urls`` are pages the test opens *expecting* an HTTP error:
        Chromium logs their status as a console error, which is not a bug.
        """
        assert self.page_errors == [], f"uncaught exceptions in the page: {self.page_errors}"
        errors = self.unexpected_console_errors(failing_urls)
        assert errors == [], f"console errors: {errors}"
        foreign = self.foreign_requests()
        assert foreign == [], f"requests to another origin than {self.origin}: {foreign}"


@dataclass(frozen=True)
class Browsing:
    """A fresh page of the shared browser, with its record and the server it talks to."""

    page: Page
    record: PageRecord
    server: LiveServer

    def open(self, path: str) -> None:
        """Go to ``path`` on the test server and insist it answered 200."""
        response = self.page.goto(self.server.url(path))
        assert response is not None, f"no response for {path}"
        assert response.status == 200, f"{path} answered {response.status}"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@contextlib.contextmanager
def serving(config: Config) -> Iterator[LiveServer]:
    """The production app over ``config``, on an ephemeral loopback port, until the block ends.

    Threaded, because a page loads its scripts and its plot in parallel, just
    as it does against ``inspector serve``.
    """
    app = create_app(config, load_plugins())
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="browser-test-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        web = app.extensions[EXTENSION]
        assert isinstance(web, WebState)
        web.close()


@pytest.fixture(scope="session")
def serve_app() -> Callable[[Config], contextlib.AbstractContextManager[LiveServer]]:
    """Serve another app with its own configuration: ``with serve_app(config) as server:``."""
    return serving


@pytest.fixture(scope="session")
def live_server(demo_path: Path) -> Iterator[LiveServer]:
    """The real app over the demo database, served from a thread for the whole session."""
    with serving(Config({"demo": DatabaseConfig("demo", f"sqlite:///{demo_path}")}, "demo")) as s:
        yield s


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    """The session's one Playwright driver (a second one in the same thread would fail)."""
    if not CHROMIUM.is_file():
        pytest.fail(
            f"the browser tests need Debian's Chromium at {CHROMIUM}, which is missing: "
            "run `make test` (it installs the `chromium` package) or "
            "`sudo apt-get install chromium`",
            pytrace=False,
        )
    with sync_playwright() as driver:
        yield driver


@contextlib.contextmanager
def fresh_chromium(
    playwright: Playwright, profile: Path, **device: Any
) -> Iterator[BrowserContext]:
    """A headless Chromium over ``profile``, a user-data directory nobody has used before.

    A fresh profile means no cache, cookies or extensions from an earlier run
    can make a page look right when it is not.  ``device`` sets the viewport
    and what the browser claims to be (``is_mobile``, ``device_scale_factor``).
    """
    context = playwright.chromium.launch_persistent_context(
        user_data_dir=profile,
        executable_path=CHROMIUM,
        headless=True,
        args=list(CHROMIUM_ARGS),
        # Playwright switches the back-forward cache off; people's Chromium has it on,
        # and pages must work when Back restores them from it (the plot form did not).
        ignore_default_args=["--disable-back-forward-cache"],
        locale="en-GB",
        timezone_id="UTC",
        **device,
    )
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture(scope="session")
def browser_context(
    playwright: Playwright, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BrowserContext]:
    """One headless desktop Chromium (1280 × 900) for the session, on a fresh profile."""
    profile = tmp_path_factory.mktemp("chromium-profile")
    with fresh_chromium(playwright, profile, viewport={"width": 1280, "height": 900}) as context:
        yield context


@contextlib.contextmanager
def browsing_on(context: BrowserContext, server: LiveServer) -> Iterator[Browsing]:
    """A new tab on ``server`` whose console errors and requests are recorded from the first byte.

    The ``browsing`` fixture serves the demo database; modules with a server
    of their own make their fixture from this.
    """
    page = context.new_page()
    record = PageRecord(server.origin)
    record.attach(page)
    try:
        yield Browsing(page, record, server)
    finally:
        page.close()


@pytest.fixture
def browsing(browser_context: BrowserContext, live_server: LiveServer) -> Iterator[Browsing]:
    """A new tab on the demo database's server (see :func:`browsing_on`)."""
    with browsing_on(browser_context, live_server) as tab:
        yield tab


@pytest.fixture(scope="session")
def screenshot() -> Callable[[Page, str], Path]:
    """Save a full-page PNG under ``test-artifacts/screenshots`` for a human to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=path, full_page=True)
        return path

    return take
