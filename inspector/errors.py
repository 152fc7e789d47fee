"""The one exception hierarchy of Payload Inspector.

Every error a user can cause or meet is an :class:`InspectorError`. Each class
carries, once, the HTTP status the web layer answers with and the exit code
the command line ends with, so the edges never guess::

    InspectorError                    500 / exit 1
    ├── BadRequest                    400 / exit 2   malformed user input
    │   └── InvalidParameter          400 / exit 2   one named parameter is wrong
    ├── NotFound                      404 / exit 2   unknown alias, tag, IOV, hash, drawer
    ├── ConfigError                   500 / exit 2   the configuration file is wrong
    ├── DatabaseUnavailable           503 / exit 3   the database cannot be reached
    ├── PayloadDecodeError            422 / exit 1   a blob does not match its schema
    ├── PayloadEncodeError            500 / exit 1   values do not fit a schema
    ├── SchemaError                   500 / exit 1   a payload schema file is wrong
    ├── FormulaError                  500 / exit 1   a payload's formula is outside the whitelist
    └── DrawerError                   500 / exit 1   a drawer failed (names the drawer)
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "BadRequest",
    "ConfigError",
    "DatabaseUnavailable",
    "DrawerError",
    "FormulaError",
    "InspectorError",
    "InvalidParameter",
    "NotFound",
    "PayloadDecodeError",
    "PayloadEncodeError",
    "SchemaError",
]


class InspectorError(Exception):
    """Base class: a message meant for the person who caused or meets it."""

    http_status: ClassVar[int] = 500
    exit_code: ClassVar[int] = 1
    title: ClassVar[str] = "Internal error"

    @property
    def message(self) -> str:
        """The one-line message shown on the CLI and in API error bodies."""
        return str(self)

    @property
    def public_message(self) -> str:
        """What a remote user may read (the web layer shows this, not ``message``)."""
        return self.message


class BadRequest(InspectorError):
    """The request or command line is malformed."""

    http_status = 400
    exit_code = 2
    title = "Bad request"


class InvalidParameter(BadRequest):
    """One named parameter has a value that cannot be used."""

    title = "Invalid parameter"

    def __init__(self, parameter: str, reason: str) -> None:
        super().__init__(f"invalid value for {parameter!r}: {reason}")
        self.parameter = parameter
        self.reason = reason


class NotFound(InspectorError):
    """Something the user named does not exist."""

    http_status = 404
    exit_code = 2
    title = "Not found"


class ConfigError(InspectorError):
    """The configuration file cannot be read or says something impossible."""

    exit_code = 2
    title = "Configuration error"


class DatabaseUnavailable(InspectorError):
    """The conditions database cannot be reached (missing file, server down).

    ``message`` may name files or hosts for the operator; remote users see
    only ``public`` (by default: which alias is unavailable).
    """

    http_status = 503
    exit_code = 3
    title = "Database unavailable"

    def __init__(self, message: str, *, alias: str | None = None) -> None:
        super().__init__(message)
        self.alias = alias

    @property
    def public_message(self) -> str:
        what = f"database {self.alias!r}" if self.alias else "the database"
        return f"{what} is unavailable; try again in a moment"


class PayloadDecodeError(InspectorError):
    """A payload blob does not match its declared layout.

    Names the payload hash, the field and the byte offset where decoding
    stopped, so a corrupt payload can be found and reported upstream.
    """

    http_status = 422
    title = "Payload cannot be decoded"

    def __init__(
        self, reason: str, *, payload_hash: str | None, field: str | None, offset: int
    ) -> None:
        where = f"field {field!r}" if field else "payload"
        what = f"payload {payload_hash}" if payload_hash else "payload"
        super().__init__(f"{what}: {where} at byte {offset}: {reason}")
        self.reason = reason
        self.payload_hash = payload_hash
        self.field = field
        self.offset = offset


class PayloadEncodeError(InspectorError):
    """Values given to the encoder do not fit the schema."""

    title = "Payload cannot be encoded"


class SchemaError(InspectorError):
    """A payload schema declaration is invalid."""

    title = "Invalid payload schema"


class FormulaError(InspectorError):
    """A formula text (ROOT TFormula, as JetMET payloads carry) cannot be evaluated.

    Names the formula, the offending token and its position (0-based
    character offset), so the payload can be reported upstream.  Raised by
    :mod:`inspector.formula`, never by eval: nothing outside its whitelist runs.
    """

    title = "Unsupported formula"

    def __init__(self, formula: str, reason: str, *, position: int | None = None) -> None:
        where = f" at position {position}" if position is not None else ""
        super().__init__(f"formula {formula!r}: {reason}{where}")
        self.formula = formula
        self.reason = reason
        self.position = position


class DrawerError(InspectorError):
    """A drawer failed; the message names the drawer and the cause."""

    title = "Drawer failed"

    def __init__(self, drawer: str, cause: str, *, payload_hash: str | None = None) -> None:
        super().__init__(f"drawer {drawer!r} failed: {cause}")
        self.drawer = drawer
        self.cause = cause
        #: The payload the drawer failed on, when one payload of many is to blame.
        self.payload_hash = payload_hash
