"""Login, logout, the directory and the admin pages for the agency, its units and its users."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required, login_user, logout_user

from eoffice.accounts import services
from eoffice.accounts.forms import AgencyForm, LoginForm, UnitForm, UserForm
from eoffice.accounts.models import Unit, User
from eoffice.core import signals
from eoffice.core.errors import AppError
from eoffice.core.permissions import ADMIN, require_roles
from eoffice.core.tenancy import current_actor, get_scoped, scoped
from eoffice.extensions import db, limiter

bp = Blueprint("accounts", __name__, template_folder="templates")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.username.data, form.password.data)
        except AppError as exc:
            # The failure count must survive: commit although the page reports an error.
            g.keep_changes = True
            flash(exc.message, "error")
            return render_template("accounts/login.html", form=form), exc.status
        login_user(user)
        signals.user_logged_in.send(user, via="web")
        target = request.args.get("next") or ""
        if not target.startswith("/") or target.startswith("//"):
            target = url_for("web.home")
        return redirect(target)
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    signals.user_logged_out.send(current_actor(), via="web")
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("accounts.login"))


@bp.get("/directory")
@login_required
def directory():
    units = db.session.scalars(scoped(Unit).order_by(Unit.name)).all()
    users = db.session.scalars(scoped(User).where(User.active.is_(True)).order_by(User.full_name)).all()
    return render_template("accounts/directory.html", units=units, users=users)


# -- admin ------------------------------------------------------------------------------------------------------

@bp.route("/admin/agency", methods=["GET", "POST"])
@login_required
@require_roles(ADMIN)
def agency():
    agency = current_actor().agency
    form = AgencyForm(obj=agency)
    if form.validate_on_submit():
        services.update_agency(agency, actor=current_actor(), **{f.name: f.data for f in form if f.name != "csrf_token"})
        flash(_("Saved."), "success")
        return redirect(url_for("accounts.agency"))
    return render_template("accounts/agency.html", form=form, agency=agency)


@bp.get("/admin/units")
@login_required
@require_roles(ADMIN)
def units():
    return render_template("accounts/units.html", units=db.session.scalars(scoped(Unit).order_by(Unit.name)).all())


def _unit_choices(exclude: Unit | None = None):
    rows = db.session.scalars(scoped(Unit).order_by(Unit.name)).all()
    return [(0, "—")] + [(u.id, f"{u.name} ({u.abbreviation})") for u in rows if exclude is None or u.id != exclude.id]


@bp.route("/admin/units/new", methods=["GET", "POST"])
@bp.route("/admin/units/<int:unit_id>", methods=["GET", "POST"])
@login_required
@require_roles(ADMIN)
def unit_form(unit_id: int | None = None):
    unit = get_scoped(Unit, unit_id) if unit_id else None
    form = UnitForm(obj=unit)
    form.parent_id.choices = _unit_choices(unit)
    if request.method == "GET" and unit:
        form.parent_id.data = unit.parent_id or 0
    if form.validate_on_submit():
        parent = get_scoped(Unit, form.parent_id.data) if form.parent_id.data else None
        try:
            if unit is None:
                services.create_unit(current_actor().agency, name=form.name.data, abbreviation=form.abbreviation.data,
                                     parent=parent, actor=current_actor())
            else:
                services.update_unit(unit, name=form.name.data, abbreviation=form.abbreviation.data, parent=parent,
                                     actor=current_actor())
        except AppError as exc:
            flash(exc.message, "error")
            return render_template("accounts/unit_form.html", form=form, unit=unit), exc.status
        flash(_("Saved."), "success")
        return redirect(url_for("accounts.units"))
    return render_template("accounts/unit_form.html", form=form, unit=unit)


@bp.post("/admin/units/<int:unit_id>/delete")
@login_required
@require_roles(ADMIN)
def unit_delete(unit_id: int):
    services.delete_unit(get_scoped(Unit, unit_id), actor=current_actor())
    flash(_("The unit was removed."), "success")
    return redirect(url_for("accounts.units"))


@bp.get("/admin/users")
@login_required
@require_roles(ADMIN)
def users():
    rows = db.session.scalars(scoped(User).order_by(User.active.desc(), User.username)).all()
    return render_template("accounts/users.html", users=rows)


@bp.route("/admin/users/new", methods=["GET", "POST"])
@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@login_required
@require_roles(ADMIN)
def user_form(user_id: int | None = None):
    user = get_scoped(User, user_id) if user_id else None
    form = UserForm(obj=user)
    form.unit_id.choices = _unit_choices()
    if request.method == "GET" and user:
        form.unit_id.data, form.roles.data = user.unit_id or 0, sorted(user.roles)
    if user:
        del form.username
    if form.validate_on_submit():
        actor = current_actor()
        fields = {"full_name": form.full_name.data, "position": form.position.data, "email": form.email.data or "",
                  "unit_id": form.unit_id.data or None, "active": form.active.data}
        try:
            if user is None:
                if not form.password.data:
                    raise AppError(_("A new user needs a password."))
                user = services.create_user(actor.agency, username=form.username.data, password=form.password.data,
                                            roles=form.roles.data, actor=actor, **fields)
            else:
                if user.id == actor.id and (not form.active.data or ADMIN not in form.roles.data):
                    raise AppError(_("You cannot deactivate yourself or remove your own administrator role."))
                services.update_user(user, actor=actor, **fields)
                services.set_roles(user, form.roles.data, actor=actor)
                if form.password.data:
                    services.set_password(user, form.password.data, actor=actor)
        except AppError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return render_template("accounts/user_form.html", form=form, user=user if user_id else None), exc.status
        flash(_("Saved."), "success")
        return redirect(url_for("accounts.users"))
    return render_template("accounts/user_form.html", form=form, user=user)


@bp.post("/admin/users/<int:user_id>/unlock")
@login_required
@require_roles(ADMIN)
def user_unlock(user_id: int):
    services.unlock_user(get_scoped(User, user_id), actor=current_actor())
    flash(_("The account was unlocked."), "success")
    return redirect(url_for("accounts.users"))
