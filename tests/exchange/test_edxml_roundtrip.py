"""parse → build → parse gives an equal model for every valid vector, and packages built from scratch read back."""
from __future__ import annotations

from datetime import date

import pytest
from lxml import etree

from eoffice.exchange.edxml import NS, DocumentPackage, StatusPackage, build_package, parse_package, validate_package
from eoffice.exchange.edxml.model import (
    Attachment, Bussiness, Code, DocumentType, ManifestReference, Organization, OtherInfo, PromulgationInfo,
    ResponseFor, SignerInfo, StaffInfo, TraceHeader, TraceHeaderList, make_document_id,
)

from .vectors import VALID, names, read

TODAY = date(2030, 1, 1)


@pytest.mark.parametrize("name", names(*VALID))
def test_vector_round_trip(name):
    package = parse_package(read(name))
    built = build_package(package)
    again = parse_package(built)
    assert again == package
    assert build_package(again) == built  # the builder is deterministic
    assert validate_package(again, today=TODAY) == []


def test_built_layout_is_the_producers_one():
    root = etree.fromstring(build_package(parse_package(read("vpcp-sdk-update.edxml"))))
    assert root.nsmap == {None: NS}
    envelope = root[0]
    assert envelope.prefix == "edXML" and etree.QName(envelope).localname == "edXMLEnvelope"
    encoded = root.find(f"{{{NS}}}AttachmentEncoded")
    assert encoded.prefix is None
    assert encoded.find(f"{{{NS}}}Attachment/{{{NS}}}ContentTransferEncoded").prefix == "edXML"


def _document() -> DocumentPackage:
    promulgated = date(2025, 11, 3)
    sender = Organization(organ_id="000.00.00.H53", organ_name="UBND huyện Thạnh Trị", email="vanthu@example.vn")
    return DocumentPackage(
        from_=sender,
        to=[Organization(organ_id="000.00.12.H53", organ_name="Sở Nội vụ tỉnh Sóc Trăng")],
        document_id=make_document_id("000.00.00.H53", promulgated, "15", "QĐ-UBND"),
        code=Code("15", "QĐ-UBND"),
        promulgation_info=PromulgationInfo("Thạnh Trị", promulgated.strftime("%Y/%m/%d")),
        document_type=DocumentType("1", "0", "Quyết định"),
        subject="Về việc ban hành quy chế văn thư", content="",
        signer_info=SignerInfo("TM. ỦY BAN NHÂN DÂN", "Chủ tịch", "Nguyễn Văn A"),
        due_date="", to_places=["Như trên", "Lưu: VT"],
        other_info=OtherInfo(priority="1", page_amount="2", appendixes=[]),
        steering_type="1",
        trace_header_list=TraceHeaderList(
            [TraceHeader("000.00.00.H53", "2025/11/03 08:00:00")],
            Bussiness(bussiness_doc_type="0", bussiness_doc_reason="Văn bản điện tử mới", paper="0",
                      staff_info=StaffInfo(staff="Văn thư")), bussiness_first=True),
        manifest=[ManifestReference("cid:1", "application/pdf", None, "15-QD-UBND.pdf")],
        attachments=[Attachment("cid:1", "15-QD-UBND.pdf", "Quyết định", "application/pdf", "JVBERi0xLjcK")],
    )


def test_document_from_scratch():
    package = _document()
    again = parse_package(build_package(package))
    assert again == package
    assert again.attachments[0].decoded() == b"%PDF-1.7\n"
    assert validate_package(again, today=TODAY, own=True) == []


def test_status_from_scratch():
    package = StatusPackage(
        from_=Organization(organ_id="000.00.12.H53", organ_name="Sở Nội vụ tỉnh Sóc Trăng"),
        response_for=ResponseFor("000.00.00.H53", "15/QĐ-UBND", "2025/11/03",
                                 "000.00.00.H53,2025/11/03,15/QĐ-UBND"),
        staff_info=StaffInfo(department="Văn phòng", staff="Trần Thị B"),
        status_code="03", description="Đã vào sổ văn bản đến", timestamp="2025/11/03 09:15:00")
    again = parse_package(build_package(package))
    assert again == package
    assert validate_package(again, today=TODAY) == []


def test_empty_and_absent_stay_apart():
    package = _document()
    package.response_for = [ResponseFor()]
    package.signer_info = SignerInfo(full_name="")
    again = parse_package(build_package(package))
    assert again.response_for == [ResponseFor()] and again.signer_info.full_name == ""
    assert again.signer_info.position is None and again.due_date == ""
