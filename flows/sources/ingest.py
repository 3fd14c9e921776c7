"""One submission file to raw rows: read its sheets, decide regency and program, cut the tables.

Reading is CPU work that holds the GIL (calamine turns cells into Python objects), so the
ingest stage reads files in worker processes (`reading_pool`) when there is enough to read.
"""

from __future__ import annotations

import multiprocessing
import re
from collections.abc import Iterator
from concurrent.futures import BrokenExecutor, Executor, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.arrays import ArrowStringArray

from flows.settings import Settings
from flows.sources.limits import FileRejected, ReadLimits, check_cell_sizes
from flows.sources.read import Sheet, iter_sheets
from schemas.codes import FILE_REASONS, file_reason
from schemas.rows import RawRows
from transforms.ingest.headers import find_header, grid_to_table
from transforms.ingest.places import PLACE_FIELDS, known_kecamatan, sheet_places
from transforms.ingest.sources import attribute_file

STR_DTYPE = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' default `str` (NaN = missing)
# Worth a retry: the file is open in another program or its share is busy.
TRANSIENT_ERRORS = (PermissionError, BlockingIOError)


@dataclass
class CutSheet:
    """A sheet's data rows, with what it says around them: title cells above the header."""

    name: str
    rows: pd.DataFrame
    n_skipped: int
    title_cells: list[str]
    place_columns: frozenset[str]  # place fields the sheet has a column for


@dataclass
class IngestedFile:
    """What ingesting one file produced: its `source_files` record and its raw rows."""

    record: dict[str, object]
    rows: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)  # e.g. sheets skipped without a header


def title_cells(grid: pd.DataFrame, header_row: int) -> list[str]:
    """The texts above the header, each once (a title merged across columns is one line): they
    name the regency, the program, and sometimes the kecamatan."""
    top = grid.loc[grid.index < header_row].to_numpy(dtype=object).ravel().tolist()
    return list(dict.fromkeys(str(c).strip() for c in top if c is not None and str(c).strip()))


def new_record(path: Path, raw_dir: Path, sha256: str) -> dict[str, object]:
    """A `source_files` record for a file not (yet) loaded."""
    return {
        "file_name": path.relative_to(raw_dir).as_posix(),
        "sha256": sha256,
        "regency_code": None,
        "program": None,
        "status": "rejected",
        "reason_code": None,
        "reason": None,
        "n_rows": 0,
        "n_skipped": 0,
        "n_sheets": 0,
    }


# Long digit runs (a NIK or KK quoted by an error message) never reach a reason.
_DIGIT_RUN = re.compile(r"\d[\d .\-']{8,}\d")


def unexpected_reason(stage: str, exc: BaseException) -> str:
    """An Indonesian detail for an unexpected error: the stage it happened in and the error,
    with any identity-like number taken out."""
    message = _DIGIT_RUN.sub("[angka]", str(exc))[:150]
    return f"galat tak terduga saat {stage}: {type(exc).__name__}" + (
        f" ({message})" if message else ""
    )


def ingest_file(path: Path, raw_dir: Path, sha256: str, settings: Settings) -> IngestedFile:
    """Read and cut one file; a problem becomes a `rejected` record with a reason code, never an
    error (only a locked file raises, so that it can be retried)."""
    record = new_record(path, raw_dir, sha256)
    stage = ["membaca berkas"]  # what was being done, for the reason of an unexpected error
    try:
        return _ingest(path, record, settings, stage)
    except TRANSIENT_ERRORS:
        raise
    except FileRejected as rejected:
        return _rejected(record, rejected.code, rejected.detail)
    except MemoryError:
        return _rejected(record, "FILE_TOO_LARGE", "memori tidak cukup")
    except Exception as exc:  # noqa: BLE001 - one bad file never stops the others
        return _rejected(record, "FILE_UNREADABLE", unexpected_reason(stage[0], exc))


