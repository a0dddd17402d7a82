"""Values and helpers shared by test modules (importable because setup.cfg puts tests/ on the path)."""

#: Password of every demo user created by the `demo` fixture.
PASSWORD = "Test-password-2026"


def run_at_once(work, items, timeout: float = 180) -> list:
    """Run `work(item, start)` in one thread per item and return what each returned.

    Each worker does its own setup, then calls `start()`, which holds it until every worker is ready, so the
    racing part really overlaps. Any exception in a worker fails the calling test with all of them listed.
    """
    import threading

    barrier = threading.Barrier(len(items))
    results, errors = [], []

    def worker(item):
        try:
            results.append(work(item, lambda: barrier.wait(timeout=30)))
        except Exception as exc:  # collected and asserted below
            errors.append(repr(exc))

    threads = [threading.Thread(target=worker, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not errors, errors
    return results


def day(offset: int = 0):
    """Today in Vietnam moved by `offset` days: tests compute their dates so that none expires with the calendar."""
    from datetime import timedelta

    from eoffice.core.time import local_today

    return local_today() + timedelta(days=offset)


def iso_day(offset: int = 0) -> str:
    """`day(offset)` as yyyy-mm-dd, the form the API and the date inputs take."""
    return day(offset).isoformat()
