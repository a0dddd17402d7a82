"""Home page, language switch and health check."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_login import login_required
from sqlalchemy import func, select, text

from eoffice.accounts.models import Unit, User
from eoffice.audit.models import AuditEntry
from eoffice.core.jobs import FAILED, JobRun
from eoffice.core.permissions import ADMIN, CLERK
from eoffice.core.tenancy import current_actor, scoped
from eoffice.core.time import local_today, utcnow
from eoffice.extensions import db
from eoffice.registry.models import BookCounter, RegistryBook

bp = Blueprint("web", __name__, template_folder="templates")


@bp.get("/")
@login_required
def home():
    return render_template("web/home.html", counts=home_counts(current_actor()))


def home_counts(actor) -> dict:
    """The figures on the home page, each from a query on the actor's agency."""
    def count(query):
        return db.session.scalar(select(func.count()).select_from(query.subquery()))

    counts = {
        "units": count(scoped(Unit)),
        "users": count(scoped(User).where(User.active.is_(True))),
    }
    if actor.unit_id:
        counts["unit_members"] = count(scoped(User).where(User.unit_id == actor.unit_id, User.active.is_(True)))
    if actor.has_any_role(ADMIN, CLERK):
        year = local_today().year
        books = db.session.execute(
            scoped(RegistryBook).where(RegistryBook.active.is_(True)).order_by(RegistryBook.direction, RegistryBook.name)
        ).scalars().all()
        last = dict(db.session.execute(
            select(BookCounter.book_id, BookCounter.last_number)
            .where(BookCounter.year == year, BookCounter.book_id.in_([b.id for b in books]))
        ).all())
        counts["books"] = [(book, last.get(book.id, 0)) for book in books]
        counts["year"] = year
    if actor.has_role(ADMIN):
        now = utcnow()
        counts["locked_users"] = count(scoped(User).where(User.locked_until > now))
        day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        counts["audit_today"] = count(select(AuditEntry).where(AuditEntry.agency_id == actor.agency_id,
                                                               AuditEntry.created_at >= day_start))
        counts["failed_logins_today"] = count(select(AuditEntry).where(
            AuditEntry.agency_id == actor.agency_id, AuditEntry.action == "user.login_failed",
            AuditEntry.created_at >= day_start))
        counts["failed_jobs"] = count(select(JobRun).where(JobRun.status == FAILED))
    return counts


@bp.get("/lang/<code>")
def set_language(code: str):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    target = request.args.get("next") or ""
    # Only local paths: an open redirect would let a link to eoffice send users anywhere.
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("web.home")
    return redirect(target)


@bp.get("/healthz")
def health():
    db.session.execute(text("SELECT 1"))
    return jsonify({"status": "ok"})
