"""Schemathesis fuzzes every operation of /api/v1 against its own OpenAPI document.

Schemathesis generates requests for every operation of the document served
at ``/api/v1/openapi.json`` and sends them to the real app over the small
demo database, in-process through WSGI (nothing listens on a port): valid
ones, boundary values, and values the document rules out.  Every response
must

* never be a server error (5xx), whatever the query string;
* have a status code the document lists for the operation;
* have the content type the document gives for that status;
* have a body that validates against the document's schema for it, and the
  declared headers.

Random path parameters would only ever reach 404s, so a hook sometimes
swaps in names that exist (tags, drawers, global tags, payload hashes, read
from the API's own lists) and, for plots, a drawer with a tag it can read;
it also tries edge-case times for ``since``-like arguments.  The profile
(``tests/fuzz/conftest.py``) sets the examples per operation.

The document is built at import by the very function the route serves, one
pytest item per operation, and the first test checks that it is exactly
what the app serves.  (Loading it from a fixture with
``schemathesis.pytest.from_fixture`` would be more direct, but that loader
reads ``Item._nodeid``, which pytest 9 no longer has.)
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pytest
import schemathesis
from flask import Flask
from hypothesis import settings
from hypothesis import strategies as st
from schemathesis import Case, HookContext
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from inspector import __version__
from inspector.config import Config, DatabaseConfig
from inspector.plugin import load_plugins
from inspector.web.app import create_app
from inspector.web.openapi import openapi_document
from inspector.web.state import EXTENSION

OPENAPI: Final = "/api/v1/openapi.json"
#: Schemathesis's WSGI transport sends requests' default ``Accept-Encoding:
#: gzip, deflate`` but does not decompress, and the API honours it; the gzip
#: path is covered by tests/unit/inspector/web/test_api.py.
IDENTITY: Final = {"Accept-Encoding": "identity"}
#: The checks of the module docstring, and only those: the document is the contract.
CHECKS: Final = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@dataclass(frozen=True)
class Known:
    """Names that exist in the demo database, read through the API itself."""

    tags: list[str]
    tag_types: dict[str, str]
    drawers: list[str]
    drawer_types: dict[str, list[str]]
    global_tags: list[str]
    payloads: list[str]


def _list(app: Flask, path: str) -> list[dict[str, Any]]:
    response = app.test_client().get(path, query_string={"page[size]": "1000"})
    assert response.status_code == 200, response.get_data(as_text=True)
    data: list[dict[str, Any]] = response.get_json(force=True)["data"]
    return data


def _known(app: Flask) -> Known:
    tags = _list(app, "/api/v1/tags")
    drawers = _list(app, "/api/v1/drawers")
    payloads: list[str] = []
    for tag in tags[:5]:
        iovs = _list(app, f"/api/v1/tags/{tag['id']}/iovs")
        payloads += [iov["attributes"]["payload_hash"] for iov in iovs[:3]]
    return Known(
        tags=[t["id"] for t in tags],
        tag_types={t["id"]: t["attributes"]["object_type"] for t in tags},
        drawers=[d["id"] for d in drawers],
        drawer_types={d["id"]: d["attributes"]["payload_types"] for d in drawers},
        global_tags=[g["id"] for g in _list(app, "/api/v1/globaltags")],
        payloads=sorted(set(payloads)),
    )


@pytest.fixture(scope="module")
def api_app(demo_path: Path) -> Iterator[Flask]:
    """The real app over the small demo database, with the installed plugins."""
    config = Config({"demo": DatabaseConfig("demo", f"sqlite:///{demo_path}")}, "demo")
    app = create_app(config, load_plugins())
    yield app
    app.extensions[EXTENSION].close()


# Built once at import (see the module docstring).
schema = schemathesis.openapi.from_dict(openapi_document(__version__))

#: Existing names for the steering hook, filled by the ``known`` fixture.
#: Schemathesis builds each operation's strategy when the module is collected,
#: before any fixture exists, and ``@schema.given`` cannot be combined with
#: the document's own examples; so the names reach the hook through here.
_KNOWN: list[Known] = []


@pytest.fixture(scope="module")
def known(api_app: Flask) -> Iterator[Known]:
    """Existing names, read once per module and offered to the steering hook."""
    _KNOWN.append(_known(api_app))
    yield _KNOWN[-1]
    _KNOWN.clear()


@schema.hook
def flatmap_case(context: HookContext, case: Case[Any]) -> st.SearchStrategy[Case[Any]]:
    """Half the generated cases keep their random names, half use existing ones."""
    if not _KNOWN:
        return st.just(case)
    known = _KNOWN[-1]
    return st.booleans().flatmap(lambda real: _steered(case, known) if real else st.just(case))


#: Path prefix → the kind of name its path parameter takes.
_NAMED: Final = {
    "/api/v1/tags/": "tags",
    "/api/v1/drawers/": "drawers",
    "/api/v1/globaltags/": "global_tags",
    "/api/v1/payloads/": "payloads",
}


#: Query parameters read as a since or a snapshot time.
_TIMES: Final = frozenset({"since", "until", "iov", "iov2", "snapshot"})


def _time_texts() -> st.SearchStrategy[str]:
    """Texts that look like a since or a snapshot, at and beyond the edges.

    The document types these parameters as plain strings, so Schemathesis
    alone almost never writes a date, a ``run:lumi`` or a number, let alone
    one at the edge of a range; these reach the parsers' corners.
    """
    offsets = st.timedeltas(-dt.timedelta(hours=23, minutes=59), dt.timedelta(hours=23, minutes=59))
    moments = st.datetimes(timezones=st.none() | offsets.map(dt.timezone))
    return st.one_of(
        moments.map(dt.datetime.isoformat),
        moments.map(lambda m: m.isoformat().replace("+00:00", "Z")),
        st.dates().map(dt.date.isoformat),
        st.integers(-(2**70), 2**70).map(str),
        st.tuples(st.integers(-1, 2**33), st.integers(-1, 2**33)).map(lambda p: f"{p[0]}:{p[1]}"),
        # Unicode digits: str.isdigit() admits some that int() refuses, and back.
        st.text(st.characters(categories=["Nd", "No"]), min_size=1, max_size=8),
        st.sampled_from(["inf", "Infinity", "-inf", "nan", " 7 ", "0x10", "1e3", "1_000"]),
    )


@st.composite
def _steered(draw: st.DrawFn, case: Case[Any], known: Known) -> Case[Any]:
    """``case`` pointed at things that exist, so it gets past the 404s.

    The database is the demo one, the path parameter a real name and, for a
    plot, the drawer one that reads the tag's payload type; of the other
    query arguments a drawn subset is kept, so some requests are valid
    through and through and reach the drawers.  Time arguments may be
    replaced by edge cases from :func:`_time_texts`.
    """
    path = case.operation.path
    params = dict(case.path_parameters or {})
    query = dict(case.query or {})
    if "db" in query:
        query["db"] = "demo"
    if path.startswith("/api/v1/plots/"):
        pairs = [
            (d, t)
            for d in known.drawers
            for t in known.tags
            if known.tag_types[t] in known.drawer_types[d]
        ]
        params["drawer"], tag = draw(st.sampled_from(pairs))
        documented = {p.name for p in case.operation.query}
        kept = draw(st.sets(st.sampled_from(sorted(documented - {"tag"}))))
        query = {k: v for k, v in query.items() if k in kept} | {"tag": tag}
    else:
        for prefix, kind in _NAMED.items():
            names: list[str] = getattr(known, kind)
            if path.startswith(prefix) and params and names:
                params[next(iter(params))] = draw(st.sampled_from(names))
                break
    for name in sorted(_TIMES & {p.name for p in case.operation.query}):
        text = draw(st.none() | _time_texts())
        if text is not None:
            query[name] = text
    case.path_parameters = params
    case.query = query
    return case


def test_the_fuzzed_document_is_the_served_one(api_app: Flask) -> None:
    """What is fuzzed is the contract clients read, not a private copy."""
    served = api_app.test_client().get(OPENAPI)
    assert served.status_code == 200
    assert json.loads(served.get_data()) == schema.raw_schema


@schema.parametrize()
@settings(settings.get_profile("inspector-fuzz-api"))
def test_every_operation_conforms_to_its_document(
    case: Case[Any], api_app: Flask, known: Known
) -> None:
    """No 5xx; status, content type, headers and body as the document declares."""
    case.call_and_validate(app=api_app, headers=IDENTITY, checks=CHECKS)
