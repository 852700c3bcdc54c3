"""Password hashing and the password policy.

Passwords are never stored or logged in clear: only argon2id hashes reach the database. Every
sign-in attempt does one argon2 verification whatever happens (see :mod:`services.sign_in`), using
:data:`DUMMY_HASH` when there is no real hash to check, so the time taken tells nothing.
"""

from __future__ import annotations

import gzip
import secrets
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from services.errors import Problem

HASHER = PasswordHasher()  # argon2id (type ID) with the library's current recommended parameters
DUMMY_HASH = HASHER.hash(secrets.token_urlsafe(24))
MIN_PASSWORD = 12
MAX_PASSWORD = 1000
COMMON_PASSWORDS = Path(__file__).resolve().parent / "wordlists" / "common-passwords.txt.gz"  # see its README.md


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


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lower-cased (read once per process)."""
    return frozenset(gzip.decompress(COMMON_PASSWORDS.read_bytes()).decode("utf-8").split())


def is_common(password: str) -> bool:
    """Whether ``password`` (ignoring case and surrounding spaces) is on the common-password list, is an
    entry with digits or punctuation appended (``password123!``), or is only digits and punctuation
    (``123456789012``): guessers try those first."""
    lowered = password.strip().lower()
    stem = lowered.rstrip("0123456789!@#$%^&*?._-")
    return lowered in common_passwords() or not stem or (len(stem) >= 4 and stem in common_passwords())


def password_problems(password: str, username: str = "") -> list[Problem]:
    """Everything wrong with ``password`` as a new password for ``username`` (empty: acceptable).

    At least :data:`MIN_PASSWORD` characters, not a common password (:func:`is_common`), not the user
    name, not one or two characters repeated. Online guessing is throttled (services.sign_in_throttle);
    these rules keep the few guesses an attacker gets from mattering.
    """
    problems: list[Problem] = []
    if len(password) < MIN_PASSWORD:
        problems.append(Problem("password_short", {"min": MIN_PASSWORD}))
    elif is_common(password):
        problems.append(Problem("password_common"))
    if len(password) > MAX_PASSWORD:
        problems.append(Problem("password_long", {"max": MAX_PASSWORD}))
    if username and password.strip().lower() == username.strip().lower():
        problems.append(Problem("password_is_username"))
    if password and len(set(password)) < 3:
        problems.append(Problem("password_too_simple"))
    return problems
