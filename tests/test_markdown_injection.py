"""Markdown injection across tenants: a value anyone typed is shown as text on every page.

Threat (docs/security.md, "Markdown injection"): Streamlit renders Markdown in texts, alerts, titles and
widget labels. A round name, association or organisation name, assessment title (copied from a round
name), display name, note, N/A reason or uploaded file name holding ``[link](https://…)`` or
``![](https://…)`` would show a live phishing link to another tenant and make every member's browser
fetch an image from the attacker. :func:`i18n.escape_markdown`, applied to every interpolated value by
:func:`app_pages.common.tr`, is the one defence; these tests render every page with hostile values and
parse what Streamlit would render with a CommonMark/GFM parser (markdown-it-py, linkify on).

Teeth: the same page scan with the escaping switched off finds links and images.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from sqlalchemy import Engine

import i18n
from enums import AnswerSource
from i18n import WORD_JOINER, escape_markdown
from questionnaires import get_questionnaire
from services.access import Actor, load_actor
from services.accounts import create_user
from services.assessments import AnswerInputData, create_assessment, save_answers_bulk, submit
from services.associations import create_association, join_association
from services.members import add_member
from services.organisations import create_organisation
from services.round_members import start_round_assessment, submit_to_round
from services.rounds import open_round
from tests.support.apptest import app_test

# A value that would be a link, an image, raw HTML, an autolink, emphasis, strike-through, code and
# Streamlit's colour and math syntax if it reached Markdown unescaped. Each formatting marker wraps a
# word of its own, so formatting that comes from the value is told apart from the page's own.
EVIL = ("PWN[phish](https://evil.example/p) ![x](https://evil.example/i.png) <img src=https://evil.example/h.png> "
        "**PWNb** _PWNi_ ~~PWNs~~ `PWNc` www.evil.example :red[PWNr] $PWNm$")
MARKERS = {"PWNb", "PWNi", "PWNs", "PWNc", "PWNr", "PWNm"}
STREAMLIT_SYNTAX = (":red[PWNr]", "$PWNm$")  # not CommonMark: must not reach Streamlit unescaped
PASSWORD = "Hostile-Tests-2026!"
MD = MarkdownIt("gfm-like", {"html": True})


# remark-gfm (Streamlit's renderer) turns these into links in the text that remains after parsing, that is
# after backslash escapes are resolved: markdown-it-py does not, so the scan applies them to the text.
GFM_AUTOLINKS = (re.compile(r"(?:https?://|www(?=\.))[-.\w]+[^ \t\r\n]*", re.I),
                 re.compile(r"(?:mailto|xmpp):[-.\w+]+@[-\w]+(?:\.[-\w]+)+", re.I),
                 re.compile(r"(?<![\w.+-])[-.\w+]+@[-\w]+(?:\.[-\w]+)+"))


class _Rendered(HTMLParser):
    """Links, images, formatting elements and the text of rendered Markdown."""

    FORMATTING = {"em", "strong", "del", "s", "code", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "li"}

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.formatted: list[str] = []
        self.text: list[str] = []
        self._open: list[tuple[str, list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [v or "" for k, v in attrs if k in ("href", "src")]
        if tag in ("a", "img"):
            self.urls.append(f"<{tag}>")
        if tag in self.FORMATTING:
            self._open.append((tag, []))

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1][0] == tag:
            _, parts = self._open.pop()
            self.formatted.append("".join(parts).strip())
            if self._open:
                self._open[-1][1].extend(parts)

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._open:
            self._open[-1][1].append(data)


def markdown_problems(source: str) -> list[str]:
    """What in ``source`` (Markdown, as Streamlit receives it) came alive from a hostile value."""
    found = _Rendered()
    found.feed(MD.render(source))
    problems = [f"link or image {u!r}" for u in found.urls if "evil" in u or (u in ("<a>", "<img>") and "PWN" in source)]
    problems += [f"formatted {text!r}" for text in found.formatted if text in MARKERS]
    text = "".join(found.text)
    problems += [f"autolink {m.group()!r}" for pattern in GFM_AUTOLINKS for m in pattern.finditer(text)
                 if "evil" in m.group()]
    problems += [f"Streamlit syntax {s!r}" for s in STREAMLIT_SYNTAX if s in source]
    return problems


# --- the rule itself ---------------------------------------------------------------------------------

def test_a_hostile_value_renders_as_its_own_text() -> None:
    html = MD.render(escape_markdown(EVIL))
    assert markdown_problems(escape_markdown(EVIL)) == []
    assert f"https{WORD_JOINER}://evil.example/p" in html and "<a" not in html and "<img" not in html


def test_the_unescaped_value_is_live() -> None:
    """The check itself has teeth: the raw value is a link, an image and formatting."""
    problems = markdown_problems(EVIL)
    assert any("evil.example/p" in p for p in problems) and any("i.png" in p for p in problems)
    assert {"formatted 'PWNb'", "formatted 'PWNi'", "formatted 'PWNs'", "formatted 'PWNc'"} <= set(problems)


def test_backslashes_alone_leave_autolinks_live() -> None:
    """Why the word joiner: with every punctuation character escaped but no joiner, remark-gfm would still
    link the address, which the scan models."""
    only_backslashes = re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", "visit https://evil.example/p or www.evil.example")
    assert {p.split(" ")[0] for p in markdown_problems(only_backslashes)} == {"autolink"}


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=80))
def test_any_text_is_shown_exactly_as_typed(text: str) -> None:
    """Property: the rendered paragraph's text is the value itself (whitespace aside), for any value."""
    parsed = _Rendered()
    html = MD.render(escape_markdown(text))
    parsed.feed(html)
    assert parsed.urls == [] and "<em>" not in html and "<strong>" not in html and "<code>" not in html
    assert not any(p.search("".join(parsed.text)) for p in GFM_AUTOLINKS)
    plain = MarkdownIt("commonmark").render(escape_markdown(text))
    shown = _text_of(plain).replace(WORD_JOINER, "")
    assert " ".join(shown.split()) == " ".join(text.split())


