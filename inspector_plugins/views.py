"""Built-in plugin: how CMSSW classes print themselves (``inspector decode --json --values``).

A view is what a class's own dump writes, from the decoded members:
``JME::JetResolutionObject`` as the rows of its JER text file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from inspector.cmssw import jetmet
from inspector.plugin import hookimpl


@hookimpl
def register_payload_views() -> dict[str, Callable[[Any], Any]]:
    """JER objects as their text files (``JetResolutionObject::saveToFile``)."""
    return {jetmet.OBJECT_TYPE: jetmet.text_view}
