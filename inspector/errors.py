"""The one exception hierarchy of Payload Inspector: every class, in this file.

Every error a user can cause or meet is an :class:`InspectorError`. Each class
carries, once, the HTTP status the web layer answers with and the exit code
the command line ends with, so the edges never guess::

    InspectorError                    500 / exit 1
    ├── BadRequest                    400 / exit 2   malformed user input
    │   ├── InvalidParameter          400 / exit 2   one named parameter is wrong
    │   └── UnsupportedExport         400 / exit 2   a plot type has no form in that format
    ├── Unauthorized                  401 / exit 2   writing needs an identified user
    ├── Forbidden                     403 / exit 2   the user may not do this
    ├── NotFound                      404 / exit 2   unknown alias, tag, IOV, hash, drawer
    ├── UnsupportedMediaType          415 / exit 2   a request body that is not JSON:API
    ├── UndecodablePayload            422 / exit 1   no layout is declared for a stored payload
    ├── PayloadDecodeError            422 / exit 1   a blob does not match its layout
    ├── RenderError                   400 / exit 2   a plot cannot be drawn with these options
    ├── ConfigError                   500 / exit 2   the configuration file is wrong
    ├── PluginError                   500 / exit 2   a plugin cannot be loaded or registers nonsense
    ├── GeometryFileError             500 / exit 2   a detector layout file is malformed
    ├── PayloadEncodeError            500 / exit 1   values do not fit a layout
    ├── SchemaError                   500 / exit 1   a payload layout file is wrong
    ├── FormulaError                  500 / exit 1   a payload's formula is outside the whitelist
    ├── PlotError                     500 / exit 1   a drawer built an inconsistent plot object
    ├── DrawerError                   500 / exit 1   a drawer failed (names the drawer)
    ├── DatabaseUnavailable           503 / exit 3   the database cannot be reached
    ├── CertificationUnavailable      503 / exit 3   a configured certification file is missing
    ├── PngUnavailable                503 / exit 3   no browser to draw a PNG
    ├── QueueFull                     503 / exit 3   every job worker is busy (Retry-After)
    └── Overloaded                    503 / exit 3   every slot for expensive work is taken

``tests/unit/inspector/test_errors.py`` keeps this tree whole: every
subclass of :class:`InspectorError` in the package is defined here and drawn
above with its status and exit code.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

__all__ = [
    "BadRequest",
    "CertificationUnavailable",
    "ConfigError",
    "DatabaseUnavailable",
    "DrawerError",
    "Forbidden",
    "FormulaError",
    "GeometryFileError",
    "InspectorError",
    "InvalidParameter",
    "NotFound",
    "Overloaded",
    "PayloadDecodeError",
    "PayloadEncodeError",
    "PlotError",
    "PluginError",
    "PngUnavailable",
    "QueueFull",
    "RenderError",
    "SchemaError",
    "Unauthorized",
    "UndecodablePayload",
    "UnsupportedExport",
    "UnsupportedMediaType",
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


class UnsupportedExport(BadRequest):
    """A plot type that has no form in the asked export format (e.g. cmspi of a map)."""

    title = "Export format not available"


class Unauthorized(InspectorError):
    """Writing needs an identified user, and none (or a wrong token) was given."""

    http_status = 401
    exit_code = 2
    title = "Authentication required"


class Forbidden(InspectorError):
    """The user is known, but the request may not do this (e.g. a cross-site form)."""

    http_status = 403
    exit_code = 2
    title = "Forbidden"


class UnsupportedMediaType(InspectorError):
    """The request body is not a JSON:API document."""

    http_status = 415
    exit_code = 2
    title = "Unsupported media type"


class UndecodablePayload(InspectorError):
    """A stored payload whose type or version has no declared layout here.

    The hash exists, so 404 would mislead; like a blob that does not match
    its layout, the server cannot decode it: 422.
    """

    http_status = 422
    title = "Payload cannot be decoded"


class RenderError(InspectorError):
    """A plot object cannot be drawn (no renderer, or bad rendering options)."""

    http_status = 400
    exit_code = 2
    title = "Cannot render"


class PluginError(InspectorError):
    """A plugin cannot be loaded or registers something invalid."""

    exit_code = 2
    title = "Plugin error"


class GeometryFileError(InspectorError):
    """A layout file cannot be used: malformed line, duplicate id or name clash.

    Raised for plugin layout files (naming file and line) and for a broken
    shipped geometry file (a packaging bug).  Exit code 2 on the command line.
    """

    exit_code = 2
    title = "Invalid detector layout"


class PlotError(InspectorError):
    """A plot object is inconsistent, or a document does not describe one.

    Drawers build plot objects, so an inconsistent one is a drawer bug and
    answers 500.  The message starts with the plot type (``History: series
    'x' has 9 values for 10 IOVs``); ``field`` names the offending field when
    there is one.
    """

    title = "Invalid plot object"

    def __init__(self, plot_type: str, reason: str, *, field: str | None = None) -> None:
        super().__init__(f"{plot_type}: {reason}")
        self.plot_type = plot_type
        self.reason = reason
        self.field = field


class CertificationUnavailable(InspectorError):
    """A configured certification file does not exist (yet)."""

    http_status = 503
    exit_code = 3
    title = "Certification file unavailable"

    def __init__(self, name: str, path: Path) -> None:
        super().__init__(f"certification {name!r}: file {path} does not exist")
        self.name = name

    @property
    def public_message(self) -> str:
        """The name without the server's path."""
        return f"certification {self.name!r} is configured but its file is missing on the server"


class PngUnavailable(InspectorError):
    """PNG export cannot run here (no browser, no Playwright, or it failed to draw)."""

    http_status = 503
    exit_code = 3
    title = "PNG export unavailable"

    def __init__(self, message: str, *, public: str | None = None) -> None:
        super().__init__(message)
        self._public = public or message

    @property
    def public_message(self) -> str:
        """The reason without server paths; other formats are named as still working."""
        return f"{self._public}; the json, csv and html exports still work"


class QueueFull(InspectorError):
    """Every job worker is busy and the queue is full: try again later."""

    http_status = 503
    exit_code = 3
    title = "Too many plot jobs"
    #: seconds a client should wait before asking again (the Retry-After header)
    retry_after: ClassVar[int] = 5


class Overloaded(InspectorError):
    """Every admission slot for expensive work is taken: refused at once, try again soon.

    Raised before any work starts (:class:`inspector.admission.Admission`),
    so a refused request costs microseconds and never parks a thread.
    """

    http_status = 503
    exit_code = 3
    title = "Server busy"
    #: seconds a client should wait before asking again (the Retry-After header)
    retry_after: ClassVar[int] = 2
