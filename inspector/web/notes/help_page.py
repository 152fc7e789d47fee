"""``/notes/help``: how to be identified to add a note, on this server.

The note forms say that writing needs an identified user; a person reading
that needs to know what it means *here*: which ways of identifying oneself
this server's ``[auth]`` configuration accepts, and whether this browser is
already identified.  The security model itself is for operators, in
docs/annotations.md ("Who may write"), which the page names.
"""

from __future__ import annotations

from flask import render_template, url_for

from inspector.web.notes.auth import current_writer
from inspector.web.routing import Routes
from inspector.web.state import state

__all__ = ["help_pages"]

help_pages = Routes("notes")


@help_pages.get("/notes/help")
def notes_help() -> str:
    """The ways of writing notes this server accepts, and who this request is."""
    auth = state().auth.config
    return render_template(
        "notes_help.html",
        proxy=auth.proxy_user_header is not None,
        tokens=bool(auth.token_digests),
        writer=current_writer(),
        api=url_for("api.list_annotations"),
    )
