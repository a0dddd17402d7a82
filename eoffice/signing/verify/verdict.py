"""From pyHanko's status objects to one ETSI indication per signature, under eoffice's one policy.

There is no caller switch: the same file with the same trust anchors gets the same verdict on every surface.
The verdict is fail-closed: TOTAL-PASSED only when every check below holds *and* pyHanko's own bottom line is
true. Policy (the order is the order of precedence; the first failing check sets the indication, later ones
only add reasons):

1. Digest mismatch -> TOTAL-FAILED / HASH_FAILURE. Bad signature value -> TOTAL-FAILED / SIG_CRYPTO_FAILURE.
2. A /ByteRange that does not cover a whole revision (USF/SWA/ISA classes) -> TOTAL-FAILED / FORMAT_FAILURE.
3. Difference analysis always runs (never ``skip_diff``). No computed modification level -> INDETERMINATE /
   SIG_CONSTRAINTS_FAILURE. Level OTHER, a DocMDP/FieldMDP violation, or an exception while analysing the later
   revisions -> TOTAL-FAILED / FORMAT_FAILURE, flag MODIFIED_AFTER_SIGNING. (ETSI has no sub-indication for PDF
   modifications; FORMAT_FAILURE is the closest TOTAL-FAILED one and the flag says what happened.)
4. Revoked signer (or CA): TOTAL-FAILED / REVOKED, unless a valid, trusted signature timestamp proves the
   signature existed before the revocation (the chain is then re-validated at the timestamp time). Expired
   certificate: the same rescue by timestamp, else INDETERMINATE / OUT_OF_BOUNDS_NO_POE.
5. Other trust problems keep pyHanko's sub-indication; no chain -> INDETERMINATE / NO_CERTIFICATE_CHAIN_FOUND;
   key usage (``context.SIGNING_KEY_USAGES``) -> INDETERMINATE / CHAIN_CONSTRAINTS_FAILURE. A present but
   invalid or untrusted signature timestamp -> INDETERMINATE / SIG_CONSTRAINTS_FAILURE.
6. Signature constraints -> INDETERMINATE / SIG_CONSTRAINTS_FAILURE: the field's seed-value dictionary is
   violated (flag SEED_VALUE_VIOLATION); a content timestamp is present but not intact, valid and trusted (flag
   CONTENT_TIMESTAMP_INVALID); pyHanko's ``bottom_line`` is false for any other reason.
7. Changes after signing that PDF permits (``changes``, decided after all signatures, from the last backwards):
   - a signature field changed after the signature must hold a later signature of this report, else flag
     SIGNATURE_FIELD_CHANGED_AFTER_SIGNING;
   - anything that draws on a page (an annotation or widget, new or changed, with everything its appearance
     streams reference) must be covered by a later TOTAL-PASSED signature whose signed revision includes the
     change, else flag ANNOTATIONS_ADDED_AFTER_SIGNING;
   - filled form fields are accepted only when DocMDP allows it, they are all text fields (/FT /Tx) and a later
     TOTAL-PASSED signature covers the change, else flag FORM_CHANGED_AFTER_SIGNING with "form data changed
     after signing: <fields>".
   Each of these gives INDETERMINATE / SIG_CONSTRAINTS_FAILURE. "Covered by a later TOTAL-PASSED signature"
   means someone trusted signed the changed document and everything after that signature was itself judged
   harmless (only signatures, DSS data, document timestamps). Document timestamps never cover: anyone can get
   one from a public TSA.
8. A file that only pyHanko's tolerant parser could read caps every pass at INDETERMINATE /
   SIG_CONSTRAINTS_FAILURE (flag TOLERANT_PARSE): parser differentials are what shadow attacks exploit.
9. Otherwise TOTAL-PASSED; a signature followed by later revisions gets flag LATER_REVISIONS and the reason
   "signature covers revision r of n".

Against ISO 32000-2 (12.8.2.2, DocMDP P): P=1 allows no change (a later signature fails the certification, as
the standard says); P=2 allows form filling and signing; P=3 also allows annotations. eoffice is stricter in two
places, on purpose: (a) pyHanko's StandardDiffPolicy does not model P=3, and treats added annotations (other than
signature widgets) as level OTHER, so a P=3 document annotated later is TOTAL-FAILED where ISO would allow it;
(b) whatever the DocMDP level, a change that draws on the page or fills a field needs a later TOTAL-PASSED
signature (check 7), because a permitted change can still show the reader text the signer never signed.
DSS updates and document timestamps after any signature are allowed, as PAdES (ETSI EN 319 142-1) requires.

Every reason is recorded in English (``reasons``) and Vietnamese (``reasons_vi``), index for index.
"""
from __future__ import annotations

from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate, AdESStatus
from pyhanko.sign.diff_analysis import ModificationLevel, SuspiciousModification
from pyhanko.sign.validation.status import SignatureCoverageLevel

