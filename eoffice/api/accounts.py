"""Units and users of the caller's agency (admins change them; every user may read)."""

from flask import jsonify, request

from eoffice.accounts import services
from eoffice.accounts.models import Unit, User
from eoffice.accounts.schemas import agency_json, unit_json, user_json
from eoffice.api import bp, json_body
from flask_babel import gettext as _

from eoffice.core.errors import Conflict, ValidationFailed
from eoffice.core.permissions import ADMIN, require_roles
from eoffice.core.tenancy import current_actor, get_scoped, scoped
from eoffice.extensions import db


@bp.get("/agency")
def agency_show():
    return jsonify(agency_json(current_actor().agency))


@bp.patch("/agency")
@require_roles(ADMIN)
def agency_update():
    agency = services.update_agency(current_actor().agency, actor=current_actor(), **_strings(json_body()))
    return jsonify(agency_json(agency))


def _strings(data: dict) -> dict:
    bad = [key for key, value in data.items() if value is not None and not isinstance(value, str)]
    if bad:
        raise ValidationFailed(_("These fields must be text."), details={"fields": bad})
    return data


@bp.get("/units")
def units_list():
    return jsonify({"items": [unit_json(u) for u in db.session.scalars(scoped(Unit).order_by(Unit.name))]})


@bp.get("/units/<int:unit_id>")
def unit_show(unit_id: int):
    return jsonify(unit_json(get_scoped(Unit, unit_id)))


def _parent(data: dict):
    parent_id = data.get("parent_id")
    return get_scoped(Unit, int(parent_id)) if parent_id else None


@bp.post("/units")
@require_roles(ADMIN)
def unit_create():
    data = json_body()
    unit = services.create_unit(current_actor().agency, name=str(data.get("name") or ""),
                                abbreviation=str(data.get("abbreviation") or ""), parent=_parent(data),
                                actor=current_actor())
    return jsonify(unit_json(unit)), 201


@bp.patch("/units/<int:unit_id>")
@require_roles(ADMIN)
def unit_update(unit_id: int):
    unit, data = get_scoped(Unit, unit_id), json_body()
    services.update_unit(unit, name=data.get("name"), abbreviation=data.get("abbreviation"),
                         parent=_parent(data) if "parent_id" in data else False, actor=current_actor())
    return jsonify(unit_json(unit))


@bp.delete("/units/<int:unit_id>")
@require_roles(ADMIN)
def unit_delete(unit_id: int):
    services.delete_unit(get_scoped(Unit, unit_id), actor=current_actor())
    return "", 204


@bp.get("/users")
def users_list():
    query = scoped(User).order_by(User.username)
    if request.args.get("unit_id", type=int):
        query = query.where(User.unit_id == request.args.get("unit_id", type=int))
    return jsonify({"items": [user_json(u) for u in db.session.scalars(query)]})


@bp.get("/users/<int:user_id>")
def user_show(user_id: int):
    return jsonify(user_json(get_scoped(User, user_id)))


USER_FIELDS = ("full_name", "position", "email", "unit_id", "active")


@bp.post("/users")
@require_roles(ADMIN)
def user_create():
    data = json_body()
    roles = data.get("roles") or []
    if not isinstance(roles, list):
        raise ValidationFailed(_("roles must be a list."), details={"fields": ["roles"]})
    user = services.create_user(current_actor().agency, username=str(data.get("username") or ""),
                                password=str(data.get("password") or ""), full_name=str(data.get("full_name") or ""),
                                roles=roles, actor=current_actor(),
                                **{k: data[k] for k in USER_FIELDS if k in data and k != "full_name"})
    return jsonify(user_json(user)), 201


@bp.patch("/users/<int:user_id>")
@require_roles(ADMIN)
def user_update(user_id: int):
    user, data, actor = get_scoped(User, user_id), json_body(), current_actor()
    if "roles" in data and not isinstance(data["roles"], list):
        raise ValidationFailed(_("roles must be a list."), details={"fields": ["roles"]})
    if user.id == actor.id and (data.get("active") is False or ("roles" in data and ADMIN not in data["roles"])):
        raise Conflict(_("You cannot deactivate yourself or remove your own administrator role."))
    services.update_user(user, actor=actor, **{k: data[k] for k in USER_FIELDS if k in data})
    if "roles" in data:
        services.set_roles(user, data["roles"], actor=actor)
    if data.get("password"):
        services.set_password(user, str(data["password"]), actor=actor)
    return jsonify(user_json(user))


@bp.delete("/users/<int:user_id>")
@require_roles(ADMIN)
def user_deactivate(user_id: int):
    """Users are deactivated, never deleted: their names stay in the history they made."""
    user = get_scoped(User, user_id)
    if user.id == current_actor().id:
        raise Conflict(_("You cannot deactivate yourself or remove your own administrator role."))
    services.update_user(user, active=False, actor=current_actor())
    return "", 204
