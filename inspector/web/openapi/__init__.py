"""The OpenAPI 3.1 document of /api/v1, generated from the areas' declarations.

Nothing here is written per route: the paths come from the routes each area
declares (:class:`~inspector.web.routing.Routes`, each API route with its
:class:`Operation`), the component schemas from each area's ``openapi``
module, and the shared parts (the JSON:API frame, error responses, headers,
the ``db`` parameter) from :mod:`inspector.web.openapi.schema` and
:mod:`inspector.web.openapi.operation`.  The tests check that every route is
described and nothing else, that the parameters of each operation are the
arguments its route admits, and validate every response they receive
against the schema given here.  OpenAPI 3.1 schemas are JSON Schema
2020-12, so any validator can use them.
"""

from inspector.web.openapi.document import openapi_document
from inspector.web.openapi.operation import Operation, Param

__all__ = ["Operation", "Param", "openapi_document"]
