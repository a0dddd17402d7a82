"""verify_pdf: every signature and document timestamp of a PDF, checked in process."""
from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Sequence
from datetime import datetime

from asn1crypto import x509
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation.pdf_embedded import (
    EmbeddedPdfSignature,
    async_validate_pdf_signature,
    async_validate_pdf_timestamp,
)
from pyhanko.sign.validation.settings import KeyUsageConstraints

from . import changes, verdict
from .context import (
    EmbeddedValidationData,
    build_context,
    key_usage_problem,
    read_embedded_validation_data,
    revocation_status,
)
from .model import (
    ERR_RESOURCES,
    ERR_UNREADABLE,
    FLAG_VALID_AT_TIMESTAMP,
    KIND_DOC_TIMESTAMP,
    KIND_SIGNATURE,
    TOTAL_FAILED,
    TOTAL_PASSED,
    SignatureReport,
    VerificationReport,
)
from .pdfparts import UnreadablePdf, form_fields, open_reader, signed_revision_metadata

logger = logging.getLogger(__name__)

# pyHanko's own key-usage check is switched off (an empty set means "any") because eoffice applies its own
# policy, context.key_usage_problem, which also accepts digitalSignature-only certificates.
_NO_PYHANKO_KU = KeyUsageConstraints(key_usage=set())
_PADES_SUBFILTER = '/ETSI.CAdES.detached'
_EMBEDDED_SOURCES = ('embedded_ocsp', 'embedded_crl')


def verify_pdf(
    data: bytes,
    *,
    trust_roots: Sequence[x509.Certificate] = (),
    offline: bool = True,
    validation_time: datetime | None = None,
) -> VerificationReport:
    """Verify every signature and document timestamp in ``data``.

    Never raises for any input: an unreadable file gives a report with ``error`` set and ``valid`` false, and a
    problem with one signature becomes that signature's TOTAL-FAILED or INDETERMINATE verdict with a reason.
    ``trust_roots`` are the only anchors (nothing from the operating system); ``offline`` uses only revocation
    data embedded in the file; ``validation_time`` (timezone-aware) defaults to now. The policy is the one of
    ``verdict`` (version ``verdict.POLICY_VERSION``); no argument changes it.
    """
    coro = _verify(data, tuple(trust_roots), offline, validation_time)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        runner = asyncio.run
    else:
        # Called from inside an event loop (an async server): run on a private loop in a worker thread.
        def runner(c):
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                return pool.submit(asyncio.run, c).result()
    try:
        return runner(coro)
    except MemoryError:
        # Not a verdict on the file: the check itself could not run. Inner handlers let it through to here.
        return VerificationReport.refused(ERR_RESOURCES, 'verification ran out of memory; the file was not judged')
    except Exception as exc:  # a last line of defence; each stage below already handles its own failures
        logger.exception('verification failed unexpectedly')
        return VerificationReport.refused(ERR_UNREADABLE, f'verification failed: {exc.__class__.__name__}: {exc}')


async def _verify(data, trust_roots, offline, validation_time) -> VerificationReport:
    try:
        reader, tolerant_note = open_reader(data)
        fields = list(enumerate_sig_fields(reader, filled_status=True))
    except MemoryError:
        raise
    except (UnreadablePdf, Exception) as exc:
        return VerificationReport.refused(ERR_UNREADABLE, f'the file cannot be read as a PDF: {exc}')
    report = VerificationReport(signed=bool(fields))
    try:
        report.total_revisions = reader.xrefs.total_revisions
    except MemoryError:
        raise
    except Exception:
        pass
    if not fields:
        return report
    embedded = read_embedded_validation_data(reader)
    problem = None
    try:
        all_fields = form_fields(reader)
        drawn = changes.drawn_changes(reader)
    except MemoryError:
        raise
    except Exception as exc:
        # Without the field tree or the page annotations nothing after a signature can be vouched for: every
        # signature followed by later revisions is then capped in changes.settle.
        all_fields, drawn, problem = {}, [], f'{exc.__class__.__name__}: {exc}'[:300]
        logger.info('form field tree or annotations unreadable: %s', exc)
    settings = dict(trust_roots=trust_roots, offline=offline, moment=validation_time, embedded=embedded)
    analyses: dict[int, changes.AfterSigning] = {}
    for name, _value, field_ref in fields:
        rep, status = await _check_field(reader, name, field_ref, tolerant_note=tolerant_note, **settings)
        report.signatures.append(rep)
        if status is not None and rep.revision is not None and rep.revision < rep.total_revisions:
            try:
                after = changes.after_signing(reader, rep, status, all_fields, drawn)
            except MemoryError:
                raise
            except Exception as exc:
                after = changes.AfterSigning(problem=f'{exc.__class__.__name__}: {exc}'[:300])
            after.problem = after.problem or problem
            analyses[id(rep)] = after
    # In signing order, as pyHanko lists them; a signature that could not be parsed has no revision and goes last.
    report.signatures.sort(key=lambda sig: sig.revision if sig.revision is not None else 1 << 30)
    changes.settle(report.signatures, analyses)
    _assign_levels(report.signatures, embedded)
    for problem in embedded.problems:
        for sig in report.signatures:
            verdict.note(sig, problem, f'dữ liệu kiểm tra nhúng trong tệp bị lỗi: {problem}')
    return report


