"""Signing benchmark: ``python bench/signing.py``. Prints figures and ratios against a baseline measured in the
same run (one plain pyHanko ``sign_pdf`` per document with a visible text stamp whose font file is loaded each
time). Targets: visible-stamp signing at most 1/3 of the baseline; 100 documents batch-signed in under 5 s."""

from __future__ import annotations

import logging
import statistics
import sys
import tempfile
import time
from io import BytesIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
logging.getLogger("fontTools").setLevel(logging.ERROR)

from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory  # noqa: E402
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # noqa: E402
from pyhanko.pdf_utils.text import TextBoxStyle  # noqa: E402
from pyhanko.sign import fields, signers  # noqa: E402
from pyhanko.stamp import TextStampStyle  # noqa: E402

from eoffice.signing.credentials import Pkcs12Credential  # noqa: E402
from eoffice.signing.fonts import SERIF  # noqa: E402
from eoffice.signing.pki import create_demo_pki  # noqa: E402
from eoffice.signing.samples import make_sample_pdf  # noqa: E402
from eoffice.signing.sign import Level, batch_sign, sign_pdf  # noqa: E402
from eoffice.signing.stamps import SignerStampStyle, make_demo_signature_png  # noqa: E402

BOX, RUNS, BATCH = (320, 120, 540, 260), 15, 100


def baseline(pdf: bytes, signer) -> bytes:
    style = TextStampStyle(stamp_text="CHỦ TỊCH\n%(signer)s\n%(ts)s",
                           text_box_style=TextBoxStyle(font=GlyphAccumulatorFactory(str(SERIF))))
    meta = signers.PdfSignatureMetadata(field_name="Signature1", subfilter=fields.SigSeedSubFilter.PADES)
    pdf_signer = signers.PdfSigner(meta, signer=signer, stamp_style=style,
                                   new_field_spec=fields.SigFieldSpec("Signature1", on_page=0, box=BOX))
    return pdf_signer.sign_pdf(IncrementalPdfFileWriter(BytesIO(pdf))).getvalue()


def median_ms(fn, runs=RUNS) -> float:
    fn()  # warm-up: imports, caches
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        demo = create_demo_pki(Path(tmp) / "pki", Path(tmp) / "public", [{"code": "a", "name": "UBND huyện A"}],
                               [{"username": "u", "full_name": "Nguyễn Văn Đức", "agency": "a"}], "bench")
        credential = Pkcs12Credential(demo.user_pkcs12_path("u").read_bytes())
        signer = credential.unlock("bench")
        stamp = SignerStampStyle(signature_png=make_demo_signature_png("Nguyễn Văn Đức"), position="CHỦ TỊCH",
                                 name="Nguyễn Văn Đức")
        print(f"{'document':<10} {'baseline ms':>12} {'eoffice ms':>11} {'ratio':>7}")
        for pages in (1, 30):
            pdf = make_sample_pdf(pages)
            base = median_ms(lambda pdf=pdf: baseline(pdf, signer))
            ours = median_ms(lambda pdf=pdf: sign_pdf(pdf, signer, stamp=stamp, box=BOX, level=Level.B_B))
            print(f"{pages:>3} page(s) {base:>12.1f} {ours:>11.1f} {ours / base:>7.2f}  (target <= 0.33)")
        docs = [make_sample_pdf(1)] * BATCH
        start = time.perf_counter()
        for pdf in docs:
            baseline(pdf, signer)
        base_total = time.perf_counter() - start
        start = time.perf_counter()
        batch_sign(docs, credential, "bench", stamp=stamp, box=BOX, level=Level.B_B)
        total = time.perf_counter() - start
        print(f"batch of {BATCH}: baseline {base_total:.2f} s, eoffice {total:.2f} s "
              f"({BATCH / total:.0f} docs/s), ratio {total / base_total:.2f}  (target < 5 s)")


if __name__ == "__main__":
    main()
