"""HTTP infrastructure: the transaction per request, the error envelope, login, locale, templates."""

from __future__ import annotations

from flask import Flask, g, has_request_context, request, session
from flask_login import current_user

from eoffice.core.time import format_date, format_datetime, format_iso


def init_web(app: Flask) -> None:
    from eoffice.extensions import babel, login_manager
    from eoffice.web import errors, transaction

    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: app.config["BABEL_DEFAULT_TIMEZONE"])
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"
    login_manager.user_loader(_load_user)

    transaction.init_app(app)
    errors.init_app(app)
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["iso_local"] = format_iso
    app.before_request(_set_web_actor)
    app.context_processor(_template_globals)

    from eoffice.accounts.views import bp as accounts_bp
    from eoffice.api import bp as api_bp
    from eoffice.audit.views import bp as audit_bp
    from eoffice.exchange.transmission_views import bp as transmissions_bp
    from eoffice.exchange.endpoint import bp as exchange_endpoint_bp
    from eoffice.exchange.views import bp as exchange_bp
    from eoffice.incoming.views import bp as incoming_bp
    from eoffice.outgoing.views import bp as outgoing_bp
    from eoffice.registry.views import bp as registry_bp
    from eoffice.signing.views import bp as signing_bp
    from eoffice.web.views import bp as web_bp

    for blueprint in (web_bp, accounts_bp, registry_bp, audit_bp, signing_bp, api_bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(incoming_bp)
    app.register_blueprint(outgoing_bp)
    app.register_blueprint(exchange_bp)
    app.register_blueprint(exchange_endpoint_bp)
    app.register_blueprint(transmissions_bp)


def select_locale() -> str:
    from flask import current_app

    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # commands and jobs speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if current_user and getattr(current_user, "is_authenticated", False) and current_user.locale in languages:
        return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _load_user(user_id: str):
    from eoffice.accounts.models import User
    from eoffice.extensions import db

    user = db.session.get(User, int(user_id))
    # A locked or deactivated account loses its open sessions too.
    if user is None or not user.active or user.is_locked():
        return None
    return user


def _template_globals() -> dict:
    from flask_babel import get_locale

    from eoffice.core.permissions import ROLE_LABELS
    from eoffice.core.time import to_local, utcnow

    return {"role_labels": ROLE_LABELS, "now_local": lambda: to_local(utcnow()), "get_locale": get_locale}


def _set_web_actor() -> None:
    # The API authenticates by bearer token only (see eoffice.api); a browser session never acts there.
    if request.blueprint != "api" and current_user.is_authenticated:
        g.actor = current_user._get_current_object()
