"""The edXML package as plain dataclasses: a document package and a status package (QCVN 102:2016).

Every leaf keeps the element's text, whitespace-trimmed and otherwise verbatim: None when the element is absent,
"" when it is present but empty. Producers differ in date formats (BKAV writes dd/MM/yyyy) and in Unicode
normalisation, so the model does not rewrite values; `parse_date` and the validation rules interpret them. This is
also what makes parse → build → parse lossless.

Flat elements declare their children once, in `ELEMENTS` (attribute, element name, in the order the SDK writes
them); the parser and the builder both read that table, so the two directions cannot drift apart.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import ClassVar

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
XMLDSIG_NS = "http://www.w3.org/2000/09/xmldsig#"

#: StatusCode values of a status package: 01 arrived, 02 rejected, 03 accepted (registered), 04 assigned,
#: 05 in progress, 06 completed, 13 take-back requested, 15 take-back/update agreed, 16 refused.
STATUS_CODES = ("01", "02", "03", "04", "05", "06", "13", "15", "16")
#: BussinessDocType: 0 new, 1 recall, 2 update, 3 replace.
BUSINESS_DOC_TYPES = ("0", "1", "2", "3")


@dataclass(frozen=True)
class Problem:
    """One reason a package is not valid: a stable code, an English message and the element path (or None)."""

    code: str
    message: str
    field: str | None = None

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "field": self.field}


class EdxmlError(ValueError):
    """The bytes are not an edXML package that can be read at all (too big, DOCTYPE, malformed XML, wrong root)."""

    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.problem = Problem(code, message, field)


@dataclass
class Organization:
    """From or To of a MessageHeader (OrganId is the agency identifier, `000.00.00.G22` style or any other)."""

    organ_id: str | None = None
    organization_in_charge: str | None = None
    organ_name: str | None = None
    organ_add: str | None = None
    email: str | None = None
    telephone: str | None = None
    fax: str | None = None
    website: str | None = None
    ELEMENTS: ClassVar = (("organ_id", "OrganId"), ("organization_in_charge", "OrganizationInCharge"),
                          ("organ_name", "OrganName"), ("organ_add", "OrganAdd"), ("email", "Email"),
                          ("telephone", "Telephone"), ("fax", "Fax"), ("website", "Website"))


@dataclass
class Code:
    code_number: str | None = None
    code_notation: str | None = None
    ELEMENTS: ClassVar = (("code_number", "CodeNumber"), ("code_notation", "CodeNotation"))


@dataclass
class PromulgationInfo:
    place: str | None = None
    promulgation_date: str | None = None
    ELEMENTS: ClassVar = (("place", "Place"), ("promulgation_date", "PromulgationDate"))


@dataclass
class DocumentType:
    type: str | None = None
    type_detail: str | None = None
    type_name: str | None = None
    ELEMENTS: ClassVar = (("type", "Type"), ("type_detail", "TypeDetail"), ("type_name", "TypeName"))


@dataclass
class SignerInfo:
    competence: str | None = None
    position: str | None = None
    full_name: str | None = None
    ELEMENTS: ClassVar = (("competence", "Competence"), ("position", "Position"), ("full_name", "FullName"))


@dataclass
class OtherInfo:
    """Priority is 0 normal … 3 Hỏa tốc, 4 Hỏa tốc hẹn giờ; `appendixes` is None when Appendixes is absent."""

    priority: str | None = None
    sphere_of_promulgation: str | None = None
    typer_notation: str | None = None
    promulgation_amount: str | None = None
    page_amount: str | None = None
    direction: str | None = None
    appendixes: list[str] | None = None
    ELEMENTS: ClassVar = (("priority", "Priority"), ("sphere_of_promulgation", "SphereOfPromulgation"),
                          ("typer_notation", "TyperNotation"), ("promulgation_amount", "PromulgationAmount"),
                          ("page_amount", "PageAmount"), ("direction", "Direction"))


@dataclass
class ResponseFor:
    """The document a package answers; every field None for an empty `<ResponseFor/>`."""

    organ_id: str | None = None
    code: str | None = None
    promulgation_date: str | None = None
    document_id: str | None = None
    ELEMENTS: ClassVar = (("organ_id", "OrganId"), ("code", "Code"), ("promulgation_date", "PromulgationDate"),
                          ("document_id", "DocumentId"))


@dataclass
class StaffInfo:
    department: str | None = None
    staff: str | None = None
    email: str | None = None
    mobile: str | None = None
    ELEMENTS: ClassVar = (("department", "Department"), ("staff", "Staff"), ("email", "Email"),
                          ("mobile", "Mobile"))


@dataclass
class TraceHeader:
    organ_id: str | None = None
    timestamp: str | None = None
    ELEMENTS: ClassVar = (("organ_id", "OrganId"), ("timestamp", "Timestamp"))


@dataclass
class Receiver:
    organ_id: str | None = None
    receiver_type: str | None = None
    ELEMENTS: ClassVar = (("organ_id", "OrganId"), ("receiver_type", "ReceiverType"))


@dataclass
class BussinessDocumentInfo:
    """What an update (BussinessDocType 2) changes: the document information, its receivers, or both."""

    document_info: str | None = None
    document_receiver: str | None = None
    receivers: list[Receiver] | None = None
    ELEMENTS: ClassVar = (("document_info", "DocumentInfo"), ("document_receiver", "DocumentReceiver"))


@dataclass
class ReplacementInfo:
    """One replaced document (BussinessDocType 3) and the agencies it was sent to."""

    document_id: str | None = None
    organ_ids: list[str] = field(default_factory=list)


@dataclass
class Bussiness:
    """The business block of a document package (QCVN spells it Bussiness). Paper 1: a paper copy is also sent."""

    document_id: str | None = None
    bussiness_doc_type: str | None = None
    bussiness_doc_reason: str | None = None
    paper: str | None = None
    document_info: BussinessDocumentInfo | None = None
    replacement_info_list: list[ReplacementInfo] | None = None
    staff_info: StaffInfo | None = None
    ELEMENTS: ClassVar = (("document_id", "DocumentId"), ("bussiness_doc_type", "BussinessDocType"),
                          ("bussiness_doc_reason", "BussinessDocReason"), ("paper", "Paper"))


@dataclass
class TraceHeaderList:
    """Relay hops and the Bussiness block; producers disagree on which comes first, so the order is kept."""

    trace_headers: list[TraceHeader] = field(default_factory=list)
    bussiness: Bussiness | None = None
    bussiness_first: bool = False


@dataclass
class Signature:
    """The envelope's XMLDSig element as found, read but not verified (verification is the envelope module's).

    `namespace` is the element's own: most producers leave it in the edXML namespace by omitting xmlns.
    """

    namespace: str = XMLDSIG_NS
    canonicalization_method: str | None = None
    signature_method: str | None = None
    reference_uri: str | None = None
    transforms: list[str] = field(default_factory=list)
    digest_method: str | None = None
    digest_value: str | None = None
    signature_value: str | None = None
    x509_subject_name: str | None = None
    x509_certificate: str | None = None


@dataclass
class ManifestReference:
    """An edXMLManifest entry; its ContentType may disagree with the attachment's, which is the one to trust."""

    content_id: str | None = None
    content_type: str | None = None
    description: str | None = None
    attachment_name: str | None = None
    ELEMENTS: ClassVar = (("content_id", "ContentId"), ("content_type", "ContentType"),
                          ("description", "Description"), ("attachment_name", "AttachmentName"))