def _ingest(
    path: Path, record: dict[str, object], settings: Settings, stage: list[str]
) -> IngestedFile:
    cut: list[CutSheet] = []
    notes: list[str] = []
    any_cells = False
    for sheet in iter_sheets(path, ReadLimits.of(settings)):
        any_cells = any_cells or not sheet.grid.empty
        stage[0] = f"memotong lembar '{sheet.name}'" if sheet.name else "memotong tabel"
        table = _cut_sheet(sheet, settings.header_search_rows, notes)
        if table is not None:
            # Text cells to Arrow now: the sheet's Python objects are freed before the next.
            table.rows = compact_text_columns(table.rows)
            cut.append(table)
        stage[0] = "membaca berkas"

    stage[0] = "menentukan kabupaten/kota dan program"
    titles = [" ".join(table.title_cells) for table in cut]
    attribution = attribute_file(str(record["file_name"]), " ".join(titles))
    record["regency_code"] = attribution.regency_code
    record["program"] = attribution.program
    if not cut:
        if any_cells:
            return _rejected(record, "HEADER_NOT_FOUND", "; ".join(notes))
        return _rejected(record, "FILE_EMPTY", "; ".join(notes))
    if attribution.regency_code is None:
        return _rejected(record, "REGENCY_UNKNOWN", attribution.regency_problem)
    if attribution.program is None:
        return _rejected(record, "PROGRAM_UNKNOWN", attribution.program_problem)

    stage[0] = "menentukan kecamatan/desa dari judul dan nama lembar"
    for table in cut:
        table.rows = place_rows(table, attribution.regency_code)
    stage[0] = "menggabungkan lembar"
    rows = pd.concat([table.rows for table in cut], ignore_index=True)
    n_skipped = sum(table.n_skipped for table in cut)
    if rows.empty:
        record["n_skipped"] = n_skipped
        return _rejected(record, "FILE_EMPTY", "; ".join(notes))
    if len(cut) > 1:  # columns that were text in some sheets, empty in others
        rows = compact_text_columns(rows)
    check_cell_sizes(rows, settings.max_cell_chars)
    rows.insert(0, "file_name", record["file_name"])
    rows["regency_code"] = attribution.regency_code
    rows["program"] = attribution.program
    stage[0] = "memeriksa nomor baris"
    RawRows.validate(rows[["file_name", "sheet", "row_number", "regency_code", "program"]])
    record.update(
        status="loaded",
        n_rows=len(rows),
        n_skipped=n_skipped,
        n_sheets=len(cut),
        reason="; ".join(notes) or None,
    )
    return IngestedFile(record=record, rows=rows, notes=notes)


def place_rows(table: CutSheet, regency_code: str | None) -> pd.DataFrame:
    """A sheet's rows with the kecamatan and desa its title rows, sheet name or section titles
    give, for the place fields the sheet has no column for; a section's kecamatan in the
    regency's reference spelling when it is one of the regency's."""
    rows = table.rows
    around = sheet_places(regency_code, table.name, table.title_cells)
    for level in PLACE_FIELDS:
        if level in table.place_columns:
            continue
        if level in rows.columns:  # from section titles, as written
            written = rows[level].astype(object)
            if level == "kecamatan":
                names = {
                    v: known_kecamatan(v, regency_code) or v for v in written.dropna().unique()
                }
                written = written.map(names)
            if level in around:
                written = written.fillna(around[level])
            rows = rows.assign(**{level: written.astype(STR_DTYPE)})
        elif level in around and len(rows):
            rows = rows.assign(
                **{level: pd.Series(around[level], index=rows.index, dtype=STR_DTYPE)}
            )
    return rows


def compact_text_columns(rows: pd.DataFrame) -> pd.DataFrame:
    """Columns holding only text become pandas' Arrow-backed `str`: half the memory, and ten
    times cheaper to hand from a reading process back to the flow. Mixed columns (a NIK column
    with numbers and text) stay `object`, so a number is still known to have been a number."""
    columns: dict[object, object] = {}
    changed = False
    for column in rows.columns:
        values = rows[column]
        if values.dtype == object:
            try:  # Arrow refuses anything but text (and missing values): that is the type check
                text = pa.array(values.to_numpy(), type=pa.large_string(), from_pandas=True)
            except (pa.ArrowTypeError, pa.ArrowInvalid):
                pass
            else:
                columns[column] = ArrowStringArray(text, dtype=STR_DTYPE)
                changed = True
                continue
        columns[column] = values.to_numpy() if isinstance(values.dtype, np.dtype) else values.array
    if not changed:
        return rows
    # One new frame: replacing columns one at a time would copy the rest of the block each time.
    return pd.DataFrame(columns, index=rows.index, copy=False)


