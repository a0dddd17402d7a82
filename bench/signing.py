"""Signing benchmark: ``python bench/signing.py [runs]``.

Prints the median milliseconds per visible-stamp signature of a 1-page and a 30-page A4 decision, and the time
to sign a batch of 100 documents, against a baseline measured in the same run. The baseline is what a first
integration with plain pyHanko writes: the user's PKCS#12 loaded once into pyHanko's ``SimpleSigner``, then per
document one ``sign_pdf`` with pyHanko's ``TextStampStyle`` whose font (Liberation Serif, for the Vietnamese
text) is loaded from its file each time.

Like with like: both sides sign at PAdES **B-B** (``ETSI.CAdES.detached``, SHA-256, RSA-2048 key of the demo
PKI, signer certificate + chain embedded, no timestamp), add the signature field in the same revision and draw
a visible stamp with the same text; eoffice's stamp has, in addition, the blue signature image and a bold
weight. Targets: eoffice at most 1/3 of the baseline's time; 100 documents in under 5 s.
"""

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

BOX, BATCH = (320, 120, 540, 260), 100
NAME, POSITION = "Nguyễn Văn Đức", "CHỦ TỊCH"


def baseline(pdf: bytes, signer) -> bytes:
    style = TextStampStyle(stamp_text=f"{POSITION}\n{NAME}\nKý số: %(ts)s",
                           text_box_style=TextBoxStyle(font=GlyphAccumulatorFactory(str(SERIF))))
    meta = signers.PdfSignatureMetadata(field_name="Signature1", md_algorithm="sha256",
                                        subfilter=fields.SigSeedSubFilter.PADES)
    pdf_signer = signers.PdfSigner(meta, signer=signer, stamp_style=style,
                                   new_field_spec=fields.SigFieldSpec("Signature1", on_page=0, box=BOX))
    return pdf_signer.sign_pdf(IncrementalPdfFileWriter(BytesIO(pdf))).getvalue()


def median_ms(fn, runs: int) -> float:
    fn()  # warm-up: imports, caches
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def verdict(ok: bool) -> str:
    return "OK" if ok else "MISSED"


def main(runs: int = 15) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        demo = create_demo_pki(Path(tmp) / "pki", Path(tmp) / "public", [{"code": "a", "name": "UBND huyện A"}],
                               [{"username": "u", "full_name": NAME, "agency": "a"}], "bench")
        p12 = demo.user_pkcs12_path("u").read_bytes()
        plain_signer = signers.SimpleSigner.load_pkcs12_data(p12, other_certs=[], passphrase=b"bench")
        credential = Pkcs12Credential(p12)
        stamp = SignerStampStyle(signature_png=make_demo_signature_png(NAME), position=POSITION, name=NAME)

        print("PAdES B-B (ETSI.CAdES.detached, SHA-256, RSA-2048) on both sides; visible stamp; "
              f"median of {runs} runs after one warm-up")
        print(f"{'document':<12} {'baseline ms':>12} {'eoffice ms':>11} {'ratio':>7}  target <= 0.33")
        with credential.open("bench") as signer:
            for pages in (1, 30):
                pdf = make_sample_pdf(pages)
                base = median_ms(lambda pdf=pdf: baseline(pdf, plain_signer), runs)
                ours = median_ms(lambda pdf=pdf: sign_pdf(pdf, signer, stamp=stamp, box=BOX, level=Level.B_B),
                                 runs)
                ratio = ours / base
                print(f"{pages:>3} page(s)   {base:>12.1f} {ours:>11.1f} {ratio:>7.2f}  {verdict(ratio <= 1 / 3)}")

        docs = [make_sample_pdf(1)] * BATCH
        start = time.perf_counter()
        for pdf in docs:
            baseline(pdf, plain_signer)
        base_total = time.perf_counter() - start
        # the whole batch as the application runs it: unlock the PKCS#12 with the PIN, sign, lock again
        start = time.perf_counter()
        results = batch_sign(docs, credential, "bench", stamp=stamp, box=BOX, level=Level.B_B)
        total = time.perf_counter() - start
        assert len(results) == BATCH
        print(f"batch of {BATCH}: baseline {base_total:.2f} s ({BATCH / base_total:.0f} docs/s), "
              f"eoffice {total:.2f} s ({BATCH / total:.0f} docs/s), ratio {total / base_total:.2f}  "
              f"target < 5 s: {verdict(total < 5)}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
