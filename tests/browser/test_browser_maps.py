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


def map_extent(page: Page) -> dict[str, float]:
    """Where the modules are drawn, in screen pixels, against the figure's frame."""
    extent: dict[str, float] = page.evaluate(
        """() => {
            const doc = Bokeh.documents[Bokeh.documents.length - 1];
            const d = doc.get_model_by_name("detector_map").data;
            let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
            for (let i = 0; i < d.xs.length; i++) {
                for (const x of d.xs[i]) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); }
                for (const y of d.ys[i]) { y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
            }
            const view = Object.values(Bokeh.index).find(v => v.frame !== undefined);
            const f = view.frame;
            return {drawn_w: Math.abs(f.x_scale.compute(x1) - f.x_scale.compute(x0)),
                    drawn_h: Math.abs(f.y_scale.compute(y1) - f.y_scale.compute(y0)),
                    frame_w: f.bbox.width, frame_h: f.bbox.height};
        }"""
    )
    return extent


def test_tracker_map_fills_its_canvas(browsing: Browsing, screenshot: Screenshot) -> None:
    """The modules cover most of the frame both ways (before: a third of its width)."""
    page = browsing.page
    browsing.open(f"/plot/maps.strip_noise?tag={NOISE}")
    wait_map(page)
    e = map_extent(page)
    assert e["drawn_w"] >= 0.9 * e["frame_w"], e
    assert e["drawn_h"] >= 0.85 * e["frame_h"], e
    assert e["frame_w"] >= 0.75 * page.viewport_size["width"], e  # type: ignore[index]
    screenshot(page, "tracker-map-fills-canvas")
    browsing.record.assert_clean()


def test_clicking_a_module_pins_its_details_and_links_its_history(
    browsing: Browsing, screenshot: Screenshot
) -> None:
    page = browsing.page
    browsing.open(f"/plot/maps.strip_noise?tag={NOISE}")
    wait_map(page)
    details = page.locator("#module-details")
    expect(details).to_be_hidden()
    state = map_state(page)
    page.mouse.click(state["px"], state["py"])
    expect(details).to_be_visible()
    expect(details.locator("[data-field=id]")).to_have_text(str(state["id"]))
    expect(details.locator("[data-field=name]")).to_have_text(state["name"])
    shown = float(details.locator("[data-field=value]").inner_text())
    assert abs(shown - state["value"]) < 1e-3 * max(1.0, abs(state["value"]))
    link = page.locator("#module-history")
    href = link.get_attribute("href") or ""
    assert href.startswith("/plot/strips.module_noise_history?") and href.endswith(
        f"&detid={state['id']}"
    )
    page.locator("#copy-module").click()
    expect(details).to_have_attribute("data-copied", f"{state['id']}\t{state['name']}\t{shown:g}")
    screenshot(page, "tracker-map-pinned-module")
    link.click()
    page.wait_for_selector("#plot[data-drawn=true] canvas")
    assert f"detid={state['id']}" in page.url
    browsing.record.assert_clean()


def test_ratio_map_lists_dead_modules_each_opening_its_history(
    browsing: Browsing, screenshot: Screenshot
) -> None:
    """Noise map → ratio map → a dead module: the list under the map leads to its history."""
    page = browsing.page
    browsing.open(f"/tags/{NOISE}")
    sinces = [r.split("\t")[0] for r in page.locator("#iovs tbody tr").all_inner_texts()]
    browsing.open(f"/plot/maps.strip_noise_ratio?tag={NOISE}&iov={sinces[0]}&iov2={sinces[-1]}")
    wait_map(page)
    rows = page.locator("#module-list tbody tr")
    dead = page.locator("#module-list tbody tr", has_text="dead")
    assert dead.count() > 0 and rows.count() >= dead.count()
    # Sorting by module name, then back by detid.
    page.locator("#module-list thead th", has_text="module").click()
    names = page.locator("#module-list tbody td:nth-child(2)").all_inner_texts()
    assert names == sorted(names, key=str.lower)
    screenshot(page, "noise-ratio-map-modules")
    first = dead.first
    detid = first.get_attribute("data-detid")
    first.locator("a").click()
    page.wait_for_selector("#plot[data-drawn=true] canvas")
    assert "/plot/strips.module_noise_history?" in page.url and f"detid={detid}" in page.url
    expect(page.locator("h1")).to_have_text("Noise of one strip module")
    screenshot(page, "module-noise-history")
    browsing.record.assert_clean()
