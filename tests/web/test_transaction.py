"""The lock mode of a request on SQLite: writing requests begin with BEGIN IMMEDIATE, so concurrent writers wait
for each other instead of failing; GET views that write (access logs) are marked and treated the same."""

import pytest

from eoffice.core.db import sqlite_immediate


@pytest.mark.parametrize("endpoint", ["incoming.show", "incoming.download", "api.incoming_show", "api.incoming_file"])
def test_get_views_that_write_are_marked(app, endpoint):
    assert getattr(app.view_functions[endpoint], "eoffice_writes_on_get", False) is True


def test_lock_mode_follows_the_method_and_the_marker(app, client, demo, login, monkeypatch):
    from eoffice.web import views

    seen = []
    original = views.home_counts
    monkeypatch.setattr(views, "home_counts", lambda actor: seen.append(sqlite_immediate.get()) or original(actor))
    login("thanhtri-clerk")
    client.get("/")
    assert seen == [False]  # a plain page reads only
    view = app.view_functions["web.home"]
    monkeypatch.setattr(view, "eoffice_writes_on_get", True, raising=False)
    client.get("/")
    assert seen == [False, True]
