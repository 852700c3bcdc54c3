"""Password hashing and the password policy.

Passwords are never stored or logged in clear: only argon2id hashes reach the database. Every
sign-in attempt does one argon2 verification whatever happens (see :mod:`services.sign_in`), using
:data:`DUMMY_HASH` when there is no real hash to check, so the time taken tells nothing.
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from services.errors import Problem

HASHER = PasswordHasher()  # argon2id (type ID) with the library's current recommended parameters
DUMMY_HASH = HASHER.hash(secrets.token_urlsafe(24))
MIN_PASSWORD = 10
MAX_PASSWORD = 1000


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify_password(hash_: str, password: str) -> bool:
    """Whether ``password`` matches ``hash_`` (a malformed hash never matches)."""
    try:
        return HASHER.verify(hash_, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(hash_: str) -> bool:
    """Whether a stored hash was made with weaker parameters than the current ones."""
    return HASHER.check_needs_rehash(hash_)


def password_problems(password: str, username: str = "") -> list[str]:
    """Everything wrong with ``password`` as a new password for ``username`` (empty: acceptable)."""
    problems: list[str] = []
    if len(password) < MIN_PASSWORD:
        problems.append(Problem("password_short", min=MIN_PASSWORD))
    if len(password) > MAX_PASSWORD:
        problems.append(Problem("password_long", max=MAX_PASSWORD))
    if username and password.strip().lower() == username.strip().lower():
        problems.append(Problem("password_is_username"))
    if password and len(set(password)) < 3:
        problems.append(Problem("password_too_simple"))
    return problems
