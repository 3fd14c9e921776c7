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
# A spanned cell repeated over rows or columns stands for this many merges at most (a run of
# identical merged rows); past it the file is not what an office suite writes: ignored.
MAX_REPEAT = 10_000


def ods_merges(path: Path, data: bytes | None = None) -> dict[str, np.ndarray]:
    """Merge ranges per sheet name (0-based first row, first column, last row, last column),
    streamed from content.xml so a large sheet is never held as a tree."""
    source = io.BytesIO(data) if data is not None else path
    merges: dict[str, list[tuple[int, int, int, int]]] = {}
    with zipfile.ZipFile(source) as archive, archive.open("content.xml") as content:
        sheet: list[tuple[int, int, int, int]] | None = None
        row = col = 0
        row_repeat = 1
        events = etree.iterparse(
            content, events=("start", "end"), tag=(_TABLE, _ROW, _CELL, _COVERED),
            resolve_entities=False, no_network=True, huge_tree=True,
        )  # fmt: skip
        for event, element in events:
            tag = element.tag
            if tag == _TABLE:
                if event == "start":
                    sheet = merges.setdefault(element.get(_NAME, ""), [])
                    row = 0
                else:
                    element.clear()
                continue
            if tag == _ROW:
                if event == "start":
                    col = 0
                    row_repeat = _count(element.get(_ROWS_REPEATED))
                else:
                    row += row_repeat
                    element.clear()
                continue
            if event != "start":
                continue
            repeat = _count(element.get(_COLS_REPEATED))
            if tag == _CELL and sheet is not None:
                height = _count(element.get(_ROWS_SPANNED))
                width = _count(element.get(_COLS_SPANNED))
                if (height > 1 or width > 1) and row_repeat * repeat <= MAX_REPEAT:
                    for dr in range(row_repeat):
                        for dc in range(repeat):
                            top, left = row + dr, col + dc * width
                            sheet.append((top, left, top + height - 1, left + width - 1))
            col += repeat
    return {
        name: np.asarray(ranges, dtype=np.int64).reshape(-1, MERGE_COLUMNS)
        for name, ranges in merges.items()
    }


def _count(value: str | None) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1
