"""In a real browser, in Chinese: sign in, create the organisation, answer the short form, read the results.

From an empty database: the only thing made outside the UI is the user account. The expected
first gap is computed with the scoring engine from the answers the test gives.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import Engine

from enums import AssessmentForm
from i18n import t
from questionnaires import get_questionnaire
from scoring import AnswerInput, score_assessment
from services.access import Actor
from services.accounts import create_user
from services.organisations import list_organisations
from tests.support.screens import publish

ROOT = Path(__file__).resolve().parents[2]
USER, PASSWORD = "compliance-lead", "e2e-password-2025"
ORG = "星河智能科技有限公司"
NA = -1
TIMEOUT = 30_000
expect.set_options(timeout=TIMEOUT)  # a shared two-core machine: reruns can take seconds


def zh(key: str, **values: object) -> str:
    return t(key, "zh", **values)


def _level_for(i: int) -> int:
    """The answer the test gives to the i-th core question: N/A once, else levels 0–4 in turn."""
    return NA if i == 3 else i % 5


def _settle(page: Page) -> None:
    """Wait until Streamlit has finished the rerun the last action started (no stale element left)."""
    page.wait_for_timeout(300)
    expect(page.locator("[data-testid=stStatusWidget]")).to_have_count(0)
    expect(page.locator("[data-stale=true]")).to_have_count(0)


def _full_screenshot(page: Page, path: Path) -> None:
    """The whole page: Streamlit scrolls inside its main block, so grow the viewport to the content."""
    height = page.evaluate("() => document.querySelector('[data-testid=stMainBlockContainer]').scrollHeight")
    size = page.viewport_size or {"width": 1400, "height": 1000}
    page.set_viewport_size({"width": size["width"], "height": min(height + 160, 12_000)})
    page.wait_for_timeout(800)
    page.screenshot(path=str(path))
    page.set_viewport_size(size)
    publish(path)


def _nav(page: Page, label: str) -> None:
    page.locator("[data-testid=stSidebarNav]").get_by_text(label, exact=True).click()
    _settle(page)


def _visible_ids(page: Page) -> list[str]:
    ids = []
    for box in page.locator("[class*='st-key-ans_']").all():
        found = re.search(r"st-key-ans_([A-Z]+-[A-Z]+-\d+)", box.get_attribute("class") or "")
        if found:
            ids.append(found.group(1))
    return ids


def _question_ids(page: Page, previous: list[str]) -> list[str]:
    """The questions of the view on screen, once it has replaced the ``previous`` view and is complete."""
    deadline = time.monotonic() + TIMEOUT / 1000
    while time.monotonic() < deadline:
        ids = _visible_ids(page)
        if ids and ids != previous:
            _settle(page)
            page.wait_for_timeout(500)
            if _visible_ids(page) == ids:
                return ids
        page.wait_for_timeout(200)
    raise AssertionError(f"the questionnaire did not move on from {previous}")


def _choose(page: Page, qid: str, level: int) -> Locator:
    box = page.locator(f".st-key-qbox_{qid}")
    options = box.locator(f".st-key-ans_{qid} [role=radiogroup] label")
    options.nth(6 if level == NA else level).click()
    _settle(page)
    if level == NA:
        expect(box).to_contain_text(zh("questionnaire.na_needs_justification",
                                       stored=zh("questionnaire.no_answer")))
        field = box.get_by_label(zh("questionnaire.justification"))
        field.fill("由集团总部统一负责对外协作，本公司不单独开展（见集团《AI 治理分工办法》）")
        field.press("Enter")
        _settle(page)
    expect(box).to_contain_text(zh("questionnaire.saved", at="", by="").split("·")[0].strip())
    return box


@pytest.mark.e2e
def test_short_form_assessment_in_chinese_from_empty_database(live_server: str, page: Page, engine: Engine,
                                                              tmp_path: Path) -> None:
    create_user(engine, USER, PASSWORD)
    page.set_default_timeout(TIMEOUT)
    page.goto(live_server)

    # Sign in through the UI.
    page.get_by_label(zh("auth.username")).fill(USER)
    page.get_by_label(zh("auth.password")).fill(PASSWORD)
    page.get_by_role("button", name=zh("auth.submit")).click()
    _settle(page)

    # Organisation profile: created here, with a size chosen from the generated form.
    _nav(page, zh("nav.profile"))
    page.get_by_label(zh("profile.name")).fill(ORG)
    page.get_by_label(zh("profile.name")).press("Enter")
    _settle(page)
    q = get_questionnaire()
    size = q.profile_field("size")
    page.locator(".st-key-new_size input").click()
    page.get_by_role("option", name=size.options[2].label["zh"]).click()
    _settle(page)
    page.get_by_role("button", name=zh("profile.create")).click()
    _settle(page)
    expect(page.get_by_text(zh("profile.created", name=ORG))).to_be_visible()
    (org,) = list_organisations(engine, Actor.system())
    assert org.profile["size"] == size.options[2].id

    # Start a short-form (core) assessment.
    _nav(page, zh("nav.assessments"))
    page.get_by_label(zh("assessments.title_label")).fill("2025 年度自评估")
    page.locator(".st-key-new_form").get_by_text(zh("common.core_form"), exact=False).click()
    page.get_by_role("button", name=zh("assessments.start")).click()
    _settle(page)
    expect(page.get_by_role("heading", name=zh("questionnaire.title"))).to_be_visible()

    # Answer every core question, view by view.
    given: dict[str, AnswerInput] = {}
    view: list[str] = []
    while True:
        view = _question_ids(page, view)
        for qid in view:
            level = _level_for(len(given))
            _choose(page, qid, level)
            given[qid] = AnswerInput(na=True) if level == NA else AnswerInput(level=level)
        if not (tmp_path / "questionnaire.png").exists():  # the first page (a page now holds several questions)
            _full_screenshot(page, tmp_path / "questionnaire.png")
        nxt = page.get_by_role("button", name=zh("questionnaire.next"))
        if nxt.is_disabled():
            break
        before = page.url
        nxt.click()
        page.wait_for_function("url => window.location.href !== url", arg=before)
        _settle(page)
    want = score_assessment(q, org.profile, given, target_preset=q.default_preset(org.profile), form=AssessmentForm.CORE)
    assert sorted(given) == sorted(want.applicable)
    assert not want.to_answer
    expect(page.get_by_text(zh("questionnaire.progress", answered=len(given), applicable=len(given),
                               pct="100.0%"))).to_be_visible()

    # Results: the radar is drawn and the gap list starts with the engine's first gap.
    page.get_by_role("link", name=zh("questionnaire.to_results")).click()
    _settle(page)
    expect(page.get_by_role("heading", name=zh("results.title"))).to_be_visible()
    expect(page.locator(".js-plotly-plot").first).to_be_visible()
    expect(page.locator(".js-plotly-plot .polarlayer .trace").first).to_be_visible()
    expect(page.locator("[data-testid=stMetricValue]").first).to_have_text(f"{want.overall.score:.2f}")
    assert want.gaps
    first = want.gaps[0]
    card = page.locator(".st-key-top_gap_1")
    expect(card).to_contain_text(first.question_id)
    expect(card).to_contain_text(f"[{zh(f'results.band_{first.band}')}]")
    expect(card).to_contain_text(q.question(first.question_id).recommendations[first.level]["zh"])
    # The gap table is drawn on a canvas; its accessibility layer holds the cells (row 0 = first gap).
    grid = page.locator("[data-testid=stDataFrame]").filter(
        has=page.locator("th", has_text=zh("results.col_recommendation")))
    expect(grid).to_have_count(1)
    expect(grid.locator("[data-testid=glide-cell-2-0]")).to_have_text(first.question_id, use_inner_text=False)
    expect(grid.locator("[data-testid=glide-cell-1-0]")).to_have_text(zh(f"results.band_{first.band}"),
                                                                      use_inner_text=False)
    _full_screenshot(page, tmp_path / "results.png")

    # The Excel report is built when its button is clicked (a deferred download) and holds the same score.
    with page.expect_download() as download:
        page.get_by_role("button", name=zh("results.download_excel")).click()
    report = tmp_path / download.value.suggested_filename
    download.value.save_as(report)
    cover = openpyxl.load_workbook(report)["概要"]  # the summary's first sheet: the overall figures
    assert any(isinstance(v, float) and abs(v - want.overall.score) < 1e-9
               for row in cover.iter_rows(values_only=True) for v in row)
    assert (tmp_path / "questionnaire.png").stat().st_size > 20_000
    assert (tmp_path / "results.png").stat().st_size > 20_000
