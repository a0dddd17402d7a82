"""Outgoing document pages: work lists, the draft form, the document page with its actions, the register."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from eoffice.accounts.models import Agency, Unit, User, UserRole
from eoffice.core.db import end_transaction_for_slow_work
from eoffice.core.errors import AppError, Forbidden, ValidationFailed
from eoffice.core.permissions import ADMIN, CLERK, LEADER, require_roles
from eoffice.core.tenancy import current_actor, get_scoped, scoped
from eoffice.core.time import local_today
from eoffice.exchange.models import ExchangePartner
from eoffice.extensions import db
from eoffice.outgoing import services
from eoffice.outgoing.forms import (
    CommentForm, DraftForm, IssueForm, PartnerForm, PinForm, ReasonForm, RecipientStatusForm, StepForm, UploadForm,
)
from eoffice.outgoing.models import (
    AGENCY_RECIPIENT, APPENDIX, MAIN, PARTNER_RECIPIENT, PLACE_RECIPIENT, UNIT_RECIPIENT, ApprovalStepDefinition,
    OutgoingFile, OutgoingRecipient,
)
from eoffice.outgoing.register import COLUMNS, register_pdf, register_rows, register_xlsx
from eoffice.outgoing.services.access import get_document
from eoffice.outgoing.views_common import BOXES, box_documents, download, signed_file
from eoffice.registry.models import RegistryBook
from eoffice.registry.services import list_document_types
from eoffice.web.transaction import reads_before_writing

bp = Blueprint("outgoing", __name__, template_folder="templates", url_prefix="/outgoing")


@bp.get("/")
@login_required
def index():
    box = request.args.get("box", "all")
    box = box if box in BOXES else "all"
    return render_template("outgoing/list.html", docs=box_documents(current_actor(), box), box=box)


def _choices(form: DraftForm, actor) -> None:
    form.document_type_id.choices = [(t.id, t.name) for t in list_document_types()]
    leaders = db.session.scalars(scoped(User).join(UserRole).where(UserRole.role == LEADER, User.active.is_(True))
                                 .order_by(User.full_name)).all()
    form.signer_id.choices = [(u.id, f"{u.full_name} — {u.position}") for u in leaders]
    units = db.session.scalars(scoped(Unit).order_by(Unit.name)).all()
    form.drafting_unit_id.choices = [(u.id, u.name) for u in units]
    form.unit_ids.choices = [(u.id, u.name) for u in units]
    form.agency_ids.choices = [(a.id, a.name) for a in db.session.scalars(
        select(Agency).where(Agency.id != actor.agency_id).order_by(Agency.name))]
    form.partner_ids.choices = [(p.id, f"{p.name} ({p.organ_id})") for p in db.session.scalars(
        scoped(ExchangePartner).where(ExchangePartner.active.is_(True)).order_by(ExchangePartner.name))]


def _recipient_specs(form: DraftForm) -> list[dict]:
    mode = form.mode.data
    specs = [{"kind": UNIT_RECIPIENT, "unit_id": i, "mode": mode} for i in form.unit_ids.data]
    specs += [{"kind": AGENCY_RECIPIENT, "agency_id": i, "mode": mode} for i in form.agency_ids.data]
    specs += [{"kind": PARTNER_RECIPIENT, "partner_id": i, "mode": mode} for i in form.partner_ids.data]
    return specs


FORM_FIELDS = ("document_type_id", "subject", "signer_id", "signer_position", "signer_name", "drafting_unit_id",
               "places", "due_date", "priority", "secrecy", "page_amount", "issued_amount", "language", "description")


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:doc_id>/edit", methods=["GET", "POST"])
@login_required
@reads_before_writing
def draft(doc_id: int | None = None):
    actor = current_actor()
    doc = get_document(actor, doc_id) if doc_id else None
    if doc is not None and doc.drafter_id != actor.id:
        raise Forbidden(_("Only the drafter can change the draft."))
    form = DraftForm(obj=doc)
    _choices(form, actor)
    if request.method == "GET":
        if doc is None:
            form.drafting_unit_id.data = actor.unit_id
        else:
            form.unit_ids.data = [r.unit_id for r in doc.recipients if r.kind == UNIT_RECIPIENT]
            form.agency_ids.data = [r.target_agency_id for r in doc.recipients if r.kind == AGENCY_RECIPIENT]
            form.partner_ids.data = [r.partner_id for r in doc.recipients if r.kind == PARTNER_RECIPIENT]
            electronic = [r.mode for r in doc.recipients if r.kind != PLACE_RECIPIENT]
            form.mode.data = electronic[0] if electronic else form.mode.default
    if form.validate_on_submit():
        fields = {name: getattr(form, name).data for name in FORM_FIELDS}
        try:
            # Converted and judged before the savepoint: the transaction is closed meanwhile.
            uploads = _prepare_uploads(actor, form.main_file.data, form.appendices.data) if doc is None else []
            end_transaction_for_slow_work(db.session)  # the writes below begin with the write lock
            with db.session.begin_nested():
                if doc is None:
                    doc = services.create_draft(actor, recipients=_recipient_specs(form), **fields)
                    for role, prepared in uploads:
                        services.add_file(doc, actor, prepared, role=role)
                else:
                    services.update_draft(doc, actor, recipients=_recipient_specs(form), **fields)
        except AppError as exc:
            flash(exc.message, "error")
            return render_template("outgoing/form.html", form=form, doc=doc if doc_id else None), exc.status
        flash(_("Saved."), "success")
        return redirect(url_for("outgoing.show", doc_id=doc.id), 303)
    return render_template("outgoing/form.html", form=form, doc=doc), 400 if form.errors else 200


def _prepare_uploads(actor, main, appendices) -> list[tuple[str, object]]:
    uploads = [(MAIN, main)] if main is not None and getattr(main, "filename", "") else []
    uploads += [(APPENDIX, upload) for upload in appendices or [] if upload and upload.filename]
    return [(role, services.prepare_upload(actor.agency_id, upload.read(), upload.filename))
            for role, upload in uploads]


@bp.get("/<int:doc_id>")
@login_required
def show(doc_id: int):
    from eoffice.signing.services import verify_stored

    actor = current_actor()
    doc = get_document(actor, doc_id)
    report = None
    signed = doc.current_file("issued") or doc.current_file("leader_signed")
    if signed is not None:
        # Normally kept by the job that signing and issuing queue; computed here only when it is not (yet).
        report = verify_stored(signed.stored_file.sha256, doc.agency_id).to_dict()
        report["file_name"] = signed.stored_file.name
        report["file_sha256"] = signed.stored_file.sha256
    issue_form = IssueForm()
    issue_form.book_id.choices = [(b.id, b.name) for b in services.issuable_books(doc)]
    return render_template(
        "outgoing/show.html", doc=doc, report=report, step=services.actionable_step(actor, doc),
        waiting=services.waiting_steps(doc), comment_form=CommentForm(), pin_form=PinForm(), issue_form=issue_form,
        upload_form=UploadForm(), reason_form=ReasonForm(), status_form=RecipientStatusForm(),
        is_drafter=doc.drafter_id == actor.id, is_clerk=actor.has_role(CLERK))


def _act(doc_id: int, action, success: str, *, savepoint: bool = True):
    """Run one action from the document page; a refusal becomes a message on the page and changes nothing.

    Signing and issuing open their own savepoint after the PIN check, so that a wrong PIN still counts."""
    actor = current_actor()
    doc = get_document(actor, doc_id)
    try:
        if savepoint:
            with db.session.begin_nested():
                action(doc, actor)
        else:
            action(doc, actor)
    except AppError as exc:
        flash(exc.message, "error")
    else:
        flash(success, "success")
    return redirect(url_for("outgoing.show", doc_id=doc_id), 303)


@bp.post("/<int:doc_id>/files")
@login_required
@reads_before_writing
def upload(doc_id: int):
    form = UploadForm()
    if form.file.data is None or not form.file.data.filename:
        flash(_("Choose a PDF file."), "error")
        return redirect(url_for("outgoing.show", doc_id=doc_id), 303)
    actor = current_actor()
    get_document(actor, doc_id)  # a document the user cannot see gets its 404 before any work on the file
    try:
        prepared = services.prepare_upload(actor.agency_id, form.file.data.read(), form.file.data.filename)
    except AppError as exc:
        flash(exc.message, "error")
        return redirect(url_for("outgoing.show", doc_id=doc_id), 303)
    return _act(doc_id, lambda doc, actor: services.add_file(doc, actor, prepared, role=form.role.data),
                _("The file was saved as a new version."))


@bp.post("/<int:doc_id>/submit")
@login_required
def submit(doc_id: int):
    return _act(doc_id, services.submit_document, _("The draft was submitted for review."))


@bp.post("/<int:doc_id>/review")
@login_required
def review(doc_id: int):
    form = CommentForm()
    if request.form.get("decision") == "return":
        return _act(doc_id, lambda doc, actor: services.return_document(doc, actor, form.comment.data or ""),
                    _("The draft was returned to the drafter."))
    return _act(doc_id, lambda doc, actor: services.approve_document(doc, actor, form.comment.data or ""),
                _("Approved."))


@bp.post("/<int:doc_id>/sign")
@login_required
@reads_before_writing
def sign(doc_id: int):
    pin = PinForm().pin.data or ""
    return _act(doc_id, lambda doc, actor: services.sign_document(doc, actor, pin), _("The document was signed."),
                savepoint=False)


@bp.post("/<int:doc_id>/issue")
@login_required
@require_roles(CLERK)
def issue(doc_id: int):
    form = IssueForm()
    pin = form.pin.data or ""

    def _issue(doc, actor):
        book = get_scoped(RegistryBook, form.book_id.data or 0)
        services.issue_document(doc, actor, book=book, pin=pin)

    return _act(doc_id, _issue, _("The document was issued."), savepoint=False)


@bp.post("/<int:doc_id>/status")
@login_required
@require_roles(CLERK)
def change_status(doc_id: int):
    form = ReasonForm()
    reason = form.reason.data or ""

    def _change(doc, actor):
        if form.action.data == "recall":
            services.recall_document(doc, actor, reason)
        elif form.action.data == "update":
            services.notify_update(doc, actor, reason)
        else:
            replacement = get_document(actor, form.replacement_id.data) if form.replacement_id.data else None
            services.replace_document(doc, actor, reason, replacement)

    return _act(doc_id, _change, _("Saved."))


@bp.post("/<int:doc_id>/recipients/<int:recipient_id>")
@login_required
@require_roles(CLERK)
def recipient_status(doc_id: int, recipient_id: int):
    form = RecipientStatusForm()

    def _set(doc, actor):
        recipient = db.session.get(OutgoingRecipient, recipient_id)
        if recipient is None or recipient.document_id != doc.id:
            raise ValidationFailed(_("Unknown recipient or status."))
        services.set_recipient_status(doc, recipient, actor, form.status.data, form.note.data or "")

    return _act(doc_id, _set, _("Saved."))


@bp.get("/<int:doc_id>/file")
@login_required
def signed_pdf(doc_id: int):
    return download(signed_file(get_document(current_actor(), doc_id)))


@bp.get("/<int:doc_id>/files/<int:file_id>")
@login_required
def file_version(doc_id: int, file_id: int):
    doc = get_document(current_actor(), doc_id)
    return download(db.session.scalar(select(OutgoingFile).where(OutgoingFile.id == file_id,
                                                                 OutgoingFile.document_id == doc.id)))


@bp.get("/register")
@login_required
@require_roles(CLERK, ADMIN)
def register():
    today = local_today()
    try:
        start = date.fromisoformat(request.args.get("from") or today.replace(month=1, day=1).isoformat())
        end = date.fromisoformat(request.args.get("to") or today.isoformat())
    except ValueError:
        raise ValidationFailed(_("A date as YYYY-MM-DD.")) from None
    rows = register_rows(current_actor().agency_id, start, end)
    title = f"SỔ ĐĂNG KÝ VĂN BẢN ĐI từ {start:%d/%m/%Y} đến {end:%d/%m/%Y}"
    fmt = request.args.get("format")
    name = f"so-van-ban-di-{start:%Y%m%d}-{end:%Y%m%d}"
    if fmt == "pdf":
        return Response(register_pdf(rows, title), mimetype="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'})
    if fmt == "xlsx":
        return Response(register_xlsx(rows, title),
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})
    return render_template("outgoing/register.html", rows=rows, columns=COLUMNS, start=start, end=end)


# -- configuration: approval steps (admin) and the partner directory (admin, clerk) --------------------------------

@bp.route("/settings", methods=["GET", "POST"])
@login_required
@require_roles(ADMIN, CLERK)
def settings():
    actor = current_actor()
    step_form, partner_form = StepForm(prefix="step"), PartnerForm(prefix="partner")
    types = list_document_types()
    step_form.document_type_id.choices = [(0, _("Every type without its own chain"))] + [(t.id, t.name) for t in types]
    if request.method == "POST":
        form = step_form if "step-kind" in request.form else partner_form
        if form is step_form and not actor.has_role(ADMIN):
            raise Forbidden(_("You do not have the role this action needs."))
        if form.validate_on_submit():
            try:
                with db.session.begin_nested():
                    if form is step_form:
                        services.define_step(actor.agency, kind=form.kind.data, position=form.position.data,
                                             document_type_id=form.document_type_id.data or None,
                                             name=form.name.data or "", required_approvals=form.required_approvals.data,
                                             actor=actor)
                    else:
                        services.add_partner(actor.agency, name=form.name.data, organ_id=form.organ_id.data,
                                             email=form.email.data or "", actor=actor)
            except AppError as exc:
                flash(exc.message, "error")
            else:
                flash(_("Saved."), "success")
                return redirect(url_for("outgoing.settings"), 303)
    steps = db.session.scalars(scoped(ApprovalStepDefinition).order_by(
        ApprovalStepDefinition.document_type_id, ApprovalStepDefinition.position)).all()
    partners = db.session.scalars(scoped(ExchangePartner).order_by(ExchangePartner.name)).all()
    return render_template("outgoing/settings.html", steps=steps, partners=partners, step_form=step_form,
                           partner_form=partner_form, type_names={t.id: t.name for t in types})


@bp.post("/settings/steps/<int:step_id>/delete")
@login_required
@require_roles(ADMIN)
def step_delete(step_id: int):
    db.session.delete(get_scoped(ApprovalStepDefinition, step_id))
    flash(_("Saved."), "success")
    return redirect(url_for("outgoing.settings"), 303)
