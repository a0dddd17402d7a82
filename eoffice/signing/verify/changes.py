"""Changes after signing that PDF permits but eoffice only accepts when a later signature vouches for them.

pyHanko's difference analysis says *whether* later revisions stayed within form filling, signing and annotating;
it does not say whether what they added is visible. An unsigned signature field, a widget or a FreeText
annotation whose appearance paints a white box and new text over the signed page passes that analysis at level
FORM_FILLING or ANNOTATIONS, and a reader then sees text the signer never signed. So, per verdict check 7:

- ``drawn_changes`` lists every annotation on the pages of the final revision (widgets included) with the
  latest revision that changed it or anything its appearance streams reference, found with the xref history
  (``get_last_change``), not by comparing renderings;
- ``after_signing`` collects, per signature, the fields and drawings changed after it;
- ``settle`` runs after every signature has its own verdict, from the last signature backwards, and accepts a
  change only when a later signature of kind "signature" that is TOTAL-PASSED covers the revision of the change.
  Because that signature was itself judged first, everything after it was already found harmless.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from pyhanko.pdf_utils import generic
from pyhanko.sign.diff_analysis import DiffResult

from .model import (
    FLAG_ANNOTATIONS,
    FLAG_FORM_CHANGED,
    FLAG_SIG_FIELD_CHANGED,
    INDETERMINATE,
    KIND_SIGNATURE,
    TOTAL_PASSED,
    SignatureReport,
)
from .verdict import fail, note

logger = logging.getLogger(__name__)

#: Limits of the walk over hostile object graphs; when one is hit the remaining objects count as changed in the
#: last revision (fail-closed: only a signature covering the whole file can then vouch for them).
MAX_PAGES = 10_000
MAX_OBJECTS = 200_000
MAX_PAGE_TREE_DEPTH = 64
#: Keys that point back up the document (page, parent field, the annotation replied to): following them would
#: pull the whole file into one annotation's dependencies. Those objects are judged on their own.
_BACK_LINKS = frozenset({'/P', '/Parent', '/IRT', '/Popup'})
#: Annotation flags Hidden (2) and NoView (32): such an annotation is never drawn on screen or paper.
_NOT_DRAWN = 2 | 32
_SIG = '/Sig'
_TEXT = '/Tx'


@dataclass
class Drawn:
    """An annotation that draws on a page, and the 1-based revision of the latest change to it."""

    label: str      #: subtype, and field name for widgets
    page: int       #: 1-based
    revision: int

    def describe(self, vi: bool = False) -> str:
        """E.g. "/Widget Overlay on page 1 (revision 3)", or its Vietnamese equivalent."""
        if vi:
            return f'{self.label} trên trang {self.page} (phiên bản {self.revision})'
        return f'{self.label} on page {self.page} (revision {self.revision})'


@dataclass
class AfterSigning:
    """What later revisions did after one signature's own revision."""

    sig_fields: list[str] = field(default_factory=list)
    form_fields: dict[str, str] = field(default_factory=dict)  #: changed non-signature field -> /FT
    form_revision: int | None = None                           #: latest revision touching those fields
    drawn: list[Drawn] = field(default_factory=list)
    problem: str | None = None                                 #: the analysis could not complete


class _Budget:
    def __init__(self, limit: int):
        self.left = limit

    def take(self) -> bool:
        self.left -= 1
        return self.left >= 0


def _last_change(reader, ref) -> int:
    try:
        return reader.xrefs.get_last_change(ref) + 1
    except Exception:  # an object the xref history cannot place: assume the worst, the last revision
        return reader.xrefs.total_revisions


def latest_change(reader, start, container_ref, budget: _Budget) -> int:
    """The latest 1-based revision that changed ``start`` or anything it references (back links excepted).

    ``container_ref`` is the indirect object holding ``start`` when ``start`` is a direct object.
    """
    latest = _last_change(reader, container_ref) if container_ref is not None else 0
    stack, seen = [start], set()
    while stack:
        obj = stack.pop()
        if not budget.take():
            return reader.xrefs.total_revisions
        if isinstance(obj, generic.IndirectObject):
            ref = obj.reference
            if ref in seen:
                continue
            seen.add(ref)
            latest = max(latest, _last_change(reader, ref))
            obj = obj.get_object()
        if isinstance(obj, generic.DictionaryObject):  # streams included
            stack.extend(v for k, v in obj.items() if k not in _BACK_LINKS)
        elif isinstance(obj, generic.ArrayObject):
            stack.extend(obj)
    return latest


def _pages(reader):
    """(index, page dictionary, its reference) for each page, walking the tree defensively."""
    out, seen = [], set()
    stack = [(reader.root.raw_get('/Pages'), 0)]
    while stack and len(out) < MAX_PAGES:
        node_ref, depth = stack.pop()
        ref = getattr(node_ref, 'reference', None)
        if depth > MAX_PAGE_TREE_DEPTH or (ref is not None and ref in seen):
            continue
        if ref is not None:
            seen.add(ref)
        node = node_ref.get_object()
        if not isinstance(node, generic.DictionaryObject):
            continue
        kids = node.get('/Kids')
        if isinstance(kids, generic.ArrayObject):
            stack.extend((k, depth + 1) for k in reversed(kids))
        else:
            out.append((len(out), node, ref))
    return out


