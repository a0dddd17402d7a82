"""Registry books of the caller's agency and the document-type catalogue."""

from flask import jsonify
from flask_babel import gettext as _
from sqlalchemy import select

from eoffice.api import bp, json_body
from eoffice.core.errors import ValidationFailed
from eoffice.core.permissions import ADMIN, CLERK, require_roles
from eoffice.core.tenancy import current_actor, get_scoped, scoped
from eoffice.core.time import local_today
from eoffice.extensions import db
from eoffice.registry import services
from eoffice.registry.models import BookCounter, RegistryBook
from eoffice.registry.schemas import book_json, document_type_json


@bp.get("/registry/document-types")
def document_types_list():
    return jsonify({"items": [document_type_json(t) for t in services.list_document_types()]})


def _last_numbers(book_ids) -> dict:
    return dict(db.session.execute(select(BookCounter.book_id, BookCounter.last_number).where(
        BookCounter.year == local_today().year, BookCounter.book_id.in_(list(book_ids)))).all())


@bp.get("/registry/books")
@require_roles(ADMIN, CLERK)
def books_list():
    books = db.session.scalars(scoped(RegistryBook).order_by(RegistryBook.name)).all()
    last = _last_numbers(b.id for b in books)
    return jsonify({"items": [book_json(b, last.get(b.id, 0)) for b in books]})


@bp.get("/registry/books/<int:book_id>")
@require_roles(ADMIN, CLERK)
def book_show(book_id: int):
    book = get_scoped(RegistryBook, book_id)
    return jsonify(book_json(book, _last_numbers([book.id]).get(book.id, 0)))


def _book_fields(data: dict) -> dict:
    fields = {k: data[k] for k in ("name", "direction") if k in data}
    for key in ("secret", "legal_normative", "active"):
        if key in data:
            if not isinstance(data[key], bool):
                raise ValidationFailed(_("%(f)s must be true or false.", f=key), details={"fields": [key]})
            fields[key] = data[key]
    if "document_type_ids" in data:
        if not isinstance(data["document_type_ids"], list):
            raise ValidationFailed(_("document_type_ids must be a list."), details={"fields": ["document_type_ids"]})
        fields["document_types"] = services.document_types_by_ids(data["document_type_ids"])
    return fields


@bp.post("/registry/books")
@require_roles(ADMIN)
def book_create():
    fields = _book_fields(json_body())
    fields.pop("active", None)
    book = services.create_book(current_actor().agency, name=str(fields.pop("name", "")),
                                direction=str(fields.pop("direction", "")), actor=current_actor(), **fields)
    return jsonify(book_json(book)), 201


@bp.patch("/registry/books/<int:book_id>")
@require_roles(ADMIN)
def book_update(book_id: int):
    book = services.update_book(get_scoped(RegistryBook, book_id), actor=current_actor(),
                                **_book_fields(json_body()))
    return jsonify(book_json(book))


@bp.delete("/registry/books/<int:book_id>")
@require_roles(ADMIN)
def book_delete(book_id: int):
    services.delete_book(get_scoped(RegistryBook, book_id), actor=current_actor())
    return "", 204
