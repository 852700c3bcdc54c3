"""Checks on uploaded bytes before openpyxl parses any of them.

openpyxl has no defence against zip bombs, opens macro-enabled packages and parses whatever XML
it finds, so an upload is inspected as a zip archive first (sizes as declared in the central
directory, which Python's zipfile enforces while decompressing), and XML parsing is only ever
done with defusedxml in place (openpyxl switches to it by itself when it is installed; we check
that it did rather than trust it).
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any
from xml.parsers import expat

from excel.problems import shown

MAX_UPLOAD_MB = 5
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_MEMBERS = 300
MAX_RATIO = 100  # uncompressed / compressed, checked for members above RATIO_FLOOR
RATIO_FLOOR = 1024 * 1024
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and password-encrypted .xlsx
XLSX_MAIN = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
EXECUTABLE_PARTS = ("vbaproject", "vbadata", "activex", "embeddings/", "oleobject")
# Excel 4.0 (XLM) macro sheets and dialog sheets: their cells are commands, run by an Auto_Open name
# without any VBA project, and Excel never saves them into an .xlsx. Found by part folder, by content
# type (…ms-excel.macrosheet+xml, …intlmacrosheet+xml, binary …ms-excel.macrosheet, …dialogsheet+xml)
# and by relationship type (xlMacrosheet, xlIntlMacrosheet, dialogsheet) in any .rels part: a crafted
# package may store the sheet under any name, but Excel only loads it when one of the latter declares it.
MACRO_SHEET_PARTS = ("macrosheets/", "dialogsheets/")
MACRO_SHEET_MARKERS = (b"macrosheet", b"dialogsheet")
_OVERRIDE = re.compile(rb"<(?:\w+:)?override\b[^>]*>")
_PART_NAME = re.compile(rb'partname\s*=\s*["\']([^"\']+)')


@dataclass(frozen=True)
class Finding:
    """Why the bytes are refused: an i18n code (``excel.problem.<code>``) and its values."""

    code: str
    values: dict[str, Any] = field(default_factory=dict)


class UnsafeXMLParser(RuntimeError):
    """openpyxl would parse XML without defusedxml: the installation is misconfigured."""


def require_defusedxml() -> None:
    """Raise unless openpyxl parses XML through defusedxml (entity expansion and DTDs refused)."""
    import openpyxl.xml
    from openpyxl.xml import functions

    if not openpyxl.xml.DEFUSEDXML or not functions.fromstring.__module__.startswith("defusedxml"):
        raise UnsafeXMLParser(
            "openpyxl is not using defusedxml: install defusedxml and unset OPENPYXL_DEFUSEDXML; "
            "uploads are refused until then"
        )


def inspect(data: bytes, *, max_bytes: int = MAX_UPLOAD_BYTES) -> Finding | None:
    """The first reason to refuse ``data`` as an .xlsx upload, or None when openpyxl may parse it."""
    if not data:
        return Finding("empty_file")
    if len(data) > max_bytes:
        return Finding("too_large", {"size_mb": f"{len(data) / 1024 / 1024:.1f}", "max_mb": max_bytes // 1024 // 1024})
    if data.startswith(OLE_MAGIC):
        return Finding("ole_file")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        return Finding("not_xlsx")
    with zf:
        return _inspect_members(zf, infos)


def _inspect_members(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> Finding | None:
    names = {info.filename.replace("\\", "/").lower() for info in infos}
    if (finding := inspect_zip_members(infos)) is not None:
        return finding
    return _inspect_workbook(zf, infos, names)


def inspect_zip_members(infos: list[zipfile.ZipInfo]) -> Finding | None:
    """Why an Office (OOXML) package's parts are refused before any is read: too many parts, a zip
    bomb (declared sizes and ratios; zipfile enforces the declared sizes while decompressing),
    encryption, macros, embedded objects or XLM macro sheets. Shared by every upload of Office files."""
    if len(infos) > MAX_MEMBERS:
        return Finding("zip_bomb", {"reason": f"{len(infos)} parts"})
    total = 0
    for info in infos:
        name = info.filename.replace("\\", "/").lower()
        if any(part in name for part in EXECUTABLE_PARTS):
            return Finding("macros")
        if any(part in name for part in MACRO_SHEET_PARTS):
            return Finding("macro_sheets", {"part": shown(info.filename)})
        if info.flag_bits & 0x1:
            return Finding("encrypted")
        total += info.file_size
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            return Finding("zip_bomb", {"reason": f"{info.filename} expands {info.file_size // max(info.compress_size, 1)}×"})
    if total > MAX_UNCOMPRESSED_BYTES:
        return Finding("zip_bomb", {"reason": f"{total // 1024 // 1024} MB uncompressed"})
    return None


def _inspect_workbook(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], names: set[str]) -> Finding | None:
    if "[content_types].xml" not in names or "xl/workbook.xml" not in names:
        return Finding("not_workbook")
    try:
        content_types = zf.read("[Content_Types].xml")
    except (KeyError, zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
        return Finding("damaged")
    lowered = content_types.lower()
    if b"macroenabled" in lowered or b"vbaproject" in lowered:
        return Finding("macros")
    if any(marker in lowered for marker in MACRO_SHEET_MARKERS):
        return Finding("macro_sheets", {"part": _declared_part(lowered)})
    if XLSX_MAIN.lower() not in lowered:
        return Finding("not_workbook")
    for info in infos:  # relationship parts are small, and sizes were checked above
        if not info.filename.lower().endswith(".rels"):
            continue
        try:
            rels = zf.read(info).lower()
        except (KeyError, zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
            return Finding("damaged")
        if any(marker in rels for marker in MACRO_SHEET_MARKERS):
            return Finding("macro_sheets", {"part": shown(info.filename)})
    for info in infos:
        if _has_doctype(zf, info):
            return Finding("xml_entities", {"part": shown(info.filename)})
    return None


XML_PARTS = (".xml", ".rels", ".vml")


class _PrologEnd(Exception):
    """The root element began: a document type declaration can no longer follow."""


def _has_doctype(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """Whether an XML part declares a document type (``<!DOCTYPE …>``, with or without entities, internal or
    external). Excel never writes one; a DTD is where entity bombs and external references live, and
    defusedxml, which openpyxl parses with, refuses entities but lets a DTD without them through.

    Read with expat, the parser openpyxl's parsing is built on, so the part's declared encoding (UTF-16, a
    single-byte code page) is honoured exactly as it will be; only the prolog is parsed, up to the root
    element. A part expat cannot read is left to openpyxl, which reports it as damaged.
    """
    if not info.filename.lower().endswith(XML_PARTS):
        return False
    found = False

    def doctype(*_args: object) -> None:
        nonlocal found
        found = True
        raise _PrologEnd

    def root(*_args: object) -> None:
        raise _PrologEnd

    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = doctype
    parser.StartElementHandler = root
    try:
        with zf.open(info) as part:
            while chunk := part.read(64 * 1024):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except _PrologEnd:
        return found
    except (expat.ExpatError, zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
        return False
    return found


def _declared_part(content_types: bytes) -> str:
    """The part ``[Content_Types].xml`` declares as a macro or dialog sheet (for the message)."""
    for override in _OVERRIDE.finditer(content_types):
        if any(marker in override.group() for marker in MACRO_SHEET_MARKERS):
            found = _PART_NAME.search(override.group())
            if found:
                return shown(found.group(1).decode("utf-8", "replace").lstrip("/"))
    return "[Content_Types].xml"
