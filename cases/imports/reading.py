"""An uploaded file → a table of cells with the row numbers a spreadsheet shows.

The kind of file is decided by its bytes, never by its name: an XLSX workbook is a ZIP with
``xl/workbook.xml``; anything else must be text, decoded as UTF-8 (with or without BOM),
UTF-16 with BOM, or GB18030 (a superset of GBK, what Excel on Chinese Windows writes).
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .columns import COLUMNS, HEADER_ALIASES, normalize_header

XLSX = "xlsx"
CSV = "csv"
HEADER_SEARCH_ROWS = 10  # a title line or two above the header is common in exports
MIN_HEADER_MATCHES = 3


class ImportFileError(Exception):
    """The file as a whole cannot be read (wrong type, encoding, no header)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Table:
    """The cells of the first sheet: ``rows`` are (row number, cells) after the header."""

    kind: str
    encoding: str
    header_row: int
    headers: list[str]
    columns: dict[str, int]  # field → index into a row's cells
    rows: list[tuple[int, tuple]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # labels of required columns not found
    repeated: list[str] = field(default_factory=list)  # headers naming a field twice

    def header(self, field_name: str) -> str:
        """The header as the file spells it (for messages and the error file)."""
        index = self.columns.get(field_name)
        if index is None:
            return next(c.label for c in COLUMNS if c.field == field_name)
        return self.headers[index]


def detect_kind(content: bytes) -> str:
    """``xlsx`` or ``csv`` from the bytes; ``ImportFileError`` for anything else."""
    if content[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                if "xl/workbook.xml" in archive.namelist():
                    return XLSX
        except zipfile.BadZipFile:
            pass
        raise ImportFileError(
            _("The file is a ZIP archive but not an Excel .xlsx workbook (不是xlsx文件).")
        )
    if content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ImportFileError(
            _("The file is an old Excel .xls workbook; save it as .xlsx or CSV (请另存为xlsx).")
        )
    if not content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and (
        b"\x00" in content[:4096]
    ):
        raise ImportFileError(_("The file is neither CSV nor XLSX (文件类型不支持)."))
    return CSV


def decode(content: bytes) -> tuple[str, str]:
    """(text, encoding name) of a CSV file."""
    if content.startswith(codecs.BOM_UTF8):
        return content[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict"), "utf-8-sig"
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return content.decode("utf-16"), "utf-16"
    for encoding in ("utf-8", "gb18030"):
        try:
            return content.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise ImportFileError(
        _("The file is not UTF-8 or GBK text; save it as CSV UTF-8 (编码无法识别).")
    )


def _csv_rows(content: bytes) -> tuple[list[tuple], str]:
    text, encoding = decode(content)
    first_line = text.split("\n", 1)[0]
    delimiter = max(",\t;", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return [tuple(row) for row in reader], encoding


def _xlsx_rows(content: bytes) -> list[tuple]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        raise ImportFileError(
            _("The workbook cannot be read (%(error)s) (Excel文件已损坏)") % {"error": exc}
        ) from exc
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some exporters write a wrong <dimension>: read everything
        return [tuple(row) for row in sheet.iter_rows(min_row=1, values_only=True)]
    finally:
        workbook.close()


def _header_fields(cells: tuple) -> list[str | None]:
    return [HEADER_ALIASES.get(normalize_header(cell)) for cell in cells]


def read_table(content: bytes) -> Table:
    """Read the first sheet of an XLSX or a whole CSV. The header is the first row (among
    the first ten) naming at least three known columns; row numbers count from 1 at the
    top of the sheet, as a spreadsheet shows them."""
    if not content:
        raise ImportFileError(_("The file is empty (文件为空)."))
    kind = detect_kind(content)
    if kind == XLSX:
        rows, encoding = _xlsx_rows(content), ""
    else:
        rows, encoding = _csv_rows(content)
    header_index = 0
    for index, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if sum(f is not None for f in _header_fields(cells)) >= MIN_HEADER_MATCHES:
            header_index = index
            break
    header_cells = rows[header_index] if rows else ()
    headers = ["" if cell is None else str(cell).strip() for cell in header_cells]
    columns: dict[str, int] = {}
    repeated = []
    for index, field_name in enumerate(_header_fields(header_cells)):
        if field_name is None:
            continue
        if field_name in columns:
            repeated.append(headers[index])
        else:
            columns[field_name] = index
    missing = [c.label for c in COLUMNS if c.required and c.field not in columns]
    return Table(
        kind=kind,
        encoding=encoding,
        header_row=header_index + 1,
        headers=headers,
        columns=columns,
        rows=[(number, cells) for number, cells in enumerate(rows, start=1)][header_index + 1 :],
        missing=missing,
        repeated=repeated,
    )
