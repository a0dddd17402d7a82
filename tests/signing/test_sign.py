"""PAdES levels, timestamp failures, batches and appendices; every signature checked by pyHanko and pdfsig."""

from __future__ import annotations

import pytest
from pyhanko.sign.validation import SignatureCoverageLevel

from eoffice.signing.sign import Level, SigningFailure, TimestampError, batch_sign, sign_appendix, sign_pdf
from eoffice.signing.stamps import SignerStampStyle, make_demo_signature_png

from .helpers import assert_pdfsig_trusted, assert_pdfsig_valid, pdfsig, validate_all

STAMP = SignerStampStyle(signature_png=make_demo_signature_png("Nguyễn Văn Đức"), position="CHỦ TỊCH",
                         name="Nguyễn Văn Đức")
BOX = (320, 120, 540, 260)


@pytest.mark.parametrize("level", [Level.B_B, Level.B_T, Level.B_LT, Level.B_LTA])
def test_levels_validate_in_pyhanko_and_pdfsig(level, pki, make_pdf, pdfsig_nssdb, tmp_path):
    with pki.good.credential.open(pki.password) as signer:
        result = sign_pdf(make_pdf(), signer, stamp=STAMP, box=BOX, level=level, timestamper=pki.timestamper(),
                          trust_roots=[pki.root])
    assert result.level == level and not result.downgraded

    (status,) = validate_all(result.pdf, pki.validation_context()).values()
    assert status.bottom_line, status.pretty_print_details()
    assert status.coverage in (SignatureCoverageLevel.ENTIRE_FILE, SignatureCoverageLevel.ENTIRE_REVISION)
    assert (status.timestamp_validity is not None) == (level != Level.B_B)
    if level in (Level.B_LT, Level.B_LTA):
        # the revocation data is inside the file: validation must succeed without any network access
        (offline,) = validate_all(result.pdf, pki.validation_context(allow_fetching=False)).values()
        assert offline.bottom_line
        assert b"/DSS" in result.pdf and b"/OCSPs" in result.pdf

    output = pdfsig(result.pdf, pdfsig_nssdb, tmp_path)
    assert_pdfsig_valid(output)
    assert_pdfsig_trusted(output)


def test_tsa_down_raises_timestamp_error(pki, make_pdf, local_pki_services):
    dead = pki.timestamper(url="http://127.0.0.1:9/tsa")  # discard port: nothing listens there
    with pytest.raises(TimestampError):
        sign_pdf(make_pdf(), pki.good.signer, level=Level.B_T, timestamper=dead)


def test_tsa_answering_garbage_raises_timestamp_error(pki, make_pdf, local_pki_services):
    not_a_tsa = pki.timestamper(url=pki.crl_url.replace("latest.crl", "nowhere"))
    with pytest.raises(TimestampError):
        sign_pdf(make_pdf(), pki.good.signer, level=Level.B_T, timestamper=not_a_tsa)


def test_tsa_down_with_allowed_downgrade_is_recorded(pki, make_pdf):
    dead = pki.timestamper(url="http://127.0.0.1:9/tsa")
    result = sign_pdf(make_pdf(), pki.good.signer, level=Level.B_T, timestamper=dead, allow_downgrade=True)
    assert result.downgraded and result.level == Level.B_B and result.requested_level == Level.B_T
    assert "timestamp" in result.downgrade_reason
    (status,) = validate_all(result.pdf, pki.validation_context()).values()
    assert status.bottom_line and status.timestamp_validity is None


def test_b_t_without_tsa_is_refused(pki, make_pdf):
    with pytest.raises(TimestampError):
        sign_pdf(make_pdf(), pki.good.signer, level=Level.B_T)


def test_b_lt_with_revoked_certificate_is_refused(pki, make_pdf):
    with pytest.raises(SigningFailure):
        sign_pdf(make_pdf(), pki.revoked.signer, level=Level.B_LT, timestamper=pki.timestamper(),
                 trust_roots=[pki.root])


def test_batch_signs_every_document_with_one_unlock(pki, make_pdf):
    docs = [make_pdf(1), make_pdf(30), make_pdf(1)]
    results = batch_sign(docs, pki.good.credential, pki.password, stamp=STAMP, box=BOX, level=Level.B_B)
    assert len(results) == 3
    for result in results:
        (status,) = validate_all(result.pdf, pki.validation_context()).values()
        assert status.bottom_line


