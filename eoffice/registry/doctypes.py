"""The administrative document types of Decree 30/2020 (Art. 7) with the abbreviations of its Phụ lục III.

Công văn and Thư công have no abbreviation: their symbol names the issuer and the drafting unit instead
(`05/UBND-VP`). "CV" is not a Decree 30 abbreviation and must not be invented.
"""

# (code, name, abbreviation or None)
DECREE_30_TYPES = (
    ("NQ", "Nghị quyết", "NQ"),
    ("QD", "Quyết định", "QĐ"),
    ("CT", "Chỉ thị", "CT"),
    ("QC", "Quy chế", "QC"),
    ("QYD", "Quy định", "QyĐ"),
    ("TC", "Thông cáo", "TC"),
    ("TB", "Thông báo", "TB"),
    ("HD", "Hướng dẫn", "HD"),
    ("CTR", "Chương trình", "CTr"),
    ("KH", "Kế hoạch", "KH"),
    ("PA", "Phương án", "PA"),
    ("DEAN", "Đề án", "ĐA"),
    ("DA", "Dự án", "DA"),
    ("BC", "Báo cáo", "BC"),
    ("BB", "Biên bản", "BB"),
    ("TTR", "Tờ trình", "TTr"),
    ("HDONG", "Hợp đồng", "HĐ"),
    ("CV", "Công văn", None),
    ("CD", "Công điện", "CĐ"),
    ("BGN", "Bản ghi nhớ", "BGN"),
    ("BTT", "Bản thỏa thuận", "BTT"),
    ("GUQ", "Giấy ủy quyền", "GUQ"),
    ("GM", "Giấy mời", "GM"),
    ("GGT", "Giấy giới thiệu", "GGT"),
    ("GNP", "Giấy nghỉ phép", "GNP"),
    ("PG", "Phiếu gửi", "PG"),
    ("PC", "Phiếu chuyển", "PC"),
    ("PB", "Phiếu báo", "PB"),
    ("THC", "Thư công", None),
)
