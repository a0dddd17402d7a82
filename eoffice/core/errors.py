"""Errors a service may raise for the client to see. The web layer turns each into the one JSON envelope
`{"error": {"code", "message", "details"}}` or an HTML page; anything else becomes a 500 with a logged id."""

from __future__ import annotations


class AppError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, details: dict | None = None,
                 keep_changes: bool = False, headers: dict[str, str] | None = None):
        super().__init__(message)
        #: Extra HTTP headers of the error response (e.g. Retry-After).
        self.headers = dict(headers or {})
        #: Commit the transaction even though the request fails, e.g. to keep a failed-login count.
        self.keep_changes = keep_changes
        self.message = str(message)
        if code:
            self.code = code
        self.details = details or {}


class BadRequest(AppError):
    status, code = 400, "bad_request"


class ValidationFailed(AppError):
    status, code = 422, "validation_failed"


class Unauthorized(AppError):
    status, code = 401, "unauthorized"


class Forbidden(AppError):
    status, code = 403, "forbidden"


class NotFound(AppError):
    status, code = 404, "not_found"


class Conflict(AppError):
    status, code = 409, "conflict"


class Locked(AppError):
    status, code = 423, "locked"


class VerifierBusy(AppError):
    """Every signature-verification slot is taken: no verdict on the file; try again after ``retry_after`` s."""

    status, code = 503, "verifier_busy"

    def __init__(self, message: str = "The signature verifier is busy. Try again in a moment.", *,
                 retry_after: int = 5, details: dict | None = None):
        super().__init__(message, details={"retry_after": retry_after, **(details or {})},
                         headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after
