from flask import g, jsonify

from eoffice.accounts import services
from eoffice.accounts.schemas import user_json
from eoffice.api import bp, json_body
from eoffice.core.errors import ValidationFailed
from eoffice.core.tenancy import current_actor
from eoffice.extensions import limiter
from flask import current_app
from flask_babel import gettext as _


@bp.post("/auth/token")
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"])
def issue_token():
    data = json_body()
    username, password = data.get("username"), data.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
        raise ValidationFailed(_("username and password are required strings."),
                               details={"fields": ["username", "password"]})
    user = services.authenticate(username, password)
    token, row = services.issue_token(user)
    return jsonify({"access_token": token, "token_type": "Bearer", "expires_at": row.expires_at.isoformat()})


@bp.post("/auth/revoke")
def revoke_token():
    services.revoke_token(g.api_token)
    return "", 204


@bp.get("/me")
def me():
    actor = current_actor()
    return jsonify({**user_json(actor), "agency": {"id": actor.agency.id, "name": actor.agency.name,
                                                   "code": actor.agency.code}})
