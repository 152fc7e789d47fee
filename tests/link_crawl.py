"""Following every link an app's pages and API documents emit, as a client would.

:func:`crawl` starts from some URLs and follows, breadth first and once
each, every same-origin link found in the answers: ``href``/``src`` and the
drawing and job URLs (``data-item-url``, ``data-job-url``) of HTML pages;
every string under a ``links`` member of JSON documents (JSON:API links and
relationship links); absolute links (permalinks) when they point back at
the app.  A background job is polled until it has finished, then its links
(the result) are followed.  Each answer is handed to ``check``.

:func:`named` reads back which tag and global tag names a link is about.
"""

from __future__ import annotations

import html
import json
import re
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any, Final
from urllib.parse import parse_qsl, unquote, urlsplit

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

__all__ = ["JSON_TYPES", "crawl", "json_strings", "named"]

JSON_TYPES: Final = ("application/json", "application/vnd.api+json")
_ATTRIBUTE: Final = re.compile(r'(?:href|src|data-item-url|data-job-url)="([^"]*)"')
_TAG_PATH: Final = re.compile(r"^(?:/api/v1)?/tags/(.+?)(?:/iovs|/timeline\.json)?$")
_GT_PATH: Final = re.compile(r"^(?:/api/v1)?/globaltags/(.+)$")
_TAG_ARGS: Final = ("tag", "tag2", "a", "b")
JOB_WAIT: Final = 30.0


def html_links(body: str) -> list[str]:
    """The links of an HTML page (entities decoded)."""
    return [html.unescape(link) for link in _ATTRIBUTE.findall(body)]


def json_links(value: Any, inside_links: bool = False) -> Iterator[str]:
    """Every string under a ``links`` member (JSON:API links and relationship links)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if inside_links and isinstance(item, str):
                yield item
            elif isinstance(item, dict | list):
                yield from json_links(item, inside_links or key == "links")
    elif isinstance(value, list):
        for item in value:
            yield from json_links(item, inside_links)


def json_strings(value: Any) -> Iterator[str]:
    """Every string of a JSON value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from json_strings(item)


def named(link: str) -> set[str]:
    """The tag and global tag names a link is about (from its path and its query)."""
    parts = urlsplit(link)
    path = unquote(parts.path)
    names: set[str] = set()
    for pattern in (_TAG_PATH, _GT_PATH):
        match = pattern.match(path)
        if match:
            names.add(match[1])
    names.update(v for k, v in parse_qsl(parts.query, keep_blank_values=True) if k in _TAG_ARGS)
    return names


def _wait_for_job(client: FlaskClient, link: str) -> Any:
    """A job document once the job has finished (its status is polled, as a client does)."""
    deadline = time.monotonic() + JOB_WAIT
    while True:
        doc = client.get(link).get_json(force=True)
        if doc["data"]["attributes"]["status"] in ("done", "failed") or time.monotonic() > deadline:
            return doc
        time.sleep(0.02)


def crawl(
    client: FlaskClient,
    starts: list[str],
    check: Callable[[str, TestResponse], None],
    *,
    skip: Callable[[str], bool] = lambda link: False,
    limit: int = 3000,
) -> dict[str, int]:
    """Follow every link from ``starts`` (not those ``skip`` refuses); status of each URL."""
    seen: dict[str, int] = {}
    queue = deque(starts)
    while queue:
        link = queue.popleft()
        parts = urlsplit(link)
        if parts.scheme or parts.netloc:  # permalinks are absolute: keep them if they are ours
            if parts.netloc != "localhost":
                continue
            link = parts.path + (f"?{parts.query}" if parts.query else "")
        if not link.startswith("/") or link in seen or skip(link):
            continue
        assert len(seen) < limit, "the crawl does not end"
        response = client.get(link)
        seen[link] = response.status_code
        check(link, response)
        if response.status_code >= 400:
            continue
        if response.mimetype == "text/html":
            queue.extend(html_links(response.get_data(as_text=True)))
        elif response.mimetype in JSON_TYPES:
            doc = json.loads(response.get_data(as_text=True))
            data = doc.get("data") if isinstance(doc, dict) else None
            if isinstance(data, dict) and data.get("type") == "jobs":
                doc = _wait_for_job(client, doc["links"]["self"])
                assert doc["data"]["attributes"]["status"] == "done", doc
            queue.extend(json_links(doc))
    return seen
