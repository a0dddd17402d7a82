"""The admin page of transmission tracking: figures, deliveries and failures for a period and a drafting unit.

The blueprint also gives the templates `recipient_outcomes(doc)`, with which the outgoing document page shows
what became of each recipient's copy."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import format_decimal, gettext as _
from flask_login import login_required

from eoffice.accounts.models import Unit
from eoffice.core.errors import ValidationFailed
from eoffice.core.permissions import ADMIN, require_roles
from eoffice.core.tenancy import current_actor, get_scoped, scoped
from eoffice.core.time import local_today
from eoffice.exchange import transmissions
from eoffice.extensions import db

bp = Blueprint("transmissions", __name__, template_folder="templates", url_prefix="/exchange")

#: Deliveries listed on the page; the API gives them all.
PAGE_ROWS = 500


@bp.app_template_global()
def recipient_outcomes(doc) -> dict[int, tuple[str, str]]:
    """{recipient id: (outcome, label)} for the recipients of `doc`."""
    return {rid: (outcome, transmissions.outcome_label(outcome))
            for rid, outcome in transmissions.recipient_outcomes(doc.recipients).items()}


@bp.app_template_global()
def outcome_label(outcome: str) -> str:
    return transmissions.outcome_label(outcome)


@bp.get("/transmissions")
@login_required
@require_roles(ADMIN)
def transmissions_page():
    units = db.session.scalars(scoped(Unit).order_by(Unit.name)).all()
    error, status = None, 200
    try:
        start, end = transmissions.parse_period(request.args.get("from"), request.args.get("to"), day_first=True)
        unit_id = request.args.get("unit", type=int)
        if request.args.get("unit") and unit_id is None:
            raise ValidationFailed(_("Choose a unit."), details={"fields": ["unit"]})
    except ValidationFailed as exc:
        # The page stays usable: the message above the form, the figures of the default period.
        error, status = exc.message, 422
        today = local_today()
        start, end, unit_id = today.replace(month=1, day=1), today, None
    unit = get_scoped(Unit, unit_id) if unit_id else None
    figures = transmissions.compute_figures(current_actor().agency_id, start, end, unit.id if unit else None)
    return render_template("exchange/transmissions.html", figures=figures, units=units, unit=unit, error=error,
                           form={"from": request.args.get("from") or f"{start:%d/%m/%Y}",
                                 "to": request.args.get("to") or f"{end:%d/%m/%Y}"},
                           rows=figures.deliveries[:PAGE_ROWS], page_rows=PAGE_ROWS,
                           ratio=_percent(figures.fully_electronic_ratio)), status


def _percent(ratio: float | None) -> str:
    # 0.8286 → "82,86 %" in Vietnamese, "82.86 %" in English.
    return "—" if ratio is None else f"{format_decimal(ratio * 100, format='#,##0.00')} %"
