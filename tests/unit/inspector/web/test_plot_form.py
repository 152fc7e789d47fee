"""The plot form's server side: check.json, errors said in the form, the fills offered."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient

BS = "BeamSpotObjects_PCL_byLumi_v1"  # Lumi
NOISE = "SiStripNoise_prompt_v1"  # Run
HISTORY = f"/plot/beamspot.position_x?tag={BS}"
CHECK = f"/plot/beamspot.position_x/check.json?tag={BS}"


def _json(client: FlaskClient, url: str, status: int) -> dict[str, object]:
    response = client.get(url)
    assert response.status_code == status, (url, response.data[:300])
    body: dict[str, object] = json.loads(response.data)
    return body


def _newest_run(client: FlaskClient) -> int:
    body = _json(client, f"/api/v1/tags/{BS}/iovs?page[size]=10000", 200)
    data = body["data"]
    assert isinstance(data, list)
    return int(data[-1]["attributes"]["since_text"].split(":")[0])


def test_check_says_what_a_run_on_a_lumi_tag_holds(client: FlaskClient) -> None:
    run = _newest_run(client)
    body = _json(client, f"{CHECK}&since={run}&until={run}", 200)
    summary = body["data"]["attributes"]["summary"]  # type: ignore[index]
    assert re.fullmatch(rf"\d+ IOVs?, {run}:1 … {run}:\d+", summary), summary


@pytest.mark.parametrize(
    ("query", "parameter", "said"),
    [
        ("since=fill+1", "since", "fill 1 is not known"),
        ("since=abc", "since", "is not a range end"),
        ("since=last&until=first", "until", "is before since"),
        ("cert=nope", "cert", "nope"),
    ],
)
def test_check_names_the_bad_input_as_the_plot_would(
    client: FlaskClient, query: str, parameter: str, said: str
) -> None:
    url = f"{CHECK}&{query}"
    plot = client.get(f"/api/v1/plots/beamspot.position_x?tag={BS}&{query}")
    (error,) = _json(client, url, 400)["errors"]  # type: ignore[misc]
    assert error["source"] == {"parameter": parameter} and said in error["detail"]
    assert plot.status_code == 400 and json.loads(plot.data)["errors"] == [error]


def test_check_of_single_and_compare_plots_names_their_iovs(client: FlaskClient) -> None:
    single = _json(client, f"/plot/strips.noise_distribution/check.json?tag={NOISE}&iov=first", 200)
    assert single["data"]["attributes"]["summary"].startswith("IOV ")  # type: ignore[index]
    (error,) = _json(client, f"/plot/strips.noise_ratio/check.json?tag={NOISE}&iov=first", 400)[
        "errors"
    ]  # type: ignore[misc]
    assert error["source"] == {"parameter": "iov2"}
    bad_bins = f"/plot/strips.noise_ratio/check.json?tag={NOISE}&iov=first&iov2=last&bins=many"
    (error,) = _json(client, bad_bins, 400)["errors"]  # type: ignore[misc]
    assert error["source"] == {"parameter": "bins"}


def test_a_bad_link_renders_the_page_with_the_error_in_the_form(client: FlaskClient) -> None:
    response = client.get(f"{HISTORY}&since=fill+1")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'class="error-inline form-error" role="alert">Invalid parameter' in page
    assert re.search(r'<input name="since" value="fill 1"[^>]* aria-invalid="true">', page)
    assert "data-item-url" not in page  # nothing to draw, nothing fetched


def test_the_range_inputs_offer_the_tags_fills(client: FlaskClient, demo_path: Path) -> None:
    page = client.get(HISTORY).get_data(as_text=True)
    offered = re.findall(r'<option value="fill (\d+)" label="runs (\d+)–(\d+)', page)
    assert offered and 'list="fills"' in page and "data-fill-choice" in page
    # Newest first, each with its runs as in /api/v1/runs.
    numbers = [int(n) for n, _, _ in offered]
    assert numbers == sorted(numbers, reverse=True)
    first_run = int(offered[-1][1])
    runs = _json(client, f"/api/v1/runs?filter[fill]={offered[-1][0]}", 200)["data"]
    assert isinstance(runs, list) and runs[0]["attributes"]["run_number"] == first_run
