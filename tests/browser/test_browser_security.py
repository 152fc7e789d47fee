"""Hostile text in the data stays text, in a real browser.

Tag names, tag descriptions, global tag names and drawer parameters come
from people other than the reader (whoever uploads conditions, whoever sends
a link).  Here they contain markup that would run script if it were ever
treated as HTML —

- ``<script>window.__xss=1</script>``
- ``"><img src=x onerror=window.__xss=1>`` (breaks out of an attribute)

— and the home page, the tag pages, plot pages (a history, a comparison of
the two hostile tags, a table whose title and column carry a hostile
parameter), error pages, the global tag pages and the standalone HTML
export are opened in Chromium.  After each: ``window.__xss`` is undefined, no
``<img src=x>`` exists, the hostile text is *visible as text*, and the
console holds no error but the expected 4xx of pages meant to fail.

The pages' Content-Security-Policy would block inline script even if
escaping failed, so passing on ``__xss`` alone would prove little: a
blocked injection still shows up as a console error ("Refused to execute
inline script"), and no inline ``<script>`` may exist in the DOM at all.
The exported HTML file is opened from disk, where no CSP protects it, so
there escaping alone has to hold.
"""

from __future__ import annotations

import threading
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import numpy as np
import pytest
from handmade import T0, beamspot_values, hours
from playwright.sync_api import Page
from werkzeug.serving import BaseWSGIServer, make_server

from inspector.conddb.timetypes import TimeType
from inspector.conddb.writer import ConditionsWriter
from inspector.config import Config, DatabaseConfig
from inspector.drawers import Drawer, Param, drawer
from inspector.payload import DecodedPayload, SchemaRegistry, encode
from inspector.plots import Table
from inspector.plugin import hookimpl, load_plugins
from inspector.web.app import create_app
from inspector.web.state import state

if TYPE_CHECKING:
    # Annotations only: `import conftest` would find the suite's top-level conftest.
    from tests.browser.conftest import Browsing

SCRIPT: Final = "<script>window.__xss=1</script>"
IMG: Final = '"><img src=x onerror=window.__xss=1>'
GLOBAL_TAG: Final = f"GT{IMG}"


@drawer(
    "xss.echo",
    title="Echo",
    payload_types="BeamSpotObjects",
    kind="single",
    params=[Param.string("label", "plain", help="shown as the title and a column")],
)
def echo(payload: DecodedPayload, params: Mapping[str, Any]) -> Table:
    """The worst case: a parameter echoed into a table's title, a header and a cell."""
    label = str(params["label"])
    return Table(
        title=label,
        columns={label: np.array([float(payload["position_"][0])]), "text": np.array([label])},
    )


class EchoPlugin:
    """Registers :func:`echo` next to the built-in drawers."""

    @hookimpl
    def register_drawers(self) -> list[Drawer]:
        return [echo]


def _build_hostile(path: Path) -> None:
    """Two beam spot tags named, described and synchronised with markup; a global tag too."""
    writer = ConditionsWriter.create_sqlite(path)
    schema = SchemaRegistry.builtin().get("BeamSpotObjects")
    with writer.engine.begin() as conn:
        first, second = (
            writer.add_payload(
                conn,
                "BeamSpotObjects",
                encode(schema, beamspot_values(x)),
                version="dummy",
                insertion_time=T0,
            )
            for x in (0.1, 0.2)
        )
        for name in (SCRIPT, IMG):
            writer.add_tag(
                conn,
                name,
                time_type=TimeType.RUN,
                object_type="BeamSpotObjects",
                synchronization=IMG,
                description=f"described as {SCRIPT} and {IMG}",
                insertion_time=T0,
            )
            writer.add_iovs(conn, name, [(100, first, hours(1)), (200, second, hours(2))])
        writer.add_global_tag(
            conn,
            GLOBAL_TAG,
            [(f"Rcd{SCRIPT}", IMG, SCRIPT), ("BeamSpotObjectsRcd", "", IMG)],
            description=SCRIPT,
            release=IMG,
            insertion_time=T0,
        )
        writer.add_runs(conn, [(100, hours(0), hours(1)), (200, hours(1), hours(2))])
    writer.close()