from .model import (
    FLAG_CONTENT_TIMESTAMP,
    FLAG_KEY_USAGE,
    FLAG_LATER_REVISIONS,
    FLAG_MODIFIED,
    FLAG_SEED_VALUE,
    FLAG_TOLERANT_PARSE,
    INDETERMINATE,
    KIND_DOC_TIMESTAMP,
    TOTAL_FAILED,
    TOTAL_PASSED,
    SignatureReport,
)

#: Version of the policy above. Stored reports are cached under (file digest, trust anchors, POLICY_VERSION):
#: bump it whenever a change here, in ``changes`` or in ``core`` can give a different verdict, reason or field
#: value for the same file and anchors, so that every report computed under the old policy is recomputed.
#: 1: the policy with the ``own_flow_fields`` switch. 2: fail-closed, one policy, bilingual reasons.
POLICY_VERSION = 2

#: Trust problems that a timestamp taken before the event can cure (ETSI "past signature validation").
TIME_CURABLE = {
    AdESFailure.REVOKED,
    AdESIndeterminate.REVOKED_NO_POE,
    AdESIndeterminate.REVOKED_CA_NO_POE,
    AdESIndeterminate.OUT_OF_BOUNDS_NO_POE,
    AdESIndeterminate.OUT_OF_BOUNDS_NOT_REVOKED,
    AdESIndeterminate.EXPIRED,
}

_ETSI_STATUS = {AdESStatus.FAILED: TOTAL_FAILED, AdESStatus.INDETERMINATE: INDETERMINATE}
_SIG_CONSTRAINTS = 'SIG_CONSTRAINTS_FAILURE'


def fail(rep: SignatureReport, indication: str, sub: str, en: str, vi: str, *flags: str) -> SignatureReport:
    """Record a non-passing verdict with its reason in English and Vietnamese (the first verdict recorded wins;
    later ones only add their reason and flags)."""
    if rep.indication != TOTAL_PASSED and rep.sub_indication is not None:
        rep.reasons.append(en)
        rep.reasons_vi.append(vi)
    else:
        rep.indication, rep.sub_indication = indication, sub
        rep.reasons.insert(0, en)
        rep.reasons_vi.insert(0, vi)
    for f in flags:
        if f not in rep.flags:
            rep.flags.append(f)
    return rep


def note(rep: SignatureReport, en: str, vi: str) -> None:
    """Add an informational reason (no effect on the indication)."""
    rep.reasons.append(en)
    rep.reasons_vi.append(vi)


def from_subindic(sub) -> tuple[str, str]:
    """ETSI (indication, sub-indication) for a pyHanko AdES sub-indication."""
    return _ETSI_STATUS.get(sub.status, INDETERMINATE), sub.name


def ts_ok(ts) -> bool:
    """True for a timestamp status that is intact, valid and trusted: the only kind that proves a time."""
    return ts is not None and bool(ts.intact and ts.valid and ts.trusted)


def integrity_verdict(rep: SignatureReport, status) -> bool:
    """Apply checks 1-3 to ``rep`` from a pyHanko status; return True when they all pass."""
    if not status.intact:
        fail(rep, TOTAL_FAILED, 'HASH_FAILURE', 'the signed bytes do not match the signed digest',
             'dữ liệu được ký không khớp với giá trị băm đã ký')
        return False
    if not status.valid:
        fail(rep, TOTAL_FAILED, 'SIG_CRYPTO_FAILURE', 'the signature value does not verify with the signer key',
             'giá trị chữ ký không khớp với khóa của người ký')
        return False
    coverage = status.coverage
    if coverage is None or coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        fail(rep, TOTAL_FAILED, 'FORMAT_FAILURE',
             f'the /ByteRange does not cover a complete revision (coverage {rep.coverage})',
             f'/ByteRange không bao trọn một phiên bản của tệp (phạm vi {rep.coverage})', FLAG_MODIFIED)
        return False
    diff = status.diff_result
    if isinstance(diff, SuspiciousModification):
        fail(rep, TOTAL_FAILED, 'FORMAT_FAILURE', f'disallowed modification after signing: {diff}',
             f'tài liệu bị sửa đổi không được phép sau khi ký: {diff}', FLAG_MODIFIED)
        return False
    level = status.modification_level
    if level is None:
        fail(rep, INDETERMINATE, _SIG_CONSTRAINTS, 'the modification level could not be computed',
             'không xác định được mức độ sửa đổi sau khi ký')
        return False
    docmdp_ok = status.docmdp_ok
    if docmdp_ok is None and rep.kind == KIND_DOC_TIMESTAMP:
        # pyHanko never computes docmdp_ok for document timestamps; what follows one only has to stay within
        # the difference policy (DocMDP binds the certification signature, whose own status checks it).
        docmdp_ok = level != ModificationLevel.OTHER
    if level == ModificationLevel.OTHER or docmdp_ok is not True:
        fail(rep, TOTAL_FAILED, 'FORMAT_FAILURE',
             f'modifications after signing ({level.name}) are not allowed by the document policy',
             f'các sửa đổi sau khi ký ({level.name}) không được chính sách của tài liệu cho phép', FLAG_MODIFIED)
        return False
    return True