async def _check_field(reader, name, field_ref, *, tolerant_note, **settings):
    """(report, pyHanko status or None) for one signature field; the report has its own verdict, before the
    cross-signature pass."""
    rep = SignatureReport(field=name, total_revisions=reader.xrefs.total_revisions)
    try:
        emb = EmbeddedPdfSignature(reader, field_ref, name)
    except MemoryError:
        raise
    except Exception as exc:
        # e.g. an unsigned placeholder whose /Contents are all zeros, or CMS that is not CMS
        return verdict.fail(rep, TOTAL_FAILED, 'FORMAT_FAILURE', f'the signature value cannot be parsed: {exc}',
                            f'không đọc được giá trị chữ ký: {exc}'), None
    try:
        rep.sub_filter = str(emb.sig_object.get('/SubFilter'))
        _describe_signer(rep, emb.signer_cert)
        rep.revision = emb.signed_revision + 1
        meta = signed_revision_metadata(reader, field_ref)
        rep.reason, rep.location, rep.signing_time = meta['reason'], meta['location'], meta['claimed_time']
    except MemoryError:
        raise
    except Exception as exc:
        verdict.note(rep, f'signer details partly unreadable: {exc}',
                     f'một phần thông tin người ký không đọc được: {exc}')
    status = None
    try:
        status = await _validate(rep, emb, **settings)
    except MemoryError:
        raise
    except Exception as exc:
        # pyHanko raises while parsing later revisions that were built to confuse parsers (shadow attacks),
        # or when the CMS structure is wrong. Either way the signature cannot be shown as valid.
        logger.info('signature %s: validation raised %r', name, exc)
        sub = getattr(getattr(exc, 'ades_subindication', None), 'name', None)
        indication = TOTAL_FAILED if sub in (None, 'GENERIC', 'FORMAT_FAILURE') else verdict.from_subindic(
            exc.ades_subindication)[0]
        verdict.fail(rep, indication, sub if sub not in (None, 'GENERIC') else 'FORMAT_FAILURE',
                     f'the signature or the later revisions cannot be analysed: {exc}',
                     f'không phân tích được chữ ký hoặc các phiên bản sau của tệp: {exc}')
        status = None
    return verdict.finish(rep, tolerant_note), status


