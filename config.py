"""eoffice configuration.

Every key lives on `Config` with its default. At start-up each key can be overridden by an environment variable
named `EOFFICE_<KEY>`; values are parsed according to the type of the default. An `EOFFICE_*` variable that names
no key stops start-up, because a misspelt setting that is silently ignored is worse than no start at all.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent

#: Environment variables with the prefix that are not configuration keys: they are read by a command or by the
#: test suite, never by the application object.
NON_CONFIG_VARIABLES = frozenset({"EOFFICE_PIN", "EOFFICE_TEST_DATABASE_URL", "EOFFICE_SHARED_DIR"})


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message says which key and why."""


class Config:
    #: Directory for everything the running instance writes: database, secret key, file store, job store, PKI.
    INSTANCE_PATH = str(BASE_DIR / "instance")
    #: Signing key for sessions and CSRF tokens; generated into the instance directory on first start when empty.
    SECRET_KEY = ""
    #: SQLAlchemy URL; empty means the SQLite file `eoffice.sqlite3` in the instance directory. `DATABASE_URL`
    #: (no prefix) is honoured too, as hosting platforms set it.
    DATABASE_URL = ""
    SQLALCHEMY_ECHO = False
    #: Seconds a SQLite connection waits for the write lock before giving up.
    SQLITE_BUSY_TIMEOUT = 30
    #: Database connections each process keeps open, and how many more it may open under load.
    DATABASE_POOL_SIZE = 5
    DATABASE_MAX_OVERFLOW = 10

    #: Content-addressed file store root; empty means `storage/` in the instance directory.
    STORAGE_PATH = ""
    #: Largest accepted upload, in bytes.
    MAX_CONTENT_LENGTH = 50 * 1024 * 1024

    #: Job queue: empty means the embedded SQLite job store in the instance directory; `redis://host:port/db`
    #: shares the queue between hosts.
    JOBS_URL = ""
    #: Run jobs in the calling process instead of a worker (tests and one-off scripts only).
    JOBS_IMMEDIATE = False
    #: Queue name on a shared Redis, so that several deployments (or test runs) do not take each other's jobs.
    JOBS_QUEUE_NAME = "eoffice"
    #: Minutes between two sweeps for jobs left queued by a crash (they are queued again).
    JOBS_SWEEP_MINUTES = 10
    #: Minutes between two periodic checks of the audit chain.
    AUDIT_CHECK_MINUTES = 60

    #: Cookies travel only over HTTPS. `make run` turns this off for the plain-HTTP address it serves locally.
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    WTF_CSRF_ENABLED = True
    #: Seconds an API bearer token stays valid.
    API_TOKEN_LIFETIME = 8 * 3600

    #: Password policy and lockout.
    PASSWORD_MIN_LENGTH = 10
    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCKOUT_MINUTES = 15
    #: argon2id cost (argon2-cffi's RFC 9106 "low memory" profile by default).
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_KIB = 65536

    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    LANGUAGES = ("vi", "en")

    #: Rate limits (Flask-Limiter syntax) and their storage; empty storage means in-process memory.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_LOGIN = "20 per minute"

    #: Keys that seal secrets at rest (stored PKCS#12 files, remote-signing tokens): comma-separated Fernet keys,
    #: newest first, so a key can be rotated in; empty means one generated into the instance directory.
    SECRET_BOX_KEYS = ""
    #: Signing: the timestamp authority (RFC 3161 URL; empty uses the demo PKI's TSA in demo mode, else none),
    #: the PAdES level asked for, and whether a failing TSA may downgrade to B-B (recorded) instead of failing.
    TSA_URL = ""
    SIGNING_LEVEL = "B-T"
    SIGNING_ALLOW_DOWNGRADE = False
    #: Remote signing services the server may call (comma-separated URL prefixes, e.g.
    #: `https://ky.example.gov.vn/api`): a remote key can be registered, and used, only at an address under one of
    #: them (same scheme and host:port, path under the prefix's). Empty allows none, so the server never fetches an
    #: address a user typed (SSRF).
    REMOTE_SIGNING_ALLOWED_URLS = ()
    #: Wrong PINs before a signing credential locks, and for how long.
    PIN_MAX_FAILURES = 5
    PIN_LOCKOUT_MINUTES = 15
    #: Where the demo PKI lives (private keys stay here); empty means `pki/` in the instance directory.
    PKI_PATH = ""
    #: Where the demo PKI's public certificates are written; empty means `pki/public` in the instance directory.
    PKI_PUBLIC_PATH = ""
    #: Base URL under which the demo PKI answers OCSP, CRL and TSA requests (written into its certificates).
    DEMO_PKI_URL = "http://127.0.0.1:5000/pki"
    #: Fetch OCSP responses and CRLs while verifying; off means offline mode, which uses only the revocation data
    #: embedded in the PDF (B-LT and later) and reports the status as unknown otherwise.
    VERIFY_REVOCATION_ONLINE = False
    #: Verification of untrusted PDFs runs in a child process with these limits.
    VERIFY_TIMEOUT_SECONDS = 30
    VERIFY_MEMORY_MB = 1024
    VERIFY_MAX_BYTES = 50 * 1024 * 1024
    #: Warm verification worker processes per server process (started on first use, pyHanko already imported).
    VERIFY_WORKERS = 2
    #: Verifications admitted at once per server process (running, or waiting for a free worker); beyond that a
    #: request waits up to VERIFY_QUEUE_WAIT_SECONDS for a slot, then gets 503 verifier_busy with Retry-After.
    VERIFY_MAX_CONCURRENT = 4
    VERIFY_QUEUE_WAIT_SECONDS = 2
    VERIFY_RETRY_AFTER_SECONDS = 5
    #: A worker is replaced by a fresh one after this many files.
    VERIFY_RECYCLE_AFTER = 200
    #: Hours a verification report stays downloadable (the reports of the public page are not kept longer).
    VERIFY_REPORT_HOURS = 24
    #: Rate limit of the public verification page.
    RATELIMIT_VERIFY = "20 per minute"

    #: Incoming documents: largest accepted PDF (main file or attachment), in bytes; larger uploads are refused.
    INCOMING_MAX_FILE_BYTES = 30 * 1024 * 1024
    #: Minutes between two runs of the deadline reminders (near-due and overdue notifications).
    INCOMING_REMINDER_MINUTES = 60

    #: The deployment's trust list: a directory of root certificates (PEM or DER, one or more per file) kept by the
    #: operator. The public verification page and anonymous use trust only these (plus the demo root in demo
    #: mode); an agency's users trust these and their agency's own anchors. See certs/README.md.
    TRUST_LIST_PATH = str(BASE_DIR / "certs" / "trust")
    #: Exchange: largest edXML package accepted, in bytes, checked before any parsing. Each base64 attachment is
    #: also bound by libxml2's 10 MB text-node limit (the hardened parser keeps huge_tree off).
    EXCHANGE_MAX_PACKAGE_BYTES = 50 * 1024 * 1024
    #: Exchange delivery: attempts before a package is dead-lettered, the first back-off (doubled after each
    #: failure), the minutes between two sweeps of the outbox, and the HTTP transport's timeout.
    EXCHANGE_MAX_ATTEMPTS = 6
    EXCHANGE_RETRY_BASE_SECONDS = 60
    EXCHANGE_SWEEP_MINUTES = 1
    EXCHANGE_HTTP_TIMEOUT_SECONDS = 30
    #: Demo mode: the demo PKI root is trusted only when this is on.
    DEMO_MODE = False
    LOG_LEVEL = "INFO"


