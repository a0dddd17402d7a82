"""Where the signing copy's fields go on the page (PDF points, origin bottom left).

The defaults follow the A4 Decree-30 grid: number and symbol (ô 3) under the issuer name on the left of the
first page, place and date (ô 4) under the national motto on the right, the signature block (ô 7) in the
right half of the last page, and the agency seal (ô 8) at real size covering the left third of the signer's
image.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .stamps import signature_image_rect

MM = 72 / 25.4
SEAL_DIAMETER = 36 * MM  # a Vietnamese agency seal is 35–42 mm across
SIGNATURE_RATIO = 2.5  # width/height of the demo signature images; uploads are fitted into the same area

LEADER_FIELD = "ChuKyLanhDao"
AGENCY_FIELD = "ChuKyCoQuan"
NUMBER_FIELD = "SoKyHieu"
DATE_FIELD = "NgayBanHanh"

Box = tuple[float, float, float, float]

__all__ = ["SigningLayout", "Box", "MM", "SEAL_DIAMETER", "TOP_MARGIN", "LEADER_FIELD", "AGENCY_FIELD", "NUMBER_FIELD",
           "DATE_FIELD", "appendix_box"]


@dataclass(frozen=True)
class SigningLayout:
    """Positions of the four fields of a signing copy. Page indexes may be negative (-1 = last page)."""

    signature_page: int = -1
    leader_box: Box = (320.0, 120.0, 540.0, 260.0)
    text_page: int = 0
    number_box: Box = (60.0, 730.0, 270.0, 748.0)
    date_box: Box = (290.0, 730.0, 560.0, 748.0)
    leader_position: str = ""
    stamp_font_size: float = 12
    seal_diameter: float = SEAL_DIAMETER
    agency_box: Box | None = field(default=None)

    def seal_box(self) -> Box:
        """The agency field: the seal's real size, its right edge a third into the signer's image."""
        if self.agency_box is not None:
            return self.agency_box
        x1, y1, x2, y2 = self.leader_box
        img_x, img_y, img_w, img_h = signature_image_rect(
            x2 - x1, y2 - y1, self.stamp_font_size, bool(self.leader_position), True, SIGNATURE_RATIO)
        right = x1 + img_x + img_w / 3
        centre_y = y1 + img_y + img_h / 2
        d = self.seal_diameter
        return (right - d, centre_y - d / 2, right, centre_y + d / 2)


TOP_MARGIN = 20 * MM  # the decree's top margin is 20–25 mm: a document's header starts no higher than this


def appendix_box(page_width: float, page_height: float, lines: int, font_size: float = 10) -> Box:
    """Top right of a page, inside the decree's top margin, right edge on its 15–20 mm right margin.

    The box stands on the margin line and grows upwards, so that even the three lines of an electronic copy
    (form, agency, time) stay clear of the document's header (a box hanging from a fixed point near the paper's
    edge reached into the header at three lines).
    """
    right, bottom = page_width - 18 * MM, page_height - TOP_MARGIN + 1
    return (right - 70 * MM, bottom, right, bottom + lines * font_size * 1.2 + 1)
