"""WSGI entry point: `flask --app wsgi …` and any WSGI server load `app` from here."""

from eoffice import create_app

app = create_app()
