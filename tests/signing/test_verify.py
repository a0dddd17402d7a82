"""verify_pdf against documents signed with the test PKI (tests/signing/conftest.py: ``pki``, ``make_pdf``).

Signing goes through pyHanko directly so these tests depend only on the PKI fixtures, not on the signing API.
"""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from io import BytesIO

import pytest
from asn1crypto import keys, x509
from cryptography import x509 as cx509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from eoffice.signing.forms import fill_number_and_date, prepare_signing_copy
from eoffice.signing.layout import AGENCY_FIELD, DATE_FIELD, LEADER_FIELD, NUMBER_FIELD
from eoffice.signing.verify import signed_revision, verify_pdf

PADES = fields.SigSeedSubFilter.PADES


def _sign(pdf: bytes, signer, field='Sig1', timestamper=None) -> bytes:
    meta = signers.PdfSignatureMetadata(field_name=field, subfilter=PADES)
    w = IncrementalPdfFileWriter(BytesIO(pdf))
    return signers.sign_pdf(w, meta, signer=signer, timestamper=timestamper).getvalue()


def _one(report):
    assert len(report.signatures) == 1, report.to_dict()
    return report.signatures[0]


def test_good_signature_passes_with_every_field_reported(pki, make_pdf):
    data = _sign(make_pdf(), pki.good.signer)
    report = verify_pdf(data, trust_roots=[pki.root])
    sig = _one(report)
    assert report.valid and report.signed
    assert (sig.indication, sig.sub_indication) == ('TOTAL-PASSED', None)
    assert sig.signer == 'Nguyễn Văn Đức' and sig.issuer == 'Test Agency CA'
    assert sig.serial == format(pki.good.cert.serial_number, 'x')
    assert sig.intact and sig.crypto_valid and sig.trusted
    assert (sig.coverage, sig.modification_level, sig.level) == ('ENTIRE_FILE', 'NONE', 'B-B')
    assert sig.signing_time is not None and sig.timestamp_time is None
    body = report.to_dict()
    assert set(body) >= {'valid', 'signatures'}
    assert set(body['signatures'][0]) >= {'field', 'signer', 'indication', 'sub_indication', 'intact', 'trusted',
                                          'revocation', 'coverage', 'modification_level', 'signing_time',
                                          'timestamp_time', 'level', 'changed_fields'}
    assert datetime.fromisoformat(body['signatures'][0]['signing_time']) == sig.signing_time


def test_unknown_root_is_indeterminate(pki, make_pdf):
    data = _sign(make_pdf(), pki.unknown_root.signer)
    sig = _one(verify_pdf(data, trust_roots=[pki.root]))
    assert (sig.indication, sig.sub_indication) == ('INDETERMINATE', 'NO_CERTIFICATE_CHAIN_FOUND')
    assert sig.intact and not sig.trusted


def test_tampered_byte_is_hash_failure(pki, make_pdf):
    data = bytearray(_sign(make_pdf(), pki.good.signer))
    at = data.index(b'stream') + 10  # inside the first stream, well within the signed range
    data[at] ^= 0x01
    report = verify_pdf(bytes(data), trust_roots=[pki.root])
    sig = _one(report)
    assert not report.valid
    assert (sig.indication, sig.sub_indication) == ('TOTAL-FAILED', 'HASH_FAILURE')


def test_appended_page_fails_as_modification(pki, make_pdf):
    signed = _sign(make_pdf(), pki.good.signer)
    w = IncrementalPdfFileWriter(BytesIO(signed))
    w.insert_page(generic.DictionaryObject({
        pdf_name('/Type'): pdf_name('/Page'),
        pdf_name('/MediaBox'): generic.ArrayObject(map(generic.NumberObject, (0, 0, 595, 842))),
    }))
    out = BytesIO()
    w.write(out)
    sig = _one(verify_pdf(out.getvalue(), trust_roots=[pki.root]))
    assert sig.intact and sig.coverage == 'ENTIRE_REVISION'
    assert (sig.indication, sig.sub_indication) == ('TOTAL-FAILED', 'FORMAT_FAILURE')
    assert sig.modification_level == 'OTHER' and 'MODIFIED_AFTER_SIGNING' in sig.flags
    assert signed_revision(out.getvalue(), 'Sig1') == signed


