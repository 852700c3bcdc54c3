"""Streamlit entry point: page config, language, sign-in gate and the page registry (st.navigation).

Pages live in ``app_pages/``, not ``pages/``: a folder named ``pages/`` beside this file switches
Streamlit to its legacy file router, which breaks st.navigation deep links (README, "Layout").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from app_pages import signin
from app_pages.common import (
    actor,
    app_style,
    current_actor,
    current_org_id,
    language_switch,
    member_organisations,
    set_current_org,
    sign_out,
    tr,
)
from app_pages.widget_text import localise_streamlit_texts
from services.access import Actor

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class PageSpec:
    file: str
    title_key: str
    url_path: str
    icon: str
    section_key: str
    needs: str = "signed_in"  # signed_in | org | org_admin | association_admin | platform_admin
    default: bool = False


PAGES: tuple[PageSpec, ...] = (
    PageSpec("home.py", "nav.home", "home", ":material/home:", "nav.section.start", default=True),
    PageSpec("profile.py", "nav.profile", "profile", ":material/business:", "nav.section.assess"),
    PageSpec("assessments.py", "nav.assessments", "assessments", ":material/list_alt:", "nav.section.assess", "org"),
    PageSpec("questionnaire.py", "nav.questionnaire", "questionnaire", ":material/edit_note:", "nav.section.assess", "org"),
    PageSpec("results.py", "nav.results", "results", ":material/radar:", "nav.section.assess", "org"),
    PageSpec("import_export.py", "nav.import_export", "excel", ":material/table_view:", "nav.section.assess", "org"),
    PageSpec("peers.py", "nav.peers", "peers", ":material/groups:", "nav.section.benchmark", "org"),
    PageSpec("association.py", "nav.association", "association", ":material/insights:", "nav.section.benchmark",
             "association_admin"),
    PageSpec("members.py", "nav.members", "members", ":material/manage_accounts:", "nav.section.admin", "org_admin"),
    PageSpec("admin.py", "nav.admin", "admin", ":material/admin_panel_settings:", "nav.section.admin",
             "platform_admin"),
    PageSpec("account.py", "nav.account", "account", ":material/person:", "nav.section.admin"),
    PageSpec("about.py", "nav.about", "about", ":material/info:", "nav.section.admin"),
)


def _visible(spec: PageSpec, who: Actor, org_id: int | None) -> bool:
    if not (HERE / "app_pages" / spec.file).exists():
        return False
    return {
        "signed_in": True,
        "org": org_id is not None,
        "org_admin": org_id is not None and who.can_admin_org(org_id),
        "association_admin": who.is_platform_admin or bool(who.association_admin),
        "platform_admin": who.is_platform_admin,
    }[spec.needs]


def _page(spec: PageSpec) -> st.Page:
    # Streamlit serves the default page at "/" only and answers its own path with "Page not found"; the
    # default page therefore reserves "<path>-start", and a hidden twin serves "/<path>" (see _pages).
    url_path = f"{spec.url_path}-start" if spec.default else spec.url_path
    return st.Page(f"app_pages/{spec.file}", title=tr(spec.title_key), url_path=url_path, icon=spec.icon,
                   default=spec.default)


def _own_url(spec: PageSpec) -> st.Page:
    """The default page at its own URL too (a link to /home must not say "page not found")."""
    return st.Page(f"app_pages/{spec.file}", title=tr(spec.title_key), url_path=spec.url_path, icon=spec.icon,
                   visibility="hidden")


def _org_switcher(who: Actor) -> int | None:
    orgs = member_organisations(who)
    if not orgs:
        set_current_org(None)
        return None
    ids = [o.id for o in orgs]
    current = current_org_id()
    if current not in ids:
        current = ids[0]
    names = {o.id: o.name for o in orgs}
    chosen = st.sidebar.selectbox(tr("common.organisation"), ids, index=ids.index(current),
                                  format_func=lambda i: names[i], key="org_switch")
    set_current_org(chosen, names[chosen])
    return chosen


def main() -> None:
    # A local image: a ":material/…:" or emoji icon makes the browser fetch it from an internet host.
    st.set_page_config(page_title=tr("app.title"), page_icon=str(HERE / "assets" / "favicon.png"), layout="wide")
    app_style()
    language_switch()
    with st.sidebar:
        localise_streamlit_texts()
    who = current_actor()
    if who is None:
        # Register every page (hidden) so a deep link keeps its URL through sign-in, but run none.
        st.navigation([_page(spec) for spec in PAGES if (HERE / "app_pages" / spec.file).exists()]
                      + [_own_url(spec) for spec in PAGES if spec.default], position="hidden")
        signin.render()
        return
    org_id = _org_switcher(who)
    sections: dict[str, list[st.Page]] = {}
    for spec in PAGES:
        if _visible(spec, who, org_id):
            sections.setdefault(tr(spec.section_key), []).append(_page(spec))
            if spec.default:
                sections[tr(spec.section_key)].append(_own_url(spec))
    with st.sidebar:
        st.caption(tr("common.signed_in_as", user=actor().username))
        if st.button(tr("common.sign_out"), key="sign_out"):
            sign_out()
            st.rerun()
    st.navigation(sections).run()


if __name__ == "__main__":  # streamlit runs this file as __main__; tests import PAGES without running it
    main()
