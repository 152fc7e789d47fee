"""What a note is, and the checks every note passes before it is stored.

Text is plain text, one line, 1 to :data:`MAX_TEXT` characters, without
control characters, lone surrogates (which no database or page can encode)
or bidirectional overrides (which can make a note read differently from
what it says).  It is stored as typed and *escaped
wherever it is shown* (pages, plot hover): a note is data, never markup.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import unicodedata
from dataclasses import dataclass
from typing import Final

from inspector.errors import InvalidParameter

__all__ = [
    "MAX_PLOT_LINK",
    "MAX_TEXT",
    "Annotation",
    "NewAnnotation",
    "Target",
    "check_plot_link",
    "check_text",
]

MAX_TEXT: Final = 1000
MAX_PLOT_LINK: Final = 2000
#: Bidirectional embedding/override/isolate controls (Unicode category Cf).
_BIDI: Final = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_PLOT_PATH: Final = re.compile(r"^/plot/[A-Za-z0-9_.-]+(\?[^\s#]*)?$")


class Target(enum.StrEnum):
    """What a note is attached to."""

    TAG = "tag"
    IOV = "iov"
    PLOT = "plot"

    @classmethod
    def parse(cls, text: str, parameter: str = "target") -> Target:
        """``tag``, ``iov`` or ``plot``; anything else is a 400 naming ``parameter``."""
        try:
            return cls(text)
        except ValueError:
            known = ", ".join(t.value for t in cls)
            raise InvalidParameter(parameter, f"{text!r} is not one of {known}") from None


@dataclass(frozen=True)
class NewAnnotation:
    """A note as asked for, already checked (the author comes from authentication)."""

    db: str
    tag: str
    target: Target
    text: str
    since: int | None = None
    plot: str | None = None


@dataclass(frozen=True)
class Annotation(NewAnnotation):
    """A stored note."""

    id: int = 0
    author: str = ""
    created: dt.datetime = dt.datetime(1970, 1, 1)


def check_text(text: object, parameter: str = "text") -> str:
    """The note's text, stripped; a 400 naming ``parameter`` says what is wrong."""
    if not isinstance(text, str):
        raise InvalidParameter(parameter, "must be a string")
    clean = text.strip()
    if not clean:
        raise InvalidParameter(parameter, "must not be empty")
    if len(clean) > MAX_TEXT:
        raise InvalidParameter(parameter, f"is {len(clean)} characters long; at most {MAX_TEXT}")
    for i, char in enumerate(clean):
        category = unicodedata.category(char)
        if category == "Cs":  # from JSON's "\ud800": no database or page can encode it
            raise InvalidParameter(
                parameter,
                f"contains the lone surrogate U+{ord(char):04X} at position {i} "
                "(not a Unicode character)",
            )
        if category == "Cc" or char in _BIDI:
            raise InvalidParameter(
                parameter,
                f"contains the control character U+{ord(char):04X} at position {i} "
                "(one line of plain text, please)",
            )
    return clean


def check_plot_link(link: object, parameter: str = "plot") -> str:
    """A plot link on this server: ``/plot/<drawer>?<query>``, nothing else."""
    if not isinstance(link, str):
        raise InvalidParameter(parameter, "must be a string")
    clean = link.strip()
    if len(clean) > MAX_PLOT_LINK:
        raise InvalidParameter(parameter, f"is longer than {MAX_PLOT_LINK} characters")
    if not _PLOT_PATH.match(clean) or any(unicodedata.category(c) == "Cc" for c in clean):
        raise InvalidParameter(
            parameter, "must be a plot link of this server, starting with /plot/<drawer>"
        )
    return clean
