"""Files to cell grids: one DataFrame of raw cell values per sheet, indexed by the row a person sees.

Formats are recognised by their bytes, not their extension: xlsx/xlsm/ods (zip), xls (BIFF),
HTML tables saved as .xls, and CSV (`,`/`;`/tab, UTF-8 with or without BOM, or cp1252).
Identity numbers stay exact: numeric cells keep their float64 value (exact up to 2**53) and
text cells their text; nothing is converted through locale or float formatting here.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from python_calamine import CalamineWorkbook

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".txt", ".tsv", ".htm", ".html"}
IGNORED_PREFIXES = ("~$", ".~lock", ".", "_")


class FileRejected(Exception):
    """A file that cannot be loaded, with the contract's reason code and a detail."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


@dataclass
class Sheet:
    name: str  # "" for CSV
    grid: pd.DataFrame  # object cells; index = 1-based row number; columns 0..n-1


def sha256_of(path: Path) -> str:
    """Content hash of a file (streamed)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def list_submissions(raw_dir: Path) -> list[Path]:
    """Every candidate file under the raw dir (any depth), skipping lock files and `_`/`.` folders."""
    files = []
    root = raw_dir.resolve()
    for path in sorted(raw_dir.rglob("*")):
        rel = path.relative_to(raw_dir)
        if any(part.startswith(IGNORED_PREFIXES) for part in rel.parts):
            continue
        if path.is_symlink() and not path.resolve().is_relative_to(root):
            continue
        if path.is_file():
            files.append(path)
    return files


def _sniff(head: bytes) -> str:
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"
    if head.startswith(b"%PDF"):
        return "pdf"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if stripped.startswith((b"<!doctype html", b"<html", b"<table", b"<?xml", b"<meta", b"<head")):
        return "html"
    return "text"


def _zip_kind(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile as exc:
        raise FileRejected("FILE_UNREADABLE", f"arsip zip rusak: {exc}") from exc
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "content.xml" in names and "mimetype" in names:
        return "ods"
    if "word/document.xml" in names:
        raise FileRejected("FILE_UNSUPPORTED", "dokumen Word")
    if "ppt/presentation.xml" in names:
        raise FileRejected("FILE_UNSUPPORTED", "presentasi PowerPoint")
    raise FileRejected("FILE_UNSUPPORTED", "arsip zip yang bukan lembar kerja")


def _ole_kind(path: Path) -> str:
    import msoffcrypto

    with path.open("rb") as handle:
        try:
            office = msoffcrypto.OfficeFile(handle)
            if office.is_encrypted():
                raise FileRejected("FILE_ENCRYPTED")
        except FileRejected:
            raise
        except Exception:  # noqa: BLE001 - not an Office container msoffcrypto knows
            pass
    return "xls"


def read_sheets(path: Path, max_rows: int = 1_100_000) -> list[Sheet]:
    """Read every sheet of a submission into grids; raise FileRejected with a reason code."""
    size = path.stat().st_size
    if size == 0:
        raise FileRejected("FILE_EMPTY")
    with path.open("rb") as handle:
        head = handle.read(2048)
    kind = _sniff(head)
    if kind == "zip":
        kind = _zip_kind(path)
    elif kind == "ole":
        kind = _ole_kind(path)
    elif kind == "pdf":
        raise FileRejected("FILE_UNSUPPORTED", "PDF")
    if kind in ("xlsx", "ods", "xls"):
        return _read_workbook(path, max_rows)
    if kind == "html":
        return _read_html(path)
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods"):
        raise FileRejected("FILE_UNREADABLE", f"isi berkas bukan {path.suffix.lower()}")
    return [_read_csv(path)]


def _read_workbook(path: Path, max_rows: int) -> list[Sheet]:
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheets = []
        for name in workbook.sheet_names:
            sheet = workbook.get_sheet_by_name(name)
            rows = sheet.to_python(skip_empty_area=False, nrows=max_rows)
            sheets.append(Sheet(name=name, grid=_grid(rows)))
        return sheets
    except FileRejected:
        raise
    except Exception as exc:  # noqa: BLE001 - calamine raises several error types
        message = str(exc)
        if "password" in message.lower() or "encrypt" in message.lower():
            raise FileRejected("FILE_ENCRYPTED") from exc
        raise FileRejected("FILE_UNREADABLE", message[:200]) from exc


def _grid(rows: list[list[object]]) -> pd.DataFrame:
    grid = pd.DataFrame(rows, dtype="object")
    grid.index = pd.RangeIndex(1, len(grid) + 1)
    grid.columns = range(grid.shape[1])
    return grid


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), else cp1252 as Indonesian Excel writes CSV."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _read_csv(path: Path) -> Sheet:
    text = decode_text(path.read_bytes())
    lines = text.splitlines()
    sample = "\n".join(lines[:30])
    delimiter = max([";", ",", "\t", "|"], key=sample.count)
    width = max((line.count(delimiter) for line in lines), default=0) + 1
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
    grid = grid.astype("object").where(grid.notna(), None)
    if grid.empty or grid.isna().all().all():
        raise FileRejected("FILE_EMPTY")
    grid.index = pd.RangeIndex(1, len(grid) + 1)
    return Sheet(name="", grid=grid)


def _read_html(path: Path) -> list[Sheet]:
    text = decode_text(path.read_bytes())
    try:
        tables = pd.read_html(io.StringIO(text), header=None, converters=_AS_TEXT)
    except ValueError as exc:
        raise FileRejected("FILE_UNREADABLE", "tabel HTML tidak ditemukan") from exc
    sheets = []
    for i, table in enumerate(tables, start=1):
        cells = table.astype("object").where(table.notna(), None)
        sheets.append(Sheet(name=f"Tabel {i}", grid=_grid(cells.values.tolist())))
    return sheets


class _TextConverters(dict):
    """read_html converters that keep every cell as its text (NIKs must not become floats)."""

    def __contains__(self, key: object) -> bool:
        return True

    def __getitem__(self, key: object):
        return str


_AS_TEXT = _TextConverters()
