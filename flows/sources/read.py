"""Files to cell grids: one DataFrame of raw cell values per sheet, indexed by the row a person sees.

Formats are recognised by their bytes, not their extension: xlsx/xlsm/xlsb and ods (zip), xls
(BIFF in an OLE container), HTML tables saved as .xls, and delimited text (`,`/`;`/tab/`|`,
UTF-8 with or without BOM, UTF-16 with BOM, else cp1252), whatever the file is called.
Identity numbers stay exact: numeric cells keep their float64 value (exact up to 2**53) and
text cells their text; nothing is converted through locale or float formatting here.
Macros are never run: calamine only reads cell values (for formulas, the cached results).
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from operator import methodcaller
from pathlib import Path

import numpy as np
import pandas as pd
from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from flows.sources.limits import (
    FileRejected,
    ReadLimits,
    check_cells,
    check_html_table,
    check_sheet_extent,
    check_sheet_name,
    check_workbook,
    thousands,
)
from flows.sources.ods_merges import ods_merges
from transforms.ingest.merged import as_merges, fill_merged

# What a regency may upload in the workspace (the reader recognises formats by content).
SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods", ".csv", ".txt", ".tsv"}
IGNORED_PREFIXES = ("~$", ".~lock", ".", "_")
# Excel opens a protected-for-writing workbook with this password without asking anyone.
EXCEL_DEFAULT_PASSWORD = "VelvetSweatshop"
SNIFF_BYTES = 64 * 1024

_MAGIC_UNSUPPORTED = {
    b"%PDF": "PDF",
    b"\x89PNG": "gambar PNG",
    b"\xff\xd8\xff": "gambar JPEG",
    b"GIF8": "gambar GIF",
    b"Rar!": "arsip RAR",
    b"7z\xbc\xaf": "arsip 7z",
    b"\x1f\x8b": "arsip gzip",
    b"{\\rtf": "dokumen RTF",
}


@dataclass
class Sheet:
    """One sheet's cells as the officer sees them (a merged value in every cell of its merge);
    `note` says why a sheet was left unread (its grid is then empty)."""

    name: str  # "" for CSV
    grid: pd.DataFrame  # object cells; index = row number a person sees; columns 0..n-1
    note: str = ""
    # cells holding the value of a cell to their left in the same merge (None: no merges)
    spread: np.ndarray | None = None


def _merged_sheet(name: str, rows: list[list[object]], merges: object) -> Sheet:
    """A sheet whose merged ranges (the file's own, see `as_merges`) are filled in; its cells
    are copied once only when something is merged."""
    try:
        filled = fill_merged(_grid(rows), as_merges(merges))
    except ValueError as exc:
        raise FileRejected("FILE_UNREADABLE", f"lembar '{name}': {exc}") from exc
    return Sheet(name, filled.grid, spread=filled.spread)


def sha256_of(path: Path) -> str:
    """Content hash of a file (streamed)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def list_submissions(raw_dir: Path) -> list[Path]:
    """Every candidate file under the raw dir (any depth), skipping lock files and `_`/`.` folders;
    a link (to a file, or a folder on the way) is followed only to a file that is itself a
    candidate: inside the raw dir and in no skipped folder (`_truth/`)."""
    files = []
    root = raw_dir.resolve()
    for path in sorted(raw_dir.rglob("*")):
        if _skipped(path.relative_to(raw_dir)):
            continue
        target = path.resolve()
        if target != path.absolute() and (
            not target.is_relative_to(root) or _skipped(target.relative_to(root))
        ):
            continue
        if path.is_file():
            files.append(path)
    return files


def _skipped(relative: Path) -> bool:
    return any(part.startswith(IGNORED_PREFIXES) for part in relative.parts)


# --------------------------------------------------------------------------- format detection


@dataclass
class Detected:
    """What a file really is; `data` holds decrypted bytes when the file had to be opened first."""

    kind: str  # xlsx | xlsb | ods | xls | html | text
    data: bytes | None = None


def detect_format(path: Path) -> Detected:
    """Recognise a file by its content; raise FileRejected for what is not a readable spreadsheet."""
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if not head.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise FileRejected("FILE_EMPTY")
    if head.startswith(b"PK\x03\x04"):
        return Detected(_zip_kind(path))
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return _ole_kind(path)
    for magic, label in _MAGIC_UNSUPPORTED.items():
        if head.startswith(magic):
            raise FileRejected("FILE_UNSUPPORTED", label)
    text = _decode_head(head)
    if text is None:
        if path.suffix.lower() in (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"):
            raise FileRejected("FILE_UNREADABLE", f"isi berkas bukan {path.suffix.lower()}")
        raise FileRejected("FILE_UNSUPPORTED", "berkas biner yang bukan lembar kerja")
    lowered = text.lstrip().lower()
    if lowered.startswith("<"):
        if "<table" in lowered:
            return Detected("html")
        if "urn:schemas-microsoft-com:office:spreadsheet" in lowered:
            raise FileRejected(
                "FILE_UNSUPPORTED", "XML Spreadsheet 2003; simpan ulang sebagai xlsx"
            )
        if lowered.startswith(("<!doctype html", "<html")):
            raise FileRejected("FILE_UNREADABLE", "halaman HTML tanpa tabel")
    return Detected("text")


def _decode_head(head: bytes) -> str | None:
    """The first bytes as text, or None when they are binary (NUL bytes outside UTF-16)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head[: len(head) - len(head) % 2].decode("utf-16", errors="replace")
    if b"\x00" in head:
        return None
    return decode_text(head)


def _zip_kind(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, KeyError) as exc:
        raise FileRejected("FILE_UNREADABLE", f"arsip zip rusak: {exc}") from exc
    if "xl/workbook.xml" in names:
        return "xlsx"  # also xlsm: the VBA project is a part calamine never runs
    if "xl/workbook.bin" in names:
        return "xlsb"
    if b"opendocument.spreadsheet" in mimetype:
        return "ods"
    if "word/document.xml" in names or b"opendocument.text" in mimetype:
        raise FileRejected("FILE_UNSUPPORTED", "dokumen pengolah kata")
    if "ppt/presentation.xml" in names or b"opendocument.presentation" in mimetype:
        raise FileRejected("FILE_UNSUPPORTED", "presentasi")
    raise FileRejected("FILE_UNSUPPORTED", "arsip zip yang bukan lembar kerja")


def _ole_kind(path: Path) -> Detected:
    """xls (BIFF) or an encrypted OOXML workbook; Word/PowerPoint and other OLE files are refused."""
    import olefile

    try:
        with olefile.OleFileIO(str(path)) as ole:
            streams = {"/".join(entry) for entry in ole.listdir()}
    except OSError as exc:
        raise FileRejected("FILE_UNREADABLE", f"berkas OLE rusak: {exc}") from exc
    if "EncryptedPackage" in streams:
        return Detected("xlsx", _decrypt_with_default_password(path))
    if "Workbook" in streams or "Book" in streams:
        if _xls_is_encrypted(path):
            return Detected("xls", _decrypt_with_default_password(path))
        return Detected("xls")
    if "WordDocument" in streams:
        raise FileRejected("FILE_UNSUPPORTED", "dokumen Word")
    if "PowerPoint Document" in streams:
        raise FileRejected("FILE_UNSUPPORTED", "presentasi PowerPoint")
    raise FileRejected("FILE_UNSUPPORTED", "berkas OLE yang bukan lembar kerja")


def _xls_is_encrypted(path: Path) -> bool:
    import msoffcrypto

    try:
        with path.open("rb") as handle:
            return bool(msoffcrypto.OfficeFile(handle).is_encrypted())
    except Exception:  # noqa: BLE001 - msoffcrypto cannot parse it: let calamine decide
        return False


def _decrypt_with_default_password(path: Path) -> bytes:
    """Workbooks only protected against writing open with Excel's default password; others are refused."""
    import msoffcrypto

    try:
        with path.open("rb") as handle:
            office = msoffcrypto.OfficeFile(handle)
            try:
                office.load_key(password=EXCEL_DEFAULT_PASSWORD, verify_password=True)
            except TypeError:  # xls: load_key always verifies and has no such argument
                office.load_key(password=EXCEL_DEFAULT_PASSWORD)
            out = io.BytesIO()
            office.decrypt(out)
            return out.getvalue()
    except Exception as exc:  # noqa: BLE001 - wrong password, unknown encryption, ...
        raise FileRejected("FILE_ENCRYPTED") from exc


# --------------------------------------------------------------------------- reading


def read_sheets(path: Path, limits: ReadLimits | None = None) -> list[Sheet]:
    """Read every sheet of a submission into grids; raise FileRejected with a reason code."""
    sheets = list(iter_sheets(path, limits))
    if all(sheet.grid.empty for sheet in sheets) and not any(s.note for s in sheets):
        raise FileRejected("FILE_EMPTY")
    return sheets


def iter_sheets(path: Path, limits: ReadLimits | None = None) -> Iterator[Sheet]:
    """The sheets of a submission one at a time (a sheet's cells can be let go before the next
    is read); raise FileRejected with a reason code."""
    limits = limits or ReadLimits()
    size = path.stat().st_size
    if size == 0:
        raise FileRejected("FILE_EMPTY")
    if size > limits.max_file_bytes:
        raise FileRejected("FILE_TOO_LARGE", f"{size / 1e6:.0f} MB")
    detected = detect_format(path)
    if detected.kind in ("xlsx", "xlsb", "ods", "xls"):
        check_workbook(path, detected.data, detected.kind, limits)  # before calamine allocates
        yield from _read_workbook(path, detected.data, detected.kind, limits)
        return
    text = decode_text(path.read_bytes())
    if detected.kind == "html":
        yield _read_html(text, path.stem[:31], limits)
    else:
        yield _read_delimited(text, limits)


def _read_workbook(
    path: Path, data: bytes | None, kind: str, limits: ReadLimits
) -> Iterator[Sheet]:
    try:
        workbook = (
            CalamineWorkbook.from_filelike(io.BytesIO(data))
            if data is not None
            else CalamineWorkbook.from_path(str(path))
        )
    except Exception as exc:  # noqa: BLE001 - calamine raises several error types
        raise _calamine_rejection(exc) from exc
    # calamine gives merged ranges for xlsx and xls only; an ods has them in its content.xml
    merges_of = ods_merges(path, data) if kind == "ods" else {}
    try:
        for meta in workbook.sheets_metadata:
            yield _read_calamine_sheet(workbook, meta, limits, merges_of.get(meta.name))
    finally:
        workbook.close()


def _read_calamine_sheet(
    workbook: CalamineWorkbook, meta, limits: ReadLimits, merges: object = None
) -> Sheet:
    """One sheet with its leading empty rows and columns kept, so positions are what Excel shows."""
    empty = pd.DataFrame()
    check_sheet_name(meta.name, limits)
    if meta.typ != SheetTypeEnum.WorkSheet:
        return Sheet(meta.name, empty, f"lembar '{meta.name}' bukan lembar data (grafik/makro)")
    if meta.visible != SheetVisibleEnum.Visible:
        return Sheet(meta.name, empty, f"lembar tersembunyi '{meta.name}' dilewati")
    try:
        sheet = workbook.get_sheet_by_name(meta.name)
        end = sheet.end  # (last row, last column), 0-based; None for an empty sheet
        if end is None:
            return Sheet(meta.name, empty)
        check_sheet_extent(meta.name, end, limits)  # before any Python object is made
        if end[1] + 1 > limits.max_columns:
            return Sheet(
                meta.name,
                empty,
                f"lembar '{meta.name}' dilewati: lebih dari {limits.max_columns} kolom",
            )
        # skip_empty_area=False starts the grid at A1 whatever the sheet's first used cell.
        rows = sheet.to_python(skip_empty_area=False)
        if merges is None:
            merges = sheet.merged_cell_ranges
    except FileRejected:
        raise
    except Exception as exc:  # noqa: BLE001 - one unreadable sheet does not sink the others
        rejection = _calamine_rejection(exc)
        if rejection.code == "FILE_ENCRYPTED":
            raise rejection from exc
        return Sheet(meta.name, empty, f"lembar '{meta.name}' tidak dapat dibaca")
    return _merged_sheet(meta.name, rows, merges)


def _calamine_rejection(exc: Exception) -> FileRejected:
    message = str(exc)
    if "password" in message.lower() or "encrypt" in message.lower():
        return FileRejected("FILE_ENCRYPTED")
    return FileRejected("FILE_UNREADABLE", message[:200])


def _grid(rows: list[list[object]], first_row: int = 1) -> pd.DataFrame:
    """Rows of cells to a grid whose index is the row number (1-based) and columns 0..n-1."""
    grid = pd.DataFrame(rows, dtype="object")
    grid.index = pd.RangeIndex(first_row, first_row + len(grid))
    grid.columns = range(grid.shape[1])
    return grid


def decode_text(data: bytes) -> str:
    """UTF-16 with a BOM, UTF-8 (with or without BOM), else cp1252 as Indonesian Excel writes CSV."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


_DELIMITERS = (";", ",", "\t", "|")
_QUOTED = re.compile(r'"[^"]*"')
_EXCEL_TEXT_FORMULA = r'^="(.*)"$'  # ="6472015508800003": how web apps force text in CSV


def sniff_delimiter(lines: list[str]) -> str:
    """The delimiter splitting most sample lines into the same number of fields (ties: most fields)."""
    sample = [_QUOTED.sub("", line) for line in lines if line.strip()][:50]
    best, best_key = ",", (0, 0)
    for delimiter in _DELIMITERS:
        counts = [line.count(delimiter) for line in sample]
        used = [c for c in counts if c]
        if not used:
            continue
        mode = max(set(used), key=used.count)
        key = (used.count(mode), mode)
        if key > best_key:
            best, best_key = delimiter, key
    return best


def _read_delimited(text: str, limits: ReadLimits) -> Sheet:
    """Delimited text to a grid; the index is the line a record starts on (quoted newlines counted).

    Lines are counted and measured without materialising them (a 200 MB file of short lines
    would be tens of millions of Python strings): counted in C, then walked one at a time."""
    n_lines = count_lines(text)
    if n_lines > limits.max_rows:
        raise FileRejected("FILE_TOO_LARGE", f"{thousands(n_lines)} baris")
    delimiter = sniff_delimiter(text[:SNIFF_BYTES].splitlines()[:200])
    widest = max(map(methodcaller("count", delimiter), io.StringIO(text, newline=None)), default=0)
    width = widest + 1
    if width > limits.max_columns:
        raise FileRejected("FILE_TOO_LARGE", f"lebih dari {limits.max_columns} kolom")
    check_cells(n_lines, width, limits)
    try:
        grid = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            header=None,
            names=range(width),
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=False,
            engine="c",
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise FileRejected("FILE_UNREADABLE", f"teks berpemisah tidak dapat dibaca: {exc}") from exc
    # Text operations on the Arrow-backed text columns (vectorised), then object cells.
    grid = grid.apply(lambda col: col.str.replace(_EXCEL_TEXT_FORMULA, r"\1", regex=True))
    index = _record_line_numbers(grid)
    grid = grid.astype("object")
    grid = grid.where(grid.notna(), None)
    if grid.empty or grid.isna().all().all():
        raise FileRejected("FILE_EMPTY")
    grid.index = index
    return Sheet(name="", grid=grid)


def count_lines(text: str) -> int:
    """Lines as a CSV reader splits them (`\\n`, `\\r\\n` or a lone `\\r`), counted without
    splitting."""
    breaks = text.count("\n") + text.count("\r") - text.count("\r\n")
    return breaks + (0 if text.endswith(("\n", "\r")) or not text else 1)


def _record_line_numbers(grid: pd.DataFrame) -> pd.Index:
    """1-based line each record starts on: earlier records' quoted line breaks push it down."""
    breaks = grid.apply(lambda col: col.str.count("\n").fillna(0)).sum(axis=1).to_numpy()
    extra = np.concatenate([[0], np.cumsum(breaks)[:-1]]).astype("int64")
    return pd.Index(np.arange(1, len(grid) + 1, dtype="int64") + extra)


# --------------------------------------------------------------------------- HTML saved as .xls

_BLOCK_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6", "p", "pre", "li", "div", "table")
# Elements shown as one line of text when nothing block-like is inside them.
_TEXT_TAGS = {*_BLOCK_TAGS, "td", "th", "caption", "center", "span", "font", "b", "strong"}
_HOLDS_BLOCKS = ".//*[" + " or ".join(f"self::{tag}" for tag in _BLOCK_TAGS) + "]"
_SPACE = re.compile(r"[ \t\r\f\v\u00a0]+")


def _cell_text(element) -> str | None:
    for br in element.iter("br"):
        br.tail = "\n" + (br.tail or "")
    text = "\n".join(_SPACE.sub(" ", part).strip() for part in element.text_content().split("\n"))
    text = text.strip()
    return text or None


def _table_rows(table, merges: list[tuple[int, int, int, int]], first_row: int = 0):
    """A table's rows as Excel lays them out: spanned cells keep their value top-left only, and
    their span is added to `merges` (positions counted from `first_row`)."""
    rows: list[list[str | None]] = []
    taken: dict[tuple[int, int], bool] = {}
    for r, tr in enumerate(table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr")):
        row: list[str | None] = []
        c = 0
        for cell in tr.xpath("./td|./th"):
            while taken.get((r, c)):
                row.append(None)
                c += 1
            span_c = _span(cell.get("colspan"))
            span_r = _span(cell.get("rowspan"))
            row.append(_cell_text(cell))
            row.extend([None] * (span_c - 1))
            if span_c > 1 or span_r > 1:
                top = first_row + r
                merges.append((top, c, top + span_r - 1, c + span_c - 1))
            for dr in range(span_r):
                for dc in range(span_c):
                    taken[(r + dr, c + dc)] = True
            c += span_c
        while taken.get((r, c)):
            row.append(None)
            c += 1
        rows.append(row)
    return rows


def _span(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 1000))
    except ValueError:
        return 1


def _read_html(text: str, sheet_name: str, limits: ReadLimits) -> Sheet:
    """An HTML page as the one sheet Excel shows: text blocks and table rows, in document order."""
    import lxml.html

    try:
        document = lxml.html.document_fromstring(text)
    except Exception as exc:  # noqa: BLE001 - lxml raises several error types
        raise FileRejected("FILE_UNREADABLE", "HTML tidak dapat dibaca") from exc
    rows: list[list[str | None]] = []
    merges: list[tuple[int, int, int, int]] = []
    stack = [document]
    while stack:  # depth-first in document order, never descending into a table
        element = stack.pop()
        if not isinstance(element.tag, str):
            continue
        if element.tag == "table" and not element.xpath(".//table"):
            check_html_table(element, limits)
            rows.extend(_table_rows(element, merges, len(rows)))
        elif element.tag in _TEXT_TAGS and not element.xpath(_HOLDS_BLOCKS):
            line = _cell_text(element)
            if line:
                rows.append([line])
        else:  # the page, or a layout table/div around the data table: look inside
            stack.extend(reversed(element))
        if len(rows) > limits.max_rows:
            raise FileRejected("FILE_TOO_LARGE", f"lebih dari {limits.max_rows} baris")
    if not rows:
        raise FileRejected("FILE_UNREADABLE", "tabel HTML tidak ditemukan")
    width = max(len(row) for row in rows)
    if width > limits.max_columns:
        raise FileRejected("FILE_TOO_LARGE", f"lebih dari {limits.max_columns} kolom")
    return _merged_sheet(sheet_name, [row + [None] * (width - len(row)) for row in rows], merges)
