"""`flask --app wsgi exchange …`: commands of the exchange module."""

from __future__ import annotations

import json
import logging
import os

import click
from flask import current_app
from flask.cli import AppGroup

from eoffice.exchange.edxml import DocumentPackage, EdxmlError, Problem, parse_package, validate_package

log = logging.getLogger(__name__)

exchange_cli = AppGroup("exchange", help="Document exchange between agencies (edXML, QCVN 102:2016).")

SUMMARY_KEYS = ("kind", "from", "to", "code_number", "code_notation", "subject", "promulgation_date",
                "document_type", "attachments", "business_doc_type", "status_code")


@exchange_cli.command("inspect")
# A plain string, not click.Path: click's own refusal (a directory, say) would print usage text instead of JSON.
@click.argument("file")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document (the stable interface).")
def inspect_command(file, as_json):
    """Parse and validate the edXML package FILE; exit 0 only when it is valid."""
    summary = inspect_file(file, current_app.config["EXCHANGE_MAX_PACKAGE_BYTES"])
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
    else:
        _print_summary(file, summary)
    raise SystemExit(0 if summary["kind"] and not summary["errors"] else 1)


def inspect_file(path: str, max_bytes: int) -> dict:
    """The `inspect --json` document for the file at `path`: never raises, whatever the file holds."""
    try:
        # The size is checked before reading, so an oversized file is never loaded into memory.
        size = os.stat(path).st_size
        if size > max_bytes:
            return _refusal(Problem("too_large", f"The package is {size} bytes; the limit is {max_bytes} bytes."))
        with open(path, "rb") as f:
            data = f.read(max_bytes + 1)
    except OSError as exc:
        return _refusal(Problem("file_unreadable", f"Cannot read {path}: {exc.strerror or exc}."))
    try:
        package = parse_package(data, max_bytes=max_bytes)
        summary = summarize(package)
        summary["errors"] = [problem.to_dict() for problem in validate_package(package)]
    except EdxmlError as exc:
        return _refusal(exc.problem)
    except Exception:  # the interface promises one JSON document even when this code has a bug
        log.exception("exchange inspect failed on %s", path)
        return _refusal(Problem("internal_error", "The package could not be inspected (see the log)."))
    return summary


def summarize(package) -> dict:
    """The key values of a parsed package in the `inspect --json` shape (absent values None, no errors key)."""
    summary = dict.fromkeys(SUMMARY_KEYS)
    summary["kind"] = package.kind
    summary["from"] = package.from_.organ_id
    if isinstance(package, DocumentPackage):
        promulgated = package.promulgation_date
        bussiness = package.bussiness
        summary.update({
            "to": [org.organ_id for org in package.to],
            "code_number": package.code.code_number if package.code else None,
            "code_notation": package.code.code_notation if package.code else None,
            "subject": package.subject,
            "promulgation_date": promulgated.isoformat() if promulgated else None,
            "document_type": package.document_type.type if package.document_type else None,
            "attachments": len(package.attachments),
            "business_doc_type": bussiness.bussiness_doc_type if bussiness else None,
        })
    else:
        # A status goes back to the agency ResponseFor names: the original sender, or for 13 (take-back
        # request, sent by the sender) the recipient.
        organ_id = package.response_for.organ_id if package.response_for else None
        summary.update({"to": [organ_id] if organ_id else [], "attachments": 0,
                        "status_code": package.status_code})
    return summary


def _refusal(problem: Problem) -> dict:
    return {**dict.fromkeys(SUMMARY_KEYS), "errors": [problem.to_dict()]}


def _print_summary(path: str, summary: dict) -> None:
    if summary["kind"] is None:
        click.echo(f"{path}: not an edXML package that can be read.")
    else:
        click.echo(f"{path}: {summary['kind']} package from {summary['from']} to {', '.join(filter(None, summary['to']))}")
        if summary["kind"] == "document":
            click.echo(f"  number: {summary['code_number']}/{summary['code_notation']}   "
                       f"promulgated: {summary['promulgation_date']}   type: {summary['document_type']}   "
                       f"business type: {summary['business_doc_type']}")
            click.echo(f"  subject: {summary['subject']}")
            click.echo(f"  attachments: {summary['attachments']}")
        else:
            click.echo(f"  status code: {summary['status_code']}")
    for error in summary["errors"]:
        where = f" ({error['field']})" if error["field"] else ""
        click.echo(f"  - {error['code']}: {error['message']}{where}")
    click.echo("VALID" if summary["kind"] and not summary["errors"] else "NOT VALID")
