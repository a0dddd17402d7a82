"""State changes of agencies, units and users. Services flush; the request, job or command commits."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from eoffice.accounts.models import Agency, ApiToken, Unit, User, UserRole
from eoffice.accounts.passwords import hash_password, needs_rehash, password_problems, verify_password
from eoffice.core import signals
from eoffice.core.errors import Conflict, Locked, Unauthorized, ValidationFailed
from eoffice.core.permissions import ROLES
from eoffice.core.tenancy import ensure_same_agency
from eoffice.core.time import utcnow
from eoffice.extensions import db

AGENCY_FIELDS = ("name", "abbreviation", "code", "organization_in_charge", "address", "email", "telephone",
                 "fax", "website", "place")
USER_FIELDS = ("full_name", "position", "email", "unit_id", "active", "locale")


def _required(values: dict, *names: str) -> None:
    missing = [name for name in names if not str(values.get(name) or "").strip()]
    if missing:
        raise ValidationFailed(_("Required fields are missing."), details={"fields": missing})


# -- agencies ---------------------------------------------------------------------------------------------------

def create_agency(*, slug: str, actor=None, **fields) -> Agency:
    _required({"slug": slug, **fields}, "slug", "name", "abbreviation", "code")
    if db.session.scalar(select(Agency.id).where((Agency.slug == slug) | (Agency.code == fields["code"]))):
        raise Conflict(_("An agency with this key or identifier code already exists."))
    agency = Agency(slug=slug, **{k: v for k, v in fields.items() if k in AGENCY_FIELDS})
    db.session.add(agency)
    db.session.flush()
    signals.agency_changed.send(agency, actor=actor, action="create")
    return agency


def update_agency(agency: Agency, *, actor=None, **fields) -> Agency:
    for key in AGENCY_FIELDS:
        if key in fields and fields[key] is not None:
            setattr(agency, key, str(fields[key]).strip())
    _required({k: getattr(agency, k) for k in AGENCY_FIELDS}, "name", "abbreviation", "code")
    db.session.flush()
    signals.agency_changed.send(agency, actor=actor, action="update")
    return agency


# -- units ------------------------------------------------------------------------------------------------------

def create_unit(agency: Agency, *, name: str, abbreviation: str, parent: Unit | None = None, actor=None) -> Unit:
    _required({"name": name, "abbreviation": abbreviation}, "name", "abbreviation")
    if parent is not None:
        ensure_same_agency(parent, agency.id)
    _check_unit_abbreviation(agency.id, abbreviation)
    unit = Unit(agency=agency, name=name.strip(), abbreviation=abbreviation.strip(), parent=parent)
    db.session.add(unit)
    db.session.flush()
    signals.unit_changed.send(unit, actor=actor, action="create")
    return unit


def update_unit(unit: Unit, *, name=None, abbreviation=None, parent: Unit | None | bool = False, actor=None):
    if abbreviation and abbreviation != unit.abbreviation:
        _check_unit_abbreviation(unit.agency_id, abbreviation)
        unit.abbreviation = abbreviation.strip()
    if name:
        unit.name = name.strip()
    if parent is not False:
        if parent is not None:
            ensure_same_agency(parent, unit.agency_id)
            if parent.id == unit.id or unit in parent.ancestors():
                raise ValidationFailed(_("A unit cannot be placed under itself."))
        unit.parent = parent
    db.session.flush()
    signals.unit_changed.send(unit, actor=actor, action="update")
    return unit


def delete_unit(unit: Unit, *, actor=None) -> None:
    if unit.children or db.session.scalar(select(func.count(User.id)).where(User.unit_id == unit.id)):
        raise Conflict(_("The unit still has sub-units or users."))
    signals.unit_changed.send(unit, actor=actor, action="delete")
    db.session.delete(unit)
    db.session.flush()


def _check_unit_abbreviation(agency_id: int, abbreviation: str) -> None:
    taken = db.session.scalar(
        select(Unit.id).where(Unit.agency_id == agency_id, Unit.abbreviation == abbreviation.strip())
    )
    if taken:
        raise Conflict(_("Another unit already uses this abbreviation."))


# -- users ------------------------------------------------------------------------------------------------------

def _check_password(password: str, username: str) -> None:
    problems = password_problems(password, username)
    if problems:
        raise ValidationFailed(_("The password does not meet the policy: %(p)s.", p="; ".join(problems.values())),
                               code="weak_password", details={"rules": sorted(problems)})


def create_user(agency: Agency, *, username: str, password: str, full_name: str, roles=(), actor=None,
                **fields) -> User:
    username = (username or "").strip().lower()
    _required({"username": username, "full_name": full_name}, "username", "full_name")
    if db.session.scalar(select(User.id).where(User.username == username)):
        raise Conflict(_("This username is taken."))
    _check_password(password, username)
    user = User(agency=agency, username=username, full_name=full_name.strip(), password_hash=hash_password(password))
    _apply_user_fields(user, fields)
    db.session.add(user)
    db.session.flush()
    _set_role_rows(user, roles)
    db.session.flush()
    signals.user_created.send(user, actor=actor)
    return user


def update_user(user: User, *, actor=None, **fields) -> User:
    before = {key: getattr(user, key) for key in USER_FIELDS}
    _apply_user_fields(user, fields)
    db.session.flush()
    changes = {key: [before[key], getattr(user, key)] for key in USER_FIELDS if before[key] != getattr(user, key)}
    if changes:
        signals.user_updated.send(user, actor=actor, changes=changes)
    return user


def _apply_user_fields(user: User, fields: dict) -> None:
    for key, value in fields.items():
        if key not in USER_FIELDS or value is None:
            continue
        if key == "unit_id":
            value = int(value) if value not in ("", 0) else None
            if value is not None:
                ensure_same_agency(db.session.get(Unit, value), user.agency_id or user.agency.id)
        setattr(user, key, value.strip() if isinstance(value, str) else value)


def set_roles(user: User, roles, *, actor=None) -> User:
    old = sorted(user.roles)
    _set_role_rows(user, roles)
    db.session.flush()
    if old != sorted(user.roles):
        signals.roles_changed.send(user, actor=actor, old=old, new=sorted(user.roles))
    return user


def _set_role_rows(user: User, roles) -> None:
    roles = set(roles)
    unknown = roles - set(ROLES)
    if unknown:
        raise ValidationFailed(_("Unknown role: %(r)s", r=", ".join(sorted(unknown))))
    user.role_rows[:] = [row for row in user.role_rows if row.role in roles]
    for role in sorted(roles - user.roles):
        user.role_rows.append(UserRole(role=role))


def set_password(user: User, password: str, *, actor=None) -> None:
    _check_password(password, user.username)
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    user.failed_logins, user.locked_until = 0, None
    db.session.flush()
    signals.user_updated.send(user, actor=actor, changes={"password": ["***", "***"]})


def unlock_user(user: User, *, actor=None) -> None:
    user.failed_logins, user.locked_until = 0, None
    db.session.flush()
    signals.user_updated.send(user, actor=actor, changes={"locked_until": ["…", None]})


# -- login ------------------------------------------------------------------------------------------------------

def authenticate(username: str, password: str) -> User:
    """Return the user when the password is right; count failures and lock the account after too many.

    The failure is recorded (and audited) in the caller's transaction; the error raised asks the request wrapper
    to commit it all the same (`keep_changes`), or the count would never reach the lockout.
    """
    config = current_app.config
    user = db.session.scalar(select(User).where(User.username == (username or "").strip().lower()))
    now = utcnow()
    if user is not None and user.is_locked(now):
        verify_password(None, password)
        signals.login_failed.send(user, username=username, reason="locked", locked=True)
        raise Locked(_("The account is locked after too many failed logins. Try again after %(m)d minutes.",
                       m=config["LOGIN_LOCKOUT_MINUTES"]), code="account_locked", keep_changes=True)
    if user is None or not verify_password(user.password_hash, password) or not user.active:
        locked = False
        if user is not None:
            user.failed_logins += 1
            if user.failed_logins >= config["LOGIN_MAX_FAILURES"]:
                user.locked_until = now + timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"])
                locked = True
            db.session.flush()
        signals.login_failed.send(user, username=username, reason="inactive" if user and user.active is False
                                  else "bad_credentials", locked=locked)
        if locked:
            raise Locked(_("Too many failed logins: the account is locked for %(m)d minutes.",
                           m=config["LOGIN_LOCKOUT_MINUTES"]), code="account_locked", keep_changes=True)
        raise Unauthorized(_("Wrong username or password."), code="bad_credentials", keep_changes=True)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    db.session.flush()
    return user


def issue_token(user: User) -> tuple[str, ApiToken]:
    """Create an API token; the clear token is returned once and only its hash is kept."""
    token = secrets.token_urlsafe(32)
    row = ApiToken(user=user, token_hash=_token_hash(token),
                   expires_at=utcnow() + timedelta(seconds=current_app.config["API_TOKEN_LIFETIME"]))
    db.session.add(row)
    db.session.flush()
    signals.user_logged_in.send(user, via="token")
    return token, row


def user_for_token(token: str) -> User | None:
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    user = row.user
    return user if user.active and not user.is_locked() else None


def revoke_token(token: str) -> None:
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        db.session.flush()
        signals.user_logged_out.send(row.user, via="token")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
