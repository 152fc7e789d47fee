"""Full-detector maps in a real browser: the tracker map draws, hovers and compares.

The map's layout comes from a separate, cached URL and the values from the
plot document; these tests check what a person sees once both are joined.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from playwright.sync_api import Page, expect

if TYPE_CHECKING:
    from tests.browser.conftest import Browsing

NOISE: Final = "SiStripNoise_prompt_v1"
Screenshot = Callable[[Page, str], Path]


def wait_map(page: Page) -> None:
    """Drawn means: Bokeh embedded the document and the layout was joined in."""
    page.wait_for_selector("#plot[data-drawn=true] canvas")
    expect(page.locator("#plot .error-inline")).to_have_count(0)


def map_state(page: Page) -> dict[str, Any]:
    """What the map holds in the browser: module count, values, and where module i is."""
    state: dict[str, Any] = page.evaluate(
        """() => {
            const doc = Bokeh.documents[Bokeh.documents.length - 1];
            const src = doc.get_model_by_name("detector_map");
            const d = src.data;
            const values = Array.from(d.value);
            const finite = values.map((v, i) => [v, i]).filter(([v]) => Number.isFinite(v));
            const [value, i] = finite[Math.floor(finite.length / 2)];
            const xs = Array.from(d.xs[i]), ys = Array.from(d.ys[i]);
            const cx = xs.reduce((a, b) => a + b) / xs.length;
            const cy = ys.reduce((a, b) => a + b) / ys.length;
            const view = Object.values(Bokeh.index).find(v => v.frame !== undefined);
            const box = view.canvas_view.el.getBoundingClientRect();
            return {count: values.length, nonzero: finite.filter(([v]) => v !== 0).length,
                    finite: finite.length, id: d.id[i], name: d.name[i], value: value,
                    px: box.left + view.frame.x_scale.compute(cx),
                    py: box.top + view.frame.y_scale.compute(cy)};
        }"""
    )
    return state


def test_full_tracker_map_draws_and_hover_shows_module(
    browsing: Browsing, screenshot: Screenshot
) -> None:
    page = browsing.page
    browsing.open(f"/plot/maps.strip_noise?tag={NOISE}")
    wait_map(page)
    state = map_state(page)
    assert state["count"] == 16_588
    assert state["finite"] == 15_148  # every strip module has a value; old pixels are grey
    page.mouse.move(state["px"] - 30, state["py"] - 30)
    page.mouse.move(state["px"], state["py"], steps=6)
    rows = page.locator(".bk-Tooltip .bk-tooltip-row-value")
    expect(rows.first).to_be_visible()
    values = [t.strip() for t in rows.all_inner_texts()]
    assert values[0] == str(state["id"])
    assert values[1] == state["name"]
    assert abs(float(values[2].split()[0]) - state["value"]) < 1e-3 * max(1, abs(state["value"]))
    geometry = [u for u in browsing.record.requests if "/geometry/tracker_map." in u]
    assert len(geometry) == 1
    screenshot(page, "tracker-map")
    browsing.record.assert_clean()


def test_difference_map_is_zero_where_nothing_changed(
    browsing: Browsing, screenshot: Screenshot
) -> None:
    page = browsing.page
    browsing.open(f"/tags/{NOISE}")
    rows = page.locator("#iovs tbody tr")
    hashes = [r.split("\t") for r in rows.all_inner_texts()]
    first = hashes[0]
    same = next(r for r in hashes[1:] if r[2] == first[2])  # next IOV, same payload
    other = next(r for r in hashes[1:] if r[2] != first[2])  # a run with another payload
    browsing.open(f"/plot/maps.strip_noise_ratio?tag={NOISE}&iov={first[0]}&iov2={same[0]}")
    wait_map(page)
    unchanged = map_state(page)
    assert unchanged["finite"] > 15_000 and unchanged["nonzero"] == 0
    browsing.open(f"/plot/maps.strip_noise_ratio?tag={NOISE}&iov={first[0]}&iov2={other[0]}")
    wait_map(page)
    changed = map_state(page)
    assert changed["nonzero"] > 1_000
    screenshot(page, "noise-ratio-map")
    browsing.record.assert_clean()
