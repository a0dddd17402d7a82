"""Password hashing (argon2id through argon2-cffi) and the password policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _

def _hasher() -> PasswordHasher:
    """The application's hasher: argon2id with the configured cost (lowered only by the test configuration)."""
    config = current_app.config
    key = (config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_KIB"])
    cached = current_app.extensions.get("eoffice.argon2")
    if cached is None or cached[0] != key:
        hasher = PasswordHasher(time_cost=key[0], memory_cost=key[1])
        # Verified against when the username does not exist, so that a wrong username costs the same time as a
        # wrong password and does not reveal which usernames exist.
        cached = (key, hasher, hasher.hash("eoffice-timing-equaliser"))
        current_app.extensions["eoffice.argon2"] = cached
    return cached[1]


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    hasher = _hasher()
    try:
        return hasher.verify(password_hash or current_app.extensions["eoffice.argon2"][2], password) \
            and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


def password_problems(password: str, username: str = "", min_length: int | None = None) -> dict[str, str]:
    """Return the rules `password` breaks, as {rule code: message} (empty when it is acceptable)."""
    if min_length is None:
        min_length = current_app.config["PASSWORD_MIN_LENGTH"]
    problems = {}
    if len(password) < min_length:
        problems["min_length"] = _("at least %(n)d characters", n=min_length)
    if not any(c.isalpha() for c in password):
        problems["letter"] = _("at least one letter")
    if not any(c.isdigit() for c in password):
        problems["digit"] = _("at least one digit")
    if username and username.lower() in password.lower():
        problems["username"] = _("must not contain the username")
    return problems
