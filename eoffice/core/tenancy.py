"""The one way agency-owned rows are read and written.

Every query for an agency's data starts from `scoped(Model)` or `get_scoped(Model, id)`, which filter by the
current actor's agency. A row of another agency is reported as missing (404), never as forbidden, so that its
existence does not leak either.
"""

from __future__ import annotations

from flask import g, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select

from eoffice.core.errors import NotFound, Unauthorized


def set_actor(user) -> None:
    g.actor = user


def current_actor():
    """The authenticated user of this request (web session or API token); 401 when there is none."""
    actor = g.get("actor") if has_app_context() else None
    if actor is None:
        raise Unauthorized(_l("Please log in."))
    return actor


def current_agency_id() -> int:
    return current_actor().agency_id


def scoped(model, agency_id: int | None = None) -> Select:
    """SELECT of `model` limited to one agency: the current actor's unless `agency_id` is given (jobs, CLI)."""
    return select(model).where(model.agency_id == (agency_id if agency_id is not None else current_agency_id()))


def get_scoped(model, ident, agency_id: int | None = None):
    from eoffice.extensions import db

    obj = db.session.execute(scoped(model, agency_id).where(model.id == ident)).scalar_one_or_none()
    if obj is None:
        raise NotFound(_l("Not found."))
    return obj


def ensure_same_agency(obj, agency_id: int | None = None) -> None:
    """Refuse (as missing) a row given by reference, e.g. a unit id in a form, that belongs to another agency."""
    if obj is None or obj.agency_id != (agency_id if agency_id is not None else current_agency_id()):
        raise NotFound(_l("Not found."))
