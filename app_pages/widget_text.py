"""Streamlit's own widget texts in the user's language.

Streamlit has no translations: its widgets say "Select all", "Upload", "5MB per file", "Press
Ctrl+Enter to apply", "Choose an option" whatever the page's language. A small script, installed once
per browser tab, replaces each such text node (matched in full against Streamlit's English wording,
below) by the catalog's ``widgets.*`` message as Streamlit draws it, including in drop-down menus
that open later. In English nothing is replaced. The English patterns belong to the pinned
Streamlit version (constraints.txt); the browser scan tests/e2e/test_zh_ui_scan.py notices a change.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

from app_pages.common import lang, page_script
from i18n import LANGUAGES, t

# catalog key → Streamlit's English text (a full text node), with named groups for the placeholders.
STREAMLIT_TEXTS: dict[str, str] = {
    "widgets.select_all": r"Select all",
    "widgets.select_matches": r"Select (?P<n>\d+) matches",
    "widgets.no_results": r"No results",
    "widgets.choose_option": r"Choose an option",
    "widgets.choose_options": r"Choose options",
    "widgets.no_options": r"No options to select\.?",
    "widgets.press_enter_apply": r"Press Enter to apply",
    "widgets.press_mod_enter_apply": r"Press (?P<mod>Ctrl|⌘)\+Enter to apply",
    "widgets.press_enter_submit": r"Press Enter to submit form",
    "widgets.press_mod_enter_submit": r"Press (?P<mod>Ctrl|⌘)\+Enter to submit form",
    "widgets.upload": r"Upload",
    "widgets.drag_drop_file": r"Drag and drop (?:a )?file here",
    "widgets.drag_drop_files": r"Drag and drop files here",
    "widgets.per_file": r"(?P<size>[\d.]+\s?[KMG]?B) per file",
    "widgets.running": r"Running\.\.\.",
    "widgets.stop": r"Stop",
    "widgets.clear_all": r"Clear all",
    "widgets.choose_date": r"Choose date",
    "widgets.close": r"Close",
    "widgets.connecting": r"Connecting",
    "widgets.connection_error": r"Connection error",
    "widgets.skip_to_content": r"Skip to main content",
    "widgets.options_available": r"(?P<n>\d+) options? available\.?",
    "widgets.results_available": r"(?P<n>\d+) results? available\.?",
}

_SCRIPT = (
    "var L=window.aigovL10n||(window.aigovL10n={});L.rules=RULES.map(function(r){"
    "return [new RegExp('^(\\\\s*)'+r[0]+'(\\\\s*)$'),r[1],r[2]];});"
    "function fix(n){var v=n.nodeValue;if(!v||!/[A-Za-z]/.test(v))return;"
    "for(var i=0;L.rules.length>i;i++){var r=L.rules[i],m=v.match(r[0]);if(m){"
    "var out=r[1];r[2].forEach(function(g,k){out=out.split('{'+g+'}').join(m[k+2]);});"
    "n.nodeValue=m[1]+out+m[m.length-1];return;}}}"
    # A placeholder is an attribute, not a text node: translated through a stand-in text node.
    "function place(e){var t=document.createTextNode(e.getAttribute('placeholder'));fix(t);"
    "if(t.nodeValue!==e.getAttribute('placeholder'))e.setAttribute('placeholder',t.nodeValue);}"
    "function walk(root){if(root.nodeType===3){fix(root);return;}if(root.nodeType!==1)return;"
    "var w=document.createTreeWalker(root,NodeFilter.SHOW_TEXT),n;while((n=w.nextNode()))fix(n);"
    "if(root.hasAttribute('placeholder'))place(root);root.querySelectorAll('[placeholder]').forEach(place);}"
    "if(!L.observer){L.observer=new MutationObserver(function(ms){ms.forEach(function(m){"
    "if(m.type==='characterData')fix(m.target);else if(m.type==='attributes')place(m.target);"
    "else m.addedNodes.forEach(walk);});});"
    "L.observer.observe(document.body,{childList:true,subtree:true,characterData:true,attributes:true,"
    "attributeFilter:['placeholder']});}"
    "walk(document.body);"
)


@lru_cache(maxsize=len(LANGUAGES))
def _script(language: str) -> str:
    """The replacement script for ``language``, built once per language (the catalogs do not change while
    the app runs): [pattern, message with {name} placeholders, group names in order]; English needs none."""
    rules: list[list[object]] = []
    for key, pattern in STREAMLIT_TEXTS.items() if language != "en" else ():
        groups = list(re.compile(pattern).groupindex)
        message = t(key, language, **{g: "{" + g + "}" for g in groups})
        # JavaScript regexes have no (?P<name>…): plain groups, in the same order.
        rules.append([re.sub(r"\(\?P<\w+>", "(", pattern), message, groups])
    return _SCRIPT.replace("RULES", json.dumps(rules, ensure_ascii=False))


def localise_streamlit_texts() -> None:
    """Install (or update) the text replacement for the current language."""
    page_script(_script(lang()))
