"""One submission file to raw rows: read its sheets, decide regency and program, cut the tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from flows.read import FileRejected, read_sheets
from schemas.codes import file_reason
from transforms.headers import find_header, grid_to_table
from transforms.sources import attribute_file


@dataclass
class IngestedFile:
    """What ingesting one file produced: its `source_files` record and its raw rows."""

    record: dict[str, object]
    rows: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)  # e.g. sheets skipped without a header


def _title_text(grid: pd.DataFrame, header_row: int | None, limit: int = 20) -> str:
    top = grid.loc[grid.index < header_row] if header_row else grid.head(limit)
    cells = top.stack(future_stack=True).dropna().astype(str)
    return " ".join(cells.tolist())


def ingest_file(
    path: Path, raw_dir: Path, sha256: str, max_rows: int, search_rows: int
) -> IngestedFile:
    """Read and cut one file; a problem becomes a `rejected` record with a reason code, never an error."""
    file_name = path.relative_to(raw_dir).as_posix()
    record: dict[str, object] = {
        "file_name": file_name,
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
    try:
        sheets = read_sheets(path, max_rows=max_rows)
    except FileRejected as rejected:
        return _rejected(record, rejected.code, rejected.detail)

    tables, notes, titles = [], [], []
    for sheet in sheets:
        if sheet.grid.empty:
            notes.append(f"lembar '{sheet.name}' kosong")
            continue
        header = find_header(sheet.grid, search_rows=search_rows)
        if header is None:
            notes.append(f"lembar '{sheet.name}' dilewati: judul kolom tidak ditemukan")
            continue
        titles.append(_title_text(sheet.grid, header.header_rows[0]))
        table = grid_to_table(sheet.grid, header)
        rows = table.rows
        rows.insert(0, "sheet", sheet.name)
        tables.append((rows, table.n_skipped))

    attribution = attribute_file(file_name, " ".join(titles))
    if attribution.regency_code is not None:
        record["regency_code"] = attribution.regency_code
    if attribution.program is not None:
        record["program"] = attribution.program
    if not tables:
        if any(not s.grid.empty for s in sheets):
            return _rejected(record, "HEADER_NOT_FOUND")
        return _rejected(record, "FILE_EMPTY")
    if attribution.regency_code is None:
        return _rejected(record, "REGENCY_UNKNOWN", attribution.regency_problem)
    if attribution.program is None:
        return _rejected(record, "PROGRAM_UNKNOWN", attribution.program_problem)

    rows = pd.concat([t for t, _ in tables], ignore_index=True)
    if rows.empty:
        return _rejected(record, "FILE_EMPTY")
    rows.insert(0, "file_name", file_name)
    rows["regency_code"] = attribution.regency_code
    rows["program"] = attribution.program
    record.update(
        status="loaded",
        n_rows=len(rows),
        n_skipped=sum(n for _, n in tables),
        n_sheets=len(tables),
        reason="; ".join(notes) or None,
    )
    return IngestedFile(record=record, rows=rows, notes=notes)


def _rejected(record: dict[str, object], code: str, detail: str = "") -> IngestedFile:
    record.update(status="rejected", reason_code=code, reason=file_reason(code, detail))
    return IngestedFile(record=record)
