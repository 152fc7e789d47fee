"""What every route must answer while a database is out (shared by the outage tests)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Final

from werkzeug.test import TestResponse

__all__ = ["API_ROUTES", "PAGE_ROUTES", "assert_unavailable_answer"]

#: Routes that read the database before anything else (no cache in front).
API_ROUTES: Final = (
    "/api/v1/tags",
    "/api/v1/tags/BS_run",
    "/api/v1/tags/BS_run/iovs",
    "/api/v1/globaltags/GT_v1",
    "/api/v1/runs",
)
PAGE_ROUTES: Final = (
    "/",
    "/tags/BS_run",
    "/globaltags",
    "/plot/beamspot.position_x?tag=BS_run",
)


def assert_unavailable_answer(
    route: str, response: TestResponse, alias: str, hidden: Iterable[str]
) -> None:
    """503 with ``Retry-After``: a JSON:API error under ``/api``, a readable page elsewhere.

    Never a traceback, nor any of ``hidden`` (file paths, server addresses).
    """
    body = response.get_data(as_text=True)
    assert response.status_code == 503, (route, response.status_code, body[:300])
    assert response.headers["Retry-After"] == "5", route
    assert "Traceback" not in body, route
    assert not [h for h in hidden if h in body], route
    if route.startswith("/api/"):
        assert response.mimetype == "application/vnd.api+json", route
        error = json.loads(body)["errors"][0]
        assert error["status"] == "503" and error["title"] == "Database unavailable"
        assert f"database '{alias}' is unavailable" in error["detail"]
    else:
        assert response.mimetype == "text/html", route
        assert "503" in body and "Database unavailable" in body
        assert f"database &#39;{alias}&#39; is unavailable; try again in a moment" in body
