"""One transaction per request, committed at the edge (Indico's RH.process, as Flask hooks).

A request that ends with a response below 400 commits; any error rolls back, unless the error asked to keep its
changes (a failed login must count). Side effects queued with `core.transaction.after_commit` run after the
commit. On SQLite, requests that may write begin with BEGIN IMMEDIATE (see `core.db.sqlite_immediate`).
"""

from flask import Flask, g, request

from eoffice.core.db import sqlite_immediate

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def writes_on_get(view):
    """Mark a GET view that writes (an access-log entry, a read mark): on SQLite it must take the write lock at
    BEGIN like any POST, or two such views at once could fail instead of waiting for each other."""
    view.eoffice_writes_on_get = True
    return view


def reads_before_writing(view):
    """Mark a POST view that receives a large upload and reads before it writes, closing that read transaction
    itself before the slow part (`core.db.end_transaction_for_slow_work`): on SQLite it begins without the write
    lock, so a slow upload, parse or verification never holds it; what it writes afterwards begins a transaction
    that takes the lock at BEGIN like any other write."""
    view.eoffice_reads_first = True
    return view


def init_app(app: Flask) -> None:
    from eoffice.extensions import db

    @app.before_request
    def _choose_lock_mode():
        view = app.view_functions.get(request.endpoint)
        writes = ((request.method not in SAFE_METHODS and not getattr(view, "eoffice_reads_first", False))
                  or getattr(view, "eoffice_writes_on_get", False))
        sqlite_immediate.set(writes)

    @app.after_request
    def _commit_or_roll_back(response):
        if response.status_code < 400 or g.get("keep_changes"):
            db.session.commit()
        else:
            db.session.rollback()
        return response

    @app.teardown_request
    def _roll_back_on_exception(exc):
        if exc is not None:
            db.session.rollback()
