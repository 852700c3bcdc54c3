"""Free text that every supported database can store.

PostgreSQL refuses the NUL character in text, and other C0 control characters are invisible
garbage in a name or a note (often pasted from another program, or `_x0000_` escapes in an Excel
cell). They are refused where text enters, so a SQLite installation never holds text that a
backup could not restore on PostgreSQL. Tab, line feed and carriage return stay allowed.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def control_character(value: str | None) -> str | None:
    """The first forbidden control character of ``value`` as ``U+XXXX``, or None when the text is fine."""
    found = _CONTROL.search(value or "")
    return None if found is None else f"U+{ord(found.group()):04X}"
