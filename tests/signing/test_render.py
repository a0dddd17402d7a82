"""What the stamps look like: pages rendered with poppler's pdftoppm and checked pixel by pixel.

These catch what validation cannot (an image drawn outside its box, a seal on the wrong side, text over the
header). The PNGs stay in pytest's temporary directory for a human to look at.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
from PIL import Image

from eoffice.signing.forms import fill_number_and_date, prepare_signing_copy
from eoffice.signing.layout import AGENCY_FIELD, LEADER_FIELD, MM, TOP_MARGIN, SigningLayout, appendix_box
from eoffice.signing.samples import A4
from eoffice.signing.sign import Level, sign_electronic_copy, sign_pdf
from eoffice.signing.stamps import (SealStampStyle, SignerStampStyle, make_demo_seal_png, make_demo_signature_png,
                                    signature_image_rect)

DPI = 50
LAYOUT = SigningLayout(leader_position="CHỦ TỊCH")
LEADER_STAMP = SignerStampStyle(signature_png=make_demo_signature_png("Nguyễn Văn Đức"), position="CHỦ TỊCH",
                                name="Nguyễn Văn Đức")
SEAL_STAMP = SealStampStyle(seal_png=make_demo_seal_png("UBND huyện Thạnh Trị"))

pytestmark = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed")


def _render(pdf: bytes, tmp_path, name: str) -> Image.Image:
    (tmp_path / f"{name}.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(DPI), "-png", "-singlefile", "-f", "1", "-l", "1",
                    str(tmp_path / f"{name}.pdf"), str(tmp_path / name)], check=True, timeout=60)
    return Image.open(tmp_path / f"{name}.png").convert("RGB")


def _px(box) -> tuple[int, int, int, int]:
    """A PDF box (points, origin bottom left) as a PIL crop box (pixels, origin top left)."""
    k = DPI / 72
    x1, y1, x2, y2 = box
    return round(x1 * k), round((A4[1] - y2) * k), round(x2 * k), round((A4[1] - y1) * k)


def _pixels(img: Image.Image, box, kind: str) -> list[tuple[int, int]]:
    left, top, right, bottom = _px(box)
    tests = {
        "blue": lambda r, g, b: b > 120 and r < 110 and b - r > 60,
        "red": lambda r, g, b: r > 150 and g < 110 and b < 110,
        "ink": lambda r, g, b: r + g + b < 300,
    }
    test = tests[kind]
    return [(x, y) for y in range(top, bottom) for x in range(left, right) if test(*img.getpixel((x, y)))]


def test_leader_number_and_seal_are_where_the_decree_puts_them(pki, make_pdf, tmp_path):
    copy = prepare_signing_copy(make_pdf(), LAYOUT)
    leader = sign_pdf(copy, pki.good.signer, field_name=LEADER_FIELD, stamp=LEADER_STAMP, level=Level.B_B)
    numbered = fill_number_and_date(leader.pdf, "Số: 15/QĐ-UBND", "Thạnh Trị, ngày 05 tháng 01 năm 2026")
    final = sign_pdf(numbered, pki.seal.signer, field_name=AGENCY_FIELD, stamp=SEAL_STAMP, level=Level.B_B).pdf
    page = _render(final, tmp_path, "flow")

    x1, y1, x2, y2 = LAYOUT.leader_box
    ix, iy, iw, ih = signature_image_rect(x2 - x1, y2 - y1, LAYOUT.stamp_font_size, True, True, 2.5)
    image_box = (x1 + ix, y1 + iy, x1 + ix + iw, y1 + iy + ih)
    blue = _pixels(page, image_box, "blue")
    assert len(blue) > 100, "the blue signature image is not inside its place in the signature block"

    # position above the image, name (and signing time) below it, all inside the leader's box
    assert _pixels(page, (x1, image_box[3], x2, y2), "ink"), "no position line above the signature image"
    assert _pixels(page, (x1, y1, x2, image_box[1]), "ink"), "no name below the signature image"

    red = _pixels(page, LAYOUT.leader_box, "red") + _pixels(page, LAYOUT.seal_box(), "red")
    assert red, "no red seal"
    red_xs, blue_xs = sorted(x for x, _ in red), sorted(x for x, _ in blue)
    third = _px((image_box[0] + iw / 3, 0, 0, 0))[0]
    # the seal covers the left third of the signature image: its right edge about a third in, on the left side
    assert abs(red_xs[-1] - third) <= 3, (red_xs[-1], third)
    assert red_xs[0] < blue_xs[0] and sum(red_xs) / len(red_xs) < sum(blue_xs) / len(blue_xs)
    seal_px = _px(LAYOUT.seal_box())
    assert abs((seal_px[2] - seal_px[0]) - 36 * MM * DPI / 72) <= 2  # real size, 36 mm

    assert _pixels(page, LAYOUT.number_box, "ink"), "number not drawn"
    assert _pixels(page, LAYOUT.date_box, "ink"), "date not drawn"


def test_copy_stamp_is_top_right_clear_of_the_header(pki, make_pdf, tmp_path):
    box = appendix_box(*A4, lines=3)
    assert box[1] >= A4[1] - TOP_MARGIN, "the stamp reaches below the top margin, into the header"
    blank = _render(make_pdf(), tmp_path, "unsigned")
    assert not _pixels(blank, box, "ink"), "the sample's header already reaches into the stamp's place"

    signed = sign_electronic_copy(make_pdf(), pki.seal.signer, "SAO Y", "UBND huyện Thạnh Trị", level=Level.B_B)
    page = _render(signed.pdf, tmp_path, "copy")
    ink = _pixels(page, box, "ink")
    assert ink, "the copy stamp is not drawn in its box"
    assert not _pixels(page, box, "red") and not _pixels(page, box, "blue"), "the copy stamp has no image"
    # right-aligned: its ink ends at the box's right edge, far right of the page's centre
    assert max(x for x, _ in ink) >= _px(box)[2] - 3
