"""What an uploaded evidence file is, told from its content (magic bytes), never from its name.

The accepted kinds are few and documented (docs/reports.md): PDF, Office Open XML documents
(.docx, .xlsx, .pptx), PNG, JPEG, GIF and WebP images, and UTF-8 text. Python's standard library
has no content sniffing and the few signatures needed are fixed by the formats' specifications,
so they are listed here rather than pulled in with a general-purpose sniffing library. Office
packages go through the same zip checks as Excel uploads (excel/safety.py: zip bombs, encryption,
macros, embedded objects) before their ``[Content_Types].xml`` is read.

:func:`detect` returns the media type, or a refusal code (``evidence_<code>`` messages).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from excel.safety import OLE_MAGIC, inspect_zip_members

# media type → file name endings that may carry it
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (".pptx",),
    "text/plain": (".txt", ".md", ".csv", ".log", ".json", ".yaml", ".yml"),
}
_OFFICE_MAIN = {  # main part's content type (in [Content_Types].xml) → media type
    b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml":
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml":
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    b"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml":
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
_TEXT_CONTROL = frozenset(range(0x20)) - {0x09, 0x0A, 0x0C, 0x0D}


@dataclass(frozen=True)
class Detected:
    media_type: str | None  # None when refused
    problem: str | None = None  # refusal code
    detail: str = ""


def _office(data: bytes) -> Detected:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        return Detected(None, "damaged")
    with zf:
        finding = inspect_zip_members(infos)
        if finding is not None:
            code = {"macro_sheets": "macros"}.get(finding.code, finding.code)
            return Detected(None, code, str(finding.values.get("reason", "")))
        names = {i.filename.lower() for i in infos}
        if "[content_types].xml" not in names:
            return Detected(None, "unknown_type")
        try:
            content_types = zf.read("[Content_Types].xml").lower()
        except (KeyError, zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
            return Detected(None, "damaged")
    if b"macroenabled" in content_types or b"vbaproject" in content_types:
        return Detected(None, "macros")
    for marker, media in _OFFICE_MAIN.items():
        if marker in content_types:
            return Detected(media)
    return Detected(None, "unknown_type")


def _text(data: bytes) -> Detected:
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return Detected(None, "unknown_type")
    if any(b in _TEXT_CONTROL for b in body):
        return Detected(None, "unknown_type")
    return Detected("text/plain")


def detect(data: bytes) -> Detected:
    """The media type of ``data`` by its content, or why it is refused."""
    if not data:
        return Detected(None, "empty")
    if data.startswith(b"%PDF-"):
        return Detected("application/pdf")
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return Detected("image/png")
    if data.startswith(b"\xff\xd8\xff"):
        return Detected("image/jpeg")
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return Detected("image/gif")
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return Detected("image/webp")
    if data.startswith(OLE_MAGIC):
        return Detected(None, "legacy_office")
    if data.startswith(b"PK\x03\x04"):
        return _office(data)
    return _text(data)


def name_fits(filename: str, media_type: str) -> bool:
    """Whether ``filename`` ends as files of ``media_type`` do (a PNG named .pdf is refused)."""
    return PurePath(filename).suffix.lower() in EXTENSIONS[media_type]
