"""The audit log of the admin's agency and the background job runs."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import login_required
from sqlalchemy import select

from eoffice.audit.models import AuditEntry
from eoffice.core.jobs import JobRun
from eoffice.core.permissions import ADMIN, require_roles
from eoffice.core.tenancy import current_agency_id
from eoffice.extensions import db

bp = Blueprint("audit", __name__, template_folder="templates", url_prefix="/admin")
PAGE_SIZE = 100


@bp.get("/audit")
@login_required
@require_roles(ADMIN)
def log():
    page = max(request.args.get("page", 1, type=int), 1)
    action = request.args.get("action", "").strip()
    query = select(AuditEntry).where(AuditEntry.agency_id == current_agency_id())
    if action:
        query = query.where(AuditEntry.action.startswith(action))
    entries = db.session.scalars(
        query.order_by(AuditEntry.seq.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    ).all()
    return render_template("audit/log.html", entries=entries[:PAGE_SIZE], page=page, action=action,
                           has_next=len(entries) > PAGE_SIZE)


@bp.get("/jobs")
@login_required
@require_roles(ADMIN)
def job_runs():
    # Job runs are deployment-wide housekeeping; the page shows names, states and times, never their data.
    runs = db.session.scalars(select(JobRun).order_by(JobRun.id.desc()).limit(100)).all()
    return render_template("audit/jobs.html", runs=runs)
