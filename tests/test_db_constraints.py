"""Uniqueness the database guarantees even when two requests race past the services' checks."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from db.engine import make_engine, write_session
from db.models import Assessment, Association, AssociationMember, BenchmarkRound, Organisation, User


def test_user_names_are_unique_regardless_of_case(any_db_url: str) -> None:
    engine = make_engine(any_db_url)
    with write_session(engine) as s:
        s.add(User(username="Bob", password_hash=None))
    with pytest.raises(IntegrityError), write_session(engine) as s:
        s.add(User(username="bob", password_hash=None))
    engine.dispose()


def test_one_assessment_per_organisation_and_round(any_db_url: str) -> None:
    engine = make_engine(any_db_url)
    with write_session(engine) as s:
        org = Organisation(name="甲", profile={})
        assoc = Association(name="协会", invite_code="X-1")
        s.add_all([org, assoc])
        s.flush()
        rnd = BenchmarkRound(association_id=assoc.id, name="2026", questionnaire_id="caict-aigov",
                             questionnaire_version="1.0.0")
        s.add_all([rnd, AssociationMember(association_id=assoc.id, organisation_id=org.id)])
        s.flush()
        ids = (org.id, rnd.id)
        # Outside rounds an organisation may have any number of assessments.
        for _ in range(2):
            s.add(Assessment(organisation_id=org.id, questionnaire_id="caict-aigov", questionnaire_version="1.0.0"))
        s.add(Assessment(organisation_id=org.id, round_id=rnd.id, questionnaire_id="caict-aigov",
                         questionnaire_version="1.0.0"))
    with pytest.raises(IntegrityError), write_session(engine) as s:
        s.add(Assessment(organisation_id=ids[0], round_id=ids[1], questionnaire_id="caict-aigov",
                         questionnaire_version="1.0.0"))
    engine.dispose()
