"""Admin pages of the exchange partner directory: list, add, edit, deactivate, import, certificates."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from eoffice.accounts.models import Agency
from eoffice.core.errors import AppError, NotFound
from eoffice.core.permissions import ADMIN, require_roles
from eoffice.core.tenancy import current_actor, get_scoped, scoped
from eoffice.exchange import services
from eoffice.exchange.models import ExchangePartner, PartnerCertificate
from eoffice.extensions import db

bp = Blueprint("exchange", __name__, template_folder="templates", url_prefix="/exchange")


@bp.get("/partners")
@login_required
@require_roles(ADMIN)
def partners():
    rows = db.session.scalars(scoped(ExchangePartner).order_by(ExchangePartner.active.desc(),
                                                               ExchangePartner.name)).all()
    return render_template("exchange/partners.html", partners=rows, fields=services.IMPORT_FIELDS)


def _form_data() -> dict:
    data = {name: request.form.get(name, "") for name in services.TEXT_FIELDS}
    data["kind"] = request.form.get("kind", "")
    pem = request.form.get("certificates", "").strip()
    upload = request.files.get("certificate_file")
    if upload is not None and upload.filename:
        pem = "\n".join(filter(None, [pem, upload.read(256 * 1024).decode("ascii", "replace")]))
    if pem:
        data["certificates"] = pem
    return data


def _agencies():
    # Local partners are the other agencies of this deployment; shown so the admin can pick an identifier code.
    return db.session.scalars(db.select(Agency).where(Agency.id != current_actor().agency_id)
                              .order_by(Agency.name)).all()


@bp.route("/partners/new", methods=["GET", "POST"])
@bp.route("/partners/<int:partner_id>", methods=["GET", "POST"])
@login_required
@require_roles(ADMIN)
def partner_form(partner_id: int | None = None):
    partner = get_scoped(ExchangePartner, partner_id) if partner_id else None
    errors, data = {}, {}
    if request.method == "POST":
        data = _form_data()
        try:
            with db.session.begin_nested():
                if partner is None:
                    partner = services.create_partner(current_actor().agency, data, actor=current_actor())
                else:
                    services.update_partner(partner, data, actor=current_actor())
        except AppError as exc:
            errors = exc.details.get("fields") or {}
            flash(exc.message, "error")
            return render_template("exchange/partner_form.html", partner=partner, data=data, errors=errors,
                                   agencies=_agencies()), exc.status
        flash(_("Saved."), "success")
        return redirect(url_for("exchange.partner_form", partner_id=partner.id), 303)
    return render_template("exchange/partner_form.html", partner=partner, data=data, errors=errors,
                           agencies=_agencies())


@bp.post("/partners/<int:partner_id>/deactivate")
@login_required
@require_roles(ADMIN)
def partner_deactivate(partner_id: int):
    services.deactivate_partner(get_scoped(ExchangePartner, partner_id), actor=current_actor())
    flash(_("The partner was deactivated."), "success")
    return redirect(url_for("exchange.partners"), 303)


@bp.post("/partners/<int:partner_id>/certificates/<int:certificate_id>/delete")
@login_required
@require_roles(ADMIN)
def certificate_delete(partner_id: int, certificate_id: int):
    partner = get_scoped(ExchangePartner, partner_id)
    certificate = db.session.get(PartnerCertificate, certificate_id)
    if certificate is None or certificate.partner_id != partner.id:
        raise NotFound(_("Not found."))
    services.remove_partner_certificate(certificate, actor=current_actor())
    flash(_("The certificate was removed."), "success")
    return redirect(url_for("exchange.partner_form", partner_id=partner.id), 303)


@bp.post("/partners/import")
@login_required
@require_roles(ADMIN)
def partners_import():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Choose a CSV or JSON file."), "error")
        return redirect(url_for("exchange.partners"), 303)
    fmt = "json" if upload.filename.lower().endswith(".json") else "csv"
    try:
        with db.session.begin_nested():
            result = services.import_partners(current_actor().agency, upload.read(services.MAX_IMPORT_BYTES + 1),
                                              fmt=fmt, actor=current_actor())
    except AppError as exc:
        rows = db.session.scalars(scoped(ExchangePartner).order_by(ExchangePartner.name)).all()
        flash(exc.message, "error")
        return render_template("exchange/partners.html", partners=rows, fields=services.IMPORT_FIELDS,
                               import_errors=exc.details.get("rows") or []), exc.status
    flash(_("Imported: %(c)d new, %(u)d updated.", c=len(result.created), u=len(result.updated)), "success")
    return redirect(url_for("exchange.partners"), 303)
