"""The association dashboard in a real browser, on the demo data (its published releases): charts,
suppression, the estimate note, no anonymous names."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import Engine, select

from db.engine import read_session
from db.models import Assessment, Organisation
from demo.seed import seed_demo
from i18n import t
from services.access import Actor
from services.associations import list_administered
from services.rounds import list_rounds
from tests.support.screens import publish


def test_association_dashboard_in_the_browser(live_server: str, engine: Engine, page: Page, tmp_path: Path) -> None:
    seed_demo(engine)
    system = Actor.system()
    association = list_administered(engine, system)[0]
    latest = list_rounds(engine, system, association.id)[0]
    with read_session(engine) as s:
        anonymous = list(s.scalars(select(Organisation.name).join(Assessment).where(
            Assessment.round_id == latest.round.id, Assessment.sharing == "anonymous")))

    page.goto(live_server)
    page.get_by_label(t("auth.username")).fill("assoc")
    page.get_by_label(t("auth.password")).fill("demo-assoc-2024")
    page.get_by_role("button", name=t("auth.submit")).click()
    nav = page.get_by_test_id("stSidebarNav")
    nav.get_by_text(t("nav.association"), exact=True).click()

    expect(page.get_by_role("heading", name=t("benchmark.assoc.title"))).to_be_visible(timeout=60_000)
    metrics = page.get_by_test_id("stMetric")
    expect(metrics.filter(has_text=t("benchmark.submitted"))).to_contain_text(str(latest.submitted), timeout=60_000)
    expect(metrics.filter(has_text=t("benchmark.invited"))).to_contain_text(str(latest.invited))
    # Boxes, radar, heat map (the demo's two rounds are on different questionnaire versions: no trend chart).
    expect(page.locator(".js-plotly-plot")).to_have_count(3, timeout=60_000)
    expect(page.get_by_text("以上为隐私保护估计值").first).to_be_visible()  # figures are stated as estimates
    expect(page.get_by_text(t("benchmark.too_few")).first).to_be_attached()  # small segments are hidden
    expect(page.get_by_role("heading", name=t("benchmark.identified_heading"))).to_be_visible()
    body = page.inner_text("body")
    assert anonymous and not [name for name in anonymous if name in body]

    page.set_viewport_size({"width": 1400, "height": 4400})
    page.wait_for_timeout(1500)  # charts re-lay out to the taller window
    shot = tmp_path / "association.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 50_000
    publish(shot)
