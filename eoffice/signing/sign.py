"""PAdES signing (``ETSI.CAdES.detached``, SHA-256) of PDF bytes, one document or a batch.

Levels: B-B always; B-T adds a signature timestamp from the configured TSA; B-LT also embeds the chain's
revocation data (OCSP/CRL, fetched at signing time) in the document security store; B-LTA adds a document
timestamp over all of it. A timestamp failure raises :class:`TimestampError`; with ``allow_downgrade=True``
the document is signed at B-B instead and the :class:`SignResult` says so. The signing time is never
vouched for by the local clock alone.

Numbering after the leader's signature (see :mod:`eoffice.signing.forms`): the leader signs an *approval*
signature by default. The stronger certification variant (``certify=True``: DocMDP P=2, "form filling and
signing only") was tried with pyHanko 0.38 and kept: with the fields built by :mod:`eoffice.signing.forms`, a
certified leader signature followed by filling the number/date and signing the agency field validates intact,
DocMDP-compliant, at FORM_FILLING (``tests/signing/test_flow.py::test_certified_leader_signature_survives_numbering``).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from io import BytesIO

from asn1crypto import x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers import Signer
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.stamp import BaseStampStyle
from pyhanko_certvalidator import ValidationContext

from .credentials import Credential
from .layout import Box, appendix_box

__all__ = ["Level", "SignResult", "SigningFailure", "TimestampError", "sign_pdf", "batch_sign", "sign_appendix",
           "sign_electronic_copy"]


class Level(str, Enum):
    """PAdES baseline levels (ETSI EN 319 142-1)."""

    B_B = "B-B"
    B_T = "B-T"
    B_LT = "B-LT"
    B_LTA = "B-LTA"


class SigningFailure(Exception):
    """The document could not be signed (bad field, unusable certificate, revocation data unavailable, …)."""


class TimestampError(SigningFailure):
    """The timestamp authority did not answer with a usable timestamp."""


@dataclass(frozen=True)
class SignResult:
    """A signed document and what it is: ``level`` actually reached, and any downgrade with its reason."""

    pdf: bytes
    level: Level
    requested_level: Level
    field_name: str
    signing_time: datetime
    downgrade_reason: str | None = None

    @property
    def downgraded(self) -> bool:
        return self.level != self.requested_level


@dataclass(frozen=True)
class SignOptions:
    """Everything but the document and the key; shared by every document of a batch."""

    field_name: str = "Signature1"
    box: Box | None = None
    page: int = -1
    stamp: BaseStampStyle | None = None
    level: Level = Level.B_T
    timestamper: TimeStamper | None = None
    trust_roots: tuple[x509.Certificate, ...] = ()
    allow_downgrade: bool = False
    reason: str | None = None
    location: str | None = None
    certify: bool = False
    text_params: dict = field(default_factory=dict)


class _GuardedTimestamper:
    """Delegates to a pyHanko timestamper, turning any failure of its coroutines into :class:`TimestampError`."""

    def __init__(self, inner: TimeStamper):
        self._inner = inner

    def __getattr__(self, name):
        attr = getattr(self._inner, name)
        if not inspect.iscoroutinefunction(attr):
            return attr

        async def guarded(*args, **kwargs):
            try:
                return await attr(*args, **kwargs)
            except Exception as exc:
                raise TimestampError(f"the timestamp authority failed: {exc}") from exc

        return guarded


def _timestamp_cause(exc: BaseException) -> TimestampError | None:
    while exc is not None:
        if isinstance(exc, TimestampError):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def _field_exists(writer, name: str) -> bool:
    return any(fq == name for fq, _value, _ref in fields.enumerate_sig_fields(writer, filled_status=None))


def _sign_once(pdf_bytes: bytes, signer: Signer, opts: SignOptions, level: Level,
               bytes_reserved: int | None = None) -> tuple[bytes, datetime]:
    writer = IncrementalPdfFileWriter(BytesIO(pdf_bytes), strict=False)
    new_field = None
    if not _field_exists(writer, opts.field_name):
        if opts.box is None and opts.stamp is not None:
            raise SigningFailure(f"no field {opts.field_name!r} and no box given for the visible signature")
        page = opts.page % int(writer.root["/Pages"]["/Count"])
        new_field = fields.SigFieldSpec(opts.field_name, on_page=page, box=opts.box)
    long_term = level in (Level.B_LT, Level.B_LTA)
    validation_context = None
    if long_term:
        if not opts.trust_roots:
            raise SigningFailure("B-LT needs the trust roots to collect the chain's revocation data")
        validation_context = ValidationContext(trust_roots=list(opts.trust_roots), allow_fetching=True,
                                               revocation_mode="hard-fail")
    meta = signers.PdfSignatureMetadata(
        field_name=opts.field_name, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES,
        reason=opts.reason, location=opts.location, embed_validation_info=long_term,
        validation_context=validation_context, use_pades_lta=level == Level.B_LTA,
        certify=opts.certify, docmdp_permissions=fields.MDPPerm.FILL_FORMS,
    )
    timestamper = _GuardedTimestamper(opts.timestamper) if level != Level.B_B else None
    pdf_signer = signers.PdfSigner(meta, signer=signer, timestamper=timestamper, stamp_style=opts.stamp,
                                   new_field_spec=new_field)
    signing_time = datetime.now(timezone.utc)
    out = pdf_signer.sign_pdf(writer, appearance_text_params={"signing_time": signing_time, **opts.text_params},
                              bytes_reserved=bytes_reserved)
    return out.getvalue(), signing_time


class _Reservation:
    """The room for the CMS blob in one batch: measured on the first document, reused for the others.

    Without it pyHanko sizes every signature by building and signing a throw-away CMS first, half the cost of a
    batch signature. Same signer, options and level give CMS blobs of the same size give or take a few bytes
    (timestamp serial numbers), well inside the 50 % margin pyHanko adds to its estimate; should one not fit
    anyway, that document is signed again with pyHanko's own estimate.
    """

    def __init__(self):
        self.size: int | None = None

    def sign(self, pdf_bytes: bytes, signer: Signer, opts: SignOptions, level: Level) -> tuple[bytes, datetime]:
        if self.size is not None:
            try:
                return _sign_once(pdf_bytes, signer, opts, level, self.size)
            except SigningError as exc:
                if "larger than expected" not in str(exc):
                    raise
        pdf, when = _sign_once(pdf_bytes, signer, opts, level)
        self.size = _reserved_size(pdf)
        return pdf, when


def _reserved_size(pdf: bytes) -> int | None:
    """The hex digits pyHanko reserved for the last signature of ``pdf`` (the gap in its /ByteRange, minus <>)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    sigs = PdfFileReader(BytesIO(pdf), strict=False).embedded_signatures
    if not sigs:
        return None
    _start, first_len, second_start, _second_len = (int(v) for v in sigs[-1].sig_object["/ByteRange"])
    return second_start - first_len - 2


