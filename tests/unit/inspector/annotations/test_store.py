"""The notes database: created on first start, versioned, filtered and paged in SQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from inspector.annotations import AnnotationFilter, AnnotationStore, NewAnnotation, Target
from inspector.errors import ConfigError

T = dt.datetime(2024, 5, 1, 12)
BIG = (1 << 64) - 2


def _fill(store: AnnotationStore) -> None:
    notes = [
        NewAnnotation("demo", "A", Target.TAG, "tag note"),
        NewAnnotation("demo", "A", Target.IOV, "iov 9", since=9),
        NewAnnotation("demo", "A", Target.IOV, "iov 100", since=100),
        NewAnnotation("demo", "A", Target.IOV, "iov big", since=BIG),
        NewAnnotation("demo", "B", Target.PLOT, "plot", plot="/plot/x.y?tag=B"),
        NewAnnotation("other", "A", Target.TAG, "other db"),
    ]
    for i, note in enumerate(notes):
        store.add(note, author="alice", now=T + dt.timedelta(minutes=i))


def test_created_on_first_start_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "notes.sqlite"
    store = AnnotationStore(f"sqlite:///{path}")
    _fill(store)
    store.close()
    assert path.is_file()
    again = AnnotationStore(f"sqlite:///{path}")
    assert again.count(AnnotationFilter()) == 6
    again.close()


def test_filters_order_and_paging() -> None:
    store = AnnotationStore.in_memory()
    _fill(store)
    newest = store.list(AnnotationFilter(db="demo", tag="A"))
    assert [n.text for n in newest] == ["iov big", "iov 100", "iov 9", "tag note"]
    assert newest[0].since == BIG and newest[0].author == "alice"
    # since is compared as a number although stored as text: 9 < 100 < 2**64 - 2.
    middle = AnnotationFilter(db="demo", since_min=10, since_max=BIG - 1)
    assert [n.text for n in store.list(middle)] == ["iov 100"]
    assert store.count(AnnotationFilter(target=Target.TAG)) == 2
    page = store.list(AnnotationFilter(), offset=1, limit=2)
    assert [n.text for n in page] == ["plot", "iov big"]
    plot = store.list(AnnotationFilter(tag="B"))[0]
    assert plot.target is Target.PLOT and plot.plot == "/plot/x.y?tag=B" and plot.since is None
    store.close()


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'n.sqlite'}"
    AnnotationStore(url).close()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE inspector_meta SET value = '7' WHERE key = 'schema_version'"))
    engine.dispose()
    with pytest.raises(ConfigError, match="schema version 7"):
        AnnotationStore(url)
