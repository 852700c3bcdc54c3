"""In a real browser: a gap becomes an action, is assigned and completed, shows in the next assessment and
in the management report PDF.

The account, organisation and answers are made through the services; everything the issue asks of
the action plan is done by clicking: create from a gap, assign an owner, complete, then open the next
assessment's questionnaire and download the PDF.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from sqlalchemy import Engine

from enums import AnswerSource
from i18n import t
from services.access import Actor, load_actor
from services.accounts import create_user
from services.actions import list_actions, update_action
from services.assessments import AnswerInputData, create_assessment, save_answers_bulk, submit
from services.members import add_member
from services.organisations import create_organisation
from tests.ui_flow import q

PASSWORD = "e2e-password-2025"


def en(key: str, **values: object) -> str:
    return t(key, "en", **values)


def _settle(page: Page) -> None:
    """Wait until Streamlit has finished the rerun the last action started (no stale element left)."""
    page.wait_for_timeout(300)
    expect(page.locator("[data-testid=stStatusWidget]")).to_have_count(0)
    expect(page.locator("[data-stale=true]")).to_have_count(0)


def _expander(page: Page, title: str) -> Locator:
    """The expander titled ``title``, opened (a rerun may have closed it again)."""
    box = page.get_by_test_id("stExpander").filter(has_text=title).first
    if not box.get_by_test_id("stExpanderDetails").is_visible():
        box.get_by_text(title, exact=True).click()
        _settle(page)
    return box


def _choose(page: Page, box_title: str, key: str, option: str) -> None:
    """Pick ``option`` in the selectbox keyed ``key`` inside the expander ``box_title``; wait until the box
    shows it. A click that lands while a rerun replaces the widget opens nothing: open the list again."""
    dropdown = page.locator("[data-testid=stSelectboxVirtualDropdown]")
    for _ in range(5):
        _expander(page, box_title)
        page.locator(f".st-key-{key} input").click()
        try:
            dropdown.wait_for(state="visible", timeout=5_000)
            break
        except PlaywrightTimeoutError:
            _settle(page)
    dropdown.get_by_role("option", name=option, exact=True).click()
    _settle(page)
    expect(page.locator(f".st-key-{key}").get_by_role("combobox")).to_have_value(option)


@pytest.mark.usefixtures("poppler")
def test_gap_to_action_to_next_assessment_and_pdf(live_server: str, engine: Engine, page: Page,
                                                  tmp_path: Path) -> None:
    lead = create_user(engine, "lead", PASSWORD, display_name="Compliance lead")
    create_user(engine, "rita", PASSWORD, display_name="Rita Owner")
    org = create_organisation(engine, load_actor(engine, lead.id), "Acme AI Ltd", q().default_profile())
    who = load_actor(engine, lead.id)
    add_member(engine, Actor.system(), org.id, "rita", "respondent")
    aid = create_assessment(engine, who, org.id, title="2026 review").id
    save_answers_bulk(engine, who, aid, [AnswerInputData(x.id, level=1) for x in q().questions()], source=AnswerSource.CLI)

    page.goto(f"{live_server}/results?assessment={aid}&lang=en")
    page.get_by_label(en("auth.username"), exact=True).fill("lead")
    page.get_by_label(en("auth.password"), exact=True).fill(PASSWORD)
    page.get_by_role("button", name=en("auth.submit")).click()
    expect(page.get_by_role("heading", name=en("actions.heading"))).to_be_visible()

    _choose(page, en("actions.from_gap"), "action_gap_owner", "Rita Owner (rita)")
    box = _expander(page, en("actions.from_gap"))
    box.get_by_role("button", name=en("actions.create")).click()
    expect(page.get_by_text(re.compile(r"Action #\d+ created"))).to_be_visible()
    [made] = list_actions(engine, who, org.id)
    expect(page.get_by_text(en("actions.created", id=made.id))).to_be_visible()
    assert made.owner_name == "rita" and made.status == "planned" and made.origin_level == 1

    _choose(page, en("actions.edit"), f"action_edit_status_{made.id}", en("actions.status.done"))
    box = _expander(page, en("actions.edit"))
    box.get_by_role("button", name=en("actions.save")).click()
    _settle(page)
    expect(page.get_by_text(en("actions.saved", id=made.id))).to_be_visible()
    [done] = list_actions(engine, who, org.id)
    assert done.status == "done" and done.completed_at is not None

    # The PDF for management carries the action.
    with page.expect_download(timeout=120_000) as download:
        page.get_by_role("button", name=en("reports.download_pdf")).click()
    pdf = tmp_path / "report.pdf"
    download.value.save_as(pdf)
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    assert "".join(made.title.split()) in "".join(text.split()) and "Acme AI Ltd" in text

    # Re-assessment: submitted, the next one started; its questionnaire shows the completed action.
    # (Completed before the submission it belongs to this assessment; complete it again after.)
    submit(engine, who, aid)
    nxt = create_assessment(engine, who, org.id, title="2027 review", carry_forward_from=aid).id
    update_action(engine, who, made.id, status="in_progress")
    update_action(engine, who, made.id, status="done")
    dim = q().dimension_of(made.question_ids[0])[0].id
    page.goto(f"{live_server}/questionnaire?assessment={nxt}&lang=en&sub={dim}")
    expect(page.get_by_text(en("actions.done_since_heading")).first).to_be_visible()
    expect(page.get_by_text(made.title, exact=False).first).to_be_visible()
    page.screenshot(path=str(tmp_path / "next-assessment.png"))
