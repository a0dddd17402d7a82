"""From pyHanko's status objects to one ETSI indication per signature, under eoffice's policy.

Policy (the order of the checks is the order of precedence; the first that applies decides):

1. Digest mismatch -> TOTAL-FAILED / HASH_FAILURE. Bad signature value -> TOTAL-FAILED / SIG_CRYPTO_FAILURE.
2. A /ByteRange that does not cover a whole revision (USF/SWA/ISA classes) -> TOTAL-FAILED / FORMAT_FAILURE.
3. Difference analysis: it always runs (never ``skip_diff``). No computed modification level ->
   INDETERMINATE / SIG_CONSTRAINTS_FAILURE. Level OTHER, a DocMDP violation, or an exception while analysing the
   later revisions -> TOTAL-FAILED / FORMAT_FAILURE with flag MODIFIED_AFTER_SIGNING: the PDF's incremental-update
   structure was used for a change the signature format does not allow. (ETSI has no sub-indication for PDF
   modifications; FORMAT_FAILURE is the closest TOTAL-FAILED one and the flag says precisely what happened.)
4. Revoked signer (or CA): TOTAL-FAILED / REVOKED, unless a valid, trusted signature timestamp proves the
   signature existed before the revocation, in which case the chain is re-validated at the timestamp time.
   Expired certificate: the same rescue by timestamp, else INDETERMINATE / OUT_OF_BOUNDS_NO_POE.
5. Any other trust problem reported by pyHanko keeps pyHanko's sub-indication; no chain to the configured anchors
   -> INDETERMINATE / NO_CERTIFICATE_CHAIN_FOUND. Key usage (see ``context.SIGNING_KEY_USAGES``) ->
   INDETERMINATE / CHAIN_CONSTRAINTS_FAILURE. A present but invalid or untrusted signature timestamp ->
   INDETERMINATE / SIG_CONSTRAINTS_FAILURE.
6. Cryptographically fine but the document was changed after signing in a way PDF permits and eoffice flags:
   non-signature form fields filled/changed (other than ``own_flow_fields``) or annotations added ->
   INDETERMINATE / SIG_CONSTRAINTS_FAILURE with flag FORM_CHANGED_AFTER_SIGNING or
   ANNOTATIONS_ADDED_AFTER_SIGNING. So "form data changed after signing" is never TOTAL-PASSED and the top-level
   ``valid`` is false; the signed revision is still retrievable and the UI shows it.
7. Otherwise TOTAL-PASSED. A later revision that only adds signatures, DSS data or document timestamps keeps
   TOTAL-PASSED with flag LATER_REVISIONS and the reason "covers revision r of n".
8. A file that only pyHanko's tolerant parser could read caps every pass at INDETERMINATE /
   SIG_CONSTRAINTS_FAILURE (flag TOLERANT_PARSE): parser differentials are what shadow attacks exploit.
"""
from __future__ import annotations

from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate, AdESStatus
from pyhanko.sign.diff_analysis import DiffResult, ModificationLevel, SuspiciousModification
from pyhanko.sign.validation.status import SignatureCoverageLevel

from .model import (
    FLAG_ANNOTATIONS,
    FLAG_FORM_CHANGED,
    FLAG_KEY_USAGE,
    FLAG_LATER_REVISIONS,
    FLAG_MODIFIED,
    FLAG_OWN_FLOW_FIELDS,
    FLAG_TOLERANT_PARSE,
    INDETERMINATE,
    TOTAL_FAILED,
    TOTAL_PASSED,
    SignatureReport,
)

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


def fail(rep: SignatureReport, indication: str, sub: str, reason: str, *flags: str) -> SignatureReport:
    """Record a non-passing verdict (the first one recorded wins)."""
    if rep.indication != TOTAL_PASSED and rep.sub_indication is not None:
        rep.reasons.append(reason)
    else:
        rep.indication, rep.sub_indication = indication, sub
        rep.reasons.insert(0, reason)
    for f in flags:
        if f not in rep.flags:
            rep.flags.append(f)
    return rep


def from_subindic(sub) -> tuple[str, str]:
    """ETSI (indication, sub-indication) for a pyHanko AdES sub-indication."""
    return _ETSI_STATUS.get(sub.status, INDETERMINATE), sub.name


