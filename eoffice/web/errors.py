"""Every error leaves through here: JSON `{"error": {"code", "message", "details"}}` for API clients, a page for
browsers. A 500 carries an id that is also in the log; the exception text never reaches the client."""

from __future__ import annotations

import logging
import uuid

from flask import Flask, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from eoffice.core.errors import AppError

log = logging.getLogger(__name__)

_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
               422: "validation_failed", 429: "rate_limited"}


def wants_json() -> bool:
    if request.path.startswith(("/api/", "/exchange/")):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def error_response(status: int, code: str, message: str, details: dict | None = None,
                   headers: dict | None = None):
    if wants_json():
        response = jsonify({"error": {"code": code, "message": message, "details": details or {}}})
        response.status_code = status
        response.headers.update(headers or {})
        return response
    try:
        body = render_template("web/error.html", status=status, code=code, message=message, details=details or {})
    except Exception:
        # The error page must not fail the error: fall back to text when the template cannot render.
        log.exception("error page could not render")
        body = f"{status} {message}"
    return body, status, headers or {}


def init_app(app: Flask) -> None:
    @app.errorhandler(AppError)
    def _app_error(exc: AppError):
        g.keep_changes = exc.keep_changes
        return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError):
        return error_response(400, "csrf_failed", _("The form has expired or is invalid. Reload the page and try again."))

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        messages = {
            404: _("The page or object was not found."),
            405: _("This method is not allowed here."),
            413: _("The upload is larger than the allowed size."),
            429: _("Too many requests. Wait a moment and try again."),
        }
        message = messages.get(exc.code) or exc.description or exc.name
        return error_response(exc.code or 500, _HTTP_CODES.get(exc.code, "http_error"), message)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        error_id = uuid.uuid4().hex[:12]
        log.exception("unhandled error %s on %s %s", error_id, request.method, request.path)
        return error_response(500, "internal_error",
                              _("An unexpected error occurred (code %(id)s). It has been logged.", id=error_id),
                              {"error_id": error_id})
