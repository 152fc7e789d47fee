"""PNG export: the standalone Bokeh page drawn by headless Chromium.

The picture is the very document of the HTML export (:func:`standalone_html`,
BokehJS inlined from the installed package), so a PNG never differs from
what the page shows, and the browser needs no network: every request it
would make is refused.

One long-lived browser per process, started on the first PNG, drives every
export: Playwright's asyncio API runs on a thread of its own, pages render
concurrently up to ``concurrency``, and a browser that died is started again
on the next request.  Without a browser (or without Playwright, the optional
``png`` extra) :class:`PngUnavailable` says so, and every other format keeps
working.

Settings come from the ``[png]`` table::

    [png]
    browser = "/usr/bin/chromium"   # Debian's Chromium; never a downloaded one
    concurrency = 2                 # pages drawn at once
    timeout = 30                    # seconds to draw one PNG
    queue = 2                       # PNGs waiting for a page; one more is a fast 503

Beyond ``concurrency + queue`` PNGs in this process, the next is refused at
once (:class:`~inspector.admission.Admission`): a burst of PNG requests
never parks request threads behind the browser, nor grows its memory.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from inspector.admission import Admission
from inspector.errors import PngUnavailable
from inspector.plots import PlotObject
from inspector.render.export import standalone_html
from inspector.render.figures import TOOLBAR
from inspector.render.png_settings import PngSettings
from inspector.render.registry import RendererRegistry

__all__ = [
    "CHROMIUM_ARGS",
    "DEFAULT_SIZE",
    "PngRenderer",
    "PngSettings",
    "PngUnavailable",
    "png_html",
    "png_size",
]

#: Headless, no sandbox (containers), and no traffic of the browser's own.
CHROMIUM_ARGS: Final = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)

#: Width and height of a PNG when the URL does not say.
DEFAULT_SIZE: Final = (1000, 600)

#: Pixels kept under the figure for the provenance caption of the export.
CAPTION_PX: Final = 56

#: True once BokehJS has drawn every document of the page and gone idle.
_DRAWN: Final = """() => {
  const bokeh = window.Bokeh;
  if (!bokeh || !bokeh.documents || bokeh.documents.length === 0) { return false; }
  return bokeh.documents.every((doc) => doc.is_idle);
}"""


def png_size(view: Mapping[str, Any]) -> tuple[int, int]:
    """The PNG's width and height: the view options' (already checked), else the default."""
    return int(view.get("width", DEFAULT_SIZE[0])), int(view.get("height", DEFAULT_SIZE[1]))


def png_html(
    plot: PlotObject,
    renderers: RendererRegistry,
    options: Mapping[str, Any],
    size: tuple[int, int],
) -> str:
    """The HTML export of ``plot`` with its figure sized to fill a ``size`` picture.

    Without the toolbar: its buttons do nothing on a slide.
    """
    width, height = size
    figure = {
        **options,
        "width": width,
        "height": max(height - CAPTION_PX, 50),
        "sizing_mode": "fixed",
        TOOLBAR: False,
    }
    return standalone_html(plot, renderers, figure)


def idle_priority(parent: int) -> int:
    """Put every thread of every process under ``parent`` in ``SCHED_IDLE``; how many.

    The browser rasterises a large PNG on every core it finds; at normal
    priority that starves the server (measured: ``/healthz`` p99 0.27-0.40 s
    while 32 connections asked for PNGs on 2 cores).  Idle threads run only
    on CPU nothing else wants, and the policy is inherited by the threads and
    processes the browser starts later (its renderers fork from its zygote).
    Chromium adjusts its threads' nice values, which idle threads ignore.
    A process that ends meanwhile is skipped.
    """
    changed = 0
    pending = _children(parent)
    idle = os.sched_param(0)
    while pending:
        pid = pending.pop()
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{pid}/task").iterdir():
                os.sched_setscheduler(int(task.name), os.SCHED_IDLE, idle)
                changed += 1
            pending.extend(_children(pid))
    return changed


def _children(pid: int) -> list[int]:
    """The child processes of ``pid`` (of each of its threads)."""
    with contextlib.suppress(OSError):
        tasks = Path(f"/proc/{pid}/task").iterdir()
        return [int(c) for task in tasks for c in (task / "children").read_text().split()]
    return []


class PngRenderer:
    """Draws HTML pages to PNG in one lazily started, shared headless browser."""

    def __init__(self, settings: PngSettings | None = None) -> None:
        self.settings = settings or PngSettings()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._playwright: Any = None
        self._browser: Any = None
        self._launches = 0
        self._slots: asyncio.Semaphore | None = None
        self._launching: asyncio.Lock | None = None
        #: drawing and waiting PNGs: beyond ``concurrency + queue``, a fast 503
        self.admission = Admission(
            "png", self.settings.concurrency + self.settings.queue, "PNG exports"
        )

    @property
    def launches(self) -> int:
        """How many times a browser was started (1 unless one died)."""
        return self._launches

    def check(self) -> None:
        """Raise :class:`PngUnavailable` when PNG export cannot work here, saying why."""
        browser = Path(self.settings.browser)
        if not (browser.is_file() and os.access(browser, os.X_OK)):
            raise PngUnavailable(
                f"PNG export is not available: no browser at {browser} "
                "(install Debian's `chromium` or set [png] browser)",
                public="PNG export is not available on this server: "
                "the browser it needs is not installed",
            )
        try:
            import playwright.async_api  # noqa: F401
        except ImportError:
            raise PngUnavailable(
                "PNG export is not available: Playwright is not installed "
                "(pip install 'payload-inspector[png]')",
                public="PNG export is not available on this server: "
                "its browser driver is not installed",
            ) from None

    def render(self, html: str, size: tuple[int, int]) -> bytes:
        """``html`` drawn at ``size`` (width, height) pixels, as PNG bytes."""
        self.check()
        with self.admission.enter():
            loop = self._start_loop()
            future = asyncio.run_coroutine_threadsafe(self._draw(html, size), loop)
            try:
                return future.result(timeout=self.settings.timeout + 10)
            except concurrent.futures.TimeoutError:
                future.cancel()
                raise PngUnavailable(
                    f"the PNG was not drawn within {self.settings.timeout:g} s"
                ) from None

    def close(self) -> None:
        """Close the browser and stop the thread (the next PNG starts them again)."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        atexit.unregister(self.close)
        try:
            asyncio.run_coroutine_threadsafe(self._stop_browser(), loop).result(timeout=15)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=15)
            loop.close()

    # -- on the browser thread -------------------------------------------------------------

    def _start_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def run() -> None:
                    asyncio.set_event_loop(loop)
                    self._slots = asyncio.Semaphore(self.settings.concurrency)
                    self._launching = asyncio.Lock()
                    ready.set()
                    loop.run_forever()

                thread = threading.Thread(target=run, name="png-browser", daemon=True)
                thread.start()
                ready.wait()
                self._loop, self._thread = loop, thread
                # A server stopped with Ctrl-C or SIGTERM closes its browser too.
                atexit.register(self.close)
            return self._loop

    async def _browser_ready(self) -> Any:
        """The browser, (re)started if it is not running."""
        assert self._launching is not None
        async with self._launching:
            if self._browser is not None and self._browser.is_connected():
                return self._browser
            from playwright.async_api import Error, async_playwright

            try:
                if self._playwright is None:
                    self._playwright = await async_playwright().start()
                self._browser = await self._playwright.chromium.launch(
                    executable_path=self.settings.browser,
                    headless=True,
                    args=list(CHROMIUM_ARGS),
                    timeout=self.settings.timeout * 1000,
                )
            except Error as exc:
                first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else "failed"
                raise PngUnavailable(
                    f"PNG export is not available: the browser did not start: {first_line}",
                    public="PNG export is not available on this server: its browser did not start",
                ) from None
            self._launches += 1
            idle_priority(os.getpid())
            return self._browser

    async def _draw(self, html: str, size: tuple[int, int]) -> bytes:
        from playwright.async_api import Error

        assert self._slots is not None
        ms = self.settings.timeout * 1000
        async with self._slots:
            browser = await self._browser_ready()
            try:
                context = await browser.new_context(
                    viewport={"width": size[0], "height": size[1]}, device_scale_factor=1
                )
            except Error:
                self._browser = None  # it died between two PNGs: start a new one once
                browser = await self._browser_ready()
                context = await browser.new_context(
                    viewport={"width": size[0], "height": size[1]}, device_scale_factor=1
                )
            try:
                await context.route("**/*", lambda route: route.abort())  # no network at all
                page = await context.new_page()
                await page.set_content(html, wait_until="load", timeout=ms)
                await page.wait_for_function(_DRAWN, timeout=ms)
                png: bytes = await page.screenshot(type="png", timeout=ms)
                return png
            except Error as exc:
                raise PngUnavailable(
                    f"the PNG could not be drawn: {str(exc).strip().splitlines()[0]}",
                    public="the PNG could not be drawn",
                ) from None
            finally:
                await context.close()

    async def _stop_browser(self) -> None:
        if self._browser is not None:
            await self._browser.close()
            self._browser = None
        if self._playwright is not None:
            await self._playwright.stop()
            self._playwright = None
