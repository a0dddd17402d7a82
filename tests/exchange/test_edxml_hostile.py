"""Hostile and broken input: refused with a clear problem, quickly, without reading files or the network; and
each validation rule on a package that breaks only that rule."""
from __future__ import annotations

import copy
import time
from datetime import date, datetime, timezone

import pytest

from eoffice.exchange.edxml import EdxmlError, build_package, parse_package, validate_package
from eoffice.exchange.edxml.model import Organization

from .vectors import read

TODAY = date(2030, 1, 1)
NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE edXML [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
]>
<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"><Subject>&f;</Subject></edXML>"""
EXTERNAL = (b'<?xml version="1.0"?>\n<!DOCTYPE edXML [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
            b'<edXML xmlns="' + NS.encode() + b'"><edXMLEnvelope><edXMLHeader><MessageHeader>'
            b'<Subject>&secret;</Subject></MessageHeader></edXMLHeader></edXMLEnvelope></edXML>')


def _refusal(data: bytes, **kwargs) -> str:
    with pytest.raises(EdxmlError) as caught:
        parse_package(data, **kwargs)
    problem = caught.value.problem
    assert problem.message and problem.message[0].isupper()
    return problem.code


def test_entity_expansion_bomb_is_refused_quickly():
    started = time.monotonic()
    assert _refusal(BOMB) == "doctype_refused"
    assert time.monotonic() - started < 1


def test_external_entity_is_refused_and_never_read():
    with pytest.raises(EdxmlError) as caught:
        parse_package(EXTERNAL)
    assert caught.value.problem.code == "doctype_refused"
    assert "root:" not in caught.value.problem.message


@pytest.mark.parametrize("doctype", [
    b'<!DOCTYPE edXML SYSTEM "http://127.0.0.1:9/edxml.dtd">',
    b'<!DOCTYPE edXML PUBLIC "-//X//Y" "file:///etc/passwd">',
    b'<!doctype edXML>',
    b'<!DOCTYPE edXML [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]>',
])
def test_any_doctype_is_refused(doctype):
    assert _refusal(b'<?xml version="1.0"?>' + doctype + b'<edXML xmlns="' + NS.encode() + b'"/>') == \
        "doctype_refused"


def test_doctype_in_utf16_is_refused_after_a_parse_that_expands_nothing():
    # The byte search cannot see UTF-16; the parse (entities unresolved) and the docinfo check still refuse it.
    small = ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE edXML [<!ENTITY e "x">]>'
             f'<edXML xmlns="{NS}"><Subject>&e;</Subject></edXML>')
    assert _refusal(small.encode("utf-16")) == "doctype_refused"
    # libxml2's amplification guard stops the bomb itself while parsing: refused as malformed, quickly.
    bomb = BOMB.replace(b'<?xml version="1.0"?>', b'<?xml version="1.0" encoding="UTF-16"?>').decode()
    started = time.monotonic()
    assert _refusal(bomb.encode("utf-16")) in {"doctype_refused", "malformed_xml"}
    assert time.monotonic() - started < 1


def test_size_limit_is_checked_before_parsing():
    assert _refusal(b"<" * 2000, max_bytes=1000) == "too_large"
    assert _refusal(read("vpcp-sdk-new-document.edxml"), max_bytes=100_000) == "too_large"


def test_huge_text_node_is_refused():
    data = read("vpcp-sdk-status-05.edxml").replace(b"05</edXML:StatusCode>", b"05" + b"A" * 10_500_000 +
                                                   b"</edXML:StatusCode>")
    assert _refusal(data) == "malformed_xml"


def test_deep_nesting_is_refused():
    assert _refusal(b"<a>" * 100_000 + b"</a>" * 100_000) == "malformed_xml"


@pytest.mark.parametrize("data, code", [
    (b"", "malformed_xml"),
    (b"1212" + b'<?xml version="1.0"?><edXML/>', "malformed_xml"),
    (b"\x00\xff\xfe garbage", "malformed_xml"),
    (b"<edXML/>", "not_edxml"),
    (b'<edXML xmlns="http://example.com/other"/>', "not_edxml"),
    (b'<edXML xmlns="' + NS.encode() + b'"><edXMLEnvelope/></edXML>', "not_edxml"),
    (b'<edXML xmlns="' + NS.encode() + b'"><x:y/></edXML>', "namespace_error"),
])
def test_broken_input(data, code):
    assert _refusal(data) == code


def _doc():
    return parse_package(read("vpcp-sdk-replacement.edxml"))


def _codes(package, **kwargs) -> set[tuple[str, str | None]]:
    return {(p.code, p.field) for p in validate_package(package, today=kwargs.pop("today", TODAY), **kwargs)}


def test_future_promulgation_date():
    package = _doc()
    assert _codes(package, today=date(2018, 9, 28)) == set()
    assert _codes(package, today=date(2018, 9, 27)) == {("future_date", "PromulgationInfo/PromulgationDate")}


def test_today_is_vietnams(monkeypatch):
    # 18:00 UTC on 27 September is already 28 September in Hanoi: a document of the 28th is not in the future.
    monkeypatch.setattr("eoffice.core.time.utcnow", lambda: datetime(2018, 9, 27, 18, 0, tzinfo=timezone.utc))
    assert validate_package(_doc()) == []
    monkeypatch.setattr("eoffice.core.time.utcnow", lambda: datetime(2018, 9, 27, 16, 0, tzinfo=timezone.utc))
    assert [p.code for p in validate_package(_doc())] == ["future_date"]


