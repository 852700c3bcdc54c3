"""AppTest helpers: start the real app.py against a test database, optionally signed in."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from i18n import WORD_JOINER

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def app_test(user_id: int | None = None, *, lang: str = "zh", org_id: int | None = None,
             query: dict[str, str] | None = None) -> AppTest:
    """An AppTest of app.py (not yet run). DATABASE_URL must be set (fixture ``app_db``)."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = lang
    if user_id is not None:
        at.session_state["user_id"] = user_id
        at.session_state["last_seen"] = time.time()
    if org_id is not None:
        at.session_state["org_id"] = org_id
    for k, v in (query or {}).items():
        at.query_params[k] = v
    return at


_MARKDOWN_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def shown(markdown: str) -> str:
    """The text a reader sees of Markdown source: backslash escapes and the invisible word joiners of
    :func:`i18n.escape_markdown` removed."""
    return _MARKDOWN_ESCAPE.sub(r"\1", markdown).replace(WORD_JOINER, "")


def page_texts(at: AppTest) -> str:
    """All visible text of the last run, for assertions about what a user reads (escapes removed)."""
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "info", "warning", "error",
                 "success", "metric", "button", "radio", "selectbox", "expander", "table", "dataframe"):
        for el in getattr(at, kind, []):
            for attr in ("value", "label", "body"):
                try:
                    v = getattr(el, attr, None)
                except KeyError:  # a widget whose state the last run did not keep
                    continue
                if isinstance(v, str):
                    parts.append(shown(v))
            if kind == "metric":
                parts.append(str(getattr(el, "value", "")))
    return "\n".join(parts)


class Downloads:
    """The files behind the download buttons of AppTest runs, built as a click in the browser builds them.

    A download button with a callable ``data`` registers the callable with the run's media file
    manager, which AppTest discards after the run; this keeps each one (by the button's file id) so
    a test can call it, exactly as the server does when the button is clicked.
    """

    def __init__(self) -> None:
        self._callables: dict[str, Callable[[], Any]] = {}

    def recording(self, add_deferred: Callable[..., str]) -> Callable[..., str]:
        def add(manager: MediaFileManager, data: Callable[[], Any], *args: Any, **kwargs: Any) -> str:
            file_id = add_deferred(manager, data, *args, **kwargs)
            self._callables[file_id] = data
            return file_id
        return add

    def file(self, at: AppTest, key: str) -> bytes:
        """The bytes a click on the download button ``key`` of the last run sends."""
        (button,) = [b for b in at.get("download_button") if b.proto.id.endswith(f"-{key}")]
        assert button.proto.deferred_file_id, "the button holds its file already; it should build it on click"
        data = self._callables[button.proto.deferred_file_id]()
        assert isinstance(data, bytes)
        return data