def test_added_annotation_is_never_plain_valid(pki, make_pdf):
    signed = _sign(make_pdf(), pki.good.signer)
    w = IncrementalPdfFileWriter(BytesIO(signed))
    annot = w.add_object(generic.DictionaryObject({
        pdf_name('/Type'): pdf_name('/Annot'), pdf_name('/Subtype'): pdf_name('/FreeText'),
        pdf_name('/Rect'): generic.ArrayObject(map(generic.NumberObject, (100, 100, 300, 130))),
        pdf_name('/Contents'): generic.TextStringObject('Số 99/QĐ-UBND'),
        pdf_name('/DA'): generic.TextStringObject('/Helv 12 Tf 0 g'),
    }))
    w.register_annotation(w.find_page_for_modification(0)[0], annot)
    out = BytesIO()
    w.write(out)
    report = verify_pdf(out.getvalue(), trust_roots=[pki.root])
    sig = _one(report)
    assert not report.valid and sig.indication != 'TOTAL-PASSED'
    assert {'ANNOTATIONS_ADDED_AFTER_SIGNING', 'MODIFIED_AFTER_SIGNING'} & set(sig.flags)


def test_second_signer_on_precreated_field_both_valid(pki, make_pdf):
    w = IncrementalPdfFileWriter(BytesIO(make_pdf()))
    for name, box in (('Leader', (50, 50, 200, 100)), ('Agency', (250, 50, 400, 100))):
        fields.append_signature_field(w, fields.SigFieldSpec(name, box=box))
    prepared = BytesIO()
    w.write(prepared)
    first = _sign(prepared.getvalue(), pki.good.signer, field='Leader')
    both = _sign(first, pki.seal.signer, field='Agency')
    report = verify_pdf(both, trust_roots=[pki.root])
    assert report.valid, report.to_dict()
    leader, agency = report.signatures
    assert (leader.field, agency.field) == ('Leader', 'Agency')
    assert leader.coverage == 'ENTIRE_REVISION' and leader.changed_fields == ['Agency']
    assert 'FORM_CHANGED_AFTER_SIGNING' not in leader.flags
    assert leader.revision < agency.revision == agency.total_revisions
    assert signed_revision(both, 'Leader') == first


def test_form_filled_after_signing_needs_a_later_passing_signature(pki, make_pdf):
    prepared = prepare_signing_copy(make_pdf())
    signed = _sign(prepared, pki.good.signer, field=LEADER_FIELD)
    filled = fill_number_and_date(signed, '15/QĐ-UBND', 'ngày 22 tháng 11 năm 2026')
    flagged = verify_pdf(filled, trust_roots=[pki.root])
    sig = flagged.signatures[0]
    assert not flagged.valid
    assert (sig.indication, sig.sub_indication) == ('INDETERMINATE', 'SIG_CONSTRAINTS_FAILURE')
    assert 'FORM_CHANGED_AFTER_SIGNING' in sig.flags
    assert {NUMBER_FIELD, DATE_FIELD} <= set(sig.changed_fields)
    assert any(r.startswith('form data changed after signing: ') for r in sig.reasons)
    assert any(r.startswith('dữ liệu biểu mẫu bị thay đổi sau khi ký: ') for r in sig.reasons_vi)
    assert len(sig.reasons) == len(sig.reasons_vi)
    sealed = _sign(filled, pki.seal.signer, field=AGENCY_FIELD)
    final = verify_pdf(sealed, trust_roots=[pki.root])
    assert final.valid, final.to_dict()
    assert 'FORM_CHANGED_AFTER_SIGNING' not in final.signatures[0].flags


def test_expired_certificate_is_not_valid(pki, make_pdf):
    sig = _one(verify_pdf(_sign(make_pdf(), pki.expired.signer), trust_roots=[pki.root]))
    assert sig.indication == 'INDETERMINATE'
    assert sig.sub_indication in ('OUT_OF_BOUNDS_NO_POE', 'EXPIRED', 'OUT_OF_BOUNDS_NOT_REVOKED')


def test_digital_signature_only_passes_key_usage_policy(pki, make_pdf):
    sig = _one(verify_pdf(_sign(make_pdf(), pki.no_nonrepudiation.signer), trust_roots=[pki.root]))
    assert sig.indication == 'TOTAL-PASSED'