@dataclass
class Attachment:
    """An AttachmentEncoded/Attachment. `content` is the base64 text without whitespace.

    A content type of application/zip means the payload is zipped while `name` keeps the original extension.
    """

    content_id: str | None = None
    name: str | None = None
    description: str | None = None
    content_type: str | None = None
    content: str = ""
    ELEMENTS: ClassVar = (("content_id", "ContentId"), ("name", "AttachmentName"), ("description", "Description"),
                          ("content_type", "ContentType"))

    def decoded(self) -> bytes:
        """The payload bytes; raises ValueError when the content is not valid base64."""
        try:
            return base64.b64decode(self.content, validate=True)
        except binascii.Error as exc:
            raise ValueError(f"attachment {self.name!r} is not valid base64: {exc}") from None


@dataclass
class NonstandardAttachment:
    """An attachment one gateway puts in `edXMLEnvelope/edXMLAttachments`, outside QCVN 102; kept to report it."""

    name: str | None = None
    type: str | None = None
    size: str | None = None
    data: str | None = None
    ELEMENTS: ClassVar = (("name", "AttachmentName"), ("type", "AttachmentType"), ("size", "AttachmentSize"),
                          ("data", "AttachmentData"))


@dataclass
class DocumentPackage:
    """A document package: MessageHeader, TraceHeaderList, Signature, manifest and attachments."""

    kind: ClassVar[str] = "document"
    from_: Organization = field(default_factory=Organization)
    to: list[Organization] = field(default_factory=list)
    document_id: str | None = None
    code: Code | None = None
    promulgation_info: PromulgationInfo | None = None
    document_type: DocumentType | None = None
    subject: str | None = None
    content: str | None = None
    signer_info: SignerInfo | None = None
    due_date: str | None = None
    to_places: list[str] | None = None
    other_info: OtherInfo | None = None
    response_for: list[ResponseFor] = field(default_factory=list)
    steering_type: str | None = None
    trace_header_list: TraceHeaderList | None = None
    signature: Signature | None = None
    manifest: list[ManifestReference] | None = None
    attachments: list[Attachment] = field(default_factory=list)
    nonstandard_attachments: list[NonstandardAttachment] = field(default_factory=list)

    @property
    def bussiness(self) -> Bussiness | None:
        return self.trace_header_list.bussiness if self.trace_header_list else None

    @property
    def promulgation_date(self) -> date | None:
        """The promulgation date, or None when absent or unreadable."""
        return parse_date(self.promulgation_info.promulgation_date if self.promulgation_info else None)


@dataclass
class StatusPackage:
    """A status package: who reports (From), on which document (ResponseFor), the code and when."""

    kind: ClassVar[str] = "status"
    from_: Organization = field(default_factory=Organization)
    response_for: ResponseFor | None = None
    staff_info: StaffInfo | None = None
    status_code: str | None = None
    description: str | None = None
    timestamp: str | None = None


Package = DocumentPackage | StatusPackage

# The standard date form first; BKAV's dd/MM/yyyy is read too, since the field cannot be ambiguous with it.
_DATE_FORMATS = ("%Y/%m/%d", "%d/%m/%Y")


def parse_date(text: str | None) -> date | None:
    """A PromulgationDate/DueDate value as a date: `yyyy/MM/dd` (standard) or `dd/MM/yyyy` (BKAV); else None."""
    if not text:
        return None
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def parse_timestamp(text: str | None) -> datetime | None:
    """A Timestamp value (`yyyy/MM/dd HH:mm:ss`, Vietnam time without a zone) as a naive datetime, else None."""
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y/%m/%d %H:%M:%S")
    except ValueError:
        return None


def make_document_id(organ_id: str, promulgation_date: date, code_number: str, code_notation: str) -> str:
    """The standard DocumentId, `OrganId,yyyy/MM/dd,Number/Notation` (e.g. 000.00.00.G22,2015/09/30,7816/VPCP-TTĐT)."""
    return f"{organ_id},{promulgation_date:%Y/%m/%d},{code_number}/{code_notation}"
