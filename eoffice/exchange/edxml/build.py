"""Write the model back to edXML bytes, in the layout every producer of the national platform uses.

The root carries the edXML namespace as default and `edXMLEnvelope` declares it again as `edXML:`; the
attachments after the envelope are unprefixed and `ContentTransferEncoded` re-declares `edXML:`. Readers that
match by prefix (the SDK's) therefore read our packages like their own, and readers that match by namespace
(ours) do not care. A value that is None is not written; "" is written as an empty element, so that
parse(build(package)) == package.
"""

from __future__ import annotations

from lxml import etree

from eoffice.exchange.edxml.model import (
    NS, XMLDSIG_NS, Attachment, Bussiness, DocumentPackage, Package, Signature, StatusPackage,
    TraceHeaderList,
)


def build_package(package: Package) -> bytes:
    """Serialise a DocumentPackage or StatusPackage to UTF-8 edXML bytes (with an XML declaration)."""
    root = etree.Element(_q("edXML"), nsmap={None: NS})
    envelope = etree.SubElement(root, _q("edXMLEnvelope"), nsmap={"edXML": NS})
    header = etree.SubElement(envelope, _q("edXMLHeader"))
    message_header = etree.SubElement(header, _q("MessageHeader"))
    if isinstance(package, StatusPackage):
        _status(message_header, package)
    else:
        _document(root, envelope, header, message_header, package)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _q(name: str, ns: str = NS) -> str:
    return f"{{{ns}}}{name}"


def _leaf(parent, name: str, value: str | None, ns: str = NS) -> None:
    if value is not None:
        etree.SubElement(parent, _q(name, ns)).text = value


def _flat(parent, name: str, obj, ns: str = NS) -> None:
    """Write a flat dataclass as `name` with the children of its ELEMENTS table (nothing when obj is None)."""
    if obj is None:
        return
    el = etree.SubElement(parent, _q(name, ns))
    for attr, child in type(obj).ELEMENTS:
        _leaf(el, child, getattr(obj, attr), ns)
    return el


def _list(parent, name: str, item: str, values: list[str] | None) -> None:
    if values is None:
        return
    el = etree.SubElement(parent, _q(name))
    for value in values:
        _leaf(el, item, value)


def _document(root, envelope, header, mh, package: DocumentPackage) -> None:
    _flat(mh, "From", package.from_)
    for organization in package.to:
        _flat(mh, "To", organization)
    _leaf(mh, "DocumentId", package.document_id)
    _flat(mh, "Code", package.code)
    _flat(mh, "PromulgationInfo", package.promulgation_info)
    _flat(mh, "DocumentType", package.document_type)
    _leaf(mh, "Subject", package.subject)
    _leaf(mh, "Content", package.content)
    _flat(mh, "SignerInfo", package.signer_info)
    _leaf(mh, "DueDate", package.due_date)
    _list(mh, "ToPlaces", "Place", package.to_places)
    other = _flat(mh, "OtherInfo", package.other_info)
    if other is not None:
        _list(other, "Appendixes", "Appendix", package.other_info.appendixes)
    for response_for in package.response_for:
        _flat(mh, "ResponseFor", response_for)
    _leaf(mh, "SteeringType", package.steering_type)
    _trace_header_list(header, package.trace_header_list)
    _signature(header, package.signature)
    body = etree.SubElement(envelope, _q("edXMLBody"))
    if package.manifest is not None:
        manifest = etree.SubElement(body, _q("edXMLManifest"), version="1.0")
        for reference in package.manifest:
            _flat(manifest, "Reference", reference)
    if package.attachments:
        holder = etree.SubElement(root, _q("AttachmentEncoded"))
        for attachment in package.attachments:
            _attachment(holder, attachment)


def _status(mh, package: StatusPackage) -> None:
    _flat(mh, "From", package.from_)
    _flat(mh, "ResponseFor", package.response_for)
    _flat(mh, "StaffInfo", package.staff_info)
    _leaf(mh, "StatusCode", package.status_code)
    _leaf(mh, "Description", package.description)
    _leaf(mh, "Timestamp", package.timestamp)


def _trace_header_list(header, trace: TraceHeaderList | None) -> None:
    if trace is None:
        return
    el = etree.SubElement(header, _q("TraceHeaderList"))
    if trace.bussiness_first:
        _bussiness(el, trace.bussiness)
    for trace_header in trace.trace_headers:
        _flat(el, "TraceHeader", trace_header)
    if not trace.bussiness_first:
        _bussiness(el, trace.bussiness)


def _bussiness(parent, bussiness: Bussiness | None) -> None:
    el = _flat(parent, "Bussiness", bussiness)
    if el is None:
        return
    info = bussiness.document_info
    if info is not None:
        info_el = _flat(el, "BussinessDocumentInfo", info)
        if info.receivers is not None:
            receivers = etree.SubElement(info_el, _q("ReceiverList"))
            for receiver in info.receivers:
                _flat(receivers, "Receiver", receiver)
    if bussiness.replacement_info_list is not None:
        replacements = etree.SubElement(el, _q("ReplacementInfoList"))
        for replacement in bussiness.replacement_info_list:
            info_el = etree.SubElement(replacements, _q("ReplacementInfo"))
            _leaf(info_el, "DocumentId", replacement.document_id)
            _list(info_el, "OrganIdList", "OrganId", replacement.organ_ids)
    _flat(el, "StaffInfo", bussiness.staff_info)


def _signature(header, signature: Signature | None) -> None:
    # Re-emits the signature as it was found (same namespace, same values); signing anew is the envelope's job.
    if signature is None:
        return
    ns = signature.namespace
    el = etree.SubElement(header, _q("Signature", ns), nsmap={None: ns} if ns == XMLDSIG_NS else None)
    signed_info = etree.SubElement(el, _q("SignedInfo", ns))
    _algorithm(signed_info, "CanonicalizationMethod", signature.canonicalization_method, ns)
    _algorithm(signed_info, "SignatureMethod", signature.signature_method, ns)
    reference = etree.SubElement(signed_info, _q("Reference", ns))
    if signature.reference_uri is not None:
        reference.set("URI", signature.reference_uri)
    if signature.transforms:
        transforms = etree.SubElement(reference, _q("Transforms", ns))
        for algorithm in signature.transforms:
            _algorithm(transforms, "Transform", algorithm, ns)
    _algorithm(reference, "DigestMethod", signature.digest_method, ns)
    _leaf(reference, "DigestValue", signature.digest_value, ns)
    _leaf(el, "SignatureValue", signature.signature_value, ns)
    if signature.x509_subject_name is not None or signature.x509_certificate is not None:
        x509 = etree.SubElement(etree.SubElement(el, _q("KeyInfo", ns)), _q("X509Data", ns))
        _leaf(x509, "X509SubjectName", signature.x509_subject_name, ns)
        _leaf(x509, "X509Certificate", signature.x509_certificate, ns)


def _algorithm(parent, name: str, algorithm: str | None, ns: str) -> None:
    if algorithm is not None:
        etree.SubElement(parent, _q(name, ns), Algorithm=algorithm)


def _attachment(holder, attachment: Attachment) -> None:
    el = _flat(holder, "Attachment", attachment)
    encoded = etree.SubElement(el, _q("ContentTransferEncoded"), nsmap={"edXML": NS})
    encoded.text = attachment.content