def _text_of(html: str) -> str:
    import html as html_lib

    class _T(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.parts: list[str] = []

        def handle_data(self, data: str) -> None:
            self.parts.append(data)

    t = _T()
    t.feed(html)
    return html_lib.unescape("".join(t.parts))


def test_a_round_name_in_the_trend_chart_stays_text() -> None:
    """Plotly renders <a href> in chart text: a round name on the association's trend axis is escaped."""
    from charts.figures import trend

    fig = trend(['<a href="https://evil.example/p">Q1</a>', "Q2 & Q3"], [("overall", [1.0, 2.0])])
    assert list(fig.data[0].x) == ['&lt;a href="https://evil.example/p"&gt;Q1&lt;/a&gt;', "Q2 &amp; Q3"]


def test_trusted_values_are_the_explicit_opt_out() -> None:
    assert i18n.markdown_message("benchmark.peers.round_heading", "en", name="a*b", association="c") == \
        "**a\\*b** · c"
    assert i18n.markdown_message("benchmark.peers.round_heading", "en", name=i18n.Trusted("*x*"),
                                 association="c") == "***x*** · c"


# --- every page, with hostile values everywhere -----------------------------------------------------

@dataclass(frozen=True)
class HostileWorld:
    root: int
    lead: int
    rita: int
    secretary: int
    org_id: int
    round_assessment: int
    titled_assessment: int


def hostile_world(engine: Engine) -> HostileWorld:
    q = get_questionnaire()
    root = create_user(engine, "root", PASSWORD, platform_admin=True, display_name=EVIL).id
    lead = create_user(engine, "lead", PASSWORD, display_name=EVIL).id
    rita = create_user(engine, "rita", PASSWORD, display_name=EVIL).id
    secretary = create_user(engine, "secretary", PASSWORD, display_name=EVIL).id
    lead_actor = load_actor(engine, lead)
    org = create_organisation(engine, lead_actor, "Org " + EVIL, q.default_profile())
    add_member(engine, Actor.system(), org.id, "rita", "respondent")
    lead_actor = load_actor(engine, lead)
    assoc = create_association(engine, Actor.system(), "Assoc " + EVIL, min_group_size=3, admin_username="secretary")
    join_association(engine, lead_actor, org.id, assoc.invite_code or "")
    rnd = open_round(engine, Actor.system(), assoc.id, "Round " + EVIL, deadline=None)
    answers = [AnswerInputData(x.id, na=True, justification=EVIL) if i % 5 == 0
               else AnswerInputData(x.id, level=i % 6, note=EVIL, justification=EVIL)
               for i, x in enumerate(q.questions())]
    in_round = start_round_assessment(engine, lead_actor, org.id, rnd.id, sharing="identified").id
    save_answers_bulk(engine, lead_actor, in_round, answers, source=AnswerSource.UI)
    submit_to_round(engine, lead_actor, in_round)
    titled = create_assessment(engine, lead_actor, org.id, title="Title " + EVIL).id
    save_answers_bulk(engine, load_actor(engine, rita), titled, answers[:20], source=AnswerSource.UI)
    submit(engine, lead_actor, titled)
    return HostileWorld(root, lead, rita, secretary, org.id, in_round, titled)


# (who, page, query) — every page each kind of user reaches, with the hostile objects selected.
def _visits(w: HostileWorld) -> list[tuple[int, str, dict[str, str]]]:
    lead_pages = ["home", "profile", "assessments", "questionnaire", "results", "import_export", "peers",
                  "members", "account", "about"]
    visits = [(w.lead, p, {"assessment": str(w.round_assessment)}) for p in lead_pages]
    visits += [(w.lead, p, {"assessment": str(w.titled_assessment)}) for p in ("results", "members", "questionnaire")]
    visits += [(w.rita, p, {"assessment": str(w.titled_assessment)}) for p in ("home", "questionnaire", "results")]
    visits += [(w.secretary, "association", {}), (w.secretary, "home", {}), (w.root, "admin", {})]
    return visits


def _markdown_sources(node: Any) -> Iterator[str]:
    """Every string of the run that Streamlit renders as Markdown: bodies, labels, help texts, radio options."""
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            yield from _markdown_sources(child)
    proto = getattr(node, "proto", None)
    if proto is None or getattr(node, "type", "") in ("selectbox", "multiselect", "code", "text", "arrow_data_frame"):
        return  # select options, code blocks, st.text and tables show text as it is
    for field, value in proto.ListFields():
        if field.name in ("body", "label", "help", "caption"):
            if isinstance(value, str):
                yield value
        elif field.name == "options" and getattr(node, "type", "") == "radio":
            yield from (str(o) for o in value)


def _scan(w: HostileWorld, lang: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for user, page, query in _visits(w):
        at = app_test(user, lang=lang, org_id=w.org_id if user in (w.lead, w.rita) else None, query=query)
        at.run()
        at.switch_page(f"app_pages/{page}.py").run()
        assert not at.exception, (page, [e.value for e in at.exception])
        sources = list(_markdown_sources(at._tree))
        for source in sources:
            for problem in markdown_problems(source):
                found.setdefault(f"{page} ({user})", []).append(f"{problem} in {source[:120]!r}")
    return found


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_page_turns_a_hostile_value_into_a_link_image_or_formatting(app_db: str, engine: Engine,
                                                                       lang: str) -> None:
    w = hostile_world(engine)
    assert _scan(w, lang) == {}


@pytest.mark.slow
def test_the_page_scan_finds_them_when_escaping_is_switched_off(app_db: str, engine: Engine,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    w = hostile_world(engine)
    monkeypatch.setattr(i18n, "escape_markdown", lambda text: text)
    found = _scan(w, "en")
    pages = {where.split(" ")[0] for where in found}
    assert {"home", "peers", "association", "questionnaire", "results"} <= pages, found.keys()
    assert any("evil.example/i.png" in p for problems in found.values() for p in problems)
