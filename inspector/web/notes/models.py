"""The members of a note, as the API answers them and as a client sends them.

:mod:`inspector.web.notes.routes` fills :class:`NoteAttributes` (mypy checks
it fills exactly these) and admits only the names of
:class:`NewNoteAttributes`; :mod:`inspector.web.notes.openapi` derives both
published schemas from these declarations.  No ``from __future__ import
annotations`` here: ``NotRequired`` must be seen at run time for
``__required_keys__``.
"""

from typing import Annotated, NotRequired

from pydantic import Field
from typing_extensions import TypedDict

from inspector.annotations import MAX_TEXT, Target
from inspector.web.openapi.schema import DateTime, Since, one_of

__all__ = ["TARGETS", "NewNoteAttributes", "NoteAttributes"]

#: What a note can be on (``Target`` values).
TARGETS: list[str] = [t.value for t in Target]
_TARGET = Annotated[str, one_of(TARGETS)]
_TEXT = Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]


class NoteAttributes(TypedDict):
    """A stored note: where it is, what it says, who wrote it and when."""

    db: str
    tag: str
    target: _TARGET
    since: Annotated[Since | None, Field(description="IOV notes only")]
    since_text: str | None
    plot: Annotated[str | None, Field(description="plot notes: /plot/... link")]
    text: _TEXT
    author: Annotated[str, Field(description="the authenticated writer")]
    created: DateTime


class NewNoteAttributes(TypedDict):
    """The attributes of a note to add (only tag and text are needed)."""

    db: NotRequired[Annotated[str, Field(description="alias (default: the default database)")]]
    tag: str
    target: NotRequired[
        Annotated[_TARGET, Field(description="default: iov with since, plot with plot, else tag")]
    ]
    since: NotRequired[
        Annotated[
            str | int,
            Field(description="the IOV valid here: run, run:lumisection, ISO time or integer"),
        ]
    ]
    plot: NotRequired[Annotated[str, Field(description="a plot link of this server, /plot/...")]]
    text: Annotated[_TEXT, Field(description="one line of plain text")]
    author: NotRequired[Annotated[str, Field(description="ignored: the author is who signed in")]]
