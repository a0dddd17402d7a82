"""The deadline reminder job: near-due (within two working days, Monday to Friday) and overdue notifications,
once per assignment, user and kind, shown as a count in the navigation and on the notifications page."""

from datetime import timedelta

from sqlalchemy import select

from support import day

# A Friday at least a week from today: the scenario's dates are computed from it, so the test holds on any date.
FRIDAY = day(7) + timedelta(days=(4 - day(7).weekday()) % 7)


def _d(offset: int):
    return FRIDAY + timedelta(days=offset)


def _run(app, offset: int):
    return app.extensions["eoffice.jobs"].run_now("incoming.deadline_reminders", _d(offset).isoformat())


def test_working_days_skip_the_weekend():
    from eoffice.incoming.services import working_days_between

    assert working_days_between(FRIDAY, _d(3)) == 1  # Monday
    assert working_days_between(FRIDAY, _d(4)) == 2
    assert working_days_between(FRIDAY, _d(5)) == 3
    assert working_days_between(FRIDAY, FRIDAY) == 0


def test_reminders_notify_near_due_and_overdue_once_each(app, client, login, world, db_session):
    specialist, admin = world.user("thanhtri-specialist"), world.user("thanhtri-admin")
    # From the Friday, the Tuesday after is two working days away, the Wednesday three.
    near = world.directed(lead={"user_id": specialist.id, "deadline": _d(4)})
    far = world.register(world.receive(code_number="2"))
    world.direct(far, lead={"user_id": specialist.id, "deadline": _d(5)})
    unit_work = world.register(world.receive(code_number="3"))
    world.direct(unit_work, lead={"unit_id": world.unit("thanhtri", "VP").id, "deadline": _d(-1)})
    assert _run(app, 0) == {"near_due": 1, "overdue": 3}  # VP has three members: admin, clerk, leader
    from eoffice.incoming.models import Notification

    rows = {(n.user_id, n.kind, n.assignment_id) for n in db_session.scalars(select(Notification))}
    assert (specialist.id, "near_due", near.assignments[0].id) in rows
    assert (admin.id, "overdue", unit_work.assignments[0].id) in rows
    assert not any(a == far.assignments[0].id for _u, _k, a in rows)
    # Running again the same day gives nothing new; two days later the near one is overdue (a new kind).
    assert _run(app, 0) == {"near_due": 0, "overdue": 0}
    assert _run(app, 5) == {"near_due": 1, "overdue": 1}  # far is now near; near is now overdue
    # Done work is not chased.
    from eoffice.incoming import services

    services.complete_assignment(far.assignments[0], actor=specialist)
    db_session.commit()
    assert _run(app, 10) == {"near_due": 0, "overdue": 0}
    login("thanhtri-specialist")
    page = client.get("/incoming/notifications").get_data(as_text=True)
    assert 'data-testid="notification-count">3<' in page
    assert page.count('data-kind="near_due"') == 2 and page.count('data-kind="overdue"') == 1
    client.post("/incoming/notifications/read")
    assert 'data-testid="notification-count"' not in client.get("/incoming/notifications").get_data(as_text=True)
