"""Signing pages: the public verification page, the user's keys and signing, the admin's trust store and seal."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from eoffice.core.errors import AppError, ValidationFailed
from eoffice.core.permissions import ADMIN, CLERK, require_roles
from eoffice.core.storage import FileMissing
from eoffice.core.tenancy import current_actor, get_scoped, scoped
from eoffice.extensions import db, limiter
from eoffice.signing import operations, services
from eoffice.signing.tasks import report_store
from eoffice.signing.models import SEAL_IMAGE, SIGNATURE_IMAGE, SigningCredential, TrustAnchor
from eoffice.signing.webforms import ImageForm, Pkcs12Form, SignForm, TrustAnchorForm, UserPkcs12Form, VerifyForm
from eoffice.web.transaction import reads_before_writing

bp = Blueprint("signing", __name__, template_folder="templates")
_REPORT_NAME = re.compile(r"^[0-9a-f]{64}$")


def read_pdf_upload(storage) -> bytes:
    """The bytes of an uploaded PDF; a clear 4xx for anything else."""
    if storage is None or not storage.filename:
        raise ValidationFailed(_("Choose a PDF file."), code="file_required")
    data = storage.read()
    if not data.lstrip()[:5].startswith(b"%PDF-"):
        raise ValidationFailed(_("%(name)s is not a PDF file.", name=storage.filename), code="not_pdf")
    return data


# -- public verification ----------------------------------------------------------------------------------------

@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_VERIFY"], methods=["POST"])
@reads_before_writing
def verify():
    form = VerifyForm()
    if not form.validate_on_submit():
        return render_template("signing/verify.html", form=form, report=None), 400 if request.method == "POST" else 200
    upload = form.file.data
    data = read_pdf_upload(upload)
    # Anonymous visitors trust the deployment's list only; a logged-in user also their own agency's anchors.
    agency_id = current_user.agency_id if current_user.is_authenticated else None
    report = services.verify_data(data, agency_id).to_dict()
    report["file_name"] = upload.filename
    report["file_sha256"] = hashlib.sha256(data).hexdigest()
    # The report is kept (content-addressed, so its name is unguessable) for the JSON and PDF downloads.
    token = report_store().put(json.dumps(report, ensure_ascii=False, sort_keys=True).encode())
    # A file that could not be judged (broken, over a limit) is shown with its reason, as a 422 like the API's.
    status = 422 if report.get("error") else 200
    return render_template("signing/verify.html", form=VerifyForm(formdata=None), report=report, token=token), status


@bp.get("/verify/report/<token>.<fmt>")
def verify_report(token: str, fmt: str):
    if not _REPORT_NAME.match(token) or fmt not in ("json", "pdf"):
        abort(404)
    try:
        report = json.loads(report_store().read(token))
    except (FileMissing, ValueError):
        abort(404)
    if fmt == "json":
        return Response(json.dumps(report, ensure_ascii=False, indent=2), mimetype="application/json",
                        headers={"Content-Disposition": f'attachment; filename="verification-{token[:12]}.json"'})
    from eoffice.signing.report import render_report_pdf
    from eoffice.signing.verify import VerificationReport

    pdf = render_report_pdf(VerificationReport.from_dict(report), file_name=report.get("file_name"))
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="verification-{token[:12]}.pdf"'})


# -- the user's keys and signing --------------------------------------------------------------------------------

@bp.route("/signing", methods=["GET"])
@login_required
def home():
    actor = current_actor()
    own = db.session.scalar(select(SigningCredential).where(
        SigningCredential.agency_id == actor.agency_id, SigningCredential.user_id == actor.id,
        SigningCredential.active.is_(True)))
    seal = db.session.scalar(select(SigningCredential).where(
        SigningCredential.agency_id == actor.agency_id, SigningCredential.user_id.is_(None),
        SigningCredential.active.is_(True))) if actor.has_role(CLERK) else None
    return render_template("signing/home.html", own=own, seal=seal, sign_form=SignForm(),
                           p12_form=Pkcs12Form(prefix="p12"),
                           image_form=ImageForm(prefix="image"),
                           has_image=services.stamp_png(actor.agency_id, SIGNATURE_IMAGE, actor) is not None)


@bp.post("/signing/sign")
@login_required
@reads_before_writing
def sign():
    form = SignForm()
    if not form.validate_on_submit():
        flash(_("Choose the files and enter your PIN."), "error")
        return redirect(url_for("signing.home"))
    actor = current_actor()
    uploads = [f for f in form.files.data if f and f.filename]
    if not uploads:
        raise ValidationFailed(_("Choose a PDF file."), code="file_required")
    pdfs = [read_pdf_upload(f) for f in uploads]
    for upload, pdf in zip(uploads, pdfs):
        services.check_readable_pdf(pdf, upload.filename)  # a 422 page, not a redirect: nothing was tried
    try:
        results = operations.sign_documents(actor, pdfs, form.pin.data, as_seal=form.as_seal.data,
                                            visible=form.visible.data, field_name=_free_field(actor, form.as_seal.data))
    except AppError as exc:
        # Back to the page with the message; a wrong PIN still counts (a redirect commits the request).
        flash(exc.message, "error")
        return redirect(url_for("signing.home"), 303)
    names = [_signed_name(f.filename) for f in uploads]
    if len(results) == 1:
        return Response(results[0].pdf, mimetype="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{names[0]}"'})
    return Response(_zip(names, [r.pdf for r in results]), mimetype="application/zip",
                    headers={"Content-Disposition": 'attachment; filename="signed.zip"'})


def _free_field(actor, as_seal: bool) -> str:
    # A free-standing signature gets a field of its own, so a PDF can be signed by several people in turn.
    import secrets

    return f"{'DauCoQuan' if as_seal else 'ChuKy'}_{actor.username}_{secrets.token_hex(3)}"


def _signed_name(name: str) -> str:
    stem = re.sub(r"[^\w.-]+", "_", name.rsplit(".", 1)[0])[:80] or "document"
    return f"{stem}.signed.pdf"


def _zip(names: list[str], blobs: list[bytes]) -> bytes:
    buffer = io.BytesIO()
    seen = {}
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, blob in zip(names, blobs):
            count = seen[name] = seen.get(name, 0) + 1
            archive.writestr(name if count == 1 else name.replace(".signed.pdf", f"-{count}.signed.pdf"), blob)
    return buffer.getvalue()


@bp.post("/signing/pkcs12")
@login_required
def upload_pkcs12():
    form = Pkcs12Form(prefix="p12")
    if form.validate_on_submit():
        actor = current_actor()
        data = form.file.data.read()

        def _import():
            try:
                services.import_pkcs12(actor.agency, data, form.pin.data, user=actor, actor=actor)
            except services.NameMismatch as exc:
                # On this page the user needs to know what to do next: only an admin can confirm the name.
                raise services.NameMismatch(
                    _("The certificate is issued to \"%(cn)s\", not to you (%(name)s), so it was not saved. Ask an "
                      "administrator of your agency to import it for you and confirm that it belongs to you.",
                      cn=exc.details["certificate_name"], name=actor.full_name),
                    details=exc.details, keep_changes=True) from None

        _flash_outcome(_import, _("Your signing key was saved."))
    else:
        flash(_("Choose the file and enter its PIN."), "error")
    return redirect(url_for("signing.home"))


def _flash_outcome(action, success: str) -> None:
    """Run a change from a form; a refusal becomes a message on the page it returns to, and changes nothing."""
    nested = db.session.begin_nested()
    try:
        action()
    except AppError as exc:
        # A refusal that asked to keep its changes (its audit entry) keeps them; anything else is undone.
        nested.commit() if exc.keep_changes else nested.rollback()
        flash(exc.message, "error")
        return
    except Exception:
        nested.rollback()
        raise
    nested.commit()
    flash(success, "success")


@bp.post("/signing/image")
@login_required
def upload_signature_image():
    form = ImageForm(prefix="image")
    if form.validate_on_submit():
        actor = current_actor()
        _flash_outcome(lambda: services.set_stamp_image(actor.agency, SIGNATURE_IMAGE, form.file.data.read(),
                                                        user=actor, actor=actor), _("Your signature image was saved."))
    return redirect(url_for("signing.home"))


@bp.get("/signing/image/<kind>")
@login_required
def image(kind: str):
    actor = current_actor()
    if kind not in (SIGNATURE_IMAGE, SEAL_IMAGE):
        abort(404)
    png = services.stamp_png(actor.agency_id, kind, actor if kind == SIGNATURE_IMAGE else None)
    if png is None:
        abort(404)
    return Response(png, mimetype="image/png")


# -- the admin's trust store and agency seal --------------------------------------------------------------------

@bp.get("/admin/signing")
@login_required
@require_roles(ADMIN)
def admin():
    return _admin_page(_user_p12_form())


def _admin_page(user_p12_form: UserPkcs12Form, mismatch: dict | None = None, status: int = 200):
    actor = current_actor()
    anchors = db.session.scalars(scoped(TrustAnchor).order_by(TrustAnchor.subject)).all()
    seal = db.session.scalar(select(SigningCredential).where(
        SigningCredential.agency_id == actor.agency_id, SigningCredential.user_id.is_(None),
        SigningCredential.active.is_(True)))
    return render_template("signing/admin.html", anchors=anchors, seal=seal, trust_form=TrustAnchorForm(prefix="trust"),
                           p12_form=Pkcs12Form(prefix="p12"), image_form=ImageForm(prefix="image"),
                           user_p12_form=user_p12_form, mismatch=mismatch,
                           has_seal_image=services.stamp_png(actor.agency_id, SEAL_IMAGE) is not None,
                           demo_mode=current_app.config["DEMO_MODE"]), status


def _user_p12_form(**kwargs) -> UserPkcs12Form:
    from eoffice.accounts.models import User

    form = UserPkcs12Form(prefix="user", **kwargs)
    users = db.session.scalars(scoped(User).where(User.active.is_(True)).order_by(User.full_name, User.username))
    form.user_id.choices = [(u.id, f"{u.full_name} ({u.username})") for u in users]
    return form


@bp.post("/admin/signing/pkcs12")
@login_required
@require_roles(ADMIN)
def import_user_pkcs12():
    """An admin imports a user's PKCS#12. A certificate naming someone else is shown with both names and asked
    to be confirmed; the confirmed import is audited as such by the service, and so is each refusal."""
    from eoffice.accounts.models import User

    form = _user_p12_form()
    if not form.validate_on_submit():
        flash(_("Choose the user and the file, and enter its PIN."), "error")
        return redirect(url_for("signing.admin"))
    actor, user = current_actor(), get_scoped(User, form.user_id.data)
    data = form.file.data.read()
    nested = db.session.begin_nested()
    try:
        services.import_pkcs12(actor.agency, data, form.pin.data, user=user, actor=actor,
                               confirm_name=form.confirmed_for(user.id))
    except services.NameMismatch as exc:
        nested.commit()  # the refusal's audit entry stays
        g.keep_changes = True
        mismatch = {"user": user, "certificate_name": exc.details["certificate_name"]}
        return _admin_page(_user_p12_form(formdata=None, user_id=user.id, confirm_for=str(user.id)), mismatch, 409)
    except AppError as exc:
        nested.commit() if exc.keep_changes else nested.rollback()
        flash(exc.message, "error")
        return redirect(url_for("signing.admin"))
    except Exception:
        nested.rollback()
        raise
    nested.commit()
    flash(_("The signing key of %(name)s was saved.", name=user.full_name), "success")
    return redirect(url_for("signing.admin"))


@bp.post("/admin/signing/trust")
@login_required
@require_roles(ADMIN)
def add_trust():
    form = TrustAnchorForm(prefix="trust")
    if form.validate_on_submit():
        data = form.file.data.read()
        _flash_outcome(lambda: services.add_trust_anchor(current_actor().agency, data, actor=current_actor()),
                       _("The trust store was updated."))
    return redirect(url_for("signing.admin"))


@bp.post("/admin/signing/trust/<int:anchor_id>/delete")
@login_required
@require_roles(ADMIN)
def remove_trust(anchor_id: int):
    services.remove_trust_anchor(get_scoped(TrustAnchor, anchor_id), actor=current_actor())
    flash(_("The trust anchor was removed."), "success")
    return redirect(url_for("signing.admin"))


@bp.post("/admin/signing/seal")
@login_required
@require_roles(ADMIN)
def upload_seal():
    form = Pkcs12Form(prefix="p12")
    if form.validate_on_submit():
        actor = current_actor()
        _flash_outcome(lambda: services.import_pkcs12(actor.agency, form.file.data.read(), form.pin.data, user=None,
                                                      actor=actor, label=_("Agency seal")),
                       _("The agency seal key was saved."))
    return redirect(url_for("signing.admin"))


@bp.post("/admin/signing/seal-image")
@login_required
@require_roles(ADMIN)
def upload_seal_image():
    form = ImageForm(prefix="image")
    if form.validate_on_submit():
        actor = current_actor()
        _flash_outcome(lambda: services.set_stamp_image(actor.agency, SEAL_IMAGE, form.file.data.read(), actor=actor),
                       _("The seal image was saved."))
    return redirect(url_for("signing.admin"))
