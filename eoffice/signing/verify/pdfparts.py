"""Reading the parts of a PDF that the verifier needs, defensively.

Everything here treats the file as hostile: object graphs may be circular, entries may have the wrong type, and
a read may raise anything. Callers turn exceptions into report reasons.
"""
from __future__ import annotations

from datetime import datetime
from io import BytesIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

#: Depth limit when walking the form-field tree: legitimate forms are a few levels deep, and a cap keeps a
#: crafted deep tree from exhausting the stack.
MAX_FIELD_DEPTH = 32


class UnreadablePdf(ValueError):
    """The bytes cannot be opened as a PDF at all, even tolerantly."""


class SignedRevisionError(ValueError):
    """The signed revision of a field cannot be delimited (no such field, or a non-standard /ByteRange)."""


def open_reader(data: bytes) -> tuple[PdfFileReader, str | None]:
    """Open ``data`` strictly, falling back to pyHanko's tolerant mode.

    Returns the reader and, when only the tolerant mode could read the file, the strict parser's complaint.
    Raises UnreadablePdf when neither can.
    """
    head = data[:1024]
    if b'%PDF-' not in head:
        raise UnreadablePdf('no %PDF- header in the first 1024 bytes')
    try:
        return _open(data, strict=True), None
    except Exception as strict_exc:
        strict_msg = _describe(strict_exc)
    try:
        return _open(data, strict=False), strict_msg
    except Exception as exc:
        raise UnreadablePdf(_describe(exc)) from exc


def _open(data: bytes, *, strict: bool) -> PdfFileReader:
    reader = PdfFileReader(BytesIO(data), strict=strict)
    if reader.encrypted:
        # Signed documents are sometimes encrypted with an empty user password (permissions only); anything
        # needing a real password cannot be verified here.
        result = reader.decrypt('')
        if getattr(result, 'status', None) is not None and result.status.name == 'FAILED':
            raise UnreadablePdf('encrypted PDF that needs a password')
    # Touch the catalogue now so that files whose trailer is hopeless fail here, not halfway through a check.
    reader.root  # noqa: B018
    return reader


def _describe(exc: BaseException) -> str:
    text = str(exc) or exc.__class__.__name__
    return f'{exc.__class__.__name__}: {text}'[:300]


def field_types(reader: PdfFileReader) -> dict[str, str]:
    """Map each fully qualified terminal field name of the current revision to its /FT (inherited)."""
    return {name: ft for name, (ft, _ref) in form_fields(reader).items()}


def form_fields(reader: PdfFileReader) -> dict[str, tuple[str, object]]:
    """Map each fully qualified terminal field name of the current revision to (its inherited /FT, the field
    object as found in the tree: an indirect reference, or the dictionary itself when it is direct)."""
    out: dict[str, tuple[str, object]] = {}
    try:
        fields = reader.root['/AcroForm']['/Fields']
    except (KeyError, TypeError):
        return out
    seen: set = set()

    def walk(array, prefix: str, inherited_ft, depth: int):
        if depth > MAX_FIELD_DEPTH or not isinstance(array, generic.ArrayObject):
            return
        for ref in array:
            key = getattr(ref, 'reference', None) or getattr(ref, 'idnum', None)
            if key is not None:
                if key in seen:
                    continue
                seen.add(key)
            node = ref.get_object() if hasattr(ref, 'get_object') else ref
            if not isinstance(node, generic.DictionaryObject):
                continue
            partial = node.get('/T')
            name = prefix if partial is None else (f'{prefix}.{partial}' if prefix else str(partial))
            ft = node.get('/FT', inherited_ft)
            kids = node.get('/Kids')
            # A /Kids array of widgets (no /T) still makes this node a terminal field.
            has_field_kids = isinstance(kids, generic.ArrayObject) and any(
                isinstance(k.get_object(), generic.DictionaryObject) and '/T' in k.get_object() for k in kids
            )
            if has_field_kids:
                walk(kids, name, ft, depth + 1)
            elif name:
                out[name] = (str(ft) if ft is not None else '', ref)

    walk(fields, '', None, 0)
    return out


def signed_revision_metadata(reader: PdfFileReader, sig_field) -> dict:
    """/Reason, /Location, /M of the signature dictionary as it was in the revision that the signature covers.

    The signature dictionary is read from the historical revision, so that an incremental update that rewrites
    the dictionary (the /Contents are covered, the surrounding keys may be re-declared) cannot change what the
    report attributes to the signer.
    """
    field = sig_field.get_object()
    sig_ref = field.raw_get('/V')
    revision = reader.xrefs.get_last_change(sig_ref.reference)
    hist = reader.get_historical_resolver(revision)
    sig = hist(sig_ref.reference)
    out: dict = {'reason': None, 'location': None, 'claimed_time': None}
    for key, pdf_key in (('reason', '/Reason'), ('location', '/Location')):
        value = sig.get(pdf_key)
        if value is not None:
            out[key] = str(value)[:500]
    m = sig.get('/M')
    if m is not None:
        try:
            parsed = generic.parse_pdf_date(str(m))
            out['claimed_time'] = parsed if isinstance(parsed, datetime) else None
        except Exception:
            pass
    return out


def signed_revision_bytes(data: bytes, field_name: str) -> bytes:
    """The bytes of the revision that the signature in ``field_name`` covers: the file up to its /ByteRange end.

    Only a standard /ByteRange ``[0 a b c]`` whose gap is exactly the /Contents hex string delimits a revision;
    anything else raises SignedRevisionError, because returning "some prefix" of a malformed signature would
    present unsigned bytes as signed.
    """
    from pyhanko.sign.fields import enumerate_sig_fields

    try:
        reader, _ = open_reader(data)
        matches = list(enumerate_sig_fields(reader, filled_status=True, with_name=field_name))
    except Exception as exc:
        raise SignedRevisionError(f'cannot read the file: {_describe(exc)}') from exc
    if not matches:
        raise SignedRevisionError(f'no signed field named {field_name!r}')
    _, sig_value, _ = matches[0]
    sig = sig_value.get_object()
    try:
        br = [int(x) for x in sig.raw_get('/ByteRange')]
        contents = sig.raw_get('/Contents')
    except Exception as exc:
        raise SignedRevisionError(f'unreadable /ByteRange: {_describe(exc)}') from exc
    if len(br) != 4 or br[0] != 0 or min(br) < 0:
        raise SignedRevisionError(f'non-standard /ByteRange {br}')
    _, len1, start2, len2 = br
    gap = start2 - len1
    expected_gap = len(bytes(contents)) * 2 + 2
    end = start2 + len2
    if gap != expected_gap or end > len(data) or not data[max(0, end - 8):end].rstrip().endswith(b'%%EOF'):
        raise SignedRevisionError(f'/ByteRange {br} does not delimit a complete revision')
    return data[:end]
