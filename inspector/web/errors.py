"""Every error becomes a clear answer: JSON:API errors under /api and for JSON, pages elsewhere.

User input never produces a 500 or a traceback: product errors carry their
status (:mod:`inspector.errors`), unknown routes are 404, and anything
unexpected is logged and answered with a plain 500 page that shows no code.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, make_response, render_template, request
from werkzeug.exceptions import HTTPException

from inspector.errors import InspectorError, InvalidParameter

__all__ = ["install_error_handlers", "is_api", "json_error"]

log = logging.getLogger(__name__)


def is_api() -> bool:
    """Whether the current request is for the JSON API, or for JSON at all.

    A path ending in ``.json`` (the plot page's drawing and zoom values, the
    JSON export) is read by a script or a program, not by a person: its
    errors are JSON:API errors naming the parameter, as the API's are.
    """
    return request.path.startswith("/api/") or request.path.endswith(".json")


def json_error(status: int, title: str, detail: str, parameter: str | None = None) -> Response:
    """A JSON:API error document with ``status`` (for the API and the operators' routes)."""
    error: dict[str, Any] = {"status": str(status), "title": title, "detail": detail}
    if parameter:
        error["source"] = {"parameter": parameter}
    response = jsonify({"errors": [error], "jsonapi": {"version": "1.1"}})
    response.mimetype = "application/vnd.api+json"
    response.status_code = status
    return response


def _answer(
    status: int, title: str, detail: str, parameter: str | None = None
) -> tuple[Response | str, int]:
    if is_api():
        return json_error(status, title, detail, parameter), status
    return render_template("error.html", status=status, title=title, detail=detail), status


def install_error_handlers(app: Flask) -> None:
    """Register the handlers on ``app``."""

    @app.errorhandler(InspectorError)
    def product_error(exc: InspectorError) -> Response:
        parameter = exc.parameter if isinstance(exc, InvalidParameter) else None
        response = make_response(_answer(exc.http_status, exc.title, exc.public_message, parameter))
        if exc.http_status == 503:  # the error's own wait when it names one (Overloaded: 2 s)
            response.headers["Retry-After"] = str(getattr(exc, "retry_after", 5))
        if exc.http_status == 401:  # writing notes without (valid) credentials
            response.headers["WWW-Authenticate"] = 'Bearer realm="payload-inspector"'
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response | str, int]:
        status = exc.code or 500
        detail = exc.description or ""
        if status == 404:
            detail = f"there is no page at {request.path}"
        return _answer(status, exc.name, detail)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> tuple[Response | str, int]:
        log.exception("unexpected error on %s", request.path)
        return _answer(
            500, "Internal error", "something went wrong on the server; the error has been logged"
        )
