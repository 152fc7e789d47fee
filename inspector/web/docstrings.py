"""Drawer docstrings on the pages: their reStructuredText inline markup as HTML.

A drawer's description is its docstring (``@drawer`` keeps it), written in
the reStructuredText of Python docstrings; shown as it is, a page would read
the double backquotes around a name.  docutils is not a dependency, and a
page needs only the inline markup that docstrings use, so it is converted
here (what is not markup is text, escaped)::

    ``literal``                    code
    :role:`target`                 code: a Sphinx cross-reference; ~a.b shows b,
                                   `title <target>` shows the title
    `interpreted text`             code
    *emphasis*, **strong**         <em>, <strong>
    `text <https://...>`_          the text

Line breaks and paragraphs flow as one run of text: the pages show a
description inline, beside the drawer's title.
"""

from __future__ import annotations

import re
from typing import Final

from markupsafe import Markup, escape

__all__ = ["docstring_html"]

#: Inline markup starts after a space, an opening bracket or quote, or the text's start.
_START: Final = r"(?<![\w`*\\])"

_INLINE: Final = re.compile(
    rf"""
      {_START}``(?P<literal>\S(?:.*?\S)?)``
    | {_START}:(?P<role>[A-Za-z][\w.+-]*(?::[\w.+-]+)*):`(?P<target>[^`]+)`
    | {_START}`(?P<link>[^`<]+?)\s*<[^`>]+>`__?
    | {_START}`(?P<interpreted>[^`\s](?:[^`]*[^`\s])?)`(?!_)
    | {_START}\*\*(?P<strong>\S(?:.*?\S)?)\*\*
    | {_START}\*(?P<emphasis>[^*\s](?:[^*]*[^*\s])?)\*
    """,
    re.VERBOSE | re.DOTALL,
)

#: ``title <target>`` in a cross-reference.
_TITLED: Final = re.compile(r"^(?P<title>.+?)\s*<[^<>]+>$", re.DOTALL)


def docstring_html(text: str) -> Markup:
    """``text`` (a docstring) as safe inline HTML: its inline markup rendered, the rest escaped."""
    flowing = " ".join(text.split())
    out: list[str] = []
    position = 0
    for match in _INLINE.finditer(flowing):
        out.append(escape(flowing[position : match.start()]))
        out.append(_element(match))
        position = match.end()
    out.append(escape(flowing[position:]))
    return Markup("".join(out))


def _element(match: re.Match[str]) -> str:
    """The HTML of one piece of inline markup."""
    parts = match.groupdict()
    if parts["literal"] is not None:
        return f"<code>{escape(parts['literal'])}</code>"
    if parts["target"] is not None:
        return f"<code>{escape(_reference(parts['target']))}</code>"
    if parts["link"] is not None:
        return str(escape(parts["link"]))
    if parts["interpreted"] is not None:
        return f"<code>{escape(parts['interpreted'])}</code>"
    if parts["strong"] is not None:
        return f"<strong>{escape(parts['strong'])}</strong>"
    return f"<em>{escape(parts['emphasis'])}</em>"


def _reference(target: str) -> str:
    """What a cross-reference shows: its title, or its target (``~``: the last dotted part)."""
    titled = _TITLED.match(target)
    if titled:
        return titled["title"]
    if target.startswith("~"):
        return target[1:].rsplit(".", 1)[-1]
    return target.lstrip("!")
