"""The rules a package must satisfy (DOMAIN.md, QCVN 102:2016 and Nghị định 30/2020 Phụ lục VI).

`validate_package` returns a list of Problems; an empty list means valid. Received packages are judged as the
national platform's producers really write them (the vectors of ../shared/vectors/edxml): DocumentIds that are
UUIDs or keep another agency's identifier, 14-digit gateway numbers, BKAV's dd/MM/yyyy dates are all accepted.
Packages eoffice builds itself are held to the letter (`own=True`).
"""

from __future__ import annotations

import base64
import binascii
import unicodedata
from datetime import date

from eoffice.core.time import local_today
from eoffice.exchange.edxml.model import (
    BUSINESS_DOC_TYPES, STATUS_CODES, DocumentPackage, Organization, Package, Problem, StatusPackage,
    make_document_id, parse_date, parse_timestamp,
)

#: Maximum lengths from Phụ lục VI, Part II (characters).
LENGTHS = {"CodeNumber": 11, "CodeNotation": 30, "TypeName": 100, "OrganName": 200, "Subject": 500,
           "Position": 100, "FullName": 50, "ToPlaces": 1000, "Description": 500}
#: The platform's gateways number documents with 14-digit timestamps (e.g. 20251020104803) and expected.json
#: accepts those packages, so a received CodeNumber may be longer than Phụ lục VI's 11; ours never is.
RECEIVED_CODE_NUMBER_LENGTH = 30
#: Agency identifiers are 13 characters today (000.00.00.G22), but other shapes circulate (12-digit tax codes,
#: 28.22.H17, vxp.saas.03) and the scheme may grow: any text up to this length, never a fixed pattern.
ORGAN_ID_LENGTH = 35
PRIORITIES = ("0", "1", "2", "3", "4")
PAPER_VALUES = ("0", "1")


def validate_package(package: Package, *, today: date | None = None, own: bool = False) -> list[Problem]:
    """Check a parsed package; return its problems (an empty list when it is valid).

    `today` is the date in Vietnam against which promulgation dates must not be in the future (default: today
    in Asia/Ho_Chi_Minh). `own=True` applies the stricter rules for packages eoffice sends: Phụ lục VI's
    CodeNumber length and a DocumentId equal to `From OrganId,PromulgationDate,CodeNumber/CodeNotation`.
    """
    today = today or local_today()
    problems: list[Problem] = []
    if isinstance(package, StatusPackage):
        _status(package, today, problems)
    else:
        _document(package, today, own, problems)
    return problems


def _add(problems: list[Problem], code: str, message: str, field: str | None) -> None:
    problems.append(Problem(code, message, field))


def _required(problems, value: str | None, field: str) -> bool:
    if value:
        return True
    _add(problems, "required", f"{field} is required.", field)
    return False


def _length(problems, value: str | None, limit: int, field: str) -> None:
    # Lengths count characters after NFC, since a decomposed "ấ" is one letter to the clerk and the database.
    if value and len(unicodedata.normalize("NFC", value)) > limit:
        _add(problems, "too_long", f"{field} is longer than {limit} characters.", field)


def _organization(problems, org: Organization, field: str) -> None:
    if _required(problems, org.organ_id, f"{field}/OrganId"):
        _length(problems, org.organ_id, ORGAN_ID_LENGTH, f"{field}/OrganId")
    _length(problems, org.organ_name, LENGTHS["OrganName"], f"{field}/OrganName")


def _document(package: DocumentPackage, today: date, own: bool, problems: list[Problem]) -> None:
    _organization(problems, package.from_, "From")
    if not package.to:
        _add(problems, "no_recipient", "The package names no recipient (To).", "To")
    seen: set[str] = set()
    for index, org in enumerate(package.to, start=1):
        _organization(problems, org, f"To[{index}]")
        if org.organ_id and org.organ_id in seen:
            _add(problems, "duplicate_recipient", f"The recipient {org.organ_id} is named twice.", f"To[{index}]")
        seen.add(org.organ_id or "")
    code = package.code
    if code is None:
        _add(problems, "required", "Code (CodeNumber, CodeNotation) is required.", "Code")
    else:
        if _required(problems, code.code_number, "Code/CodeNumber"):
            limit = LENGTHS["CodeNumber"] if own else RECEIVED_CODE_NUMBER_LENGTH
            _length(problems, code.code_number, limit, "Code/CodeNumber")
        _length(problems, code.code_notation, LENGTHS["CodeNotation"], "Code/CodeNotation")
    _promulgation(problems, package, today)
    if package.document_type is None or not package.document_type.type:
        _add(problems, "required", "DocumentType/Type is required.", "DocumentType/Type")
    else:
        _length(problems, package.document_type.type_name, LENGTHS["TypeName"], "DocumentType/TypeName")
    if _required(problems, package.subject, "Subject"):
        _length(problems, package.subject, LENGTHS["Subject"], "Subject")
    signer = package.signer_info
    if signer is None:
        _add(problems, "required", "SignerInfo is required.", "SignerInfo")
    else:
        _length(problems, signer.position, LENGTHS["Position"], "SignerInfo/Position")
        _length(problems, signer.full_name, LENGTHS["FullName"], "SignerInfo/FullName")
    if package.due_date and parse_date(package.due_date) is None:
        _add(problems, "invalid_date", f"DueDate {package.due_date!r} is not a date (yyyy/MM/dd).", "DueDate")
    if package.to_places:
        _length(problems, "; ".join(package.to_places), LENGTHS["ToPlaces"], "ToPlaces")
    priority = package.other_info.priority if package.other_info else None
    if priority is not None and priority not in PRIORITIES:
        _add(problems, "invalid_value", f"Priority {priority!r} is not one of 0-4.", "OtherInfo/Priority")
    _document_id(problems, package, own)
    _bussiness(problems, package)
    _attachments(problems, package)