def trust_verdict(rep: SignatureReport, status, ku_problem: str | None) -> None:
    """Apply checks 4-5 to ``rep`` (after any re-validation at timestamp time has been folded into ``status``)."""
    if status.revoked:
        details = status.revocation_details
        when = details.revocation_date.isoformat()
        if details.ca_revoked:
            en, vi = 'a CA certificate in the chain', 'một chứng thư của CA trong chuỗi'
        else:
            en, vi = 'the signing certificate', 'chứng thư số của người ký'
        fail(rep, TOTAL_FAILED, 'REVOKED', f'{en} was revoked on {when}', f'{vi} đã bị thu hồi vào {when}')
        return
    sub = status.trust_problem_indic
    if sub is not None:
        indication, name = from_subindic(sub)
        fail(rep, indication, name, f'the certificate chain does not validate ({name})',
             f'chuỗi chứng thư số không hợp lệ ({name})')
        return
    if status.validation_path is None:
        fail(rep, INDETERMINATE, 'NO_CERTIFICATE_CHAIN_FOUND', 'no chain to a trusted root',
             'không có chuỗi chứng thư đến một CA gốc tin cậy')
        return
    if ku_problem:
        fail(rep, INDETERMINATE, 'CHAIN_CONSTRAINTS_FAILURE', ku_problem,
             'mục đích sử dụng khóa của chứng thư không cho phép ký văn bản (cần nonRepudiation hoặc '
             'digitalSignature)', FLAG_KEY_USAGE)
        return
    ts = getattr(status, 'timestamp_validity', None)
    if ts is not None and not ts_ok(ts):
        fail(rep, INDETERMINATE, _SIG_CONSTRAINTS, 'the signature timestamp is not valid or not trusted',
             'dấu thời gian của chữ ký không hợp lệ hoặc không được tin cậy')


def constraints_verdict(rep: SignatureReport, status) -> None:
    """Apply check 6: seed values, content timestamp, and pyHanko's bottom line as the last word."""
    if not getattr(status, 'seed_value_ok', True):
        err = status.seed_value_constraint_error
        msg = getattr(err, 'failure_message', None) or str(err)
        fail(rep, INDETERMINATE, _SIG_CONSTRAINTS,
             f'the signature breaks the seed-value constraints of its field: {msg}',
             f'chữ ký vi phạm ràng buộc giá trị khởi tạo (seed value) của ô chữ ký: {msg}', FLAG_SEED_VALUE)
    content_ts = getattr(status, 'content_timestamp_validity', None)
    if content_ts is not None and not ts_ok(content_ts):
        what = 'does not match the signed content' if not content_ts.intact else 'is not valid or not trusted'
        what_vi = ('không khớp với nội dung được ký' if not content_ts.intact
                   else 'không hợp lệ hoặc không được tin cậy')
        fail(rep, INDETERMINATE, _SIG_CONSTRAINTS, f'the content timestamp {what}',
             f'dấu thời gian nội dung {what_vi}', FLAG_CONTENT_TIMESTAMP)
    if not status.bottom_line and rep.sub_indication is None:
        # Fail-closed: whatever pyHanko objects to must not come out as a pass, even if no check above named it.
        fail(rep, INDETERMINATE, _SIG_CONSTRAINTS, 'pyHanko does not judge the signature valid (bottom line)',
             'thư viện kiểm tra không đánh giá chữ ký là hợp lệ (kết luận chung)')


def note_later_revisions(rep: SignatureReport, status) -> None:
    """Say which revision the signature covers when the file goes on after it."""
    if status.coverage == SignatureCoverageLevel.ENTIRE_REVISION:
        rep.flags.append(FLAG_LATER_REVISIONS)
        note(rep, f'signature covers revision {rep.revision} of {rep.total_revisions}',
             f'chữ ký bao phủ phiên bản {rep.revision} trên tổng số {rep.total_revisions}')


def finish(rep: SignatureReport, tolerant_note: str | None) -> SignatureReport:
    """Apply check 8, then settle a still-open verdict as TOTAL-PASSED (``changes`` may still downgrade it)."""
    if rep.sub_indication is None and rep.indication != TOTAL_FAILED:
        rep.indication = TOTAL_PASSED
    if tolerant_note:
        rep.flags.append(FLAG_TOLERANT_PARSE)
        fail(rep, INDETERMINATE, _SIG_CONSTRAINTS,
             f'the file is only readable by tolerant parsing ({tolerant_note})',
             f'tệp chỉ đọc được ở chế độ phân tích dung thứ ({tolerant_note})')
    return rep
