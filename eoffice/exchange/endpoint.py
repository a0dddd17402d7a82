"""`POST /exchange/v1/packages`: another deployment delivers an edXML package (the body, as it is).

No session and no CSRF token: the package authenticates itself by its envelope signature, checked against the
recipient agency's partner directory. The answer is the transport acknowledgement (`{"ack": "done"}`, 202), or a
refusal in the error envelope with `details.ack = "fail"`; the business status codes (01 arrived, 02 rejected…)
travel back later as status packages of their own.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from flask_babel import gettext as _

from eoffice.exchange.receive import PackageRefused, receive_package
from eoffice.extensions import csrf
from eoffice.web.transaction import reads_before_writing

bp = Blueprint("exchange_endpoint", __name__, url_prefix="/exchange/v1")
csrf.exempt(bp)


@bp.post("/packages")
@reads_before_writing
def receive():
    limit = current_app.config["EXCHANGE_MAX_PACKAGE_BYTES"]
    if request.content_length is not None and request.content_length > limit:
        raise PackageRefused(_("The package is larger than %(n)d bytes.", n=limit), code="too_large", status=413)
    data = request.stream.read(limit + 1)
    if len(data) > limit:
        raise PackageRefused(_("The package is larger than %(n)d bytes.", n=limit), code="too_large", status=413)
    if not data:
        raise PackageRefused(_("The request carries no package."), code="empty", status=400)
    received = receive_package(data)
    return jsonify({"ack": "duplicate" if received.duplicate else "done", "kind": received.kind}), 202
