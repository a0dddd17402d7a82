"""eoffice: document flow for Vietnamese state agencies."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from flask import Flask

from config import Config, load_settings


def create_app(config_class: type = Config, overrides: dict | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints and commands, nothing else."""
    settings = load_settings(config_class)
    settings.update(overrides or {})
    instance_path = Path(settings["INSTANCE_PATH"]).resolve()
    app = Flask(__name__, static_folder="web/static", instance_path=str(instance_path),
                instance_relative_config=False)
    app.config.update(settings)
    _finish_config(app)
    logging.basicConfig(level=app.config["LOG_LEVEL"], format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    from eoffice import extensions as ext
    from eoffice.core.storage import FileStore

    ext.db.init_app(app)
    ext.migrate.init_app(app, ext.db, directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    ext.csrf.init_app(app)
    ext.limiter.init_app(app)
    app.extensions["eoffice.storage"] = FileStore(app.config["STORAGE_PATH"])

    _import_modules()
    ext.jobs.init_app(app)
    from eoffice.signing.verify import pool as verifier_pool

    # The process's verifier pool takes this application's limits (it starts on the first verification).
    verifier_pool.configure_from(app.config)
    _configure_database(app)

    from eoffice.web import init_web

    init_web(app)
    _register_cli(app)
    _mount_demo_pki(app)
    return app


def _mount_demo_pki(app: Flask) -> None:
    """In demo mode, answer the OCSP, CRL and TSA requests of the demo PKI under /pki, as its certificates say."""
    if not app.config["DEMO_MODE"]:
        return
    pki_dir = Path(app.config["PKI_PATH"] or Path(app.instance_path) / "pki")
    if not (pki_dir / "certomancer.yml").is_file():
        return
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    from eoffice.signing.pki import load_demo_pki

    animator = load_demo_pki(pki_dir, pki_dir / "public").wsgi_app()
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {"/pki": animator})


def _finish_config(app: Flask) -> None:
    config = app.config
    os.makedirs(app.instance_path, exist_ok=True)
    if not config["DATABASE_URL"]:
        config["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'eoffice.sqlite3'}"
    url = config["DATABASE_URL"]
    # psycopg 3 is the PostgreSQL driver; accept the plain scheme that hosting platforms hand out.
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix):]
    config["SQLALCHEMY_DATABASE_URI"] = url
    pool = {"pool_size": config["DATABASE_POOL_SIZE"], "max_overflow": config["DATABASE_MAX_OVERFLOW"]}
    if url.startswith("sqlite"):
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": config["SQLITE_BUSY_TIMEOUT"]}, **pool}
    else:
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True, **pool}
    config["STORAGE_PATH"] = config["STORAGE_PATH"] or str(Path(app.instance_path) / "storage")
    if not config["SECRET_KEY"]:
        config["SECRET_KEY"] = _instance_secret(Path(app.instance_path) / "secret_key")


def _instance_secret(path: Path) -> str:
    """Read the instance's secret key, creating it (readable by the owner only) on first start."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        key = secrets.token_hex(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(key)
        return key


def _import_modules() -> None:
    # Models must be imported before metadata is used; listeners and tasks register themselves on import.
    import eoffice.accounts.models  # noqa: F401
    import eoffice.audit.listeners  # noqa: F401
    import eoffice.audit.models  # noqa: F401
    import eoffice.audit.tasks  # noqa: F401
    import eoffice.core.files  # noqa: F401
    import eoffice.core.jobs  # noqa: F401
    import eoffice.core.tasks  # noqa: F401
    import eoffice.exchange.listeners  # noqa: F401
    import eoffice.exchange.models  # noqa: F401
    import eoffice.exchange.tasks  # noqa: F401
    import eoffice.incoming.listeners  # noqa: F401
    import eoffice.incoming.models  # noqa: F401
    import eoffice.incoming.tasks  # noqa: F401
    import eoffice.outgoing.models  # noqa: F401
    import eoffice.registry.models  # noqa: F401
    import eoffice.signing.models  # noqa: F401
    import eoffice.signing.tasks  # noqa: F401


def _configure_database(app: Flask) -> None:
    from eoffice.core.db import configure_sqlite_engine
    from eoffice.extensions import db

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite_engine(db.engine, app.config["SQLITE_BUSY_TIMEOUT"])


def _register_cli(app: Flask) -> None:
    from eoffice.cli import eoffice_cli
    from eoffice.audit.cli import audit_cli
    from eoffice.core.cli import jobs_cli
    from eoffice.exchange.cli import exchange_cli
    from eoffice.signing.cli import signing_cli

    for group in (eoffice_cli, audit_cli, jobs_cli, signing_cli, exchange_cli):
        app.cli.add_command(group)
