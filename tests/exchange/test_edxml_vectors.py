"""Every package of ../shared/vectors/edxml parses to the values expected.json lists, or is refused as it says.

Each key of an entry is asserted against the parsed model, except `source`, `outcome_note`,
`text_normalization_note` and `redaction` (provenance and prose) and `signature.expected_verification`
(verifying the envelope is not the parser's job). How each expected_outcome is met is written in vectors.py.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import io
import unicodedata
import zipfile
from datetime import date

import pytest
from cryptography import x509

from eoffice.exchange.edxml import DocumentPackage, EdxmlError, StatusPackage, parse_package, validate_package
from eoffice.exchange.edxml.model import XMLDSIG_NS

from .vectors import FILES, READABLE, REFUSAL_CODE, VALID, names, read

# Long after every date in the corpus, so the future-date rule never depends on the day the suite runs.
TODAY = date(2030, 1, 1)
# SOURCES.md: in these three files a personal certificate was replaced by CN=Test Signer, and expected.json
# kept the digest and size of the source file.
CERTIFICATE_REPLACED = {"lgsp-jmeter-template-malformed.edxml", "pvn-platform-received-2019-resigned.edxml",
                        "vpcp-sdk-new-document-signed-vnpt-ca.edxml"}


def test_the_corpus_is_complete():
    assert len(FILES) == 32
    assert {entry["package_kind"] for entry in FILES.values()} == {"document", "status"}


@pytest.mark.parametrize("name", names())
def test_file_is_the_one_described(name):
    entry, data = FILES[name], read(name)
    if name in CERTIFICATE_REPLACED:
        assert hashlib.sha256(data).hexdigest() != entry["sha256"]
    else:
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert len(data) == entry["bytes"]
    assert (b"\r\n" in data) == (entry["line_endings"] == "CRLF")
    assert entry["namespace_well_formed"] == (entry["expected_outcome"] in READABLE)
    assert entry["xml_well_formed"] == (entry["expected_outcome"] != "reject")


@pytest.mark.parametrize("name", names("reject", "reject-or-lenient"))
def test_refused(name):
    with pytest.raises(EdxmlError) as caught:
        parse_package(read(name))
    assert caught.value.problem.code == REFUSAL_CODE[FILES[name]["expected_outcome"]]


@pytest.mark.parametrize("name", names(*READABLE))
def test_values(name):
    entry = FILES[name]
    package = parse_package(read(name))
    assert package.kind == entry["package_kind"]
    assert package.from_.organ_id == entry["from_organ_id"]
    if isinstance(package, StatusPackage):
        _assert_status(package, entry)
    else:
        _assert_document(package, entry)
    assert (package.kind == "document" and package.signature is not None) == entry["has_signature"]
    if "signature" in entry:
        _assert_signature(package.signature, entry["signature"], replaced=name in CERTIFICATE_REPLACED)


@pytest.mark.parametrize("name", names(*READABLE))
def test_validation_follows_the_expected_outcome(name):
    problems = validate_package(parse_package(read(name)), today=TODAY)
    if FILES[name]["expected_outcome"] in VALID:
        assert problems == []
    else:
        assert problems and all(p.message and p.code for p in problems)


def test_what_the_non_conformant_packages_lack():
    minimal = validate_package(parse_package(read("pvn-gateway-minimal.edxml")), today=TODAY)
    assert {(p.code, p.field) for p in minimal} == {
        ("required", "PromulgationInfo/PromulgationDate"), ("required", "DocumentType/Type"),
        ("required", "SignerInfo")}
    outside = validate_package(parse_package(read("pvn-gateway-nonconformant-attachments.edxml")), today=TODAY)
    assert [(p.code, p.field) for p in outside] == [("nonstandard_attachments", "edXMLEnvelope/edXMLAttachments")]


def _assert_status(package: StatusPackage, entry: dict) -> None:
    assert package.status_code == entry["status_code"]
    assert package.description == entry["description"]
    assert package.timestamp == entry["timestamp"]
    _assert_response_for(package.response_for, entry["response_for"])
    assert package.staff_info.staff == entry["staff"]
    assert package.staff_info.department == entry["staff_department"]
    assert entry["attachment_count"] == 0


def _assert_response_for(actual, expected: dict) -> None:
    assert {"OrganId": actual.organ_id, "Code": actual.code, "DocumentId": actual.document_id,
            "PromulgationDate": actual.promulgation_date} == expected


def _assert_document(package: DocumentPackage, entry: dict) -> None:
    assert [org.organ_id for org in package.to] == entry["to_organ_ids"]
    assert package.document_id == entry["document_id"]
    assert package.code.code_number == entry["code_number"]
    assert package.code.code_notation == entry["code_notation"]
    assert package.subject == entry["subject"]
    info = package.promulgation_info
    assert (info.place if info else None) == entry["promulgation_place"]
    assert (info.promulgation_date if info else None) == entry["promulgation_date"]
    kind = package.document_type
    assert {"Type": kind and kind.type, "TypeDetail": kind and kind.type_detail,
            "TypeName": kind and kind.type_name} == entry["document_type"]
    other = package.other_info
    assert (other.priority if other else None) == entry["priority"]
    assert package.steering_type == entry["steering_type"]
    assert package.due_date == entry["due_date"]
    assert (package.signer_info.full_name if package.signer_info else None) == entry["signer_full_name"]
    if entry["signer_full_name"]:
        assert unicodedata.is_normalized("NFC", package.signer_info.full_name) == (
            "text_normalization_note" not in entry)
    assert (package.to_places or []) == entry["to_places"]
    assert ((other.appendixes if other else None) or []) == entry["appendixes"]
    if "response_for" in entry:
        assert len(package.response_for) == 1
        _assert_response_for(package.response_for[0], entry["response_for"])
    else:
        assert package.response_for == []
    _assert_trace(package, entry)
    _assert_attachments(package, entry)


def _assert_trace(package: DocumentPackage, entry: dict) -> None:
    trace = package.trace_header_list
    headers = trace.trace_headers if trace else []
    assert [{"OrganId": h.organ_id, "Timestamp": h.timestamp} for h in headers] == entry["trace_headers"]
    if trace is None:
        assert entry["trace_header_list_child_order"] is None
    else:
        order = ["TraceHeader"] * len(headers)
        if trace.bussiness is not None:
            order.insert(0 if trace.bussiness_first else len(order), "Bussiness")
        assert order == entry["trace_header_list_child_order"]
    bussiness, expected = package.bussiness, entry["bussiness"]
    assert (bussiness.bussiness_doc_type if bussiness else None) == entry["bussiness_doc_type"]
    if expected is None:
        assert bussiness is None
        return
    assert {"BussinessDocType": bussiness.bussiness_doc_type, "BussinessDocReason": bussiness.bussiness_doc_reason,
            "DocumentId": bussiness.document_id, "Paper": bussiness.paper} == {
        key: expected[key] for key in ("BussinessDocType", "BussinessDocReason", "DocumentId", "Paper")}
    info = bussiness.document_info
    if "receivers" in expected:
        assert [{"OrganId": r.organ_id, "ReceiverType": r.receiver_type} for r in info.receivers] == \
            expected["receivers"]
        assert (info.document_info, info.document_receiver) == (expected["DocumentInfo"],
                                                                expected["DocumentReceiver"])
    else:
        assert info is None
    if "replacement_info" in expected:
        assert [{"DocumentId": r.document_id, "OrganIds": r.organ_ids}
                for r in bussiness.replacement_info_list] == expected["replacement_info"]
    else:
        assert bussiness.replacement_info_list is None


def _assert_attachments(package: DocumentPackage, entry: dict) -> None:
    if entry["manifest_references"] is None:
        assert package.manifest is None
    else:
        assert [{"ContentId": r.content_id, "ContentType": r.content_type, "AttachmentName": r.attachment_name}
                for r in package.manifest] == entry["manifest_references"]
    assert len(package.attachments) == entry["attachment_count"] == len(entry["attachments"])
    for attachment, expected in zip(package.attachments, entry["attachments"]):
        assert (attachment.name, attachment.content_id, attachment.content_type) == (
            expected["name"], expected["content_id"], expected["content_type"])
        assert len(attachment.content) == expected["b64_chars"]
        assert expected["b64_valid"]
        payload = attachment.decoded()
        assert len(payload) == expected["decoded_bytes"]
        assert hashlib.sha256(payload).hexdigest() == expected["decoded_sha256"]
        assert _kind(payload) == expected["decoded_kind"]
        if expected["decoded_kind"] == "zip":
            try:
                entries = zipfile.ZipFile(io.BytesIO(payload)).namelist()
            except zipfile.BadZipFile as exc:
                assert str(exc) == expected["zip_error"]
            else:
                assert entries == expected["zip_entries"]
    expected_outside = entry.get("nonstandard_attachments", [])
    assert [{"name": a.name, "type": a.type, "size": a.size, "decoded_bytes": len(base64.b64decode(a.data))}
            for a in package.nonstandard_attachments] == expected_outside


def _kind(payload: bytes) -> str:
    if payload == b"REDACTED":
        return "redacted-placeholder"
    return {b"PK": "zip", b"%P": "pdf"}.get(payload[:2], "other")


def _assert_signature(signature, expected: dict, replaced: bool) -> None:
    assert signature.namespace == expected["element_namespace"]
    assert (signature.namespace == XMLDSIG_NS) == expected["in_xmldsig_namespace"]
    assert signature.signature_method == expected["signature_method"]
    assert signature.digest_method == expected["digest_method"]
    assert signature.canonicalization_method == expected["canonicalization_method"]
    assert signature.transforms == expected["transforms"]
    assert signature.reference_uri == expected["reference_uri"]
    assert signature.x509_subject_name == expected["x509_subject_name"]
    try:
        certificate = x509.load_der_x509_certificate(base64.b64decode(signature.x509_certificate, validate=True))
    except (ValueError, binascii.Error):
        certificate = None
    assert (certificate is not None) == expected["certificate_decodable"]
    if certificate is None:
        assert expected["certificate_subject"] is None and expected["certificate_issuer"] is None
        return
    assert _name(certificate.subject) == expected["certificate_subject"]
    if replaced:  # the stand-in is self-signed; issuer and validity in expected.json are the original's
        assert certificate.issuer == certificate.subject
        return
    assert _name(certificate.issuer) == expected["certificate_issuer"]
    assert _openssl_time(certificate.not_valid_before_utc) == expected["certificate_not_before"]
    assert _openssl_time(certificate.not_valid_after_utc) == expected["certificate_not_after"]


def _name(name: x509.Name) -> str:
    # OpenSSL's one-line form, in certificate order (RFC 4514 strings are reversed).
    return ",".join(f"{attribute.rfc4514_attribute_name}={attribute.value}" for attribute in name)


def _openssl_time(value) -> str:
    return f"{value:%b} {value.day:2d} {value:%H:%M:%S %Y} GMT"