def _promulgation(problems, package: DocumentPackage, today: date) -> None:
    text = package.promulgation_info.promulgation_date if package.promulgation_info else None
    field = "PromulgationInfo/PromulgationDate"
    if not _required(problems, text, field):
        return
    value = parse_date(text)
    if value is None:
        _add(problems, "invalid_date", f"PromulgationDate {text!r} is not a date (yyyy/MM/dd).", field)
    elif value > today:
        _add(problems, "future_date", f"PromulgationDate {value.isoformat()} is after today ({today.isoformat()}).",
             field)


def _document_id(problems, package: DocumentPackage, own: bool) -> None:
    document_id = package.document_id
    if not document_id:
        if own:
            _add(problems, "required", "DocumentId is required.", "DocumentId")
        return
    parts = document_id.split(",")
    if own:
        code, promulgated = package.code, package.promulgation_date
        if code and promulgated and package.from_.organ_id:
            expected = make_document_id(package.from_.organ_id, promulgated, code.code_number or "",
                                        code.code_notation or "")
            if document_id != expected:
                _add(problems, "document_id_mismatch",
                     f"DocumentId {document_id!r} does not match From, PromulgationDate and Code ({expected!r}).",
                     "DocumentId")
        return
    # Received: producers reuse another agency's DocumentId or send UUIDs (expected.json accepts both), so only
    # the standard form's own date is checked: a DocumentId that claims a date must claim a real one.
    if len(parts) == 3 and "/" in parts[2] and parse_date(parts[1]) is None:
        _add(problems, "invalid_document_id", f"DocumentId {document_id!r} carries an impossible date.",
             "DocumentId")


def _bussiness(problems, package: DocumentPackage) -> None:
    bussiness = package.bussiness
    if bussiness is None:  # absent in many real packages: reported as no business type, treated as new
        return
    field = "TraceHeaderList/Bussiness"
    if bussiness.bussiness_doc_type not in BUSINESS_DOC_TYPES:
        _add(problems, "invalid_business_type",
             f"BussinessDocType {bussiness.bussiness_doc_type!r} is not one of 0 (new), 1 (recall), 2 (update), "
             "3 (replace).", f"{field}/BussinessDocType")
    if bussiness.paper is not None and bussiness.paper not in PAPER_VALUES:
        _add(problems, "invalid_value", f"Paper {bussiness.paper!r} is not 0 or 1.", f"{field}/Paper")


def _attachments(problems, package: DocumentPackage) -> None:
    if package.nonstandard_attachments:
        _add(problems, "nonstandard_attachments",
             f"{len(package.nonstandard_attachments)} attachment(s) sit in edXMLEnvelope/edXMLAttachments, outside "
             "QCVN 102; attachments belong in AttachmentEncoded.", "edXMLEnvelope/edXMLAttachments")
    for index, attachment in enumerate(package.attachments, start=1):
        field = f"AttachmentEncoded/Attachment[{index}]"
        _required(problems, attachment.name, f"{field}/AttachmentName")
        try:
            base64.b64decode(attachment.content, validate=True)
        except binascii.Error:
            _add(problems, "invalid_attachment", f"The content of attachment {attachment.name!r} is not base64.",
                 f"{field}/ContentTransferEncoded")


def _status(package: StatusPackage, today: date, problems: list[Problem]) -> None:
    _organization(problems, package.from_, "From")
    if package.status_code not in STATUS_CODES:
        _add(problems, "invalid_status_code",
             f"StatusCode {package.status_code!r} is not one of {', '.join(STATUS_CODES)}.", "StatusCode")
    response_for = package.response_for
    if response_for is None:
        _add(problems, "required", "ResponseFor is required in a status package.", "ResponseFor")
    else:
        if _required(problems, response_for.organ_id, "ResponseFor/OrganId"):
            _length(problems, response_for.organ_id, ORGAN_ID_LENGTH, "ResponseFor/OrganId")
        _required(problems, response_for.document_id, "ResponseFor/DocumentId")
    _length(problems, package.description, LENGTHS["Description"], "Description")
    if _required(problems, package.timestamp, "Timestamp"):
        stamp = parse_timestamp(package.timestamp)
        if stamp is None:
            _add(problems, "invalid_date", f"Timestamp {package.timestamp!r} is not yyyy/MM/dd HH:mm:ss.",
                 "Timestamp")
        elif stamp.date() > today:
            _add(problems, "future_date", f"Timestamp {package.timestamp} is after today ({today.isoformat()}).",
                 "Timestamp")