def _key_encipherment_only_signer(pki):
    issuer_key = serialization.load_der_private_key(pki.arch.key_set.get_private_key('interm').dump(), None)
    issuer = cx509.load_der_x509_certificate(pki.interm.dump())
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.now(timezone.utc)
    cert = (cx509.CertificateBuilder()
            .subject_name(cx509.Name.from_rfc4514_string('CN=Chỉ Mã Hóa,O=UBND huyện Thạnh Trị,C=VN'))
            .issuer_name(issuer.subject).public_key(key.public_key()).serial_number(cx509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
            .add_extension(cx509.KeyUsage(False, False, True, False, False, False, False, False, False), True)
            .sign(issuer_key, hashes.SHA256()))
    return signers.SimpleSigner(
        signing_cert=x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        signing_key=keys.PrivateKeyInfo.load(key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
        cert_registry=SimpleCertificateStore.from_certs([pki.interm]))


def test_key_encipherment_only_fails_key_usage_policy(pki, make_pdf):
    sig = _one(verify_pdf(_sign(make_pdf(), _key_encipherment_only_signer(pki)), trust_roots=[pki.root]))
    assert (sig.indication, sig.sub_indication) == ('INDETERMINATE', 'CHAIN_CONSTRAINTS_FAILURE')
    assert 'KEY_USAGE_NOT_FOR_SIGNING' in sig.flags and not sig.trusted


def test_timestamped_signature_reports_timestamp_time_and_b_t(pki, make_pdf):
    before = datetime.now(timezone.utc)
    data = _sign(make_pdf(), pki.good.signer, timestamper=pki.timestamper())
    sig = _one(verify_pdf(data, trust_roots=[pki.root]))
    assert sig.indication == 'TOTAL-PASSED' and sig.level == 'B-T'
    assert sig.timestamp_time is not None
    assert before - timedelta(seconds=5) <= sig.timestamp_time <= datetime.now(timezone.utc) + timedelta(seconds=5)


def test_revoked_before_signing_fails(pki, make_pdf):
    data = _sign(make_pdf(), pki.revoked.signer)
    report = verify_pdf(data, trust_roots=[pki.root], offline=False)
    sig = _one(report)
    assert (sig.indication, sig.sub_indication, sig.revocation) == ('TOTAL-FAILED', 'REVOKED', 'revoked')
    # offline, with no revocation data in the file, the status is honestly unknown
    assert _one(verify_pdf(data, trust_roots=[pki.root])).revocation == 'unknown'


def test_revoked_after_timestamped_signing_is_valid_at_signing_time(pki, make_pdf):
    data = _sign(make_pdf(), pki.seal.signer, timestamper=pki.timestamper())
    signed_at = _one(verify_pdf(data, trust_roots=[pki.root])).timestamp_time
    with pki.revoked_at(pki.seal, signed_at.replace(microsecond=0) + timedelta(seconds=2)):
        time.sleep(3)  # the responder only reports revocations whose date has passed
        sig = _one(verify_pdf(data, trust_roots=[pki.root], offline=False))
        assert sig.indication == 'TOTAL-PASSED', sig.reasons
        assert 'VALIDATED_AT_TIMESTAMP_TIME' in sig.flags
        untimestamped = _sign(make_pdf(), pki.seal.signer)
        late = _one(verify_pdf(untimestamped, trust_roots=[pki.root], offline=False))
        assert (late.indication, late.sub_indication) == ('TOTAL-FAILED', 'REVOKED')


@pytest.mark.parametrize('garbage', [b'', b'not a pdf', b'%PDF-1.7\n' + b'\x00' * 64, b'%PDF-1.4\n1 0 obj\n<<'])
def test_garbage_gives_a_refusal_not_an_exception(garbage):
    report = verify_pdf(garbage)
    assert not report.valid and report.error_code is not None
    assert report.to_dict()['error']['code'] == report.error_code


def test_isolated_limits_turn_into_refusals(pki, make_pdf):
    from eoffice.signing.verify import verify_pdf_isolated

    data = _sign(make_pdf(), pki.good.signer)
    assert verify_pdf_isolated(data, trust_roots=[pki.root]).valid
    # A warm worker verifies this file in milliseconds, so only a limit below that can expire; the memory limit
    # is exercised with a file that needs memory in test_verify_pool.py.
    slow = verify_pdf_isolated(data, trust_roots=[pki.root], timeout_s=0.001)
    assert (slow.valid, slow.error_code) == (False, 'verification_timeout')
    assert verify_pdf_isolated(data, trust_roots=[pki.root]).valid  # the killed worker was replaced


def test_pdf_report_has_vietnamese_text(pki, make_pdf, tmp_path):
    import shutil
    import subprocess

    from eoffice.signing.report import render_report_pdf

    data = _sign(make_pdf(), pki.good.signer)
    pdf = render_report_pdf(verify_pdf(data, trust_roots=[pki.root]), file_name='Quyết định.pdf', data=data)
    assert pdf.startswith(b'%PDF-')
    if shutil.which('pdftotext') is None:
        pytest.skip('pdftotext (poppler-utils) not installed')
    (tmp_path / 'r.pdf').write_bytes(pdf)
    text = subprocess.run(['pdftotext', str(tmp_path / 'r.pdf'), '-'], capture_output=True, check=True).stdout
    text = text.decode('utf-8')
    for expected in ('BÁO CÁO KIỂM TRA CHỮ KÝ SỐ', 'Nguyễn Văn Đức', 'HỢP LỆ / VALID', 'Tin cậy / Trusted: Có / Yes'):
        assert expected in text
