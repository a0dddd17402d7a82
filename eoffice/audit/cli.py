import click
from flask.cli import AppGroup

from eoffice.audit.services import verify_chain

audit_cli = AppGroup("audit", help="The audit log.")


@audit_cli.command("verify")
def verify_command():
    """Recompute the hash chains and name the first entry altered or removed; exit 1 when any is."""
    report = verify_chain()
    if report.ok:
        click.echo(f"OK: {report.entries} entries in {report.chains} chains verified.")
        return
    for problem in report.problems:
        click.echo(f"TAMPERED: {problem}", err=True)
    raise SystemExit(1)