def test_appendix_stamp_is_text_only_top_right(pki, make_pdf, pdfsig_nssdb, tmp_path):
    result = sign_appendix(make_pdf(), pki.seal.signer, "Số: 15/QĐ-UBND", level=Level.B_T,
                           timestamper=pki.timestamper())
    (status,) = validate_all(result.pdf, pki.validation_context()).values()
    assert status.bottom_line
    assert b"/Subtype /Image" not in result.pdf[len(make_pdf()):]  # no image in the agency's revision
    output = pdfsig(result.pdf, pdfsig_nssdb, tmp_path)
    assert_pdfsig_valid(output)
    assert_pdfsig_trusted(output)


@pytest.mark.parametrize("level", [Level.B_B, Level.B_T, Level.B_LT])
def test_pdfsig_trusts_the_signer_chain(level, pki, make_pdf, pdfsig_nssdb, tmp_path):
    """pdfsig (NSS), given only the root, reports the signature valid and the certificate trusted.

    NSS checks the signer's certificate online with the OCSP responder named in its AIA; it used to answer
    "Unknown issue with Certificate" because certomancer's OCSP times carried microseconds, which NSS refuses
    (see :class:`eoffice.signing.pki.WholeSecondAnimator`).
    """
    result = sign_pdf(make_pdf(), pki.good.signer, stamp=STAMP, box=BOX, level=level,
                      timestamper=pki.timestamper(), trust_roots=[pki.root])
    output = pdfsig(result.pdf, pdfsig_nssdb, tmp_path)
    assert_pdfsig_valid(output)  # also: subfilter ETSI.CAdES.detached
    assert_pdfsig_trusted(output)


def test_pdfsig_does_not_trust_a_revoked_signer(pki, make_pdf, pdfsig_nssdb, tmp_path):
    """The trust above comes from a real revocation check, not from NSS skipping it."""
    result = sign_pdf(make_pdf(), pki.revoked.signer, level=Level.B_B)
    output = pdfsig(result.pdf, pdfsig_nssdb, tmp_path)
    assert_pdfsig_valid(output)
    assert "Certificate has been Revoked" in output, output


def test_batch_reservation_too_small_falls_back_to_pyhanko_estimate(pki, make_pdf):
    from eoffice.signing.sign import SignOptions, _Reservation, _sign

    reservation = _Reservation()
    reservation.size = 64  # far too small for any CMS blob
    result = _sign(make_pdf(), pki.good.signer, SignOptions(stamp=STAMP, box=BOX, level=Level.B_B), reservation)
    (status,) = validate_all(result.pdf, pki.validation_context()).values()
    assert status.bottom_line
    assert reservation.size > 64  # re-measured on the document that did not fit


def test_text_outside_the_vietnamese_repertoire_is_still_embedded(pki, make_pdf):
    """Glyphs missing from the reduced font (here Greek) come from the full font, outlines included."""
    from io import BytesIO

    from fontTools.ttLib import TTFont
    from pyhanko.pdf_utils.reader import PdfFileReader

    from eoffice.signing.fonts import SERIF_BOLD, font_program

    stamp = SignerStampStyle(position="CHỦ TỊCH Ωμέγα", name="Nguyễn Văn Đức")
    result = sign_pdf(make_pdf(), pki.good.signer, stamp=stamp, box=BOX, level=Level.B_B)
    (status,) = validate_all(result.pdf, pki.validation_context()).values()
    assert status.bottom_line

    reader = PdfFileReader(BytesIO(result.pdf))
    sig_field = next(f.get_object() for f in reader.root["/AcroForm"]["/Fields"] if f.get_object()["/FT"] == "/Sig")
    appearance = sig_field["/AP"]["/N"]
    while "/FB" not in appearance["/Resources"].get("/Font", {}):  # pyHanko nests the stamp in a wrapper form
        appearance = next(iter(appearance["/Resources"]["/XObject"].values()))
    bold = appearance["/Resources"]["/Font"]["/FB"]
    font_file = bold["/DescendantFonts"][0]["/FontDescriptor"]["/FontFile2"]
    embedded = TTFont(BytesIO(font_file.data))
    program = font_program(SERIF_BOLD)
    omega_gid = program.glyph_order.index(program.tt.getBestCmap()[ord("Ω")])  # glyph ids are kept in subsets
    assert embedded["glyf"][embedded.getGlyphOrder()[omega_gid]].numberOfContours > 0
