"""The real CMS payloads (``../shared/data/cms-conditions/jer``) for the archive tests.

:func:`real_payloads` reads every payload of every real file with the tags
holding it; :func:`jer_tokens` walks a ``JME::JetResolutionObject`` blob token
by token *without* the reader (its own few lines, from the encoding rules of
``docs/payload-schemas.md``), naming each token's member path as the
reader's errors do, so that error tests can say exactly where a damaged blob
must fail; :func:`text_file` parses the text file a payload was made from.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cms_files import REAL_CMS_DIR, REAL_CMS_FILES

__all__ = [
    "LIBRARY_VERSIONS",
    "REAL_CMS_DIR",
    "REAL_CMS_FILES",
    "RealPayload",
    "TextFile",
    "Token",
    "expected_failure",
    "jer_tokens",
    "real_payloads",
    "text_file",
]

#: boost library version in the archive header of each real file (its README)
LIBRARY_VERSIONS: Final = {
    "Summer15_25nsV6_MC": 11,
    "Summer19UL18_JRV1_MC": 14,
    "Summer23Prompt23_RunCv4_JRV1_MC": 19,
}


@dataclass(frozen=True)
class RealPayload:
    """One PAYLOAD row of a real file and the tags whose IOVs point at it."""

    file: str
    hash: str
    object_type: str
    data: bytes
    streamer_info: bytes
    version: str
    tags: tuple[str, ...]

    def __repr__(self) -> str:
        return f"RealPayload({self.file} {self.hash[:12]} {len(self.data)} B)"


def real_payloads() -> list[RealPayload]:
    """Every payload of every real file (empty when the files are absent)."""
    out = []
    for db in REAL_CMS_FILES:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
            tags: dict[str, list[str]] = {}
            for tag, digest in con.execute("select TAG_NAME, PAYLOAD_HASH from IOV"):
                tags.setdefault(str(digest), []).append(str(tag))
            rows = con.execute(
                "select HASH, OBJECT_TYPE, DATA, STREAMER_INFO, VERSION from PAYLOAD order by HASH"
            ).fetchall()
        for digest, object_type, data, info, version in rows:
            out.append(
                RealPayload(
                    db.stem,
                    str(digest),
                    str(object_type),
                    bytes(data),
                    bytes(info),
                    str(version),
                    tuple(sorted(tags.get(str(digest), []))),
                )
            )
    return out


@dataclass(frozen=True)
class TextFile:
    """A JER text file: the header's names and formula, then one row per record."""

    bins: list[str]
    variables: list[str]
    formula: str
    rows: list[tuple[list[float], int, list[float], list[float]]]  # bins, count, vars, params


def text_file(path: Path) -> TextFile:
    """Parse ``{nbins names.. nvars names.. formula type..}`` then the rows.

    A row: ``2 * nbins`` bin bounds, the count of the numbers after it, then
    ``2 * nvars`` variable bounds and the formula parameters.
    """
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    head = lines[0].strip().strip("{}").split()
    nbins = int(head[0])
    bins = head[1 : 1 + nbins]
    nvars = int(head[1 + nbins])
    variables = head[2 + nbins : 2 + nbins + nvars]
    formula = head[2 + nbins + nvars]
    rows = []
    for line in lines[1:]:
        numbers = line.split()
        bounds = [float(x) for x in numbers[: 2 * nbins]]
        count = int(numbers[2 * nbins])
        rest = [float(x) for x in numbers[2 * nbins + 1 :]]
        rows.append((bounds, count, rest[: 2 * nvars], rest[2 * nvars :]))
    return TextFile(bins, variables, "" if formula == "None" else formula, rows)


@dataclass(frozen=True)
class Token:
    """One number of an archive: where it starts and ends, its path, and for a count its value."""

    path: str | None
    start: int
    end: int
    count: int | None = None


def jer_tokens(blob: bytes) -> list[Token]:
    """Every token of a valid JetResolutionObject archive, in order (string bytes skipped)."""
    walk = _Walk(blob)
    walk.token(None)  # boost library version
    walk.header(None, "JetResolutionObject")
    walk.header("m_definition", "Definition")
    for name in ("m_bins_name", "m_variables_name"):
        path = f"m_definition.{name}"
        walk.header(path, "vector<string>")
        n = walk.counted(path)
        walk.token(path)  # item_version
        for i in range(n):
            walk.string(f"{path}[{i}]")
    walk.string("m_definition.m_formula_str")
    walk.header("m_records", "vector<Record>")
    records = walk.counted("m_records")
    walk.token("m_records")
    for i in range(records):
        record = f"m_records[{i}]"
        walk.header(record, "Record")
        for name in ("m_bins_range", "m_variables_range"):
            path = f"{record}.{name}"
            walk.header(path, "vector<Range>")
            n = walk.counted(path)
            walk.token(path)
            for j in range(n):
                walk.header(f"{path}[{j}]", "Range")
                walk.token(f"{path}[{j}].min")
                walk.token(f"{path}[{j}].max")
        path = f"{record}.m_parameters_values"
        n = walk.counted(path)
        walk.token(path)
        for k in range(n):
            walk.token(f"{path}[{k}]")
    walk.token("m_valid")
    assert walk.pos == len(blob), "the walk must end at the last byte"
    return walk.tokens


class _Walk:
    def __init__(self, blob: bytes) -> None:
        assert blob[0] == 0x7F
        self.blob = blob
        self.pos = 1
        self.tokens: list[Token] = []
        self.seen: set[str] = set()

    def token(self, path: str | None) -> int:
        start = self.pos
        size = self.blob[start] - 256 if self.blob[start] > 127 else self.blob[start]
        self.pos = start + 1 + abs(size)
        value = int.from_bytes(self.blob[start + 1 : self.pos], "little")
        self.tokens.append(Token(path, start, self.pos))
        return value

    def counted(self, path: str | None) -> int:
        n = self.token(path)
        self.tokens[-1] = Token(path, self.tokens[-1].start, self.pos, n)
        return n

    def header(self, path: str | None, cls: str) -> None:
        if cls not in self.seen:
            self.seen.add(cls)
            self.token(path)  # tracking
            self.token(path)  # class version

    def string(self, path: str) -> None:
        length = self.counted(path)  # (read before moving past the bytes)
        self.pos += length


def expected_failure(tokens: list[Token], cut: int) -> tuple[str | None, int]:
    """Where the reader must stop on the blob cut to ``cut`` bytes: ``(path, offset)``.

    The first token that does not fit, or the first count (of elements or
    string bytes) larger than the bytes left after it: each element takes a
    byte at least, and the reader checks every count before using it.
    """
    for t in tokens:
        if t.end > cut:
            return t.path, t.start
        if t.count is not None and t.count > cut - t.end:
            return t.path, t.start
    raise AssertionError(f"a cut at {cut} leaves every token whole")