def _cut_sheet(sheet: Sheet, search_rows: int, notes: list[str]) -> CutSheet | None:
    """A sheet's data rows, skipped-row count and title cells; None (with a note) when it has
    none."""
    label = f"lembar '{sheet.name}'" if sheet.name else "berkas"
    if sheet.note:
        notes.append(sheet.note)
        return None
    if sheet.grid.empty:
        return None  # an empty sheet (Excel's Sheet2, Sheet3) holds nothing to account for
    header = find_header(sheet.grid, search_rows=search_rows)
    if header is None:
        notes.append(f"{label} dilewati: judul kolom (NIK, NAMA, ...) tidak ditemukan")
        return None
    table = grid_to_table(sheet.grid, header, sheet.spread)
    rows = table.rows
    rows.insert(0, "sheet", sheet.name)
    if rows.empty:
        notes.append(f"{label} tanpa baris data")
    return CutSheet(
        name=sheet.name,
        rows=rows,
        n_skipped=table.n_skipped,
        title_cells=title_cells(sheet.grid, header.header_rows[0]),
        place_columns=frozenset(PLACE_FIELDS).intersection(header.columns),
    )


def _rejected(record: dict[str, object], code: str, detail: str = "") -> IngestedFile:
    reason = file_reason(code, detail)
    if detail and "{detail}" not in FILE_REASONS[code]:
        reason = f"{reason} Catatan: {detail}."
    record.update(status="rejected", reason_code=code, reason=reason)
    return IngestedFile(record=record)


def unreadable(path: Path, raw_dir: Path, sha256: str, error: BaseException) -> IngestedFile:
    """The record of a file whose reading failed outside `ingest_file` (locked, worker lost)."""
    detail = (
        "berkas terkunci atau tanpa izin baca"
        if isinstance(error, TRANSIENT_ERRORS)
        else unexpected_reason("membaca berkas", error)
    )
    return _rejected(new_record(path, raw_dir, sha256), "FILE_UNREADABLE", detail)


@contextmanager
def reading_pool(settings: Settings, paths: list[Path]) -> Iterator[Executor | None]:
    """Worker processes reading files on every core, or None when there is too little to read
    for starting them (~1 s) to pay off."""
    workers = min(settings.read_workers, len(paths))
    total = 0
    for path in paths:
        try:
            total += path.stat().st_size
        except OSError:
            continue
    if workers < 2 or total < settings.parallel_read_min_bytes:
        yield None
        return
    # spawn, not fork: the flow process runs threads (Prefect), which fork does not copy safely.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield pool


def ingest_with(
    pool: Executor | None, path: Path, raw_dir: Path, sha256: str, settings: Settings
) -> IngestedFile:
    """`ingest_file`, in a worker process of `pool` when there is one; here when the pool is
    broken (a worker died, or the calling script cannot be re-imported by spawned workers)."""
    if pool is not None:
        try:
            return pool.submit(ingest_file, path, raw_dir, sha256, settings).result()
        except BrokenExecutor:
            pass
    return ingest_file(path, raw_dir, sha256, settings)


def keep_first_of_identical(results: list[IngestedFile]) -> list[IngestedFile]:
    """Of byte-identical files loaded in one run, keep the one with the shortest name (a copy
    gets a suffix: "(1)", " - Copy"); the others become `duplicate` records without rows.

    Identical bytes under another name can still differ in regency or program (those come from
    the name), so each copy is read and only copies that really loaded are compared."""
    loaded = sorted(
        (r for r in results if r.record["status"] == "loaded"),
        key=lambda r: (len(str(r.record["file_name"])), str(r.record["file_name"])),
    )
    first: dict[object, str] = {}
    duplicates: dict[str, str] = {}
    for result in loaded:
        name = str(result.record["file_name"])
        original = first.setdefault(result.record["sha256"], name)
        if original != name:
            duplicates[name] = original
    out = []
    for result in results:
        original = duplicates.get(str(result.record["file_name"]))
        if original is None:
            out.append(result)
            continue
        record = dict(result.record)
        record.update(
            status="duplicate",
            reason_code="DUPLICATE_FILE",
            reason=file_reason("DUPLICATE_FILE", original),
            n_rows=0,
            n_skipped=0,
            n_sheets=0,
        )
        out.append(IngestedFile(record=record))
    return out