def _sign(pdf_bytes: bytes, signer: Signer, opts: SignOptions, reservation: _Reservation | None = None
          ) -> SignResult:
    level = Level(opts.level)
    if level != Level.B_B and opts.timestamper is None:
        raise TimestampError(f"{level.value} needs a timestamp authority and none is configured")
    try:
        if reservation is None:
            pdf, when = _sign_once(pdf_bytes, signer, opts, level)
        else:
            pdf, when = reservation.sign(pdf_bytes, signer, opts, level)
        return SignResult(pdf, level, level, opts.field_name, when)
    except Exception as exc:
        ts_error = _timestamp_cause(exc)
        if ts_error is None:
            if isinstance(exc, SigningFailure):
                raise
            if isinstance(exc, (SigningError, ValueError, KeyError)):
                raise SigningFailure(str(exc)) from exc
            raise
        if not opts.allow_downgrade:
            raise ts_error from exc
        pdf, when = _sign_once(pdf_bytes, signer, opts, Level.B_B)
        return SignResult(pdf, Level.B_B, level, opts.field_name, when, downgrade_reason=str(ts_error))


def sign_pdf(pdf_bytes: bytes, signer: Signer, **options) -> SignResult:
    """Sign ``pdf_bytes`` with an unlocked ``signer`` (see :meth:`Credential.open`) in a new revision.

    Options (all keyword): ``field_name`` (an existing empty signature field is used, otherwise one is created
    on ``page`` at ``box``), ``stamp`` (a stamp style from :mod:`eoffice.signing.stamps`; invisible if None),
    ``level`` (:class:`Level`, default B-T), ``timestamper``, ``trust_roots`` (needed for B-LT/B-LTA),
    ``allow_downgrade``, ``reason``, ``location``, ``certify`` (DocMDP P=2 certification), ``text_params``.
    Raises :class:`TimestampError` or :class:`SigningFailure`.
    """
    return _sign(pdf_bytes, signer, SignOptions(**options))


def iter_batch_sign(pdfs: Iterable[bytes], signer: Signer, **options) -> Iterator[SignResult]:
    """Sign each document with the same signer and options, lazily (for callers that store as they go)."""
    opts = SignOptions(**options)
    reservation = _Reservation()
    for pdf in pdfs:
        yield _sign(pdf, signer, opts, reservation)


def batch_sign(pdfs: Iterable[bytes], credential: Credential, pin: str, **options) -> list[SignResult]:
    """Unlock ``credential`` once with ``pin`` and sign every document with the options of :func:`sign_pdf`.

    The stamp's font subsets and images are prepared once per process and shared by the whole batch, and the
    room for the signature is measured on the first document only (see :class:`_Reservation`). Raises
    :class:`~eoffice.signing.credentials.WrongPin` before anything is signed if the PIN is wrong.
    """
    with credential.open(pin) as signer:
        return list(iter_batch_sign(pdfs, signer, **options))


def _top_right_sign(pdf_bytes: bytes, signer: Signer, lines: tuple[str, ...], **options) -> SignResult:
    from pyhanko.pdf_utils.reader import PdfFileReader

    from .stamps import TextStampStyle

    media_box = PdfFileReader(BytesIO(pdf_bytes), strict=False).root["/Pages"]["/Kids"][0].get_object()
    x1, y1, x2, y2 = (float(v) for v in media_box.get("/MediaBox", (0, 0, 595.28, 841.89)))
    box = appendix_box(x2 - x1, y2 - y1, len(lines))
    options.setdefault("field_name", "ChuKyCoQuan")
    return sign_pdf(pdf_bytes, signer, stamp=TextStampStyle(lines=lines), box=box, page=0, **options)


def sign_appendix(pdf_bytes: bytes, signer: Signer, number_text: str, **options) -> SignResult:
    """Agency signature on an appendix in a separate file: top right of page 1, no image, Liberation Serif 10,
    the number and symbol, then the signing time in ISO 8601 with the +07:00 offset (Phụ lục I §II.8.b)."""
    return _top_right_sign(pdf_bytes, signer, (number_text, "%(signing_time)s"), **options)


def sign_electronic_copy(pdf_bytes: bytes, signer: Signer, copy_form: str, agency_name: str,
                         **options) -> SignResult:
    """Agency signature on an electronic copy (``copy_form`` is "SAO Y", "SAO LỤC" or "TRÍCH SAO"): top right,
    no image: the copy form, the copying agency and the signing time (Phụ lục I Part II §I)."""
    return _top_right_sign(pdf_bytes, signer, (copy_form, agency_name, "%(signing_time)s"), **options)
