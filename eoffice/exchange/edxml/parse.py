"""Read edXML bytes from another agency into the model, with a parser hardened against hostile input.

The bytes come from outside the deployment, so: a size limit before anything is parsed, no DTD (a DOCTYPE or an
entity declaration is refused outright, which stops entity-expansion bombs and external entities), no network,
no entity resolution and libxml2's default limits on text nodes and depth (huge_tree off).

Elements are matched by namespace URI and local name, never by prefix: producers declare the namespace both as
the default and as `edXML:` and use either. Anything the model does not hold is ignored; a missing optional
block is None. Structural deviations are kept for `validate_package` to judge rather than failing here.
"""

from __future__ import annotations

import re

from lxml import etree

from eoffice.exchange.edxml.model import (
    NS, Attachment, Bussiness, BussinessDocumentInfo, Code, DocumentPackage, DocumentType, EdxmlError,
    ManifestReference, NonstandardAttachment, Organization, OtherInfo, Package, PromulgationInfo, Receiver,
    ReplacementInfo, ResponseFor, Signature, SignerInfo, StaffInfo, StatusPackage, TraceHeader, TraceHeaderList,
)

#: Used when the caller gives no limit (the application passes EXCHANGE_MAX_PACKAGE_BYTES).
DEFAULT_MAX_BYTES = 50 * 1024 * 1024

# A DOCTYPE is never legitimate in edXML; refusing it before parsing means no entity is ever declared.
# The check after parsing (docinfo) also catches encodings this byte search cannot see, such as UTF-16.
_DTD_MARKERS = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")


def _parser() -> etree.XMLParser:
    # A new parser per call: lxml parsers are not safe to share between threads.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_comments=True, remove_pis=True)


