"""PDF reports from the demo data, read back with poppler (pdftotext, pdftoppm) as a reader would see them.

The management report must name the organisation, show the overall score exactly as the results
page shows it, list every gap's question id and every action's title, in Chinese and in English;
page 1 is rendered to PNG in the test's folder. Numbers are compared with the page's own.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import Engine

from db.engine import make_engine
from i18n import t
from scoring.display import citations_text, format_percent, format_score
from services.access import Actor, actor_for_cli
from services.actions import list_actions
from services.reports import management_report_data, management_report_pdf
from services.results import assessment_result
from tests.support.apptest import app_test


def pdf_text(path: Path, *, layout: bool = False) -> str:
    """The PDF's text (``layout``: table rows kept on one line)."""
    return subprocess.run(["pdftotext", "-enc", "UTF-8", *(["-layout"] if layout else []), str(path), "-"],
                          check=True, capture_output=True, text=True).stdout


def squeezed(text: str) -> str:
    """Text without any white space (a long title wraps over lines in the PDF)."""
    return re.sub(r"\s+", "", text)


def _demo(demo_db_url: str) -> tuple[Engine, Actor, int]:
    engine = make_engine(demo_db_url)
    org1 = actor_for_cli(engine, "org1")
    from services.assessments import list_assessments

    latest = list_assessments(engine, org1, org1.org_ids[0])[0]
    return engine, org1, latest.id


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_management_report_in_both_languages_holds_what_management_needs(demo_db_url: str, tmp_path: Path,
                                                                         poppler: None, lang: str) -> None:
    engine, org1, aid = _demo(demo_db_url)
    result = assessment_result(engine, org1, aid)
    actions = list_actions(engine, org1, org1.org_ids[0])
    assert result.gaps and actions, "the demo has gaps and actions"
    pdf = tmp_path / f"report-{lang}.pdf"
    pdf.write_bytes(management_report_pdf(engine, org1, aid, lang))
    text = pdf_text(pdf)
    flat = squeezed(text)
    assert "演示科技有限公司" in text
    assert format_score(result.overall.score) in text
    missing_gaps = [g.question_id for g in result.gaps if g.question_id not in flat]
    assert not missing_gaps, missing_gaps
    missing_actions = [a.title for a in actions if squeezed(a.title) not in flat]
    assert not missing_actions, missing_actions
    heading = "人工智能风险治理成熟度评估报告" if lang == "zh" else "AI risk-governance maturity report"
    assert heading in text
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / f"page1-{lang}")],
                   check=True)
    page1 = next(tmp_path.glob(f"page1-{lang}*.png"))
    assert page1.stat().st_size > 5000
    engine.dispose()


def test_report_numbers_equal_the_results_page(demo_app_db: str, tmp_path: Path, poppler: None) -> None:
    """The overall score and every dimension score read off the page appear in the PDF as the same digits."""
    engine, org1, aid = _demo(demo_app_db)
    at = app_test(org1.user_id, lang="en", org_id=org1.org_ids[0], query={"assessment": str(aid)}).run()
    at.switch_page("app_pages/results.py").run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    page_overall = metrics["Overall score"]
    table = next(t.value for t in at.table if "Score" in t.value.columns)
    page_dims = dict(zip(table.index, table["Score"], strict=True))
    data = management_report_data(engine, org1, aid, "en")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(management_report_pdf(engine, org1, aid, "en"))
    text = pdf_text(pdf, layout=True)
    assert format_score(data.result.overall.score) == page_overall and page_overall in text
    for name, score in page_dims.items():
        line = next(x for x in text.splitlines() if x.strip().startswith(name.split(" ")[0] + " "))
        assert score in line, (name, score, line)
    engine.dispose()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_management_report_shows_framework_readiness_with_each_relationship(demo_db_url: str, tmp_path: Path,
                                                                            poppler: None, lang: str) -> None:
    """The report's readiness section is the results page's (services.results_page): per framework the same counts and
    ready share, and every item a question covers with its questions, each one's relationship to the item in
    words and its level; the PDF a reader gets holds the section and the relationship words."""
    from html import unescape

    from reports.management import management_html
    from services.results_page import results_page

    engine, org1, aid = _demo(demo_db_url)
    frameworks = results_page(engine, org1, aid).readiness
    data = management_report_data(engine, org1, aid, lang)
    html = unescape(management_html(data, charts=False))
    section = html[html.index(t("results.readiness_heading", lang)):html.index(t("reports.answers_heading", lang))]
    for fw in frameworks:
        name = fw.name[lang]
        part = section[section.index(f"<h3>{name}</h3>"):]
        s = fw.summary
        counts = {"items": s.items, "full": s.covered_fully, "partial": s.covered_partly, "none": s.not_covered,
                  **{b: s.counts[b] for b in ("ready", "in_progress", "not_started", "unanswered", "not_applicable")}}
        summary = part.split("</table>", 1)[0]
        for key, n in counts.items():
            assert f'<td>{t(f"excel.summary.readiness_{key}", lang)}</td><td class="num">{n}</td>' in summary, (name, key)
        assert f'<td class="num">{format_percent(s.ready_share)}</td>' in summary
        for item in fw.items:
            row = f'<td class="id">{item.id}</td>'
            if item.coverage == "none":
                assert row not in part.split("</table>", 2)[1], (name, item.id)  # counted, not listed
                continue
            cells = part[part.index(row):].split("</tr>", 1)[0]
            assert citations_text(item.citations, lang) in cells, (name, item.id)
            assert t(f"excel.summary.readiness_{item.coverage}", lang) in cells
    relations = {c.relation for fw in frameworks for i in fw.items for c in i.citations}
    assert {"equal", "superset", "subset", "intersect"} <= relations  # the demo shows every type
    pdf = tmp_path / f"report-{lang}.pdf"
    pdf.write_bytes(management_report_pdf(engine, org1, aid, lang))
    flat = squeezed(pdf_text(pdf))
    assert squeezed(t("results.readiness_heading", lang)) in flat
    for rel in ("equal", "superset", "subset", "intersect"):
        assert squeezed(t(f"questionnaire.relation_{rel}", lang)) in flat, rel
    assert all(squeezed(fw.name[lang]) in flat for fw in frameworks)
    engine.dispose()


