"""REST API under /api/v1. Clients authenticate with a bearer token from POST /api/v1/auth/token; a browser
session cookie is never accepted here, which is why the API needs no CSRF token."""

from __future__ import annotations

from flask import Blueprint, g, request
from flask_babel import gettext as _

from eoffice.core.errors import BadRequest, Unauthorized
from eoffice.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

PUBLIC_ENDPOINTS = {"api.issue_token", "api.openapi"}


@bp.before_request
def _authenticate():
    from eoffice.accounts.services import user_for_token

    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(_("A bearer token is required."), code="token_required")
    user = user_for_token(token.strip())
    if user is None:
        raise Unauthorized(_("The token is invalid or has expired."), code="token_invalid")
    g.actor = user
    g.api_token = token.strip()


def json_body() -> dict:
    """The request's JSON object; a 400 in the error envelope when the body is not a JSON object."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest(_("The request body must be a JSON object."), code="invalid_json")
    return data


from eoffice.api import accounts, auth, openapi, outgoing, registry, signatures  # noqa: E402,F401  (routes register on import)
from eoffice.api import incoming  # noqa: E402,F401
from eoffice.api import exchange, transmissions  # noqa: E402,F401
