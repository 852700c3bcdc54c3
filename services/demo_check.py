"""Whether the published demo passwords still work (the sign-in page advertises them only then).

Anyone may load the sign-in page, and each check costs up to four argon2 verifications: unbounded,
reloading it would be a cheap way to use up the server's CPU. The answer is therefore reused for
:data:`DEMO_CHECK_TTL` seconds per engine. A password set in this process forgets the answers when it
is committed (:func:`forget_at_commit`); one set by another process shows within the TTL.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from threading import Lock
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

from db.engine import read_session
from db.models import User
from services.passwords import verify_password

# The published demo accounts (README.md): what this check tries, and what the demo seed (demo/) creates.
# Kept here, below the demo package, so that services never import demo (demo builds on services).
DEMO_ACCOUNTS = (  # (username, password, display name, role)
    ("admin", "demo-admin-2024", "平台管理员 Platform admin", "platform_admin"),
    ("org1", "demo-org-2024", "演示科技合规负责人 Demo compliance lead", "org_admin"),
    ("resp1", "demo-resp-2024", "演示科技答题人 Demo respondent", "respondent"),
    ("assoc", "demo-assoc-2024", "联盟秘书处 Association secretariat", "association_admin"),
)
DEMO_CHECK_TTL = 60.0  # seconds a demo_accounts_active answer is reused


class _DemoCheck:
    """The answer of :func:`demo_accounts_active` per engine, reused for :data:`DEMO_CHECK_TTL` seconds."""

    def __init__(self) -> None:
        self._answers: WeakKeyDictionary[Engine, tuple[float, bool]] = WeakKeyDictionary()
        self._lock = Lock()

    def get(self, engine: Engine, compute: Callable[[Engine], bool]) -> bool:
        with self._lock:  # one check at a time: visitors arriving meanwhile reuse it rather than repeat it
            hit = self._answers.get(engine)
            if hit is None or time.monotonic() - hit[0] >= DEMO_CHECK_TTL:
                hit = (time.monotonic(), compute(engine))
                self._answers[engine] = hit
            return hit[1]

    def forget(self) -> None:
        with self._lock:
            self._answers.clear()


_DEMO_CHECK = _DemoCheck()


def forget() -> None:
    """Forget every answer now (a password was changed in a transaction already committed)."""
    _DEMO_CHECK.forget()


def _forget_after_commit(_s: Session) -> None:
    _DEMO_CHECK.forget()


def forget_at_commit(s: Session) -> None:
    """Forget the answers once this transaction's new password is visible to other sessions."""
    if not event.contains(s, "after_commit", _forget_after_commit):
        event.listen(s, "after_commit", _forget_after_commit)


def _demo_passwords_work(engine: Engine) -> bool:
    names = {u.lower(): p for u, p, _d, _r in DEMO_ACCOUNTS}
    with read_session(engine) as s:
        rows = s.execute(select(User.username, User.password_hash)
                         .where(func.lower(User.username).in_(names), User.is_active.is_(True))).all()
    return any(h is not None and verify_password(h, names[u.lower()]) for u, h in rows)


def demo_accounts_active(engine: Engine) -> bool:
    """Whether a documented demo account still accepts its published password.

    The sign-in page shows the demo accounts only then, so a production installation never
    advertises credentials, and an operator who kept the demo sees that its passwords work.
    """
    return _DEMO_CHECK.get(engine, _demo_passwords_work)
