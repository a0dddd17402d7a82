"""The deadline reminder job: near-due (within two working days, Monday to Friday) and overdue notifications,
once per assignment, user and kind, shown as a count in the navigation and on the notifications page."""

from datetime import date

from sqlalchemy import select


def _run(app, today: str):
    return app.extensions["eoffice.jobs"].run_now("incoming.deadline_reminders", today)


def test_working_days_skip_the_weekend():
    from eoffice.incoming.services import working_days_between

    friday = date(2026, 11, 20)
    assert working_days_between(friday, date(2026, 11, 23)) == 1  # Monday
    assert working_days_between(friday, date(2026, 11, 24)) == 2
    assert working_days_between(friday, date(2026, 11, 25)) == 3
    assert working_days_between(friday, friday) == 0


def test_reminders_notify_near_due_and_overdue_once_each(app, client, login, world, db_session):
    specialist, admin = world.user("thanhtri-specialist"), world.user("thanhtri-admin")
    # Friday 20/11/2026: Tuesday 24/11 is two working days away, Wednesday 25/11 three.
    near = world.directed(lead={"user_id": specialist.id, "deadline": date(2026, 11, 24)})
    far = world.register(world.receive(code_number="2"))
    world.direct(far, lead={"user_id": specialist.id, "deadline": date(2026, 11, 25)})
    unit_work = world.register(world.receive(code_number="3"))
    world.direct(unit_work, lead={"unit_id": world.unit("thanhtri", "VP").id, "deadline": date(2026, 11, 19)})
    assert _run(app, "2026-11-20") == {"near_due": 1, "overdue": 3}  # VP has three members: admin, clerk, leader
    from eoffice.incoming.models import Notification

    rows = {(n.user_id, n.kind, n.assignment_id) for n in db_session.scalars(select(Notification))}
    assert (specialist.id, "near_due", near.assignments[0].id) in rows
    assert (admin.id, "overdue", unit_work.assignments[0].id) in rows
    assert not any(a == far.assignments[0].id for _u, _k, a in rows)
    # Running again the same day gives nothing new; two days later the near one is overdue (a new kind).
    assert _run(app, "2026-11-20") == {"near_due": 0, "overdue": 0}
    assert _run(app, "2026-11-25") == {"near_due": 1, "overdue": 1}  # far is now near; near is now overdue
    # Done work is not chased.
    from eoffice.incoming import services

    services.complete_assignment(far.assignments[0], actor=specialist)
    db_session.commit()
    assert _run(app, "2026-11-30") == {"near_due": 0, "overdue": 0}
    login("thanhtri-specialist")
    page = client.get("/incoming/notifications").get_data(as_text=True)
    assert 'data-testid="notification-count">3<' in page
    assert page.count('data-kind="near_due"') == 2 and page.count('data-kind="overdue"') == 1
    client.post("/incoming/notifications/read")
    assert 'data-testid="notification-count"' not in client.get("/incoming/notifications").get_data(as_text=True)