def test_report_refuses_other_languages_and_never_fetches(demo_db_url: str) -> None:
    from reports.render import html_to_pdf
    from services.errors import InvalidInput

    engine, org1, aid = _demo(demo_db_url)
    with pytest.raises(InvalidInput):
        management_report_pdf(engine, org1, aid, "fr")
    # A remote image in the HTML is not fetched (no network at run time): the PDF still renders.
    pdf = html_to_pdf('<html><body><p>x</p><img src="http://192.0.2.1/x.png"><img src="file:///etc/passwd">'
                      '</body></html>')
    assert pdf.startswith(b"%PDF")
    engine.dispose()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_round_report_names_no_member_and_shows_the_dashboards_figures(demo_db_url: str, tmp_path: Path,
                                                                        poppler: None, lang: str) -> None:
    from sqlalchemy import select

    from db.engine import read_session
    from db.models import Organisation
    from services.round_dashboard import round_dashboard
    from services.round_report import round_report_pdf
    from services.rounds import list_rounds

    engine = make_engine(demo_db_url)
    assoc = actor_for_cli(engine, "assoc")
    rnd = next(r.round for r in list_rounds(engine, assoc, next(iter(assoc.association_admin))) if r.round.is_open)
    dash = round_dashboard(engine, assoc, rnd.id)
    pdf = tmp_path / f"round-{lang}.pdf"
    pdf.write_bytes(round_report_pdf(engine, assoc, rnd.id, lang))
    text = pdf_text(pdf, layout=True)
    assert dash.association_name in text and squeezed(rnd.name) in squeezed(text)
    overall = dash.stats.units["overall"]
    line = next(x for x in text.splitlines() if x.strip().startswith("总体" if lang == "zh" else "Overall"))
    for value in (overall.p25, overall.median, overall.p75):  # the release's quantiles (no P10/P90 published)
        assert format_score(value) in line, (value, line)
    # Only what the release publishes has a column: no P10/P90, no priority split the release does not carry.
    assert "P10" not in text and "P90" not in text
    assert squeezed(t("results.radar_subdimensions", lang)) not in squeezed(text)  # none released: no empty table
    flowing = squeezed(pdf_text(pdf))  # reading order: a header wrapped inside its cell reads whole
    assert squeezed(t("benchmark.col.members_high", lang)) in flowing
    for g in [g for g in dash.stats.gaps if g.count > 0][:10]:  # the noisy count as released, on the gap's row
        # The gap's own row starts with its id; another question's text may cite the id ("… is RES-RSD-01").
        row = next(x for x in text.splitlines() if x.split()[:1] == [g.question_id])
        assert f" {g.count} " in f" {row} ", (g.count, row)
    assert str(dash.stats.participation.submitted) in text
    with read_session(engine) as s:
        names = list(s.scalars(select(Organisation.name)))
    named = [n for n in names if squeezed(n) in squeezed(text)]
    assert not named, f"the round report names members: {named}"
    for g in [g for g in dash.stats.gaps if g.count > 0][:10]:
        assert g.question_id in squeezed(text)
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "round-page1")],
                   check=True)
    assert next(tmp_path.glob("round-page1*.png")).stat().st_size > 5000
    engine.dispose()
