"""Every chart of the results, peers and association pages, in both languages, at 1366 and 1920 wide.

Each chart is saved as a picture in the test's folder (for a person to look at), and its radar labels
are checked as drawn by the browser: none overlaps another, none is cut off at the chart's edge,
and the legend overlaps none of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine

from db.engine import make_engine
from i18n import t
from tests.support.server import AppServer

WIDTHS = (1366, 1920)
VISITS = (("org1", "demo-org-2024", "results"), ("org1", "demo-org-2024", "peers"),
          ("assoc", "demo-assoc-2024", "association"))
BOXES_JS = """(plot) => {
  const box = (e) => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const legend = plot.querySelector('.legend');
  return {svg: box(plot.querySelector('.main-svg')),
          labels: [...plot.querySelectorAll('.angularaxistick text')].filter(t => t.textContent).map(box),
          legend: legend ? box(legend.querySelector('.bg') || legend) : null};
}"""


def _overlap(a: list[float], b: list[float], slack: float = 1.0) -> bool:
    return a[0] + slack < b[2] and b[0] + slack < a[2] and a[1] + slack < b[3] and b[1] + slack < a[3]


def _settle(page: Page) -> None:
    page.wait_for_timeout(500)
    expect(page.locator("[data-testid=stStatusWidget]")).to_have_count(0)
    expect(page.locator("[data-stale=true]")).to_have_count(0)
    page.wait_for_timeout(800)


@pytest.fixture
def demo_server(demo_db_url: str, tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    engine = make_engine(demo_db_url)
    with AppServer(demo_db_url, tmp_path) as server:
        yield server.url, engine
    engine.dispose()


def _check(boxes: dict[str, Any], name: str) -> None:
    svg, labels, legend = boxes["svg"], boxes["labels"], boxes["legend"]
    for i, a in enumerate(labels):
        assert svg[0] - 1 <= a[0] and a[2] <= svg[2] + 1, f"{name}: radar label {i} cut off at the side"
        for j, b in enumerate(labels[i + 1:], i + 1):
            assert not _overlap(a, b), f"{name}: radar labels {i} and {j} overlap"
        if legend:
            assert not _overlap(a, legend), f"{name}: the legend covers radar label {i}"


@pytest.mark.e2e
def test_every_chart_in_both_languages_at_laptop_and_desktop_width(demo_server: tuple[str, Engine],
                                                                 browser: Browser, tmp_path: Path) -> None:
    base, _ = demo_server
    shots = 0
    for lang in ("zh", "en"):
        for width in WIDTHS:
            for username, password, path in VISITS:
                context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 1000})
                page = context.new_page()
                page.goto(f"{base}/{path}?lang={lang}")
                page.get_by_label(t("auth.username", lang)).fill(username)
                page.get_by_label(t("auth.password", lang), exact=True).fill(password)
                page.get_by_role("button", name=t("auth.submit", lang)).click()
                expect(page.get_by_test_id("stSidebarNav")).to_be_visible(timeout=30_000)
                _settle(page)
                plots = page.locator(".js-plotly-plot")
                expect(plots.first).to_be_visible(timeout=30_000)
                for _ in range(12):  # charts further down are drawn when scrolled to
                    page.mouse.wheel(0, 900)
                    page.wait_for_timeout(250)
                _settle(page)
                for i in range(plots.count()):
                    plot = plots.nth(i)
                    plot.scroll_into_view_if_needed()
                    page.wait_for_timeout(300)
                    name = f"{lang}-{width}-{path}-{i}"
                    plot.screenshot(path=str(tmp_path / f"{name}.png"))
                    shots += 1
                    _check(plot.evaluate(BOXES_JS), name)
                context.close()
    assert shots >= 2 * len(WIDTHS) * 8  # results 5, peers 1+, association 2+ per language and width
