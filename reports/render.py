"""HTML → PDF with WeasyPrint, offline: only ``data:`` URLs may be fetched.

Why WeasyPrint: a maintained HTML/CSS-to-PDF engine that embeds system fonts (Noto Sans CJK from
Debian's fonts-noto-cjk) with proper CJK line breaking, renders SVG itself, and needs no browser
process. Its default URL fetcher would follow http(s) and file URLs found in the HTML; a report
contains user text, so a fetcher that allows only ``data:`` makes any other URL a failed
resource, never a request.
"""

from __future__ import annotations

import base64
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

TEMPLATES = Path(__file__).resolve().parent / "templates"
FONT_FAMILY = '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", sans-serif'


@lru_cache(maxsize=1)
def environment() -> Environment:
    """Jinja2 with autoescaping on: every value (organisation names, notes, titles) is HTML-escaped."""
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]),
                       trim_blocks=True, lstrip_blocks=True)


def render_html(template: str, **context: object) -> str:
    return environment().get_template(template).render(font_family=Markup(FONT_FAMILY), **context)


def svg_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def offline_fetcher() -> Any:
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"data"}, allow_redirects=False, timeout=1)


def html_to_pdf(html: str) -> bytes:
    """The PDF of ``html``; relative and remote URLs are never fetched."""
    import weasyprint

    doc = weasyprint.HTML(string=html, base_url=str(TEMPLATES), url_fetcher=offline_fetcher())
    return doc.write_pdf()
