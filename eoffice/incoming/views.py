"""Incoming documents in the web interface: lists, intake, the document page and its actions, registers."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from eoffice.accounts.models import User
from eoffice.core.errors import AppError
from eoffice.core.permissions import CLERK, LEADER, require_roles
from eoffice.core.tenancy import current_actor, get_scoped, scoped
from eoffice.core.time import local_today
from eoffice.extensions import db
from eoffice.incoming import access, lists, services
from eoffice.incoming.forms import (
    CommentForm, CompleteForm, DirectForm, ExtensionForm, ForwardForm, IntakeForm, ReassignForm, RegisterForm,
    RegisterPeriodForm, ReturnForm, recipient,
)
from eoffice.incoming.models import (
    ASSIGNMENT_STATE_LABELS, PENDING, ROLE_LABELS, SECRECY_LABELS, STATE_LABELS, TRACE_LABELS, URGENCY_LABELS,
    ExtensionRequest,
)
from eoffice.incoming.register_pdf import render_register_pdf
from eoffice.incoming.registers import (
    ARRIVALS, COLUMNS, TRACKING, TRACKING_COLUMNS, build_register, cell_text, render_register_xlsx,
)
from eoffice.incoming.schemas import stamp_data
from eoffice.registry.models import IN, RegistryBook
from eoffice.registry.services import list_document_types
from eoffice.web.transaction import reads_before_writing, writes_on_get

bp = Blueprint("incoming", __name__, template_folder="templates", url_prefix="/incoming")


@bp.app_context_processor
def _labels():
    def nav_counts():
        if not current_user.is_authenticated:
            return {}
        return {"notifications": lists.unread_count(current_user)}

    return {"incoming_nav": nav_counts, "urgency_labels": URGENCY_LABELS, "secrecy_labels": SECRECY_LABELS,
            "incoming_state_labels": STATE_LABELS, "assignment_state_labels": ASSIGNMENT_STATE_LABELS,
            "assignment_role_labels": ROLE_LABELS, "trace_labels": TRACE_LABELS}


def _files(field) -> list[tuple[str, bytes]]:
    uploads = field.data if isinstance(field.data, list) else [field.data]
    return [(u.filename, u.read()) for u in uploads if u and getattr(u, "filename", "")]


def _attempt(fn):
    """Run a service call in a savepoint: a refusal undoes whatever it had flushed, and the page reports it."""
    try:
        with db.session.begin_nested():
            return fn(), None
    except AppError as exc:
        return None, exc


# -- lists ------------------------------------------------------------------------------------------------------

@bp.get("/")
@login_required
def index():
    args = request.args
    docs = lists.list_documents(current_actor(), state=args.get("state") or None, q=args.get("q") or None)
    return render_template("incoming/list.html", docs=docs, title=_("Incoming documents"), today=local_today())


@bp.get("/inbox")
@login_required
def inbox():
    state = request.args.get("state") or None
    rows = lists.inbox(current_actor(), state=state, today=local_today())
    return render_template("incoming/inbox.html", rows=rows, state=state, today=local_today())


@bp.get("/to-direct")
@login_required
@require_roles(LEADER)
def to_direct():
    return render_template("incoming/list.html", docs=lists.to_direct(current_actor()), title=_("To direct"),
                           today=local_today())


@bp.get("/deadlines")
@login_required
def deadlines():
    actor, today = current_actor(), local_today()
    return render_template("incoming/deadlines.html", today=today,
                           overdue=lists.deadline_work(actor, today=today, overdue=True),
                           near=lists.deadline_work(actor, today=today, overdue=False))


@bp.get("/notifications")
@login_required
def notifications():
    return render_template("incoming/notifications.html", items=lists.notifications(current_actor()))


@bp.post("/notifications/read")
@login_required
def notifications_read():
    services.mark_notifications_read(current_actor())
    return redirect(url_for("incoming.notifications"))


# -- intake -----------------------------------------------------------------------------------------------------

@bp.route("/new", methods=["GET", "POST"])
@login_required
@require_roles(CLERK)
@reads_before_writing
def intake():
    form = IntakeForm()
    form.document_type_id.choices = [(0, "—")] + [(t.id, t.name) for t in list_document_types()]
    if form.validate_on_submit():
        fields = {f.name: f.data for f in form if f.name not in ("csrf_token", "file", "attachments", "electronic")}
        fields["document_type_id"] = fields["document_type_id"] or None
        files = _files(form.file) + _files(form.attachments)
        actor = current_actor()
        try:
            # Before the savepoint: the verification runs with no transaction open.
            report = services.verify_uploads(actor.agency, files)
        except AppError as exc:
            doc, error = None, exc
        else:
            doc, error = _attempt(lambda: services.create_incoming(actor.agency, actor=actor, files=files,
                                                                   electronic=form.electronic.data, report=report,
                                                                   **fields))
        if error is None:
            flash(_("The document was received. Check it and register it."), "success")
            return redirect(url_for("incoming.show", doc_id=doc.id))
        flash(error.message, "error")
        return render_template("incoming/intake.html", form=form), error.status
    if request.method == "POST":  # a missing or invalid field: the form comes back with each one marked
        flash(_("Some fields are missing or too long."), "error")
        return render_template("incoming/intake.html", form=form), 422
    return render_template("incoming/intake.html", form=form)


# -- the document page and its actions -----------------------------------------------------------------------------

def _page(doc, status: int = 200, **extra):
    actor, today = current_actor(), local_today()
    books = db.session.scalars(scoped(RegistryBook).where(RegistryBook.direction == IN, RegistryBook.active.is_(True),
                                                          RegistryBook.secret.is_(doc.secret))).all()
    leaders = [u for u in db.session.scalars(scoped(User).where(User.active.is_(True))) if u.has_role(LEADER)]
    register_form = RegisterForm(formdata=None, arrival_date=doc.arrival_date or today)
    register_form.book_id.choices = [(b.id, b.name) for b in books]
    register_form.presented_to_id.choices = [(0, _("Any leader"))] + [(u.id, u.full_name) for u in leaders]
    everyone = access.recipient_choices(actor.agency_id)
    direct_form = DirectForm(formdata=None, lead_deadline=doc.due_date, co_deadline=doc.due_date)
    for field in (direct_form.lead, direct_form.co, direct_form.info):
        field.choices = [c for c in everyone if not (doc.secret and c[0].startswith("unit:"))]
    mine = [a for a in access.my_assignments(actor, doc)]
    reassign = {}
    for a in doc.assignments:
        if access.can_reassign(actor, a):
            form = ReassignForm(formdata=None, deadline=a.deadline, prefix=f"a{a.id}")
            scope = None if doc.directed_by_id == actor.id else access.reassign_scope(a)
            form.targets.choices = [c for c in access.recipient_choices(actor.agency_id, scope)
                                    if not (doc.secret and c[0].startswith("unit:"))]
            reassign[a.id] = form
    forward_form = ForwardForm(formdata=None)
    forward_form.targets.choices = direct_form.info.choices
    extensions = db.session.scalars(select(ExtensionRequest).where(
        ExtensionRequest.assignment_id.in_([a.id for a in doc.assignments])).order_by(ExtensionRequest.id)).all()
    return render_template(
        "incoming/document.html", doc=doc, today=today, report=doc.verification_data, access=access, actor=actor,
        register_form=register_form, return_form=ReturnForm(formdata=None), direct_form=direct_form,
        reassign_forms=reassign, forward_form=forward_form, comment_form=CommentForm(formdata=None),
        extension_form=ExtensionForm(formdata=None), complete_form=CompleteForm(formdata=None),
        mine=mine, extensions=extensions, pending=PENDING, stamp=stamp_data(doc), **extra), status


@bp.get("/<int:doc_id>")
@login_required
@writes_on_get
def show(doc_id: int):
    doc = access.get_visible(current_actor(), doc_id)
    services.mark_read(doc, actor=current_actor())
    services.record_access(doc, "view", actor=current_actor(), data={"via": "web"})
    return _page(doc)


def _act(doc, fn, success: str, **on_error):
    _result, error = _attempt(fn)
    if error is not None:
        flash(error.message, "error")
        return _page(doc, error.status, error=error, **on_error)
    flash(success, "success")
    return redirect(url_for("incoming.show", doc_id=doc.id))


@bp.post("/<int:doc_id>/register")
@login_required
@require_roles(CLERK)
def register(doc_id: int):
    actor, doc = current_actor(), access.get_visible(current_actor(), doc_id)
    form = RegisterForm()
    book = get_scoped(RegistryBook, form.book_id.data) if form.book_id.data else None
    presented = get_scoped(User, form.presented_to_id.data) if form.presented_to_id.data else None
    if book is None:
        flash(_("Choose an open book of incoming documents."), "error")
        return _page(doc, 422)
    return _act(doc, lambda: services.register_incoming(
        doc, book=book, actor=actor, arrival_date=form.arrival_date.data, presented_to=presented,
        file_code=form.file_code.data, duplicate_reason=form.duplicate_reason.data or ""),
        _("The document was registered."))


@bp.post("/<int:doc_id>/return")
@login_required
@require_roles(CLERK)
def return_(doc_id: int):
    doc = access.get_visible(current_actor(), doc_id)
    form = ReturnForm()
    return _act(doc, lambda: services.return_incoming(doc, reason=form.reason.data or "", actor=current_actor()),
                _("The document was returned to its sender."))


@bp.post("/<int:doc_id>/recall")
@login_required
@require_roles(CLERK)
def recall(doc_id: int):
    doc = access.get_visible(current_actor(), doc_id)
    form = ReturnForm()
    return _act(doc, lambda: services.recall_incoming(doc, reason=form.reason.data or "", actor=current_actor()),
                _("The document was recalled: its files were removed and its history kept."))


@bp.post("/<int:doc_id>/direct")
@login_required
@require_roles(LEADER)
def direct(doc_id: int):
    doc = access.get_visible(current_actor(), doc_id)
    form = DirectForm()
    lead = {**recipient(form.lead.data), "deadline": form.lead_deadline.data}
    co = [{**recipient(v), "deadline": form.co_deadline.data} for v in form.co.data or []]
    info = [recipient(v) for v in form.info.data or []]
    return _act(doc, lambda: services.direct_incoming(doc, actor=current_actor(), opinion=form.opinion.data or "",
                                                      lead=lead if recipient(form.lead.data) else {}, co=co,
                                                      info=info), _("The direction was recorded."))


@bp.post("/assignments/<int:assignment_id>/reassign")
@login_required
def reassign(assignment_id: int):
    actor = current_actor()
    assignment = access.get_visible_assignment(actor, assignment_id)
    form = ReassignForm(prefix=f"a{assignment.id}")
    targets = [{**recipient(v), "deadline": form.deadline.data} for v in form.targets.data or []]
    return _act(assignment.document, lambda: services.reassign_assignment(
        assignment, actor=actor, targets=targets, note=form.note.data or ""), _("The work was handed down."))


@bp.post("/<int:doc_id>/forward")
@login_required
def forward(doc_id: int):
    doc = access.get_visible(current_actor(), doc_id)
    form = ForwardForm()
    targets = [recipient(v) for v in form.targets.data or []]
    return _act(doc, lambda: services.forward_incoming(doc, actor=current_actor(), targets=targets,
                                                       note=form.note.data or ""), _("The document was forwarded."))


@bp.post("/<int:doc_id>/comment")
@login_required
def comment(doc_id: int):
    doc = access.get_visible(current_actor(), doc_id)
    form = CommentForm()
    return _act(doc, lambda: services.comment_incoming(doc, actor=current_actor(), text=form.text.data or "",
                                                       files=_files(form.files)), _("Your comment was added."))


@bp.post("/assignments/<int:assignment_id>/extension")
@login_required
def extension(assignment_id: int):
    actor = current_actor()
    assignment = access.get_visible_assignment(actor, assignment_id)
    form = ExtensionForm()
    return _act(assignment.document, lambda: services.request_extension(
        assignment, actor=actor, deadline=form.deadline.data, reason=form.reason.data or ""),
        _("Your request for more time was sent."))


@bp.post("/extensions/<int:request_id>/<any(approve, refuse):decision>")
@login_required
def decide(request_id: int, decision: str):
    actor = current_actor()
    ext = access.get_visible_extension(actor, request_id)
    return _act(ext.assignment.document, lambda: services.decide_extension(
        ext, actor=actor, approve=decision == "approve", comment=request.form.get("comment", "")), _("Saved."))


@bp.post("/assignments/<int:assignment_id>/complete")
@login_required
def complete(assignment_id: int):
    actor = current_actor()
    assignment = access.get_visible_assignment(actor, assignment_id)
    form = CompleteForm()
    return _act(assignment.document, lambda: services.complete_assignment(
        assignment, actor=actor, comment=form.comment.data or "", files=_files(form.files)), _("Marked as done."))


@bp.get("/<int:doc_id>/files/<int:file_id>")
@login_required
@writes_on_get
def download(doc_id: int, file_id: int):
    found = access.get_visible_file(current_actor(), doc_id, file_id)
    services.record_access(found.document, "download", actor=current_actor(),
                           data={"via": "web", "file_id": found.id, "sha256": found.stored.sha256})
    return Response(found.stored.read(), mimetype=found.stored.content_type,
                    headers={"Content-Disposition": f'attachment; filename="incoming-{doc_id}-{found.id}.pdf"'})


# -- registers --------------------------------------------------------------------------------------------------

@bp.get("/register")
@login_required
@require_roles(CLERK)
def register_book():
    today = local_today()
    form = RegisterPeriodForm(request.args, date_from=today.replace(day=1), date_to=today)
    books = db.session.scalars(scoped(RegistryBook).where(RegistryBook.direction == IN)
                               .order_by(RegistryBook.secret, RegistryBook.name)).all()
    form.book_id.choices = [(b.id, b.name) for b in books]
    kind = TRACKING if request.args.get("kind") == TRACKING else ARRIVALS
    columns = TRACKING_COLUMNS if kind == TRACKING else COLUMNS
    if not books:
        return render_template("incoming/register.html", form=form, register=None, columns=columns, kind=kind)
    book = get_scoped(RegistryBook, form.book_id.data or books[0].id)
    if book.direction != IN:
        return render_template("incoming/register.html", form=form, register=None, columns=columns, kind=kind), 404
    if request.args and not form.validate():
        return render_template("incoming/register.html", form=form, register=None, columns=columns, kind=kind), 422
    register = build_register(current_actor().agency, book, form.date_from.data or today.replace(day=1),
                              form.date_to.data or today, kind=kind)
    name = f"{'theo-doi' if kind == TRACKING else 'so-den'}-{register.date_from:%Y%m%d}-{register.date_to:%Y%m%d}"
    fmt = request.args.get("format")
    if fmt == "pdf":
        return Response(render_register_pdf(register), mimetype="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'})
    if fmt == "xlsx":
        return Response(render_register_xlsx(register),
                        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return render_template("incoming/register.html", form=form, register=register, columns=columns,
                           cell_text=cell_text, book=book, kind=kind)