def test_recipients():
    package = _doc()
    package.to.append(copy.deepcopy(package.to[0]))
    assert _codes(package) == {("duplicate_recipient", "To[4]")}
    package.to = []
    assert _codes(package) == {("no_recipient", "To")}
    package.to = [Organization(organ_name="no identifier")]
    assert _codes(package) == {("required", "To[1]/OrganId")}


def test_agency_identifiers_have_no_fixed_pattern():
    package = _doc()
    package.to = [Organization(organ_id=value) for value in ("G12", "020100107370", "vxp.saas.03", "x" * 35)]
    assert _codes(package) == set()
    package.to = [Organization(organ_id="x" * 36)]
    assert _codes(package) == {("too_long", "To[1]/OrganId")}
    # a 35-character identifier survives the round trip
    package.to = [Organization(organ_id="9" * 35)]
    assert parse_package(build_package(package)).to[0].organ_id == "9" * 35


@pytest.mark.parametrize("change, field", [
    (lambda p: setattr(p, "subject", "s" * 501), "Subject"),
    (lambda p: setattr(p.code, "code_notation", "n" * 31), "Code/CodeNotation"),
    (lambda p: setattr(p.code, "code_number", "1" * 31), "Code/CodeNumber"),
    (lambda p: setattr(p.from_, "organ_name", "o" * 201), "From/OrganName"),
    (lambda p: setattr(p.document_type, "type_name", "t" * 101), "DocumentType/TypeName"),
    (lambda p: setattr(p.signer_info, "position", "p" * 101), "SignerInfo/Position"),
    (lambda p: setattr(p.signer_info, "full_name", "f" * 51), "SignerInfo/FullName"),
    (lambda p: setattr(p, "to_places", ["x" * 600, "y" * 600]), "ToPlaces"),
])
def test_lengths(change, field):
    package = _doc()
    change(package)
    assert _codes(package) == {("too_long", field)}


def test_lengths_count_characters_after_nfc():
    package = _doc()
    package.signer_info.full_name = "Tua\u0302\u0301n" * 10  # 50 letters, 70 code points before NFC
    assert _codes(package) == set()


def test_code_number_is_held_to_11_for_our_own_packages():
    package = _doc()
    package.code.code_number = "20251020104803"  # a gateway's 14-digit number: accepted on receipt
    assert _codes(package) == set()
    assert ("too_long", "Code/CodeNumber") in _codes(package, own=True)


def test_document_id_of_our_own_packages_matches_from_date_and_code():
    package = _doc()  # the SDK's DocumentId 000.00.00.G22,2015/09/30,7816/… with PromulgationDate 2018/09/28
    assert _codes(package) == set()
    assert _codes(package, own=True) == {("document_id_mismatch", "DocumentId")}
    package.document_id = "000.00.00.G22,2018/09/28,7816/VPCP-TTĐT"
    assert _codes(package, own=True) == set()
    package.document_id = "000.00.00.G22,2018/02/30,7816/VPCP-TTĐT"
    assert _codes(package) == {("invalid_document_id", "DocumentId")}


def test_business_block():
    package = _doc()
    package.bussiness.bussiness_doc_type = "4"
    package.bussiness.paper = "2"
    assert _codes(package) == {("invalid_business_type", "TraceHeaderList/Bussiness/BussinessDocType"),
                               ("invalid_value", "TraceHeaderList/Bussiness/Paper")}


def test_dates_priority_and_attachments():
    package = _doc()
    package.promulgation_info.promulgation_date = "2018-09-28"
    package.due_date = "soon"
    package.other_info.priority = "9"
    package.attachments[0].content = "${__StringFromFile(test.txt,,,)}"
    assert _codes(package) == {("invalid_date", "PromulgationInfo/PromulgationDate"), ("invalid_date", "DueDate"),
                               ("invalid_value", "OtherInfo/Priority"),
                               ("invalid_attachment", "AttachmentEncoded/Attachment[1]/ContentTransferEncoded")}


@pytest.mark.parametrize("code", ["01", "02", "03", "04", "05", "06", "13", "15", "16"])
def test_every_status_code_is_allowed(code):
    package = parse_package(read("vpcp-sdk-status-05.edxml"))
    package.status_code = code
    assert _codes(package) == set()


@pytest.mark.parametrize("code", ["00", "07", "14", "5", "", None])
def test_other_status_codes_are_refused(code):
    package = parse_package(read("vpcp-sdk-status-05.edxml"))
    package.status_code = code
    assert _codes(package) == {("invalid_status_code", "StatusCode")}


def test_status_package_rules():
    package = parse_package(read("vpcp-sdk-status-05.edxml"))
    package.timestamp = "2031/01/01 00:00:00"
    package.description = "d" * 501
    package.response_for.document_id = ""
    assert _codes(package) == {("future_date", "Timestamp"), ("too_long", "Description"),
                               ("required", "ResponseFor/DocumentId")}
    package.response_for = None
    package.timestamp = "yesterday"
    assert ("required", "ResponseFor") in _codes(package) and ("invalid_date", "Timestamp") in _codes(package)
