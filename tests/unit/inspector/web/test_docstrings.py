"""Drawer docstrings as the pages show them: inline reStructuredText as HTML, the rest escaped."""

from __future__ import annotations

import pytest

from inspector.plugin import load_plugins
from inspector.web.docstrings import docstring_html


@pytest.mark.parametrize(
    ("docstring", "html"),
    [
        (
            "as in ``alignment.delta_distribution``.",
            "as in <code>alignment.delta_distribution</code>.",
        ),
        (":func:`inspector.geometry.detector_map`", "<code>inspector.geometry.detector_map</code>"),
        (":py:class:`~inspector.plots.DetectorMap` maps", "<code>DetectorMap</code> maps"),
        (":class:`the map <inspector.plots.DetectorMap>`", "<code>the map</code>"),
        ("the `partition` parameter", "the <code>partition</code> parameter"),
        ("*not* cropped, **grey**", "<em>not</em> cropped, <strong>grey</strong>"),
        ("see `CMS PI <https://cms-conddb.cern.ch/>`_ too", "see CMS PI too"),
    ],
)
def test_inline_markup_becomes_html(docstring: str, html: str) -> None:
    assert docstring_html(docstring) == html


@pytest.mark.parametrize(
    "text",
    [
        "Δx * 2 and 2*3*4 [µm]",  # multiplication is no emphasis
        "a``b`` inside a word",  # markup starts only after a space or the start
        "a ` lone backquote",
    ],
)
def test_text_that_only_looks_like_markup_stays_text(text: str) -> None:
    assert docstring_html(text) == text


def test_everything_else_is_escaped_even_inside_code() -> None:
    html = docstring_html('<script>x</script> ``<b>"&"</b>``')
    assert html == "&lt;script&gt;x&lt;/script&gt; <code>&lt;b&gt;&#34;&amp;&#34;&lt;/b&gt;</code>"


def test_lines_and_paragraphs_flow_as_one_text() -> None:
    docstring = "Summary line.\n\n    Indented body, as\n    ``inspect`` leaves it."
    assert (
        docstring_html(docstring)
        == "Summary line. Indented body, as <code>inspect</code> leaves it."
    )


def test_no_installed_drawer_shows_raw_markup() -> None:
    """What the built-in drawers' docstrings really hold leaves no backquote on a page."""
    for drawer in load_plugins().drawers:
        html = docstring_html(drawer.description)
        assert "`" not in html, (drawer.name, html)
