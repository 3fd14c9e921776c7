"""Merged cells of an OpenDocument spreadsheet, read from its content.xml (calamine reads the
values of an ods but not its merges): `table:number-rows-spanned` / `number-columns-spanned`."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
from lxml import etree

from transforms.ingest.merged import MERGE_COLUMNS

_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_TABLE = f"{{{_TABLE_NS}}}table"
_ROW = f"{{{_TABLE_NS}}}table-row"
_CELL = f"{{{_TABLE_NS}}}table-cell"
_COVERED = f"{{{_TABLE_NS}}}covered-table-cell"
_NAME = f"{{{_TABLE_NS}}}name"
_ROWS_REPEATED = f"{{{_TABLE_NS}}}number-rows-repeated"
_COLS_REPEATED = f"{{{_TABLE_NS}}}number-columns-repeated"
_ROWS_SPANNED = f"{{{_TABLE_NS}}}number-rows-spanned"
_COLS_SPANNED = f"{{{_TABLE_NS}}}number-columns-spanned"
# Most rows span nothing: one XPath test in C instead of looking at each of their cells.
_HAS_SPAN = etree.XPath(
    "boolean(t:table-cell[@t:number-rows-spanned or @t:number-columns-spanned])",
    namespaces={"t": _TABLE_NS},
)
# A spanned cell repeated over rows or columns stands for this many merges at most (a run of
# identical merged rows); past it the file is not what an office suite writes: ignored.
MAX_REPEAT = 10_000


def ods_merges(path: Path, data: bytes | None = None) -> dict[str, np.ndarray]:
    """Merge ranges per sheet name (0-based first row, first column, last row, last column),
    streamed from content.xml so a large sheet is never held as a tree."""
    source = io.BytesIO(data) if data is not None else path
    merges: dict[str, list[tuple[int, int, int, int]]] = {}
    with zipfile.ZipFile(source) as archive, archive.open("content.xml") as content:
        sheet: list[tuple[int, int, int, int]] = []
        row = 0
        events = etree.iterparse(
            content, events=("start", "end"), tag=(_TABLE, _ROW),
            resolve_entities=False, no_network=True, huge_tree=True,
        )  # fmt: skip
        for event, element in events:
            if element.tag == _TABLE:
                if event == "start":
                    sheet = merges.setdefault(element.get(_NAME, ""), [])
                    row = 0
                continue
            if event == "start":
                continue
            # a row is read whole: its cells are its children
            row_repeat = _count(element.get(_ROWS_REPEATED))
            col = 0
            for cell in element if _HAS_SPAN(element) else ():
                repeat = _count(cell.get(_COLS_REPEATED))
                if cell.tag == _CELL:
                    height = _count(cell.get(_ROWS_SPANNED))
                    width = _count(cell.get(_COLS_SPANNED))
                    if (height > 1 or width > 1) and row_repeat * repeat <= MAX_REPEAT:
                        for dr in range(row_repeat):
                            for dc in range(repeat):
                                top, left = row + dr, col + dc * width
                                sheet.append((top, left, top + height - 1, left + width - 1))
                col += repeat
            row += row_repeat
            element.clear()
            while element.getprevious() is not None:  # rows read: let them go
                del element.getparent()[0]
    return {
        name: np.asarray(ranges, dtype=np.int64).reshape(-1, MERGE_COLUMNS)
        for name, ranges in merges.items()
    }


def _count(value: str | None) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1
