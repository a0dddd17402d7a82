"""`flask --app wsgi jobs …`: the background worker and job inspection."""

import click
from flask import current_app
from flask.cli import AppGroup

jobs_cli = AppGroup("jobs", help="Background jobs.")


@jobs_cli.command("worker")
@click.option("--workers", default=1, show_default=True, help="Worker threads.")
def worker_command(workers):
    """Run the job worker (and the periodic scheduler) until interrupted."""
    queue = current_app.extensions["eoffice.jobs"]
    click.echo(f"eoffice worker: {type(queue.huey).__name__}, {workers} worker(s)")
    queue.consumer(workers=workers).run()


@jobs_cli.command("run")
@click.argument("name")
def run_command(name):
    """Run one registered job now, in this process, and print its result."""
    queue = current_app.extensions["eoffice.jobs"]
    try:
        result = queue.run_now(name)
    except KeyError:
        click.echo(f"Error: no job named {name!r}", err=True)
        raise SystemExit(2)
    click.echo(result)
