"""The drawer page: what one drawer draws, its parameters, and the tags it reads.

The home page lists every drawer by payload type; its names lead here, so a
drawer's documentation (its docstring, rendered) is one tap from the list,
and so is its plot for each tag it can draw.
"""

from __future__ import annotations

from typing import Final

from flask import render_template

from inspector.web.args import page_args
from inspector.web.routing import Routes
from inspector.web.state import state

__all__ = ["pages"]

pages = Routes("pages")

#: Tags listed per payload type; the rest are one link away (the home page's search).
TAGS_LISTED: Final = 50


@pages.get("/drawers/<name>")
def drawer_page(name: str) -> str:
    """A drawer's documentation, its parameters and, per payload type, the tags it reads."""
    db = page_args().database()
    drawer = state().plugins.drawers.get(name)
    tags = {t: db.search_tags(object_type=t, page_size=TAGS_LISTED) for t in drawer.payload_types}
    return render_template("drawer.html", db=db, drawer=drawer, tags=tags)
