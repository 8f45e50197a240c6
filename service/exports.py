"""Writing tables for Excel: CSV (UTF-8 with BOM, so Excel opens Chinese correctly) and XLSX (openpyxl).

Cell values come from users (case titles, opinions), and a spreadsheet would run a value starting with ``=``,
``+``, ``-`` or ``@`` (or a tab or carriage return, which some versions treat the same) as a formula — CSV/formula
injection. CSV cells starting with one of those get a leading apostrophe; XLSX cells are written as explicit
strings, which Excel never evaluates.
"""
from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Iterable, Iterator, Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from . import clock

BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_FLUSH_ROWS = 500


def plain(value) -> str | int | float | None:
    """A cell value as shown: local times as text, None as empty."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return clock.local(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float)):
        return value
    return str(value)


def csv_safe(value) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)  # a number is data, never a formula (and -5 must stay -5)
    text = "" if value is None else str(plain(value))
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_chunks(headers: Sequence[str], rows: Iterable[Sequence]) -> Iterator[str]:
    """The CSV as text chunks for a streamed response (BOM first, CRLF line ends as Excel expects)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow([csv_safe(h) for h in headers])
    for n, row in enumerate(rows, 1):
        writer.writerow([csv_safe(v) for v in row])
        if n % CSV_FLUSH_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_bytes(headers: Sequence[str], rows: Iterable[Sequence], *, sheet: str = "Sheet1",
               widths: Sequence[int] | None = None) -> bytes:
    """An XLSX workbook in write-only mode (rows are streamed into the file, not held as cell objects)."""
    book = Workbook(write_only=True)
    ws = book.create_sheet(title=sheet[:31])
    if widths:
        for n, width in enumerate(widths, 1):
            ws.column_dimensions[get_column_letter(n)].width = width
    ws.freeze_panes = "A2"
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="EEF2F7")
    ws.append([_cell(ws, h, font=bold, fill=fill) for h in headers])
    wrap = Alignment(wrap_text=False, vertical="top")
    for row in rows:
        ws.append([_cell(ws, v, alignment=wrap) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(ws, value, **style) -> WriteOnlyCell:
    value = plain(value)
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters cannot be stored in the XML
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever the text starts with
    for name, item in style.items():
        setattr(cell, name, item)
    return cell
