"""Password hashing (argon2id through argon2-cffi) and the password policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _

_hasher = PasswordHasher()
# Verified against when the username does not exist, so that a wrong username costs the same time as a wrong
# password and does not reveal which usernames exist.
_DUMMY_HASH = _hasher.hash("eoffice-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def password_problems(password: str, username: str = "", min_length: int | None = None) -> list[str]:
    """Return why `password` breaks the policy (empty when it is acceptable)."""
    if min_length is None:
        min_length = current_app.config["PASSWORD_MIN_LENGTH"]
    problems = []
    if len(password) < min_length:
        problems.append(_("at least %(n)d characters", n=min_length))
    if not any(c.isalpha() for c in password):
        problems.append(_("at least one letter"))
    if not any(c.isdigit() for c in password):
        problems.append(_("at least one digit"))
    if username and username.lower() in password.lower():
        problems.append(_("must not contain the username"))
    return problems
