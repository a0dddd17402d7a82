"""Leader signs the prepared copy, the system writes number and date, the clerk applies the agency seal."""

from __future__ import annotations

import pytest
from pyhanko.sign.diff_analysis import ModificationLevel

from eoffice.signing.credentials import WrongPin
from eoffice.signing.forms import fill_number_and_date, prepare_signing_copy
from eoffice.signing.layout import AGENCY_FIELD, LEADER_FIELD, SigningLayout
from eoffice.signing.sign import Level, sign_pdf
from eoffice.signing.stamps import SealStampStyle, SignerStampStyle, make_demo_seal_png, make_demo_signature_png

from .helpers import assert_pdfsig_trusted, assert_pdfsig_valid, field_values, pdfsig, validate_all

LAYOUT = SigningLayout(leader_position="CHỦ TỊCH")
LEADER_STAMP = SignerStampStyle(signature_png=make_demo_signature_png("Nguyễn Văn Đức"), position="CHỦ TỊCH",
                                name="Nguyễn Văn Đức")
SEAL_STAMP = SealStampStyle(seal_png=make_demo_seal_png("UBND huyện Thạnh Trị"))


def _issue(pki, pdf, certify=False):
    copy = prepare_signing_copy(pdf, LAYOUT)
    leader = sign_pdf(copy, pki.good.signer, field_name=LEADER_FIELD, stamp=LEADER_STAMP, level=Level.B_T,
                      timestamper=pki.timestamper(), certify=certify)
    numbered = fill_number_and_date(leader.pdf, "Số: 15/QĐ-UBND", "Thạnh Trị, ngày 05 tháng 01 năm 2026")
    return sign_pdf(numbered, pki.seal.signer, field_name=AGENCY_FIELD, stamp=SEAL_STAMP, level=Level.B_T,
                    timestamper=pki.timestamper()).pdf


def test_numbering_keeps_leader_signature_at_form_filling(pki, make_pdf, pdfsig_nssdb, tmp_path):
    final = _issue(pki, make_pdf())
    statuses = validate_all(final, pki.validation_context())
    assert set(statuses) == {LEADER_FIELD, AGENCY_FIELD}
    leader, agency = statuses[LEADER_FIELD], statuses[AGENCY_FIELD]
    assert leader.bottom_line and agency.bottom_line
    assert leader.modification_level == ModificationLevel.FORM_FILLING
    assert agency.modification_level == ModificationLevel.NONE
    values = field_values(final)
    assert values["SoKyHieu"] == "Số: 15/QĐ-UBND"
    assert values["NgayBanHanh"] == "Thạnh Trị, ngày 05 tháng 01 năm 2026"
    output = pdfsig(final, pdfsig_nssdb, tmp_path)
    assert_pdfsig_valid(output, count=2)
    assert_pdfsig_trusted(output, count=2)


def test_changing_the_page_after_signing_is_detected(pki, make_pdf):
    from io import BytesIO

    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    leader = sign_pdf(prepare_signing_copy(make_pdf(), LAYOUT), pki.good.signer, field_name=LEADER_FIELD,
                      level=Level.B_B)
    writer = IncrementalPdfFileWriter(BytesIO(leader.pdf))
    writer.add_stream_to_page(0, writer.add_object(generic.StreamObject(stream_data=b"0 0 100 100 re f")))
    out = BytesIO()
    writer.write(out)
    (status,) = validate_all(out.getvalue(), pki.validation_context()).values()
    assert status.modification_level == ModificationLevel.OTHER
    assert not status.bottom_line


def test_filling_twice_is_refused(pki, make_pdf):
    filled = fill_number_and_date(prepare_signing_copy(make_pdf(), LAYOUT), "Số: 01/QĐ-UBND", "ngày 01")
    with pytest.raises(ValueError):
        fill_number_and_date(filled, "Số: 02/QĐ-UBND", "ngày 02")


def test_certified_leader_signature_survives_numbering(pki, make_pdf):
    """The stronger DocMDP P=2 variant: kept only if pyHanko accepts the whole flow."""
    final = _issue(pki, make_pdf(), certify=True)
    statuses = validate_all(final, pki.validation_context())
    leader = statuses[LEADER_FIELD]
    assert leader.bottom_line and leader.docmdp_ok
    assert leader.modification_level == ModificationLevel.FORM_FILLING
    assert statuses[AGENCY_FIELD].bottom_line


def test_wrong_pin_is_reported(pki):
    with pytest.raises(WrongPin):
        pki.good.credential.unlock("0000")
    with pytest.raises(WrongPin):
        with pki.good.credential.open(""):
            pass
