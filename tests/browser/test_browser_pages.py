"""User journeys through the web pages, in a real browser over the demo database.

Each test does what a person would do — type, click, hover, follow a link —
and checks what that person would see: the table row, the drawn plot, the
tooltip, the words on the page.  Every page must also stay quiet (no console
errors) and self-contained (no request to another origin: BokehJS is served
by the app, so the UI works offline and behind firewalls).

Screenshots of the main pages land in ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Final
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Page, expect

if TYPE_CHECKING:
    # Annotations only: at run time the fixtures hand these objects over, and
    # `import conftest` would find the suite's top-level conftest instead.
    from tests.browser.conftest import Browsing

BEAM_SPOT: Final = "BeamSpotObjects_PCL_byLumi_v1"
NOISE_PROMPT: Final = "SiStripNoise_prompt_v1"
NOISE_RERECO: Final = "SiStripNoise_rereco_v2"
ALIGNMENT_PROMPT: Final = "TrackerAlignment_prompt_v1"
ALIGNMENT_RERECO: Final = "TrackerAlignment_rereco_v1"

HASH: Final = re.compile(r"^[0-9a-f]{40}$")
LUMI_SINCE: Final = re.compile(r"^\d+:\d+$")

Screenshot = Callable[[Page, str], Path]


# -- what a person reads off a page ----------------------------------------------------


def wait_drawn(page: Page, selector: str = "#plot") -> None:
    """Wait until Bokeh has drawn into ``selector``: the flag inspector.js sets, and a canvas.

    The flag alone would pass for an empty document; the canvas is what the
    user actually looks at.
    """
    page.wait_for_selector(f"{selector}[data-drawn=true] canvas")
    expect(page.locator(f"{selector} .error-inline")).to_have_count(0)


def definitions(page: Page, selector: str) -> dict[str, str]:
    """A ``<dl>`` as the reader sees it: each term with its description."""
    pairs: list[list[str]] = page.eval_on_selector(
        selector,
        """dl => [...dl.querySelectorAll("dt")].map(
               dt => [dt.textContent.trim(), dt.nextElementSibling.textContent.trim()])""",
    )
    return dict((term, text) for term, text in pairs)


def table_rows(page: Page, selector: str) -> list[list[str]]:
    """The body cells of a table, row by row, as text."""
    rows: list[list[str]] = page.eval_on_selector(
        selector,
        """t => [...t.tBodies[0].rows].map(r => [...r.cells].map(c => c.textContent.trim()))""",
    )
    return rows


def side_labels(page: Page) -> list[str]:
    """What the comparison form says A and B are, in that order."""
    return [
        page.locator(f"fieldset.side.{side} p.label").inner_text().strip() for side in ("a", "b")
    ]


def hover_tooltip(page: Page) -> dict[str, str]:
    """Move the mouse into the plot and read the Bokeh tooltip that appears.

    The history hover tool works on vertical lines, so any point across the
    middle of the plot lies on an IOV.  Bokeh draws its tooltip in shadow
    DOM; Playwright's CSS engine pierces open shadow roots.
    """
    box = page.locator("#plot canvas").first.bounding_box()
    assert box is not None, "the plot canvas is not laid out"
    page.mouse.move(box["x"] + 5, box["y"] + 5)
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5, steps=8)
    rows = page.locator(".bk-Tooltip .bk-tooltip-row-label")
    expect(rows.first).to_be_visible()
    labels = [text.strip().rstrip(":") for text in rows.all_inner_texts()]
    values = [
        text.strip() for text in page.locator(".bk-Tooltip .bk-tooltip-row-value").all_inner_texts()
    ]
    assert len(labels) == len(values), f"tooltip rows {labels} vs values {values}"
    return dict(zip(labels, values, strict=True))


def run_under_pointer(page: Page, client_x: float) -> float:
    """The x value (run + lumisection / 10⁴) under a page x position, by Bokeh's own scale.

    Without it a test could only say "some IOV" was shown; with it, it can
    say whether the tooltip names the IOV the person is pointing at.
    """
    value: float = page.evaluate(
        """px => {
            const view = Object.values(Bokeh.index).find(v => v.frame !== undefined);
            const left = view.canvas_view.el.getBoundingClientRect().left;
            return view.frame.x_scale.invert(px - left);
        }""",
        client_x,
    )
    return value


def lumi_x(since: str) -> float:
    """Where the history axis puts a ``run:lumisection`` (``inf`` is past every run)."""
    if since == "inf":
        return float("inf")
    run, lumi = since.split(":")
    return int(run) + min(int(lumi), 9999) / 10_000


def query_of(url: str) -> dict[str, str]:
    """The single-valued query arguments of a URL."""
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def switch_b_to_tag(page: Page, tag: str) -> None:
    """Use the comparison form as a person would: B becomes an IOV of another tag."""
    page.get_by_label("an IOV of another tag").check()
    select = page.locator("select[name=tag2]")
    expect(select).to_be_enabled()
    select.select_option(tag)
    with page.expect_navigation():
        page.get_by_role("button", name="Update plot").click()


# -- journeys -------------------------------------------------------------------------


def test_search_a_tag_and_open_its_page(browsing: Browsing, screenshot: Screenshot) -> None:
    """Home → search a fragment (any case) → the one matching tag → its page, fully drawn."""
    page = browsing.page
    browsing.open("/")
    expect(page.get_by_role("heading", name="Conditions tags")).to_be_visible()

    page.get_by_label("Tag name").fill("pcl_bylumi")
    with page.expect_navigation():
        page.get_by_label("Tag name").press("Enter")

    assert query_of(page.url)["q"] == "pcl_bylumi"
    expect(page.locator("p.count")).to_have_text("1 tag")
    results = table_rows(page, "#tags")
    assert [row[0] for row in results] == [BEAM_SPOT]
    assert results[0][1:3] == ["BeamSpotObjects", "Lumi"]
    screenshot(page, "home-search")

    page.locator("#tags").get_by_role("link", name=BEAM_SPOT).click()
    page.wait_for_url(f"**/tags/{BEAM_SPOT}")
    expect(page.get_by_role("heading", level=1)).to_have_text(BEAM_SPOT)

    meta = definitions(page, "dl.meta")
    assert meta["Payload type"] == "BeamSpotObjects"
    assert meta["Time type"] == "Lumi"
    # "210 (20 distinct payloads), 379058:1 … 379814:402"
    summary = re.match(r"^(\d+) \((\d+) distinct payloads?\), (\S+) … (\S+)$", meta["IOVs"])
    assert summary, meta["IOVs"]
    total_iovs, first_since = int(summary[1]), summary[3]
    assert total_iovs >= int(summary[2]) > 0

    iovs = table_rows(page, "#iovs")
    assert 0 < len(iovs) <= total_iovs
    expect(page.locator("p.count", has_text="IOVs 1–")).to_contain_text(f"of {total_iovs}")
    assert iovs[0][0] == first_since
    for since, until, payload, _inserted in iovs:
        assert LUMI_SINCE.match(since), since
        assert LUMI_SINCE.match(until) or until == "inf", until
        assert HASH.match(payload), payload

    wait_drawn(page, "#timeline")
    screenshot(page, "tag-page")
    browsing.record.assert_clean()


def test_history_plot_link_draws_the_plot(browsing: Browsing, screenshot: Screenshot) -> None:
    """Tag page → "Beam spot x": the Bokeh plot appears, from this server only."""
    page = browsing.page
    browsing.open(f"/tags/{BEAM_SPOT}")
    page.locator("#drawers").get_by_role("link", name="Beam spot x", exact=True).click()
    page.wait_for_url("**/plot/beamspot.position_x?*")
    assert query_of(page.url)["tag"] == BEAM_SPOT

    expect(page.get_by_role("heading", level=1)).to_have_text("Beam spot x")
    wait_drawn(page)
    assert page.locator("#plot canvas").first.bounding_box() is not None
    provenance = definitions(page, "#provenance")
    assert provenance["Tag"] == BEAM_SPOT
    assert provenance["Snapshot"] == "latest (not pinned)"
    screenshot(page, "history-plot")

    browsing.record.assert_clean()
    # The page, its scripts and its Bokeh document all came from the test server.
    assert any("/static/bokeh/" in url for url in browsing.record.requests)
    assert any("/plot/beamspot.position_x/item.json" in url for url in browsing.record.requests)


def test_hover_shows_the_iov_payload_and_value(browsing: Browsing, screenshot: Screenshot) -> None:
    """Hovering the history shows since, value and payload — and they match the IOV table."""
    page = browsing.page
    browsing.open(f"/plot/beamspot.position_x?tag={BEAM_SPOT}")
    wait_drawn(page)

    tooltip = hover_tooltip(page)
    screenshot(page, "history-tooltip")
    assert {"since", "until", "x", "payload"} <= tooltip.keys(), tooltip
    assert LUMI_SINCE.match(tooltip["since"]), tooltip
    assert HASH.match(tooltip["payload"]), tooltip
    # A beam spot position (cm) reads in µm: 1692.6 ± 1.5 µm, not 0.1693 ± 0.0001 cm.
    assert re.match(r"^-?\d+(\.\d+)? ± \d+(\.\d+)? µm$", tooltip["x"]), tooltip
    browsing.record.assert_clean()

    # A person checking the tooltip finds that IOV, with that payload, on the tag page.
    browsing.open(f"/tags/{BEAM_SPOT}")
    payloads: dict[str, str] = {}
    while True:
        payloads.update({row[0]: row[2] for row in table_rows(page, "#iovs")})
        next_page = page.get_by_role("link", name="next →")
        if tooltip["since"] in payloads or next_page.count() == 0:
            break
        with page.expect_navigation():
            next_page.click()
    assert payloads.get(tooltip["since"]) == tooltip["payload"], tooltip
    browsing.record.assert_clean()


def test_tooltip_names_the_iov_under_the_pointer(browsing: Browsing) -> None:
    """Pointing inside an IOV — anywhere inside it — shows that IOV, not its neighbour."""
    page = browsing.page
    browsing.open(f"/plot/beamspot.position_x?tag={BEAM_SPOT}")
    wait_drawn(page)
    box = page.locator("#plot canvas").first.bounding_box()
    assert box is not None
    wrong: list[str] = []
    for fraction in (0.3, 0.5, 0.7):
        x = box["x"] + box["width"] * fraction
        page.mouse.move(x, box["y"] + box["height"] * 0.5, steps=4)
        tooltip = page.locator(".bk-Tooltip .bk-tooltip-row-value")
        expect(tooltip.first).to_be_visible()
        since, until = (text.strip() for text in tooltip.all_inner_texts()[:2])
        pointer = run_under_pointer(page, x)
        if not lumi_x(since) <= pointer < lumi_x(until):
            wrong.append(f"pointer at {pointer:.4f} but tooltip says {since} … {until}")
    assert wrong == [], "; ".join(wrong)
    browsing.record.assert_clean()


def test_strip_noise_two_runs_then_two_tags(browsing: Browsing, screenshot: Screenshot) -> None:
    """Ratio of two runs of one tag, then B switched in the form to the re-reco tag."""
    page = browsing.page
    browsing.open(f"/tags/{NOISE_PROMPT}")
    runs = [row[0] for row in table_rows(page, "#iovs")]
    assert len(runs) >= 2, f"{NOISE_PROMPT} needs two IOVs to compare: {runs}"
    first, last = runs[0], runs[-1]

    browsing.open(f"/plot/strips.noise_ratio?tag={NOISE_PROMPT}&iov={first}&iov2={last}")
    wait_drawn(page)
    assert side_labels(page) == [f"IOV {first}", f"IOV {last}"]
    provenance = definitions(page, "#provenance")
    assert provenance["Tag"] == NOISE_PROMPT
    assert provenance["Compared"] == f"A: IOV {first} · B: IOV {last}"
    expect(page.get_by_label("another IOV of this tag")).to_be_checked()
    expect(page.locator("select[name=tag2]")).to_be_disabled()

    switch_b_to_tag(page, NOISE_RERECO)
    wait_drawn(page)
    query = query_of(page.url)
    assert (query["tag"], query["tag2"]) == (NOISE_PROMPT, NOISE_RERECO)
    assert "mode" not in query, "the chooser mode must not leak into the permalink"

    label_a, label_b = side_labels(page)
    assert label_a == f"{NOISE_PROMPT} @ {first}"
    assert label_b.startswith(f"{NOISE_RERECO} @ ")
    provenance = definitions(page, "#provenance")
    assert provenance["Tags"] == f"{NOISE_PROMPT}, {NOISE_RERECO}"
    assert provenance["Compared"] == f"A: {label_a} · B: {label_b}"
    assert len(provenance["Payloads"].split(", ")) == 2
    expect(page.get_by_label("an IOV of another tag")).to_be_checked()
    expect(page.locator("select[name=tag2]")).to_have_value(NOISE_RERECO)
    screenshot(page, "comparison-two-tags")
    browsing.record.assert_clean()


def test_alignment_two_tags_by_clicking_from_home(
    browsing: Browsing, screenshot: Screenshot
) -> None:
    """The no-documentation journey: home → tag → movement plot → B is the re-reco tag."""
    page = browsing.page
    browsing.open("/")
    page.locator("#tags").get_by_role("link", name=ALIGNMENT_PROMPT, exact=True).click()
    page.wait_for_url(f"**/tags/{ALIGNMENT_PROMPT}")

    page.locator("#drawers").get_by_role("link", name="Module movement distribution").click()
    page.wait_for_url("**/plot/alignment.delta_distribution?*")
    wait_drawn(page)
    assert definitions(page, "#provenance")["Tag"] == ALIGNMENT_PROMPT

    switch_b_to_tag(page, ALIGNMENT_RERECO)
    wait_drawn(page)
    provenance = definitions(page, "#provenance")
    assert provenance["Tags"] == f"{ALIGNMENT_PROMPT}, {ALIGNMENT_RERECO}"
    label_a, label_b = side_labels(page)
    assert label_a.startswith(f"{ALIGNMENT_PROMPT} @ ")
    assert label_b.startswith(f"{ALIGNMENT_RERECO} @ ")
    assert provenance["Compared"] == f"A: {label_a} · B: {label_b}"
    screenshot(page, "comparison-alignment")
    browsing.record.assert_clean()


def test_permalink_shows_the_same_pinned_plot(browsing: Browsing) -> None:
    """The permalink pins a snapshot; opening it draws the same plot as of that time."""
    page = browsing.page
    browsing.open(f"/plot/beamspot.position_x?tag={BEAM_SPOT}")
    wait_drawn(page)
    before = definitions(page, "#provenance")
    permalink = page.locator("#permalink").input_value()
    snapshot = query_of(permalink).get("snapshot", "")
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", snapshot), permalink
    assert permalink.startswith(browsing.server.origin + "/plot/beamspot.position_x?")

    response = page.goto(permalink)
    assert response is not None and response.status == 200
    wait_drawn(page)
    after = definitions(page, "#provenance")
    assert after["Snapshot"] == snapshot
    assert {k: v for k, v in after.items() if k != "Snapshot"} == {
        k: v for k, v in before.items() if k != "Snapshot"
    }
    # A pinned page offers itself as the permalink: sharing it again changes nothing.
    expect(page.locator("#permalink")).to_have_value(permalink)
    browsing.record.assert_clean()


def test_unknown_tag_gets_a_readable_404(browsing: Browsing, screenshot: Screenshot) -> None:
    """A mistyped link says what was not found, in words, with a way back."""
    page = browsing.page
    missing = "BeamSpotObjects_NoSuchTag_v9"
    broken = [f"/tags/{missing}", f"/plot/beamspot.position_x?tag={missing}"]
    for path in broken:
        response = page.goto(browsing.server.url(path))
        assert response is not None and response.status == 404, path
        expect(page.get_by_role("heading", level=1)).to_have_text("404 · Not found")
        detail = page.locator("p.detail").inner_text()
        assert missing in detail and "does not exist" in detail, detail
        expect(page.locator("#plot")).to_have_count(0)
        assert "Traceback" not in page.content()
    screenshot(page, "not-found")

    with page.expect_navigation():
        page.get_by_role("link", name="Back to the tag search").click()
    expect(page.get_by_role("heading", name="Conditions tags")).to_be_visible()
    browsing.record.assert_clean(failing_urls=[browsing.server.url(p) for p in broken])
