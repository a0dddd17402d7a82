"""`flask --app wsgi eoffice …`: the demo data and account management."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from eoffice.core.errors import AppError
from eoffice.extensions import db

eoffice_cli = AppGroup("eoffice", help="eoffice administration.")


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    raise SystemExit(2)


def _agency(slug: str):
    from eoffice.accounts.models import Agency

    agency = db.session.scalar(select(Agency).where(Agency.slug == slug))
    if agency is None:
        _fail(f"no agency with key {slug!r}")
    return agency


def _user(username: str):
    from eoffice.accounts.models import User

    user = db.session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        _fail(f"no user {username!r}")
    return user


def _commit(action):
    try:
        result = action()
        db.session.commit()
        return result
    except AppError as exc:
        db.session.rollback()
        detail = f" ({exc.details})" if exc.details else ""
        _fail(exc.message + detail)


@eoffice_cli.command("demo")
@click.option("--password", default=None, help="Password (and signing PIN) of every demo user.")
@click.option("--if-empty", is_flag=True, help="Load the demo only into a database that has no agency yet.")
def demo_command(password, if_empty):
    """Create the demo agencies thanhtri and sonoivu with units, users and registry books."""
    from eoffice.accounts.models import Agency
    from eoffice.demo import AGENCIES, DEFAULT_PASSWORD, load_demo

    given = password
    password = password or DEFAULT_PASSWORD
    if if_empty and db.session.scalar(select(Agency.id).limit(1)) is not None:
        created = []
    else:
        created = _commit(lambda: load_demo(password))
        if created:
            from eoffice.demo import configure_demo_workflow
            from eoffice.signing.demo import set_up_demo_pki

            _commit(lambda: configure_demo_workflow(created))
            pki = _commit(lambda: set_up_demo_pki(created, password))
            click.echo(f"Demo PKI: root certificate {pki['root']}, {pki['imported']} signing keys imported.")
    slugs = [spec["slug"] for spec in AGENCIES]
    present = db.session.scalars(select(Agency).where(Agency.slug.in_(slugs)).order_by(Agency.id)).all()
    if not present:
        click.echo("The database holds other agencies; the demo was not loaded.")
        return
    click.echo("Demo logins:" if created else "Demo logins (loaded earlier):")
    for agency in present:
        click.echo(f"  {agency.name}:")
        for role in ("admin", "clerk", "leader", "specialist"):
            click.echo(f"    {agency.slug}-{role}")
    note = "" if created or given else " (unless it was changed)"
    click.echo(f"  password of every demo user: {password}{note}")


@eoffice_cli.command("create-agency")
@click.option("--slug", required=True)
@click.option("--name", required=True)
@click.option("--abbreviation", required=True)
@click.option("--code", required=True, help="Agency identifier code (OrganId).")
def create_agency_command(slug, name, abbreviation, code):
    """Create an agency."""
    from eoffice.accounts.services import create_agency

    agency = _commit(lambda: create_agency(slug=slug, name=name, abbreviation=abbreviation, code=code))
    click.echo(f"Created agency {agency.slug} (id {agency.id}).")


@eoffice_cli.command("create-user")
@click.option("--agency", "agency_slug", required=True)
@click.option("--username", required=True)
@click.option("--full-name", required=True)
@click.option("--position", default="")
@click.option("--role", "roles", multiple=True, type=click.Choice(["admin", "clerk", "leader", "specialist"]))
@click.password_option()
def create_user_command(agency_slug, username, full_name, position, roles, password):
    """Create a user of an agency."""
    from eoffice.accounts.services import create_user

    agency = _agency(agency_slug)
    user = _commit(lambda: create_user(agency, username=username, password=password, full_name=full_name,
                                       position=position, roles=roles))
    click.echo(f"Created user {user.username} with roles {', '.join(sorted(user.roles)) or '(none)'}.")


@eoffice_cli.command("set-password")
@click.argument("username")
@click.password_option()
def set_password_command(username, password):
    """Set a user's password (and clear a lockout)."""
    from eoffice.accounts.services import set_password

    user = _user(username)
    _commit(lambda: set_password(user, password))
    click.echo(f"Password of {user.username} changed.")


@eoffice_cli.command("set-roles")
@click.argument("username")
@click.argument("roles", nargs=-1, type=click.Choice(["admin", "clerk", "leader", "specialist"]))
def set_roles_command(username, roles):
    """Replace a user's roles."""
    from eoffice.accounts.services import set_roles

    user = _user(username)
    _commit(lambda: set_roles(user, roles))
    click.echo(f"{user.username}: {', '.join(sorted(user.roles)) or '(no role)'}")


@eoffice_cli.command("unlock")
@click.argument("username")
def unlock_command(username):
    """Clear a user's failed-login lockout."""
    from eoffice.accounts.services import unlock_user

    user = _user(username)
    _commit(lambda: unlock_user(user))
    click.echo(f"{user.username} unlocked.")


@eoffice_cli.command("deactivate")
@click.argument("username")
def deactivate_command(username):
    """Deactivate a user (the history stays)."""
    from eoffice.accounts.services import update_user

    user = _user(username)
    _commit(lambda: update_user(user, active=False))
    click.echo(f"{user.username} deactivated.")


@eoffice_cli.command("users")
@click.option("--agency", "agency_slug", default=None)
def list_users_command(agency_slug):
    """List users."""
    from eoffice.accounts.models import User

    query = select(User).order_by(User.agency_id, User.username)
    if agency_slug:
        query = query.where(User.agency_id == _agency(agency_slug).id)
    for user in db.session.scalars(query):
        state = "inactive" if not user.active else ("locked" if user.is_locked() else "active")
        click.echo(f"{user.username:28} {user.full_name:30} {','.join(sorted(user.roles)):20} {state}")
