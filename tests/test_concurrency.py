"""Many people answering one assessment at once, on SQLite and on PostgreSQL: no answer is lost.

Every save either is stored (its value is in the audit trail, in revision order, and the final
answer is the last stored write) or comes back as a ConflictError showing the newer value — never
a silent overwrite. Submitting while others save: saves after the submission get StateError and
everything stored before it is in the submitted assessment.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy import Engine, select

from db.engine import make_engine, write_session
from db.models import AnswerEvent, Membership
from services.access import Actor, load_actor
from services.accounts import create_user
from services.assessments import AnswerInputData, create_assessment, load_answers, submit
from services.errors import ConflictError, StateError
from services.organisations import create_organisation
from tests.support.answers import save_answer

THREADS, SAVES = 20, 50
QUESTIONS = ("GOV-INS-05", "GOV-INS-02", "GOV-INS-03", "GOV-CUL-01", "GOV-CUL-02")  # few: heavy contention
PROFILE = {"ai_roles": ["user"], "genai_public": False, "high_impact": False, "sector": "ict", "size": "small"}


@dataclass(frozen=True)
class Attempt:
    thread: int
    question_id: str
    note: str
    expected: int | None
    deliberately_stale: bool
    stored_revision: int | None = None  # set when stored
    their_revision: int | None = None  # set on conflict
    their_note: str | None = None


def _team(engine: Engine, people: int) -> tuple[list[Actor], int]:
    """An organisation with ``people`` members (each thread acts as one of them) and a draft assessment."""
    users = [create_user(engine, f"member{i}", f"long-enough-password-{i}") for i in range(people)]
    org = create_organisation(engine, Actor.system(), "并发测试有限公司", PROFILE)
    with write_session(engine) as s:
        s.add_all(Membership(user_id=u.id, organisation_id=org.id, role="respondent") for u in users)
    actors = [load_actor(engine, u.id) for u in users]
    return actors, create_assessment(engine, actors[0], org.id, title="并发").id


def _run_threads(n: int, target) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(n)

    def wrapped(i: int) -> None:
        barrier.wait()
        try:
            target(i)
        except BaseException as exc:  # surfaced by the assertion on the returned list
            errors.append(exc)

    threads = [threading.Thread(target=wrapped, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def _events(engine: Engine, assessment_id: int) -> list[AnswerEvent]:
    with write_session(engine) as s:
        return list(s.scalars(select(AnswerEvent).where(AnswerEvent.assessment_id == assessment_id)
                              .order_by(AnswerEvent.id)))


def test_twenty_people_saving_fifty_answers_each_lose_nothing(any_db_url: str) -> None:
    engine = make_engine(any_db_url)
    try:
        actors, aid = _team(engine, 4)
        attempts: list[Attempt] = []
        lock = threading.Lock()

        def person(t: int) -> None:
            actor = actors[t % len(actors)]
            seen: dict[str, int] = {}  # the revision this person's screen shows, per question
            for i in range(SAVES):
                qid = QUESTIONS[(t * 7 + i) % len(QUESTIONS)]
                if i % 5 == 0:  # reloads the page now and then
                    seen = {q: v.revision for q, v in load_answers(engine, actor, aid).items()}
                stale = i % 10 == 9 and seen.get(qid, 0) >= 1
                expected = seen[qid] - 1 if stale else seen.get(qid)
                note = f"t{t}-s{i}"
                data = AnswerInputData(qid, level=(t + i) % 6, note=note)
                try:
                    view = save_answer(engine, actor, aid, data, expected_revision=expected)
                    result = Attempt(t, qid, note, expected, stale, stored_revision=view.revision)
                    seen[qid] = view.revision
                except ConflictError as exc:  # the person sees the other value and keeps theirs next time
                    c = exc.conflict
                    result = Attempt(t, qid, note, expected, stale, their_revision=c.their_revision,
                                     their_note=c.their_note)
                    seen[qid] = c.their_revision
                with lock:
                    attempts.append(result)

        assert _run_threads(THREADS, person) == []
        assert len(attempts) == THREADS * SAVES

        stored = [a for a in attempts if a.stored_revision is not None]
        conflicts = [a for a in attempts if a.their_revision is not None]
        assert len(stored) + len(conflicts) == THREADS * SAVES  # each save is one or the other
        assert all(a.their_revision is not None for a in attempts if a.deliberately_stale)
        assert any(a.deliberately_stale for a in attempts)

        final = load_answers(engine, actors[0], aid)
        events = _events(engine, aid)
        by_revision: dict[str, dict[int, Attempt]] = {}
        for a in stored:
            # A stored save was made over exactly the revision its author saw: fresh, not a blind overwrite.
            assert (a.expected or 0) == a.stored_revision - 1
            assert a.stored_revision not in by_revision.setdefault(a.question_id, {}), "two saves got one revision"
            by_revision[a.question_id][a.stored_revision] = a
        for qid, revisions in by_revision.items():
            assert sorted(revisions) == list(range(1, len(revisions) + 1))  # no gap: no unrecorded write
            trail = [e for e in events if e.question_id == qid]
            # The audit trail holds every stored value once, in order, each replacing the previous one.
            assert [e.new_note for e in trail] == [revisions[r].note for r in sorted(revisions)]
            assert [e.old_note for e in trail] == [None] + [revisions[r].note for r in sorted(revisions)[:-1]]
            last = revisions[max(revisions)]
            assert (final[qid].note, final[qid].revision) == (last.note, len(revisions))
        assert len(events) == len(stored)
        assert set(final) == set(by_revision)
        for c in conflicts:
            # The conflict showed a newer stored value than the one its author saw.
            assert c.their_revision > (c.expected or 0)
            assert by_revision[c.question_id][c.their_revision].note == c.their_note
        assert not {c.note for c in conflicts} & {e.new_note for e in events}  # refused saves left no trace
    finally:
        engine.dispose()


def test_submitting_while_others_save_keeps_every_stored_answer(any_db_url: str) -> None:
    engine = make_engine(any_db_url)
    try:
        actors, aid = _team(engine, 3)
        submitted = threading.Event()
        enough = threading.Event()
        lock = threading.Lock()
        stored: list[tuple[str, str, int]] = []  # (question, note, revision)
        after_submit: list[str] = []  # outcome of every save begun after submit() returned

        def person(t: int) -> None:
            actor = actors[t % len(actors)]
            seen: dict[str, int] = {}
            for i in range(10_000):
                qid = QUESTIONS[(t + i) % len(QUESTIONS)]
                begun_after_submit = submitted.is_set()
                try:
                    view = save_answer(engine, actor, aid, AnswerInputData(qid, level=i % 6, note=f"t{t}-s{i}"),
                                       expected_revision=seen.get(qid))
                except ConflictError as exc:
                    seen[qid] = exc.conflict.their_revision
                    outcome = "conflict"
                except StateError:
                    outcome = "refused"
                else:
                    seen[qid] = view.revision
                    outcome = "stored"
                    with lock:
                        stored.append((qid, f"t{t}-s{i}", view.revision))
                        if len(stored) >= 40:
                            enough.set()
                if begun_after_submit:
                    with lock:
                        after_submit.append(outcome)
                if outcome == "refused":
                    break
            else:
                raise AssertionError("saving never stopped: the submission was not seen")
            assert submitted.wait(120)
            try:  # the person clicks save once more after the submission: still refused
                save_answer(engine, actor, aid, AnswerInputData(QUESTIONS[t % len(QUESTIONS)], level=0),
                            expected_revision=seen.get(QUESTIONS[t % len(QUESTIONS)]))
                outcome = "stored"
            except StateError:
                outcome = "refused"
            except ConflictError:
                outcome = "conflict"
            with lock:
                after_submit.append(outcome)

        def submitter() -> None:
            assert enough.wait(120), "the savers stored nothing"
            submit(engine, actors[0], aid)
            submitted.set()
            snapshot.update(load_answers(engine, actors[0], aid))

        snapshot: dict = {}
        errors = _run_threads(8 + 1, lambda i: submitter() if i == 8 else person(i))
        assert errors == []

        assert len(after_submit) >= 8 and set(after_submit) == {"refused"}  # nothing got in after submitting
        final = load_answers(engine, actors[0], aid)
        assert final == snapshot  # and nothing changed it afterwards
        events = _events(engine, aid)
        assert sorted((e.question_id, e.new_note) for e in events) == sorted((q, n) for q, n, _ in stored)
        for qid in {q for q, _, _ in stored}:
            last = max((r, n) for q, n, r in stored if q == qid)
            assert (final[qid].revision, final[qid].note) == last
    finally:
        engine.dispose()