def integrity_verdict(rep: SignatureReport, status) -> bool:
    """Apply checks 1-3 to ``rep`` from a pyHanko status; return True when they all pass."""
    if not status.intact:
        fail(rep, TOTAL_FAILED, 'HASH_FAILURE', 'the signed bytes do not match the signed digest')
        return False
    if not status.valid:
        fail(rep, TOTAL_FAILED, 'SIG_CRYPTO_FAILURE', 'the signature value does not verify with the signer key')
        return False
    coverage = status.coverage
    if coverage is None or coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        fail(rep, TOTAL_FAILED, 'FORMAT_FAILURE',
             f'the /ByteRange does not cover a complete revision (coverage {rep.coverage})', FLAG_MODIFIED)
        return False
    diff = status.diff_result
    if isinstance(diff, SuspiciousModification):
        fail(rep, TOTAL_FAILED, 'FORMAT_FAILURE', f'disallowed modification after signing: {diff}', FLAG_MODIFIED)
        return False
    level = status.modification_level
    if level is None:
        fail(rep, INDETERMINATE, 'SIG_CONSTRAINTS_FAILURE', 'the modification level could not be computed')
        return False
    if level == ModificationLevel.OTHER or status.docmdp_ok is False:
        fail(rep, TOTAL_FAILED, 'FORMAT_FAILURE',
             f'modifications after signing ({level.name}) are not allowed by the document policy', FLAG_MODIFIED)
        return False
    return True


def changes_verdict(
    rep: SignatureReport, status, field_types: dict[str, str], own_flow_fields: frozenset[str] | None
) -> None:
    """Apply check 6 (flagged but permitted changes) and note later revisions."""
    diff = status.diff_result
    changed = sorted(diff.changed_form_fields) if isinstance(diff, DiffResult) else []
    rep.changed_fields = changed
    non_sig = [name for name in changed if field_types.get(name) != '/Sig']
    allowed = own_flow_fields or frozenset()
    foreign = [name for name in non_sig if name not in allowed]
    if foreign:
        fail(rep, INDETERMINATE, 'SIG_CONSTRAINTS_FAILURE',
             f'modified after signing (form fill): {", ".join(foreign)}', FLAG_FORM_CHANGED)
    elif non_sig:
        rep.flags.append(FLAG_OWN_FLOW_FIELDS)
        rep.reasons.append(f'eoffice number/date fields filled after signing: {", ".join(non_sig)}')
    level = status.modification_level
    if level == ModificationLevel.ANNOTATIONS:
        fail(rep, INDETERMINATE, 'SIG_CONSTRAINTS_FAILURE', 'annotations were added after signing',
             FLAG_ANNOTATIONS)
    note_later_revisions(rep, status)


def note_later_revisions(rep: SignatureReport, status) -> None:
    """Say which revision the signature covers when the file goes on after it."""
    if status.coverage == SignatureCoverageLevel.ENTIRE_REVISION:
        rep.flags.append(FLAG_LATER_REVISIONS)
        rep.reasons.append(f'signature covers revision {rep.revision} of {rep.total_revisions}')


def trust_verdict(rep: SignatureReport, status, ku_problem: str | None) -> None:
    """Apply checks 4-5 to ``rep`` (after any re-validation at timestamp time has been folded into ``status``)."""
    if status.revoked:
        details = status.revocation_details
        who = 'a CA certificate in the chain' if details.ca_revoked else 'the signing certificate'
        fail(rep, TOTAL_FAILED, 'REVOKED', f'{who} was revoked on {details.revocation_date.isoformat()}')
        return
    sub = status.trust_problem_indic
    if sub is not None:
        indication, name = from_subindic(sub)
        fail(rep, indication, name, f'the certificate chain does not validate ({name})')
        return
    if status.validation_path is None:
        fail(rep, INDETERMINATE, 'NO_CERTIFICATE_CHAIN_FOUND', 'no chain to a trusted root')
        return
    if ku_problem:
        fail(rep, INDETERMINATE, 'CHAIN_CONSTRAINTS_FAILURE', ku_problem, FLAG_KEY_USAGE)
        return
    ts = getattr(status, 'timestamp_validity', None)
    if ts is not None and not (ts.intact and ts.valid and ts.trusted):
        fail(rep, INDETERMINATE, 'SIG_CONSTRAINTS_FAILURE', 'the signature timestamp is not valid or not trusted')


def finish(rep: SignatureReport, tolerant_note: str | None) -> SignatureReport:
    """Apply check 8, then settle a still-open verdict as TOTAL-PASSED."""
    if rep.sub_indication is None and rep.indication != TOTAL_FAILED:
        rep.indication = TOTAL_PASSED
    if tolerant_note:
        rep.flags.append(FLAG_TOLERANT_PARSE)
        if rep.indication == TOTAL_PASSED:
            rep.indication, rep.sub_indication = INDETERMINATE, 'SIG_CONSTRAINTS_FAILURE'
            rep.reasons.insert(0, f'the file is only readable by tolerant parsing ({tolerant_note})')
    return rep