class TestingConfig(Config):
    TESTING = True
    WTF_CSRF_ENABLED = False
    SESSION_COOKIE_SECURE = False
    JOBS_IMMEDIATE = True
    # Immediate jobs run inside the request that queued them, on a second connection: the concurrency tests put
    # twenty requests and their jobs on one process at once.
    DATABASE_POOL_SIZE = 20
    DATABASE_MAX_OVERFLOW = 20
    RATELIMIT_STORAGE_URI = "memory://"
    # Hashing cost is not what the tests examine; the lowest argon2 cost keeps the suite fast.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_KIB = 1024
    # Many tests log in from the same test client address; the rate-limit test sets its own low limit.
    RATELIMIT_LOGIN = "10000 per minute"
    RATELIMIT_VERIFY = "10000 per minute"


def _parse(key: str, raw: str, default: object) -> object:
    if isinstance(default, bool):
        lowered = raw.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off", ""}:
            return False
        raise ConfigError(f"EOFFICE_{key}: expected a boolean (1/0, true/false), got {raw!r}")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"EOFFICE_{key}: expected an integer, got {raw!r}") from None
    if isinstance(default, timedelta):
        try:
            return timedelta(seconds=int(raw))
        except ValueError:
            raise ConfigError(f"EOFFICE_{key}: expected a number of seconds, got {raw!r}") from None
    if isinstance(default, tuple):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return raw


def config_keys(config_class: type) -> dict[str, object]:
    return {key: getattr(config_class, key) for key in dir(config_class) if key.isupper()}


def load_settings(config_class: type = Config, environ: dict[str, str] | None = None) -> dict[str, object]:
    """Return the settings of `config_class` with the `EOFFICE_*` overrides of `environ` applied.

    Raises ConfigError naming the variable when a variable names no key or its value does not parse.
    """
    environ = os.environ if environ is None else environ
    settings = config_keys(config_class)
    unknown = sorted(
        name for name in environ
        if name.startswith("EOFFICE_") and name not in NON_CONFIG_VARIABLES and name[8:] not in settings
    )
    if unknown:
        raise ConfigError(f"Unknown configuration key: {', '.join(unknown)} (see config.py for the valid keys)")
    for key, default in list(settings.items()):
        name = f"EOFFICE_{key}"
        if name in environ:
            settings[key] = _parse(key, environ[name], default)
    if not settings["DATABASE_URL"] and environ.get("DATABASE_URL"):
        settings["DATABASE_URL"] = environ["DATABASE_URL"]
    return settings
