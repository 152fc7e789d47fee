"""The JSON form of a plot's provenance, declared once.

:meth:`inspector.plots.provenance.Provenance.to_json_dict` fills it (mypy
checks it fills exactly these members) and the web layer publishes its
schema in the OpenAPI document.  No ``from __future__ import annotations``
here: ``NotRequired`` must be seen at run time for ``__required_keys__``
to be right.
"""

from typing import Annotated, NotRequired

from pydantic import ConfigDict, Field, with_config
from typing_extensions import TypedDict

__all__ = ["CertificationJson", "JsonScalar", "ProvenanceJson"]

#: A parameter value as JSON holds it.
JsonScalar = str | int | float | bool | None


@with_config(ConfigDict(extra="forbid"))  # closed, inside the open provenance
class CertificationJson(TypedDict):
    """The certification file that filtered a history (only then)."""

    name: str
    file: str
    sha256: str


@with_config(ConfigDict(extra="allow"))  # version 1 of the JSON form may gain keys
class ProvenanceJson(TypedDict):
    """Where the plot's numbers come from, so that anyone can make it again."""

    db: str
    tags: list[str]
    iovs: list[int | str]
    payload_hashes: list[str]
    snapshot: str | None
    drawer: str
    parameters: dict[str, JsonScalar]
    time_type: str | None
    labels: list[str]
    query: Annotated[
        str, Field(description="canonical data query string of the view; empty when unknown")
    ]
    certification: NotRequired[CertificationJson]
