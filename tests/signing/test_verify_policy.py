"""The fail-closed verdict (eoffice.signing.verify.verdict): documents built here with pyHanko's incremental
writer and the test PKI, each rejected (or, for the controls, accepted) for one reason.

Every rejection has a control that differs in the one thing under test, so that a verifier that rejected
everything would fail the controls.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from io import BytesIO

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name, pdf_string
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.ades.api import CAdESSignedAttrSpec
from pyhanko.sign.timestamps.common_utils import dummy_digest

from eoffice.signing.forms import fill_number_and_date, prepare_signing_copy
from eoffice.signing.layout import AGENCY_FIELD, DATE_FIELD, LEADER_FIELD, NUMBER_FIELD, SigningLayout
from eoffice.signing.sign import Level, sign_pdf
from eoffice.signing.verify import POLICY_VERSION, SignatureReport, verify_pdf

PADES = fields.SigSeedSubFilter.PADES
PASSED = 'TOTAL-PASSED'


def _sign(pdf: bytes, signer, field='Sig1', *, ignore_sv=False, ignore_docmdp=False, timestamper=None,
          new_field=None, **meta):
    meta = signers.PdfSignatureMetadata(field_name=field, subfilter=meta.pop('subfilter', PADES), **meta)
    pdf_signer = signers.PdfSigner(meta, signer=signer, timestamper=timestamper, new_field_spec=new_field)
    # pyHanko refuses to break a field's seed values when it signs; a hostile signer is not so polite.
    pdf_signer._ignore_sv = ignore_sv
    if ignore_docmdp:  # nor to sign a document whose certification forbids it
        pdf_signer._enforce_certification_constraints = lambda reader: None
    return pdf_signer.sign_pdf(IncrementalPdfFileWriter(BytesIO(pdf)), bytes_reserved=16384).getvalue()


def _by_field(report) -> dict:
    return {s.field: s for s in report.signatures}


def _reasons_are_bilingual(sig: SignatureReport) -> None:
    assert len(sig.reasons) == len(sig.reasons_vi) and all(sig.reasons_vi)


# --- eoffice's own flow -------------------------------------------------------------------------------------

@pytest.mark.parametrize('certify', [False, True], ids=['approval', 'certified-P2'])
def test_eoffice_flow_passes_and_leader_needs_a_passing_seal(pki, make_pdf, certify):
    layout = SigningLayout(leader_position='CHỦ TỊCH')
    copy = prepare_signing_copy(make_pdf(), layout)
    leader = sign_pdf(copy, pki.good.signer, field_name=LEADER_FIELD, level=Level.B_B, certify=certify).pdf
    numbered = fill_number_and_date(leader, 'Số: 15/QĐ-UBND', 'Thạnh Trị, ngày 05 tháng 01 năm 2026')
    final = sign_pdf(numbered, pki.seal.signer, field_name=AGENCY_FIELD, level=Level.B_B).pdf

    report = verify_pdf(final, trust_roots=[pki.root])
    sigs = _by_field(report)
    assert report.valid, report.to_dict()
    assert [sigs[LEADER_FIELD].indication, sigs[AGENCY_FIELD].indication] == [PASSED, PASSED]
    assert {NUMBER_FIELD, DATE_FIELD, AGENCY_FIELD} <= set(sigs[LEADER_FIELD].changed_fields)
    _reasons_are_bilingual(sigs[LEADER_FIELD])

    # No seal: nobody vouches for the number and date written after the leader signed.
    unsealed = _by_field(verify_pdf(numbered, trust_roots=[pki.root]))[LEADER_FIELD]
    assert (unsealed.indication, unsealed.sub_indication) == ('INDETERMINATE', 'SIG_CONSTRAINTS_FAILURE')
    assert 'FORM_CHANGED_AFTER_SIGNING' in unsealed.flags
    assert f'form data changed after signing: {DATE_FIELD}, {NUMBER_FIELD}' in unsealed.reasons
    assert f'dữ liệu biểu mẫu bị thay đổi sau khi ký: {DATE_FIELD}, {NUMBER_FIELD}' in unsealed.reasons_vi

    # A seal that chains to no trusted root does not vouch either.
    rogue = sign_pdf(numbered, pki.unknown_root.signer, field_name=AGENCY_FIELD, level=Level.B_B).pdf
    rogue_sigs = _by_field(verify_pdf(rogue, trust_roots=[pki.root]))
    assert rogue_sigs[AGENCY_FIELD].indication != PASSED
    assert rogue_sigs[LEADER_FIELD].indication != PASSED
    assert 'FORM_CHANGED_AFTER_SIGNING' in rogue_sigs[LEADER_FIELD].flags


# --- (a) overlays -------------------------------------------------------------------------------------------

_OVERLAY_RECT = (60, 700, 360, 740)


def _overlay_appearance(w) -> generic.IndirectObject:
    """A form XObject that paints a white box and new text: what an attacker lays over the signed page."""
    font = w.add_object(generic.DictionaryObject({
        pdf_name('/Type'): pdf_name('/Font'), pdf_name('/Subtype'): pdf_name('/Type1'),
        pdf_name('/BaseFont'): pdf_name('/Helvetica')}))
    stream = generic.StreamObject({
        pdf_name('/Type'): pdf_name('/XObject'), pdf_name('/Subtype'): pdf_name('/Form'),
        pdf_name('/BBox'): generic.ArrayObject(map(generic.NumberObject, (0, 0, 300, 40))),
        pdf_name('/Resources'): generic.DictionaryObject({
            pdf_name('/Font'): generic.DictionaryObject({pdf_name('/F1'): font})}),
    }, stream_data=b'1 1 1 rg 0 0 300 40 re f BT 0 g /F1 14 Tf 5 12 Td (So 99/QD-UBND) Tj ET')
    return w.add_object(stream)


def _add_overlay(signed: bytes, variant: str) -> bytes:
    w = IncrementalPdfFileWriter(BytesIO(signed))
    page_ref = w.find_page_for_modification(0)[0]
    annot = generic.DictionaryObject({
        pdf_name('/Type'): pdf_name('/Annot'),
        pdf_name('/Rect'): generic.ArrayObject(map(generic.NumberObject, _OVERLAY_RECT)),
        pdf_name('/F'): generic.NumberObject(4),
        pdf_name('/P'): page_ref,
        pdf_name('/AP'): generic.DictionaryObject({pdf_name('/N'): _overlay_appearance(w)}),
    })
    if variant == 'FreeText':
        annot[pdf_name('/Subtype')] = pdf_name('/FreeText')
        annot[pdf_name('/Contents')] = pdf_string('Số 99/QĐ-UBND')
        annot[pdf_name('/DA')] = pdf_string('/Helv 14 Tf 0 g')
    else:
        annot[pdf_name('/Subtype')] = pdf_name('/Widget')
    if variant == 'unsigned-sig-field':
        annot[pdf_name('/FT')] = pdf_name('/Sig')
        annot[pdf_name('/T')] = pdf_string('Overlay')
    ref = w.add_object(annot)
    w.register_annotation(page_ref, ref)
    if variant == 'unsigned-sig-field':
        form = w.root['/AcroForm']
        form['/Fields'].append(ref)
        raw = form.raw_get('/Fields')
        if isinstance(raw, generic.IndirectObject):
            w.mark_update(raw)
        elif isinstance(w.root.raw_get('/AcroForm'), generic.IndirectObject):
            w.mark_update(w.root.raw_get('/AcroForm'))
        else:
            w.update_root()
    out = BytesIO()
    w.write(out)
    return out.getvalue()


@pytest.mark.parametrize('variant', ['unsigned-sig-field', 'widget', 'FreeText'])
def test_overlay_revision_is_rejected(pki, make_pdf, variant):
    signed = _sign(make_pdf(), pki.good.signer)
    overlaid = _add_overlay(signed, variant)
    report = verify_pdf(overlaid, trust_roots=[pki.root])
    (sig,) = report.signatures
    assert not report.valid and sig.indication != PASSED
    assert sig.intact and sig.crypto_valid and sig.trusted
    # eoffice's own analysis sees the drawing whatever pyHanko's difference analysis made of the revision
    # (it permits the unsigned signature field at FORM_FILLING and calls the other two OTHER).
    assert 'ANNOTATIONS_ADDED_AFTER_SIGNING' in sig.flags
    assert any('on page 1 (revision 3)' in r for r in sig.reasons)
    _reasons_are_bilingual(sig)
    if variant == 'unsigned-sig-field':
        assert sig.modification_level == 'FORM_FILLING'
        assert 'SIGNATURE_FIELD_CHANGED_AFTER_SIGNING' in sig.flags
        # A trusted signer who signs the overlaid document vouches for what it shows; an unsigned signature
        # field still holds no signature.
        countersigned = _by_field(verify_pdf(_sign(overlaid, pki.seal.signer, field='Sig2'),
                                             trust_roots=[pki.root]))
        first = countersigned['Sig1']
        assert countersigned['Sig2'].indication == PASSED
        assert 'ANNOTATIONS_ADDED_AFTER_SIGNING' not in first.flags
        assert 'SIGNATURE_FIELD_CHANGED_AFTER_SIGNING' in first.flags and first.indication != PASSED


@pytest.mark.parametrize('trusted', [False, True], ids=['untrusted-overlay-signer', 'control'])
def test_overlay_in_a_new_signature_needs_that_signature_to_pass(pki, make_pdf, trusted):
    """The overlay as the visible appearance of a new, signed field: pyHanko permits it (signing a new field),
    so only the rule "covered by a later TOTAL-PASSED signature" stands between it and a pass."""
    signed = _sign(make_pdf(), pki.good.signer)
    signer = pki.seal.signer if trusted else pki.unknown_root.signer
    overlaid = _sign(signed, signer, field='Fake', new_field=fields.SigFieldSpec('Fake', box=_OVERLAY_RECT))
    sigs = _by_field(verify_pdf(overlaid, trust_roots=[pki.root]))
    assert sigs['Sig1'].modification_level == 'FORM_FILLING'
    assert (sigs['Fake'].indication == PASSED) is trusted
    assert (sigs['Sig1'].indication == PASSED) is trusted, sigs['Sig1'].reasons
    assert ('ANNOTATIONS_ADDED_AFTER_SIGNING' in sigs['Sig1'].flags) is not trusted


# --- (b) seed values ----------------------------------------------------------------------------------------

_SEED_CASES = {
    'reason': (fields.SigSeedValueSpec(flags=fields.SigSeedValFlags.REASONS, reasons=['Phê duyệt']),
               dict(reason='Không đồng ý'), dict(reason='Phê duyệt')),
    'subfilter': (fields.SigSeedValueSpec(flags=fields.SigSeedValFlags.SUBFILTER, subfilters=[PADES]),
                  dict(subfilter=fields.SigSeedSubFilter.ADOBE_PKCS7_DETACHED), dict(subfilter=PADES)),
}


@pytest.mark.parametrize('case', sorted(_SEED_CASES))
def test_seed_value_violation_is_not_valid(pki, make_pdf, case):
    sv, breaking, keeping = _SEED_CASES[case]
    w = IncrementalPdfFileWriter(BytesIO(make_pdf()))
    fields.append_signature_field(w, fields.SigFieldSpec('Sig1', box=(50, 50, 250, 100), seed_value_dict=sv))
    prepared = BytesIO()
    w.write(prepared)
    bad = _by_field(verify_pdf(_sign(prepared.getvalue(), pki.good.signer, ignore_sv=True, **breaking),
                               trust_roots=[pki.root]))['Sig1']
    assert (bad.indication, bad.sub_indication) == ('INDETERMINATE', 'SIG_CONSTRAINTS_FAILURE')
    assert 'SEED_VALUE_VIOLATION' in bad.flags and bad.intact and bad.trusted
    _reasons_are_bilingual(bad)
    good = _by_field(verify_pdf(_sign(prepared.getvalue(), pki.good.signer, **keeping),
                                trust_roots=[pki.root]))['Sig1']
    assert good.indication == PASSED, good.reasons


# --- (c) content timestamp, (d) document timestamp ----------------------------------------------------------

def _dummy_tsa(pki, trusted: bool):
    if trusted:
        return timestamps.DummyTimeStamper(tsa_cert=pki.tsa_cert, tsa_key=pki.arch.key_set.get_private_key('tsa'))
    return timestamps.DummyTimeStamper(tsa_cert=pki.unknown_root.cert,
                                       tsa_key=pki.rogue_arch.key_set.get_private_key('rogue-stranger'))


class _ContentFrom(timestamps.TimeStamper):
    """``content`` answers the first real request (the content timestamp, made while the signed attributes are
    built), ``signature`` every other one (size estimates and the signature timestamp)."""

    def __init__(self, content, signature):
        super().__init__()
        self.content, self.signature, self.used = content, signature, False

    async def async_timestamp(self, message_digest, md_algorithm):
        if not self.used and message_digest != dummy_digest(md_algorithm):
            self.used = True
            return await self.content.async_timestamp(message_digest, md_algorithm)
        return await self.signature.async_timestamp(message_digest, md_algorithm)


@pytest.mark.parametrize('tsa_trusted', [False, True], ids=['untrusted-content-tsa', 'control'])
def test_content_timestamp_must_validate(pki, make_pdf, tsa_trusted):
    stamper = _ContentFrom(_dummy_tsa(pki, tsa_trusted), _dummy_tsa(pki, True))
    data = _sign(make_pdf(), pki.good.signer, timestamper=stamper,
                 cades_signed_attr_spec=CAdESSignedAttrSpec(timestamp_content=True))
    assert stamper.used
    (sig,) = verify_pdf(data, trust_roots=[pki.root]).signatures
    assert sig.timestamp_time is not None and sig.level == 'B-T'  # the signature timestamp itself is fine
    if tsa_trusted:
        assert sig.indication == PASSED, sig.reasons
    else:
        assert (sig.indication, sig.sub_indication) == ('INDETERMINATE', 'SIG_CONSTRAINTS_FAILURE')
        assert 'CONTENT_TIMESTAMP_INVALID' in sig.flags
        _reasons_are_bilingual(sig)


@pytest.mark.parametrize('tsa_trusted', [False, True], ids=['untrusted-doc-tsa', 'control'])
def test_document_timestamp_counts_only_when_it_validates(pki, make_pdf, tsa_trusted):
    signed = _sign(make_pdf(), pki.good.signer)
    w = IncrementalPdfFileWriter(BytesIO(signed))
    stamped = signers.PdfTimeStamper(_dummy_tsa(pki, tsa_trusted)).timestamp_pdf(w, 'sha256').getvalue()
    report = verify_pdf(stamped, trust_roots=[pki.root])
    sig = next(s for s in report.signatures if s.kind == 'signature')
    doc_ts = next(s for s in report.signatures if s.kind == 'document_timestamp')
    assert sig.timestamp_time is None  # no signature timestamp of its own
    if tsa_trusted:
        assert doc_ts.indication == PASSED and doc_ts.timestamp_time is not None
        assert sig.indication == PASSED and sig.level == 'B-T'
        assert abs(doc_ts.timestamp_time - datetime.now(timezone.utc)) < timedelta(minutes=5)
    else:
        assert doc_ts.indication != PASSED and doc_ts.timestamp_time is None
        assert sig.level == 'B-B' and not report.valid


# --- (e) revocation -----------------------------------------------------------------------------------------

def test_revocation_unchecked_offline_is_unknown_with_no_source(pki, make_pdf):
    (sig,) = verify_pdf(_sign(make_pdf(), pki.good.signer), trust_roots=[pki.root], offline=True).signatures
    assert sig.trusted and (sig.revocation, sig.revocation_source) == ('unknown', None)


def test_revocation_from_embedded_ocsp_and_online(pki, make_pdf):
    data = _sign(make_pdf(), pki.good.signer, embed_validation_info=True,
                 validation_context=pki.validation_context())
    (offline,) = verify_pdf(data, trust_roots=[pki.root], offline=True).signatures
    assert (offline.revocation, offline.revocation_source) == ('good', 'embedded_ocsp'), offline.reasons
    assert offline.indication == PASSED
    (online,) = verify_pdf(_sign(make_pdf(), pki.good.signer), trust_roots=[pki.root], offline=False).signatures
    assert (online.revocation, online.revocation_source) == ('good', 'online_ocsp')
    body = online.to_dict()
    assert body['revocation_source'] == 'online_ocsp' and body['reasons_vi'] == online.reasons_vi
    assert SignatureReport.from_dict(body).to_dict() == body


# --- item 7: DocMDP and FieldMDP (ISO 32000-2, 12.8.2.2 and 12.8.2.4) --------------------------------------

def _certify(pdf: bytes, signer, perms: fields.MDPPerm) -> bytes:
    w = IncrementalPdfFileWriter(BytesIO(pdf))
    fields.append_signature_field(w, fields.SigFieldSpec('Later', box=(300, 50, 500, 100)))
    prepared = BytesIO()
    w.write(prepared)
    return _sign(prepared.getvalue(), signer, field='Cert', certify=True, docmdp_permissions=perms,
                 new_field=fields.SigFieldSpec('Cert', box=(50, 50, 250, 100)))


def test_certified_no_changes_document_is_valid(pki, make_pdf):
    # P=1: no change at all is permitted; an untouched certified document is valid.
    report = verify_pdf(_certify(make_pdf(), pki.good.signer, fields.MDPPerm.NO_CHANGES), trust_roots=[pki.root])
    assert report.valid, report.to_dict()


def test_certified_p1_then_approval_signature_is_not_valid(pki, make_pdf):
    # ISO 32000-2 12.8.2.2.2: P=1 forbids any change, signing included; the certification must not pass.
    certified = _certify(make_pdf(), pki.good.signer, fields.MDPPerm.NO_CHANGES)
    cert_sig = _by_field(verify_pdf(_sign(certified, pki.seal.signer, field='Later', ignore_docmdp=True),
                                     trust_roots=[pki.root]))
    assert cert_sig['Cert'].indication == 'TOTAL-FAILED' and cert_sig['Later'].indication == PASSED


def test_certified_p2_then_approval_signature_is_valid(pki, make_pdf):
    # P=2 permits filling forms and signing existing signature fields.
    certified = _certify(make_pdf(), pki.good.signer, fields.MDPPerm.FILL_FORMS)
    report = verify_pdf(_sign(certified, pki.seal.signer, field='Later'), trust_roots=[pki.root])
    assert report.valid, report.to_dict()
    assert _by_field(report)['Cert'].docmdp_ok is True


@pytest.mark.parametrize('lock, allowed', [
    (fields.FieldMDPSpec(fields.FieldMDPAction.EXCLUDE, [NUMBER_FIELD, DATE_FIELD, AGENCY_FIELD]), True),
    (fields.FieldMDPSpec(fields.FieldMDPAction.INCLUDE, [NUMBER_FIELD]), False),
], ids=['lock-allows-fill', 'lock-forbids-fill'])
def test_field_lock_decides_whether_filling_is_allowed(pki, make_pdf, lock, allowed):
    copy = prepare_signing_copy(make_pdf())
    locked = _sign(copy, pki.good.signer, field='Khoa',
                   new_field=fields.SigFieldSpec('Khoa', box=(50, 300, 250, 350), field_mdp_spec=lock))
    filled = fill_number_and_date(locked, 'Số: 15/QĐ-UBND', 'ngày 05 tháng 01')
    sealed = _sign(filled, pki.seal.signer, field=AGENCY_FIELD)
    sigs = _by_field(verify_pdf(sealed, trust_roots=[pki.root]))
    assert sigs[AGENCY_FIELD].indication == PASSED
    assert (sigs['Khoa'].indication == PASSED) is allowed, sigs['Khoa'].reasons


def test_policy_version_is_an_int():
    assert isinstance(POLICY_VERSION, int) and POLICY_VERSION >= 2
