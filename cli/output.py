"""Everything ``aigov`` prints passes through :func:`printable`: no raw control character reaches a terminal.

Names, titles, notes and file names come from users. Printed raw, ``ESC [ …`` sequences could recolour
the terminal, move the cursor, rewrite what is already on screen (hiding a line of a listing), set the
window title or, on some terminals, answer back as if typed; a lone carriage return overwrites the line
it is on; bidirectional overrides (U+202E) make text read differently than it is stored. They are shown
as visible escapes (``\\x1b``, ``\\u202e``) instead. Line feeds, tabs and CR LF line ends (CSV) stay.

:func:`escaped_output` installs this for the whole command (standard output and standard error, print()
and argparse messages alike), so no command has to remember it.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]|\r(?!\n)")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every control character (but line feed, tab and CR LF) written as a visible escape."""
    return _UNPRINTABLE.sub(_escape, text)


class EscapingStream:
    """A text stream that writes :func:`printable` text to the stream it wraps."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(printable(text))
        return len(text)

    def __getattr__(self, name: str) -> object:  # flush, isatty, encoding, buffer, …
        return getattr(self._stream, name)


@contextmanager
def escaped_output() -> Iterator[None]:
    """Standard output and standard error escaped by :func:`printable` while the block runs."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = EscapingStream(sys.stdout), EscapingStream(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
