"""`flask --app wsgi exchange inspect FILE --json` over every vector, and over files that are not packages."""
from __future__ import annotations

import json
from datetime import date

import pytest

from eoffice.exchange.cli import SUMMARY_KEYS
from eoffice.exchange.edxml.model import parse_date

from .vectors import FILES, REFUSAL_CODE, VALID, VECTORS, names


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    # Far after every date of the corpus: the future-date rule never depends on the day the suite runs.
    monkeypatch.setattr("eoffice.exchange.edxml.validate.local_today", lambda: date(2030, 1, 1))


def _inspect(runner, path, *extra):
    result = runner.invoke(args=["exchange", "inspect", str(path), *extra])
    return result, (json.loads(result.output) if "--json" in extra else None)


def _iso(text):
    value = parse_date(text)
    return value.isoformat() if value else None


@pytest.mark.parametrize("name", names())
def test_every_vector(runner, name):
    entry = FILES[name]
    result, report = _inspect(runner, VECTORS / name, "--json")
    assert set(report) == {*SUMMARY_KEYS, "errors"}
    outcome = entry["expected_outcome"]
    if outcome in REFUSAL_CODE:
        assert result.exit_code == 1
        assert [error["code"] for error in report["errors"]] == [REFUSAL_CODE[outcome]]
        assert all(report[key] is None for key in SUMMARY_KEYS)
        return
    assert report["kind"] == entry["package_kind"]
    assert report["from"] == entry["from_organ_id"]
    if entry["package_kind"] == "document":
        assert report["to"] == entry["to_organ_ids"]
        assert (report["code_number"], report["code_notation"]) == (entry["code_number"], entry["code_notation"])
        assert report["subject"] == entry["subject"]
        assert report["promulgation_date"] == _iso(entry["promulgation_date"])
        assert report["document_type"] == entry["document_type"]["Type"]
        assert report["business_doc_type"] == entry["bussiness_doc_type"]
        assert report["status_code"] is None
    else:
        assert report["to"] == [entry["response_for"]["OrganId"]]
        assert report["status_code"] == entry["status_code"]
        assert all(report[key] is None for key in ("code_number", "subject", "promulgation_date",
                                                    "document_type", "business_doc_type"))
    assert report["attachments"] == entry["attachment_count"]
    if outcome in VALID:
        assert (result.exit_code, report["errors"]) == (0, [])
    else:
        assert result.exit_code == 1 and report["errors"]
        assert all(set(error) == {"code", "message", "field"} for error in report["errors"])


def test_bkav_dates_come_out_as_iso(runner):
    _, report = _inspect(runner, VECTORS / "bkav-new-document.edxml", "--json")
    assert report["promulgation_date"] == "2020-10-30"


@pytest.mark.parametrize("content, code", [
    (None, "file_unreadable"),
    (b"", "malformed_xml"),
    (b"<html><body>not edXML</body></html>", "not_edxml"),
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>', "doctype_refused"),
])
def test_refusals_are_one_json_document(runner, tmp_path, content, code):
    path = tmp_path / "package.edxml"
    if content is not None:
        path.write_bytes(content)
    result, report = _inspect(runner, path, "--json")
    assert result.exit_code == 1
    assert report == {**dict.fromkeys(SUMMARY_KEYS), "errors": [report["errors"][0]]}
    assert report["errors"][0]["code"] == code and report["errors"][0]["message"]


def test_a_directory_is_refused_as_json(runner, tmp_path):
    result, report = _inspect(runner, tmp_path, "--json")
    assert result.exit_code == 1 and report["errors"][0]["code"] == "file_unreadable"


def test_too_big_is_refused_before_reading(runner, app, monkeypatch):
    monkeypatch.setitem(app.config, "EXCHANGE_MAX_PACKAGE_BYTES", 1000)
    result, report = _inspect(runner, VECTORS / "vpcp-sdk-new-document.edxml", "--json")
    assert result.exit_code == 1
    assert report["errors"][0]["code"] == "too_large" and report["kind"] is None


def test_readable_summary(runner):
    result, _ = _inspect(runner, VECTORS / "vpcp-sdk-replacement.edxml")
    assert result.exit_code == 0
    assert "document package from 000.00.00.G22 to 000.00.00.H41, 000.00.00.H14, 000.00.00.G17" in result.output
    assert "7816/VPCP-TTĐT" in result.output and result.output.rstrip().endswith("VALID")
    result, _ = _inspect(runner, VECTORS / "pvn-gateway-minimal.edxml")
    assert result.exit_code == 1
    assert "PromulgationInfo/PromulgationDate" in result.output and "NOT VALID" in result.output
    result, _ = _inspect(runner, VECTORS / "vpcp-sdk-status-13.edxml")
    assert "status code: 13" in result.output