def _draws(annot: generic.DictionaryObject) -> bool:
    try:
        flags = int(annot.get('/F', 0))
    except (TypeError, ValueError):
        flags = 0
    if flags & _NOT_DRAWN:
        return False
    try:
        x1, y1, x2, y2 = (float(v) for v in annot['/Rect'])
    except Exception:  # no usable /Rect: viewers disagree on what they draw, so count it as drawing
        return True
    return abs(x2 - x1) > 0 and abs(y2 - y1) > 0


def drawn_changes(reader) -> list[Drawn]:
    """Every annotation that draws on a page of the final revision, with the revision of its latest change."""
    budget = _Budget(MAX_OBJECTS)
    out: list[Drawn] = []
    for index, page, page_ref in _pages(reader):
        raw = page.raw_get('/Annots') if '/Annots' in page else None
        if raw is None:
            continue
        array_ref = raw.reference if isinstance(raw, generic.IndirectObject) else page_ref
        annots = raw.get_object()
        if not isinstance(annots, generic.ArrayObject):
            continue
        for entry in annots:
            annot = entry.get_object()
            if not isinstance(annot, generic.DictionaryObject) or not _draws(annot):
                continue
            container = None if isinstance(entry, generic.IndirectObject) else array_ref
            revision = latest_change(reader, entry, container, budget)
            kind = str(annot.get('/Subtype', '?'))
            name = annot.get('/T')
            label = f'{kind} {name}' if name is not None else kind
            out.append(Drawn(label, index + 1, revision))
    return out


def after_signing(reader, rep: SignatureReport, status, fields: dict, drawn: list[Drawn]) -> AfterSigning:
    """What changed after the revision of ``rep``: signature fields, other fields (with /FT), drawings."""
    out = AfterSigning()
    if rep.revision is None:
        return out
    diff = getattr(status, 'diff_result', None)
    changed = sorted(diff.changed_form_fields) if isinstance(diff, DiffResult) else []
    rep.changed_fields = changed
    budget = _Budget(MAX_OBJECTS)
    for name in changed:
        ft, ref = fields.get(name, ('', None))
        if ft == _SIG:
            out.sig_fields.append(name)
            continue
        out.form_fields[name] = ft
        touched = latest_change(reader, ref, None, budget) if ref is not None else reader.xrefs.total_revisions
        out.form_revision = max(out.form_revision or 0, touched)
    out.drawn = [d for d in drawn if d.revision > rep.revision]
    return out


def _coverer(sigs: list[SignatureReport], after_rev: int, change_rev: int) -> SignatureReport | None:
    """A later TOTAL-PASSED signature (not a document timestamp) whose signed revision includes ``change_rev``."""
    for t in sigs:
        if (t.kind == KIND_SIGNATURE and t.revision is not None and t.revision > after_rev
                and t.revision >= change_rev and t.indication == TOTAL_PASSED):
            return t
    return None


def settle(sigs: list[SignatureReport], analyses: dict[int, AfterSigning]) -> None:
    """The cross-signature pass of check 7, from the last signature backwards (``analyses`` keyed by ``id``)."""
    ordered = sorted((s for s in sigs if s.revision is not None), key=lambda s: s.revision, reverse=True)
    for s in ordered:
        a = analyses.get(id(s))
        if a is None:
            continue
        _settle_one(s, a, sigs)


def _settle_one(s: SignatureReport, a: AfterSigning, sigs: list[SignatureReport]) -> None:
    later_fields = {t.field for t in sigs if t.revision is not None and t.revision > s.revision}
    unsigned = [name for name in a.sig_fields if name not in later_fields]
    if unsigned:
        shown = ', '.join(unsigned)
        fail(s, INDETERMINATE, 'SIG_CONSTRAINTS_FAILURE',
             f'signature fields changed after signing hold no later signature: {shown}',
             f'ô chữ ký bị thay đổi sau khi ký nhưng không chứa chữ ký nào sau đó: {shown}', FLAG_SIG_FIELD_CHANGED)
    if a.form_fields:
        shown = ', '.join(sorted(a.form_fields))
        not_text = [n for n, ft in a.form_fields.items() if ft != _TEXT]
        cover = _coverer(sigs, s.revision, a.form_revision or 1 << 30)
        if not_text or cover is None:
            fail(s, INDETERMINATE, 'SIG_CONSTRAINTS_FAILURE', f'form data changed after signing: {shown}',
                 f'dữ liệu biểu mẫu bị thay đổi sau khi ký: {shown}', FLAG_FORM_CHANGED)
        else:
            note(s, f'form fields filled after signing, covered by the signature {cover.field}: {shown}',
                 f'ô biểu mẫu được điền sau khi ký, đã được chữ ký {cover.field} bao phủ: {shown}')
    uncovered = [d for d in a.drawn if _coverer(sigs, s.revision, d.revision) is None]
    if uncovered:
        shown = '; '.join(d.describe() for d in uncovered[:10])
        shown_vi = '; '.join(d.describe(vi=True) for d in uncovered[:10])
        fail(s, INDETERMINATE, 'SIG_CONSTRAINTS_FAILURE',
             f'content drawn on the page after signing, not covered by a later valid signature: {shown}',
             f'nội dung được vẽ thêm lên trang sau khi ký, không được chữ ký hợp lệ nào sau đó bao phủ: {shown_vi}',
             FLAG_ANNOTATIONS)
    if a.problem:
        fail(s, INDETERMINATE, 'SIG_CONSTRAINTS_FAILURE',
             f'the changes after signing could not be analysed: {a.problem}',
             f'không phân tích được các thay đổi sau khi ký: {a.problem}')
