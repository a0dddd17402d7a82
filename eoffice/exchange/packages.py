"""Packages built from the database: a document package for an issued outgoing document and one recipient, a
status package answering a received document, both sealed with the sending agency's exchange key.

Secret documents never become packages: the outgoing form refuses an electronic recipient for them, and the check
is made again here, at the boundary, whatever path led to it.
"""

from __future__ import annotations

import base64
import hashlib

from lxml import etree

from eoffice.core.errors import Conflict
from eoffice.core.time import to_local, utcnow
from eoffice.exchange import envelope
from eoffice.exchange.edxml import build_package
from eoffice.exchange.edxml.model import (
    Attachment, Bussiness, Code, DocumentPackage, DocumentType, ManifestReference, Organization, OtherInfo,
    PromulgationInfo, ResponseFor, SignerInfo, StatusPackage, TraceHeader, TraceHeaderList, make_document_id,
)
from eoffice.exchange.keys import exchange_key, signing_material
from eoffice.exchange.models import NEW, ExchangePartner

#: edXML DocumentType/Type: 1 legal normative document, 2 administrative document (every type eoffice issues).
ADMINISTRATIVE = "2"
TIMESTAMP = "%Y/%m/%d %H:%M:%S"


class SecretDocument(Conflict):
    """A secret document (Mật, Tối mật, Tuyệt mật) was about to leave electronically."""


def organization_of_agency(agency) -> Organization:
    return Organization(organ_id=agency.code, organization_in_charge=agency.organization_in_charge or "",
                        organ_name=agency.name, organ_add=agency.address or "", email=agency.email or "",
                        telephone=agency.telephone or "", fax=agency.fax or "", website=agency.website or "")


def organization_of_partner(partner: ExchangePartner) -> Organization:
    return Organization(organ_id=partner.organ_id, organization_in_charge=partner.organization_in_charge,
                        organ_name=partner.name, organ_add=partner.address, email=partner.email,
                        telephone=partner.telephone, fax=partner.fax, website=partner.website)


def code_of(doc) -> Code:
    """CodeNumber and CodeNotation of an issued document (`15/QĐ-UBND` → `15`, `QĐ-UBND`)."""
    number = f"{doc.number:02d}" if doc.number is not None else ""
    symbol = doc.symbol or ""
    notation = symbol.split("/", 1)[1] if "/" in symbol else symbol
    return Code(code_number=number, code_notation=notation)


def document_identifier(doc) -> str:
    """The edXML DocumentId of an issued outgoing document: `OrganId,yyyy/MM/dd,Number/Notation`."""
    code = code_of(doc)
    return make_document_id(doc.agency.code, doc.issued_date, code.code_number, code.code_notation)


def _files(doc) -> list[tuple[str, bytes]]:
    from eoffice.outgoing.models import APPENDIX_ISSUED, ISSUED_FILE

    return [(f.stored_file.name, f.stored_file.read()) for role in (ISSUED_FILE, APPENDIX_ISSUED)
            for f in sorted(doc.files, key=lambda f: f.position) if f.role == role]


def document_package(doc, partner: ExchangePartner, *, business_type: int = NEW, reason: str = "",
                     paper: bool = False) -> DocumentPackage:
    """The edXML document package of an issued outgoing document for `partner`: every header field, the issued
    PDF then its appendices as attachments. Refuses a secret document (SecretDocument, 409)."""
    if doc.is_secret:
        raise SecretDocument("A secret document is never sent through the electronic exchange.",
                             code="secret_electronic")
    files = _files(doc)
    attachments, manifest = [], []
    for n, (name, data) in enumerate(files, start=1):
        content_id = f"{n:03d}"
        description = "Văn bản" if n == 1 else "Phụ lục"
        attachments.append(Attachment(content_id=content_id, name=name, description=description,
                                      content_type="application/pdf", content=base64.b64encode(data).decode()))
        manifest.append(ManifestReference(content_id=content_id, content_type="application/pdf",
                                          description=description, attachment_name=name))
    places = [line.strip() for line in (doc.places or "").splitlines() if line.strip()]
    document_type = doc.document_type
    sender = organization_of_agency(doc.agency)
    return DocumentPackage(
        from_=sender, to=[organization_of_partner(partner)], document_id=document_identifier(doc),
        code=code_of(doc),
        promulgation_info=PromulgationInfo(place=doc.agency.place or "",
                                           promulgation_date=f"{doc.issued_date:%Y/%m/%d}"),
        document_type=DocumentType(type=ADMINISTRATIVE, type_detail=getattr(document_type, "code", None),
                                   type_name=getattr(document_type, "name", "")),
        subject=doc.subject, content=doc.description or "",
        signer_info=SignerInfo(competence="", position=doc.signer_position or "", full_name=doc.signer_name or ""),
        due_date=f"{doc.due_date:%Y/%m/%d}" if doc.due_date else None,
        to_places=places or None,
        other_info=OtherInfo(priority=str(doc.priority or 0), sphere_of_promulgation="",
                             typer_notation="", promulgation_amount=str(doc.issued_amount or 1),
                             page_amount=str(doc.page_amount) if doc.page_amount else "",
                             appendixes=[name for name, _data in files[1:]]),
        steering_type="",
        trace_header_list=TraceHeaderList(
            trace_headers=[TraceHeader(organ_id=sender.organ_id, timestamp=_timestamp())],
            bussiness=Bussiness(document_id=document_identifier(doc) if business_type != NEW else "",
                                bussiness_doc_type=str(business_type), bussiness_doc_reason=reason or "",
                                paper="1" if paper else "0")),
        manifest=manifest, attachments=attachments)


def status_package(agency, *, response_organ_id: str, document_id: str, code: str, description: str = "",
                   at=None) -> StatusPackage:
    """A status package from `agency` about the document `document_id` that `response_organ_id` sent it."""
    return StatusPackage(from_=organization_of_agency(agency),
                         response_for=ResponseFor(organ_id=response_organ_id, code="", promulgation_date="",
                                                  document_id=document_id),
                         status_code=code, description=(description or "")[:500], timestamp=_timestamp(at))


def _timestamp(at=None) -> str:
    # edXML timestamps are Vietnam time without a zone.
    return to_local(at or utcnow()).strftime(TIMESTAMP)


def seal_package(agency, package) -> bytes:
    """The package's bytes with the envelope signed by the agency's exchange key."""
    key, chain = signing_material(exchange_key(agency))
    root = envelope.parse_xml(build_package(package))
    return etree.tostring(envelope.sign_envelope(root, key, chain), xml_declaration=True, encoding="UTF-8")


def package_key(package) -> str:
    """What identifies a received package for idempotency: the DocumentId of a new document; with the business
    type and a digest of the reason for a recall, update or replace; code and DocumentId for a status."""
    if isinstance(package, StatusPackage):
        return f"status:{package.status_code}:{package.response_for.document_id}"[:250]
    bussiness = package.bussiness
    business_type = (bussiness.bussiness_doc_type if bussiness else None) or "0"
    if business_type == "0":
        return (package.document_id or "")[:250]
    digest = hashlib.sha256((bussiness.bussiness_doc_reason or "").encode()).hexdigest()[:16]
    return f"{package.document_id}#{business_type}#{digest}"[:250]