@dataclass(frozen=True)
class HostileServer:
    """The app over the hostile database; what the suite's fixtures need of a live server."""

    origin: str

    def url(self, path: str) -> str:
        """Absolute URL of ``path`` (which starts with ``/``) on this server."""
        return self.origin + path


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileServer]:
    """Overrides the suite's ``live_server`` in this module, so ``browsing`` talks to it.

    The real app and plugins (plus one echoing drawer) over the hostile
    database instead of the demo one.
    """
    path = tmp_path_factory.mktemp("hostile") / "hostile.sqlite"
    _build_hostile(path)
    config = Config({"hostile": DatabaseConfig("hostile", f"sqlite:///{path}")}, "hostile")
    app = create_app(config, load_plugins(extra=[("xss", EchoPlugin())]))
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="xss-test-server", daemon=True)
    thread.start()
    try:
        yield HostileServer(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        state(app).close()


def _plot(drawer_name: str, **args: str) -> str:
    return f"/plot/{drawer_name}?{urlencode(args)}"


def _tag(name: str) -> str:
    return f"/tags/{quote(name, safe='')}"


def _assert_inert(page: Page, *, inline_scripts_allowed: bool = False) -> None:
    """No hostile script ran, none was even inserted, and no injected image exists."""
    assert page.evaluate("() => typeof window.__xss") == "undefined"
    assert page.locator('img[src="x"]').count() == 0
    if not inline_scripts_allowed:  # the app's pages load every script from a file
        assert page.locator("script:not([src])").count() == 0


def _body_text(page: Page) -> str:
    text: str = page.evaluate("() => document.body.innerText")
    return text


def _shows(page: Page, text: str, within: str = "body") -> bool:
    """Whether ``text`` is visible as text, Bokeh's shadow DOM included (innerText stops there)."""
    return page.locator(within).get_by_text(text, exact=False).count() > 0


def _wait_drawn(page: Page, selector: str) -> None:
    page.wait_for_selector(f"{selector}[data-drawn=true]")
    assert page.locator(f"{selector} .error-inline").count() == 0


def test_home_and_search_show_hostile_names_as_text(browsing: Browsing) -> None:
    page = browsing.page
    browsing.open("/")
    _assert_inert(page)
    text = _body_text(page)
    assert SCRIPT in text and IMG in text and f"described as {SCRIPT} and {IMG}" in text
    browsing.open("/?" + urlencode({"q": SCRIPT}))
    _assert_inert(page)
    assert page.locator("input[name=q]").input_value() == SCRIPT
    browsing.record.assert_clean()


@pytest.mark.parametrize("name", [SCRIPT, IMG], ids=["script", "img"])
def test_tag_page_shows_the_hostile_name_and_description_as_text(
    browsing: Browsing, name: str
) -> None:
    page = browsing.page
    browsing.open(_tag(name))
    _wait_drawn(page, "#timeline")
    _assert_inert(page)
    assert page.locator("h1").inner_text() == name
    assert page.locator("p.desc").inner_text() == f"described as {SCRIPT} and {IMG}"
    # Links built from the name lead back to the very same tag.
    href = page.locator("#drawers a").first.get_attribute("href")
    assert href is not None and parse_qs(urlsplit(href).query)["tag"] == [name]
    browsing.record.assert_clean()


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(_plot("beamspot.position_x", tag=SCRIPT), id="history"),
        pytest.param(
            _plot("beamspot.compare", tag=SCRIPT, iov="100", tag2=IMG),
            id="compare-two-hostile-tags",
        ),
        pytest.param(_plot("xss.echo", tag=IMG, label=IMG), id="table-img"),
        pytest.param(
            _plot("xss.echo", tag=SCRIPT, label=SCRIPT),
            id="table-script",
        ),
    ],
)
def test_plot_pages_with_hostile_tags_and_parameters_are_inert(
    browsing: Browsing, path: str
) -> None:
    page = browsing.page
    browsing.open(path)
    _wait_drawn(page, "#plot")
    _assert_inert(page)
    assert _shows(page, SCRIPT) or _shows(page, IMG)
    browsing.record.assert_clean()


def test_the_echoed_parameter_is_text_in_the_form_and_the_table(browsing: Browsing) -> None:
    page = browsing.page
    browsing.open(_plot("xss.echo", tag=SCRIPT, label=IMG))
    _wait_drawn(page, "#plot")
    _assert_inert(page)
    assert page.locator("input[name=label]").input_value() == IMG
    # Title, column header and cell all show the text itself.
    assert page.locator("#plot").get_by_text(IMG, exact=True).count() >= 3
    browsing.record.assert_clean()


@pytest.mark.parametrize(
    ("path", "status"),
    [
        (_plot("beamspot.position_x", tag=SCRIPT, **{IMG: SCRIPT}), 400),
        (_plot("beamspot.position_x", tag=f"missing{SCRIPT}"), 404),
        (_plot("xss.echo", tag=IMG, label=SCRIPT, db=IMG), 404),
        (_tag(f"missing{IMG}"), 404),
    ],
    ids=["unknown-parameter", "unknown-tag", "unknown-alias", "unknown-tag-page"],
)
def test_error_pages_echo_hostile_input_as_text(browsing: Browsing, path: str, status: int) -> None:
    page = browsing.page
    response = page.goto(browsing.server.url(path))
    assert response is not None and response.status == status
    _assert_inert(page)
    assert SCRIPT in _body_text(page) or IMG in _body_text(page)
    browsing.record.assert_clean(failing_urls=[response.url])


def test_global_tag_pages_are_inert(browsing: Browsing) -> None:
    page = browsing.page
    browsing.open("/globaltags")
    _assert_inert(page)
    assert GLOBAL_TAG in _body_text(page)
    browsing.open(f"/globaltags/{quote(GLOBAL_TAG, safe='')}")
    _assert_inert(page)
    text = _body_text(page)
    assert GLOBAL_TAG in text and f"Rcd{SCRIPT}" in text
    browsing.record.assert_clean()


def test_the_standalone_html_export_is_inert_without_any_csp(
    browsing: Browsing, tmp_path: Path
) -> None:
    """The exported file is opened from disk: no server, no CSP, escaping alone must hold."""
    url = browsing.server.url(
        _plot("xss.echo", tag=SCRIPT, label=IMG).replace("?", "/export.html?")
    )
    with urllib.request.urlopen(url, timeout=20) as answer:
        exported = answer.read()
    path = tmp_path / "export.html"
    path.write_bytes(exported)
    page = browsing.page
    page.goto(path.as_uri())
    page.wait_for_selector(".bk-data-table, .slick-header", state="attached")
    _assert_inert(page, inline_scripts_allowed=True)
    assert _shows(page, IMG)
    record = browsing.record
    assert record.page_errors == [] and record.unexpected_console_errors() == []
    # The file itself is the only thing loaded: it draws offline, from nowhere else.
    assert [u for u in record.foreign_requests() if u != path.as_uri()] == []
