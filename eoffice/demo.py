"""The demo data set of `eoffice demo`: two agencies of Sóc Trăng province with units, users and books.

The identifier codes follow the `000.00.00.X00` shape of the national directory but are made up for the demo.
"""

from __future__ import annotations

from sqlalchemy import select

from eoffice.accounts import services as accounts
from eoffice.accounts.models import Agency
from eoffice.core.permissions import ADMIN, CLERK, LEADER, SPECIALIST
from eoffice.extensions import db
from eoffice.registry import services as registry
from eoffice.registry.models import IN, OUT

DEFAULT_PASSWORD = "eOffice@2026"

AGENCIES = [
    {
        "slug": "thanhtri", "name": "Ủy ban nhân dân huyện Thạnh Trị", "abbreviation": "UBND",
        "code": "000.00.31.H55", "organization_in_charge": "Ủy ban nhân dân tỉnh Sóc Trăng",
        "address": "Thị trấn Phú Lộc, huyện Thạnh Trị, tỉnh Sóc Trăng", "place": "Thạnh Trị",
        "email": "ubnd@thanhtri.soctrang.gov.vn", "telephone": "0299 3866 123", "website": "thanhtri.soctrang.gov.vn",
        "units": [("Văn phòng HĐND và UBND", "VP"), ("Phòng Nội vụ", "NV"), ("Phòng Tài chính - Kế hoạch", "TCKH"),
                  ("Phòng Tư pháp", "TP")],
        "users": {
            ADMIN: ("Lâm Quốc Huy", "Chuyên viên công nghệ thông tin", "VP"),
            CLERK: ("Nguyễn Thị Thu Hà", "Văn thư", "VP"),
            LEADER: ("Trần Văn Đức", "Chủ tịch", "VP"),
            SPECIALIST: ("Lê Minh Tuấn", "Chuyên viên", "NV"),
        },
    },
    {
        "slug": "sonoivu", "name": "Sở Nội vụ tỉnh Sóc Trăng", "abbreviation": "SNV",
        "code": "000.05.00.H55", "organization_in_charge": "Ủy ban nhân dân tỉnh Sóc Trăng",
        "address": "Số 4 Lê Lợi, Phường 1, thành phố Sóc Trăng, tỉnh Sóc Trăng", "place": "Sóc Trăng",
        "email": "sonoivu@soctrang.gov.vn", "telephone": "0299 3822 456", "website": "sonoivu.soctrang.gov.vn",
        "units": [("Văn phòng Sở", "VP"), ("Phòng Tổ chức - Biên chế", "TCBC"), ("Phòng Cải cách hành chính", "CCHC"),
                  ("Chi cục Văn thư - Lưu trữ", "CCVTLT")],
        "users": {
            ADMIN: ("Huỳnh Thanh Phong", "Chuyên viên công nghệ thông tin", "VP"),
            CLERK: ("Phạm Thị Ngọc Ánh", "Văn thư", "VP"),
            LEADER: ("Nguyễn Thị Hồng Nhung", "Giám đốc", "VP"),
            SPECIALIST: ("Đặng Quốc Khánh", "Chuyên viên", "TCBC"),
        },
    },
]

BOOKS = [("Sổ văn bản đi", OUT, False), ("Sổ văn bản đi (Mật)", OUT, True),
         ("Sổ văn bản đến", IN, False), ("Sổ văn bản đến (Mật)", IN, True)]


def load_demo(password: str = DEFAULT_PASSWORD) -> list[Agency]:
    """Create the demo agencies that do not exist yet (flushes; the command commits). Returns those created."""
    created = []
    for spec in AGENCIES:
        if db.session.scalar(select(Agency).where(Agency.slug == spec["slug"])) is not None:
            continue
        fields = {k: v for k, v in spec.items() if k not in ("units", "users")}
        agency = accounts.create_agency(**fields)
        units = {abbr: accounts.create_unit(agency, name=name, abbreviation=abbr) for name, abbr in spec["units"]}
        for role, (full_name, position, unit) in spec["users"].items():
            accounts.create_user(agency, username=f"{agency.slug}-{role}", password=password, full_name=full_name,
                                 position=position, unit_id=units[unit].id, roles=[role],
                                 email=f"{role}@{agency.slug}.example.vn")
        for name, direction, secret in BOOKS:
            registry.create_book(agency, name=name, direction=direction, secret=secret)
        created.append(agency)
    _make_local_partners()
    return created


def _make_local_partners() -> None:
    """Each demo agency is a local exchange partner of the other (contact data taken from the agency)."""
    from eoffice.exchange.models import LOCAL, ExchangePartner
    from eoffice.exchange.services import create_partner

    agencies = db.session.scalars(select(Agency).where(Agency.slug.in_([a["slug"] for a in AGENCIES]))).all()
    for agency in agencies:
        for other in agencies:
            if other.id == agency.id or db.session.scalar(select(ExchangePartner.id).where(
                    ExchangePartner.agency_id == agency.id, ExchangePartner.organ_id == other.code)):
                continue
            create_partner(agency, {"kind": LOCAL, "organ_id": other.code})


def configure_demo_workflow(agencies: list[Agency]) -> None:
    """The approval chain of the demo agencies: the office checks the format (clerk), then the signer approves.

    The default chain starts with the head of the drafting unit, and no demo unit has a leader of its own, so
    without this a demo draft could not be submitted. The test suite keeps the default chain.
    """
    from eoffice.outgoing.models import FORMAT_CHECK, SIGNER
    from eoffice.outgoing.services import define_step

    for agency in agencies:
        define_step(agency, kind=FORMAT_CHECK, position=1, name="Văn phòng kiểm tra thể thức")
        define_step(agency, kind=SIGNER, position=2, name="Người có thẩm quyền ký")
