"""Registry books (admins manage them, clerks read them) and the document-type catalogue."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from eoffice.core.errors import AppError
from eoffice.core.permissions import ADMIN, CLERK, require_roles
from eoffice.core.tenancy import current_actor, get_scoped, scoped
from eoffice.core.time import local_today
from eoffice.extensions import db
from eoffice.registry import services
from eoffice.registry.forms import BookForm
from eoffice.registry.models import BookCounter, NumberAllocation, RegistryBook

bp = Blueprint("registry", __name__, template_folder="templates", url_prefix="/registry")


@bp.get("/books")
@login_required
@require_roles(ADMIN, CLERK)
def books():
    rows = db.session.scalars(scoped(RegistryBook).order_by(RegistryBook.direction, RegistryBook.name)).all()
    year = local_today().year
    last = dict(db.session.execute(select(BookCounter.book_id, BookCounter.last_number).where(
        BookCounter.year == year, BookCounter.book_id.in_([b.id for b in rows]))).all())
    return render_template("registry/books.html", books=rows, last=last, year=year)


@bp.get("/books/<int:book_id>")
@login_required
@require_roles(ADMIN, CLERK)
def book(book_id: int):
    book = get_scoped(RegistryBook, book_id)
    year = request.args.get("year", type=int) or local_today().year
    allocations = db.session.scalars(
        select(NumberAllocation).where(NumberAllocation.book_id == book.id, NumberAllocation.year == year)
        .order_by(NumberAllocation.number.desc()).limit(500)
    ).all()
    return render_template("registry/book.html", book=book, year=year, allocations=allocations)


@bp.route("/books/new", methods=["GET", "POST"])
@bp.route("/books/<int:book_id>/edit", methods=["GET", "POST"])
@login_required
@require_roles(ADMIN)
def book_form(book_id: int | None = None):
    book = get_scoped(RegistryBook, book_id) if book_id else None
    form = BookForm(obj=book)
    form.document_type_ids.choices = [(t.id, f"{t.name}" + (f" ({t.abbreviation})" if t.abbreviation else ""))
                                      for t in services.list_document_types()]
    if request.method == "GET" and book:
        form.document_type_ids.data = [t.id for t in book.document_types]
    if form.validate_on_submit():
        types = services.document_types_by_ids(form.document_type_ids.data)
        fields = {"name": form.name.data, "direction": form.direction.data, "secret": form.secret.data,
                  "legal_normative": form.legal_normative.data}
        try:
            if book is None:
                services.create_book(current_actor().agency, document_types=types, actor=current_actor(), **fields)
            else:
                services.update_book(book, document_types=types, active=form.active.data, actor=current_actor(),
                                     **fields)
        except AppError as exc:
            flash(exc.message, "error")
            return render_template("registry/book_form.html", form=form, book=book), exc.status
        flash(_("Saved."), "success")
        return redirect(url_for("registry.books"))
    return render_template("registry/book_form.html", form=form, book=book)


@bp.post("/books/<int:book_id>/delete")
@login_required
@require_roles(ADMIN)
def book_delete(book_id: int):
    services.delete_book(get_scoped(RegistryBook, book_id), actor=current_actor())
    flash(_("The book was removed."), "success")
    return redirect(url_for("registry.books"))


@bp.get("/document-types")
@login_required
@require_roles(ADMIN, CLERK)
def document_types():
    return render_template("registry/document_types.html", types=services.list_document_types())
