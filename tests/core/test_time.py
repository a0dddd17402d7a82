from datetime import date, datetime, timezone

from eoffice.core.time import format_date, format_datetime, format_iso, iso_local


def test_dates_are_shown_in_vietnam_time():
    late_utc = datetime(2026, 12, 31, 18, 30, tzinfo=timezone.utc)  # already 1 January in Hanoi
    assert format_date(late_utc) == "01/01/2027"
    assert format_datetime(late_utc) == "01/01/2027 01:30"
    assert format_date(date(2026, 3, 5)) == "05/03/2026"
    assert iso_local(late_utc) == "2027-01-01T01:30:00+07:00"


def test_report_timestamps_are_localised():
    assert format_iso("2026-11-22T03:12:40+00:00") == "22/11/2026 10:12:40"
    assert format_iso("2026-11-22T03:12:40.358691+00:00") == "22/11/2026 10:12:40"
    assert format_iso(None) == "" and format_iso("not a time") == "not a time"