async def _validate(rep, emb, *, trust_roots, offline, moment, embedded: EmbeddedValidationData):
    """Checks 1-6 of ``verdict`` for one signature; return the pyHanko status that the verdict rests on (None
    when the signature never got as far as a status)."""
    sig_type = emb.sig_object_type
    ctx_args = dict(moment=moment, offline=offline, embedded=embedded)
    if sig_type == '/DocTimeStamp':
        rep.kind = KIND_DOC_TIMESTAMP
        ctx = build_context(trust_roots, **ctx_args)
        status = await async_validate_pdf_timestamp(emb, ctx, diff_policy=DEFAULT_DIFF_POLICY)
        _record_integrity(rep, status)
        if verdict.ts_ok(status):
            # A time is only shown when the token proves it: intact, valid and from a trusted TSA.
            rep.timestamp_time = status.timestamp
        if verdict.integrity_verdict(rep, status):
            verdict.trust_verdict(rep, status, None)
            verdict.note_later_revisions(rep, status)
        return status
    if sig_type != '/Sig':
        verdict.fail(rep, TOTAL_FAILED, 'FORMAT_FAILURE', f'unknown signature dictionary type {sig_type}',
                     f'kiểu từ điển chữ ký không xác định {sig_type}')
        return None
    rep.kind = KIND_SIGNATURE
    embedded.add_archival(emb.signer_info)
    ctx = build_context(trust_roots, **ctx_args)
    status = await async_validate_pdf_signature(
        emb, ctx, diff_policy=DEFAULT_DIFF_POLICY, key_usage_settings=_NO_PYHANKO_KU
    )
    _record_integrity(rep, status)
    if status.signer_reported_dt is not None:
        rep.signing_time = status.signer_reported_dt
    ts = status.timestamp_validity
    ts_ok = verdict.ts_ok(ts)
    if not verdict.integrity_verdict(rep, status):
        return status
    if ts_ok and status.trust_problem_indic in verdict.TIME_CURABLE:
        # Past-signature validation: the timestamp proves the signature existed at ts.timestamp, so the chain
        # is judged at that moment, with revocation data issued later accepted as evidence about that moment.
        past_ctx = build_context(trust_roots, moment=ts.timestamp, offline=offline, embedded=embedded,
                                 retroactive_revinfo=True)
        past = await async_validate_pdf_signature(
            emb, past_ctx, diff_policy=DEFAULT_DIFF_POLICY, key_usage_settings=_NO_PYHANKO_KU
        )
        if past.trusted and not past.revoked:
            when = ts.timestamp.isoformat()
            verdict.note(rep, f'certificate status judged at the timestamp time {when}',
                         f'trạng thái chứng thư được đánh giá tại thời điểm của dấu thời gian {when}')
            rep.flags.append(FLAG_VALID_AT_TIMESTAMP)
            status, ctx = past, past_ctx
    if ts_ok:
        rep.timestamp_time = ts.timestamp
    ku_problem = key_usage_problem(emb.signer_cert)
    rep.trusted = bool(status.trusted) and ku_problem is None
    rep.revocation, rep.revocation_source = await revocation_status(
        status, emb.signer_cert, ctx, trust_roots=trust_roots, embedded=embedded)
    verdict.trust_verdict(rep, status, ku_problem)
    verdict.constraints_verdict(rep, status)
    verdict.note_later_revisions(rep, status)
    return status


def _record_integrity(rep: SignatureReport, status) -> None:
    rep.intact = bool(status.intact)
    rep.crypto_valid = bool(status.valid)
    rep.trusted = bool(status.trusted)
    rep.coverage = status.coverage.name if status.coverage is not None else None
    level = status.modification_level
    rep.modification_level = level.name if level is not None else None
    rep.docmdp_ok = status.docmdp_ok
    if status.revoked:
        rep.revocation = 'revoked'


def _describe_signer(rep: SignatureReport, cert: x509.Certificate) -> None:
    subject = cert.subject.native
    issuer = cert.issuer.native
    rep.signer = subject.get('common_name') or cert.subject.human_friendly
    rep.signer_organization = subject.get('organization_name')
    rep.issuer = issuer.get('common_name') or cert.issuer.human_friendly
    rep.serial = format(cert.serial_number, 'x')


def _assign_levels(sigs: list[SignatureReport], embedded: EmbeddedValidationData) -> None:
    """PAdES baseline level per signature (ETSI EN 319 142-1), judged from what the file contains.

    B-B: a PAdES (ETSI.CAdES.detached) signature. B-T: plus a signature timestamp that validated (intact, valid,
    trusted), or a TOTAL-PASSED document timestamp in a later revision. B-LT: plus a DSS, and revocation data
    embedded in the file from which the revocation check concluded 'good'. B-LTA: plus a valid
    document timestamp in a revision after the DSS data (approximated as: after the signature's revision and
    in or after the revision that introduced the DSS). Not-PAdES signatures get None.
    """
    doc_ts_revisions = [s.revision for s in sigs if s.kind == KIND_DOC_TIMESTAMP
                        and s.indication == TOTAL_PASSED and s.revision is not None]
    for s in sigs:
        if s.kind != KIND_SIGNATURE or s.revision is None or s.sub_indication == 'FORMAT_FAILURE':
            continue
        if s.coverage is None or s.sub_filter != _PADES_SUBFILTER:
            continue
        level = 'B-B'
        later_ts = [r for r in doc_ts_revisions if r > s.revision]
        if (s.timestamp_time is not None and s.indication != TOTAL_FAILED) or later_ts:
            level = 'B-T'
            # B-LT: the file itself must carry the revocation data that the check concluded from.
            if embedded.dss_present and s.revocation == 'good' and s.revocation_source in _EMBEDDED_SOURCES:
                level = 'B-LT'
                dss_rev = embedded.dss_revision or 0
                if any(r >= dss_rev for r in later_ts):
                    level = 'B-LTA'
        s.level = level
