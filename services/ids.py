"""Object ids typed by people — in a link (``?assessment=12``) or a command-line argument: one parser.

Every table's id is an ``INTEGER`` column: 32 bits on PostgreSQL, 64 on SQLite. A larger number names no
object, but passed on to the database it fails inside the driver (OverflowError on SQLite, "integer out
of range" on PostgreSQL) and the user sees a traceback. :func:`parse_id` turns anything that cannot be an
id into None, which pages and the command line report as "not found" — the same answer as for an id of
another tenant, so nothing is revealed either.
"""

from __future__ import annotations

import re

MAX_ID = 2**31 - 1  # the largest value an INTEGER column holds on every supported database
_WHOLE_NUMBER = re.compile(r"\s*[+-]?[0-9]{1,100}\s*")


def looks_like_id(text: object) -> bool:
    """Whether ``text`` is written as a whole number (of any size): a wrong id, not a typing mistake."""
    return isinstance(text, str) and _WHOLE_NUMBER.fullmatch(text) is not None


def parse_id(text: object) -> int | None:
    """The id written in ``text``, or None unless it is a whole number from 1 to :data:`MAX_ID`."""
    if isinstance(text, int) and not isinstance(text, bool):
        value = text
    elif looks_like_id(text):
        value = int(str(text))
    else:
        return None
    return value if 1 <= value <= MAX_ID else None