def parse_package(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> Package:
    """Parse edXML bytes into a DocumentPackage or a StatusPackage.

    Raises EdxmlError (with a `problem` of code too_large, doctype_refused, malformed_xml, namespace_error or
    not_edxml) when the bytes cannot be read as a package; every other deviation is left to validate_package.
    """
    if len(data) > max_bytes:
        raise EdxmlError("too_large", f"The package is {len(data)} bytes; the limit is {max_bytes} bytes.")
    if _DTD_MARKERS.search(data):
        raise EdxmlError("doctype_refused", "The package declares a DOCTYPE or an entity; edXML never needs one "
                                            "and it is refused (entity expansion, external entities).")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        message = str(exc)
        # An undeclared prefix (the SDK's signed sample) is well-formed XML 1.0 but not namespace-well-formed.
        code = "namespace_error" if message.startswith("Namespace prefix") else "malformed_xml"
        raise EdxmlError(code, f"The package is not well-formed XML: {message}") from None
    if root.getroottree().docinfo.internalDTD is not None:
        raise EdxmlError("doctype_refused", "The package declares a DOCTYPE; it is refused.")
    if root.tag != _q("edXML"):
        raise EdxmlError("not_edxml", f"The root element is {root.tag!r}, not edXML in the namespace {NS}.")
    header = _path(root, "edXMLEnvelope", "edXMLHeader")
    message_header = _child(header, "MessageHeader")
    if message_header is None:
        raise EdxmlError("not_edxml", "The package has no edXMLEnvelope/edXMLHeader/MessageHeader.",
                         "edXMLEnvelope/edXMLHeader/MessageHeader")
    if _child(message_header, "StatusCode") is not None:
        return _status(message_header)
    return _document(root, header, message_header)


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def _child(parent, name: str, ns: str = NS):
    return None if parent is None else parent.find(f"{{{ns}}}{name}")


def _children(parent, name: str, ns: str = NS) -> list:
    return [] if parent is None else parent.findall(f"{{{ns}}}{name}")


def _path(parent, *names: str):
    for name in names:
        parent = _child(parent, name)
    return parent


def _text(el) -> str | None:
    # Only the element's own text: a leaf never has children in edXML, and comments were removed by the parser.
    return None if el is None else (el.text or "").strip()


def _flat(cls, el, ns: str = NS):
    """Fill a flat dataclass from the children its ELEMENTS table names; None when the element is absent."""
    if el is None:
        return None
    return cls(**{attr: _text(_child(el, name, ns)) for attr, name in cls.ELEMENTS})


def _texts(parent, name: str) -> list[str] | None:
    return None if parent is None else [_text(el) for el in _children(parent, name)]


def _document(root, header, mh) -> DocumentPackage:
    other = _flat(OtherInfo, _child(mh, "OtherInfo"))
    if other is not None:
        other.appendixes = _texts(_child(_child(mh, "OtherInfo"), "Appendixes"), "Appendix")
    body = _child(_child(root, "edXMLEnvelope"), "edXMLBody")
    manifest = _child(body, "edXMLManifest")
    return DocumentPackage(
        from_=_flat(Organization, _child(mh, "From")) or Organization(),
        to=[_flat(Organization, el) for el in _children(mh, "To")],
        document_id=_text(_child(mh, "DocumentId")),
        code=_flat(Code, _child(mh, "Code")),
        promulgation_info=_flat(PromulgationInfo, _child(mh, "PromulgationInfo")),
        document_type=_flat(DocumentType, _child(mh, "DocumentType")),
        subject=_text(_child(mh, "Subject")),
        content=_text(_child(mh, "Content")),
        signer_info=_flat(SignerInfo, _child(mh, "SignerInfo")),
        due_date=_text(_child(mh, "DueDate")),
        to_places=_texts(_child(mh, "ToPlaces"), "Place"),
        other_info=other,
        response_for=[_flat(ResponseFor, el) for el in _children(mh, "ResponseFor")],
        steering_type=_text(_child(mh, "SteeringType")),
        trace_header_list=_trace_header_list(_child(header, "TraceHeaderList")),
        signature=_signature(header),
        manifest=None if manifest is None else [_flat(ManifestReference, el)
                                                for el in _children(manifest, "Reference")],
        attachments=[_attachment(el) for holder in _children(root, "AttachmentEncoded")
                     for el in _children(holder, "Attachment")],
        nonstandard_attachments=[_flat(NonstandardAttachment, el) for el in _children(
            _child(_child(root, "edXMLEnvelope"), "edXMLAttachments"), "Attachment")],
    )


def _status(mh) -> StatusPackage:
    return StatusPackage(
        from_=_flat(Organization, _child(mh, "From")) or Organization(),
        response_for=_flat(ResponseFor, _child(mh, "ResponseFor")),
        staff_info=_flat(StaffInfo, _child(mh, "StaffInfo")),
        status_code=_text(_child(mh, "StatusCode")),
        description=_text(_child(mh, "Description")),
        timestamp=_text(_child(mh, "Timestamp")),
    )


def _trace_header_list(el) -> TraceHeaderList | None:
    if el is None:
        return None
    bussiness_el = _child(el, "Bussiness")
    first = next((child for child in el if isinstance(child.tag, str)), None)
    return TraceHeaderList(trace_headers=[_flat(TraceHeader, th) for th in _children(el, "TraceHeader")],
                           bussiness=_bussiness(bussiness_el),
                           bussiness_first=bussiness_el is not None and first is bussiness_el)


def _bussiness(el) -> Bussiness | None:
    if el is None:
        return None
    bussiness = _flat(Bussiness, el)
    info_el = _child(el, "BussinessDocumentInfo")
    if info_el is not None:
        bussiness.document_info = _flat(BussinessDocumentInfo, info_el)
        receivers = _child(info_el, "ReceiverList")
        if receivers is not None:
            bussiness.document_info.receivers = [_flat(Receiver, r) for r in _children(receivers, "Receiver")]
    replacements = _child(el, "ReplacementInfoList")
    if replacements is not None:
        bussiness.replacement_info_list = [
            ReplacementInfo(document_id=_text(_child(info, "DocumentId")),
                            organ_ids=_texts(_child(info, "OrganIdList"), "OrganId") or [])
            for info in _children(replacements, "ReplacementInfo")
        ]
    bussiness.staff_info = _flat(StaffInfo, _child(el, "StaffInfo"))
    return bussiness


def _signature(header) -> Signature | None:
    # Most producers omit the XMLDSig xmlns, so the element inherits the edXML namespace; its children share
    # whichever namespace the element itself is in.
    el = next((child for child in header if isinstance(child.tag, str)
               and etree.QName(child).localname == "Signature"), None) if header is not None else None
    if el is None:
        return None
    ns = etree.QName(el).namespace or ""
    signed_info = _child(el, "SignedInfo", ns)
    reference = _child(signed_info, "Reference", ns)
    x509 = _path_ns(el, ns, "KeyInfo", "X509Data")
    return Signature(
        namespace=ns,
        canonicalization_method=_algorithm(_child(signed_info, "CanonicalizationMethod", ns)),
        signature_method=_algorithm(_child(signed_info, "SignatureMethod", ns)),
        reference_uri=None if reference is None else reference.get("URI"),
        transforms=[_algorithm(t) for t in _children(_child(reference, "Transforms", ns), "Transform", ns)],
        digest_method=_algorithm(_child(reference, "DigestMethod", ns)),
        digest_value=_text(_child(reference, "DigestValue", ns)),
        signature_value=_squeeze(_text(_child(el, "SignatureValue", ns))),
        x509_subject_name=_text(_child(x509, "X509SubjectName", ns)),
        x509_certificate=_squeeze(_text(_child(x509, "X509Certificate", ns))),
    )


def _path_ns(parent, ns: str, *names: str):
    for name in names:
        parent = _child(parent, name, ns)
    return parent


def _algorithm(el) -> str | None:
    return None if el is None else el.get("Algorithm")


def _squeeze(text: str | None) -> str | None:
    # Base64 may be wrapped over lines; the line breaks carry no meaning.
    return None if text is None else _WHITESPACE.sub("", text)


def _attachment(el) -> Attachment:
    attachment = _flat(Attachment, el)
    attachment.content = _squeeze(_text(_child(el, "ContentTransferEncoded"))) or ""
    return attachment
