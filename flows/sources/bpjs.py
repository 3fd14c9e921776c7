"""Files BPJS sends back (registration results, monthly bills) to rows, with one record per file.

Read like submissions (any supported format, title rows, merged cells, the same limits);
a file already read with the same content is not read again; a file that cannot be
understood gets a `bpjs_files` row with status `rejected` and a reason, never stops the run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd

from flows.settings import Settings
from flows.sources.ingest import TRANSIENT_ERRORS, title_cells
from flows.sources.limits import ReadLimits
from flows.sources.read import FileRejected, iter_sheets, list_submissions, sha256_of
from schemas.codes import FILE_REASONS, file_reason
from schemas.reference import REGENCIES
from transforms.bpjs.classify import (
    amounts,
    bpjs_field,
    cell_texts,
    classify_results,
    file_kind,
    period_of_text,
    periods_of,
    program_of,
)
from transforms.ingest.headers import find_header, grid_to_table
from transforms.ingest.sources import attribute_file
from transforms.validate.identity import parse_identity

# File reason codes of BPJS files besides the submission ones (Indonesian for the officer).
BPJS_FILE_REASONS: dict[str, str] = {
    "BPJS_KIND_UNKNOWN": "Jenis berkas BPJS tidak dikenali (bukan hasil pendaftaran atau "
    "tagihan): {detail}",
    "PROGRAM_UNKNOWN": "Program (BPJS Kesehatan atau Ketenagakerjaan) tidak dapat ditentukan "
    "dari nama berkas, judul, atau kolom ({detail}).",
    "PERIOD_UNKNOWN": "Bulan tagihan tidak ditemukan di kolom, judul, atau nama berkas.",
}
RESULT_COLUMNS = ["file_name", "sheet", "row_number", "program", "nik", "outcome",
                  "reason_code", "bpjs_text", "card_number"]  # fmt: skip
BILL_COLUMNS = ["file_name", "sheet", "row_number", "period", "program", "nik", "amount",
                "kelas", "card_number", "regency_code"]  # fmt: skip


@dataclass
class BpjsRead:
    """This run's BPJS files: their records, results rows and bill lines."""

    files: pd.DataFrame = field(default_factory=pd.DataFrame)
    results: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=RESULT_COLUMNS))
    bill_lines: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=BILL_COLUMNS))
    replaced: list[str] = field(default_factory=list)  # names read before with other content


def bpjs_reason(code: str, detail: str = "") -> str:
    """Indonesian reason of a BPJS file code (the submission codes included)."""
    template = BPJS_FILE_REASONS.get(code)
    if template is None:
        return file_reason(code, detail) if code in FILE_REASONS else f"{code}: {detail}"
    return template.format(detail=detail)


def _joined(a: pd.Series | None, b: pd.Series | None, index: pd.Index) -> pd.Series:
    parts = [p for p in (a, b) if p is not None]
    if not parts:
        return pd.Series(pd.NA, index=index, dtype="string")
    if len(parts) == 1:
        return parts[0]
    first, second = parts
    both = first.notna() & second.notna() & first.ne(second).fillna(True)
    return first.where(~both, first + " - " + second).fillna(second)


def read_bpjs_file(path: Path, name: str, settings: Settings) -> tuple[dict, pd.DataFrame]:
    """One file: its record (kind, program, period, status, reason) and its rows."""
    record: dict[str, object] = {"file_name": name, "kind": None, "program": None,
                                 "period": None, "status": "rejected", "reason_code": None,
                                 "reason": None, "n_rows": 0, "n_skipped": 0}  # fmt: skip
    try:
        return _read(path, name, record, settings)
    except TRANSIENT_ERRORS:
        raise
    except FileRejected as rejected:
        return _reject(record, rejected.code, rejected.detail), pd.DataFrame()
    except Exception as exc:  # noqa: BLE001 - one bad file never stops the others
        return _reject(record, "FILE_UNREADABLE", f"{type(exc).__name__}: {str(exc)[:150]}"), (
            pd.DataFrame()
        )


def _reject(record: dict, code: str, detail: str = "") -> dict:
    record.update(status="rejected", reason_code=code, reason=bpjs_reason(code, detail))
    return record


def _read(path: Path, name: str, record: dict, settings: Settings) -> tuple[dict, pd.DataFrame]:
    tables, labels, titles, skipped = [], [], [], 0
    any_cells = False
    for sheet in iter_sheets(path, ReadLimits.of(settings)):
        any_cells = any_cells or not sheet.grid.empty
        header = find_header(sheet.grid, settings.header_search_rows, ("nik",), 2, bpjs_field)
        if header is None:
            continue
        table = grid_to_table(sheet.grid, header)
        skipped += table.n_skipped
        titles.append(" ".join(title_cells(sheet.grid, header.header_rows[0])))
        cells = sheet.grid.loc[header.header_rows].to_numpy(dtype=object).ravel().tolist()
        labels.extend(str(c) for c in cells if c is not None and str(c).strip())
        tables.append(table.rows.assign(sheet=sheet.name))
    if not tables:
        return _reject(record, "HEADER_NOT_FOUND" if any_cells else "FILE_EMPTY"), pd.DataFrame()
    rows = pd.concat(tables, ignore_index=True)
    names = f"{name} {' '.join(titles)}"
    kind = file_kind(rows.columns, names)
    record.update(kind=kind, n_skipped=skipped)
    if kind is None:
        return _reject(record, "BPJS_KIND_UNKNOWN", name), pd.DataFrame()
    values = (
        cell_texts(rows["program_column"]).dropna().unique() if "program_column" in rows else []
    )
    program = program_of(names, labels, [str(v) for v in values])
    record["program"] = program
    if program is None:
        return _reject(record, "PROGRAM_UNKNOWN", "tidak disebut atau keduanya disebut"), (
            pd.DataFrame()
        )
    if rows.empty:
        return _reject(record, "FILE_EMPTY"), pd.DataFrame()
    identity = parse_identity(rows["nik"])
    nik = identity["value"].astype("string")
    card = cell_texts(rows["card_number"]) if "card_number" in rows else None
    out = pd.DataFrame(
        {
            "file_name": name,
            "sheet": rows["sheet"],
            "row_number": rows["row_number"],
            "program": program,
            "nik": nik,
        }  # fmt: skip
    )
    out["card_number"] = (
        card if card is not None else pd.Series(pd.NA, index=out.index, dtype="string")
    )
    if kind == "results":
        status = cell_texts(rows["status_hasil"]) if "status_hasil" in rows else None
        remark = cell_texts(rows["keterangan"]) if "keterangan" in rows else None
        out["bpjs_text"] = _joined(status, remark, rows.index)
        out[["outcome", "reason_code"]] = classify_results(out["bpjs_text"])
    else:
        period = periods_of(rows["period"]) if "period" in rows else None
        fallback = period_of_text(" ".join(titles)) or period_of_text(Path(name).stem)
        if period is None:
            period = pd.Series(fallback, index=rows.index, dtype="string")
        period = period.fillna(fallback) if fallback else period
        if period.isna().all():
            return _reject(record, "PERIOD_UNKNOWN"), pd.DataFrame()
        out["period"] = period
        out["amount"] = amounts(rows["amount"]) if "amount" in rows else pd.NA
        out["kelas"] = cell_texts(rows["kelas"]) if "kelas" in rows else pd.NA
        # The regency a line is counted under when no person has its NIK: the file's names,
        # else the NIK's issuing regency (a fallback: the NIK prefix is not the domicile).
        named = attribute_file(name, " ".join(titles)).regency_code
        prefix = nik.str.slice(0, 4)
        out["regency_code"] = named or prefix.where(prefix.isin(list(REGENCIES)))
        known = period.dropna().unique()
        record["period"] = known[0] if len(known) == 1 else ",".join(sorted(known))
    record.update(status="loaded", n_rows=len(out))
    return record, out


def read_bpjs_dir(settings: Settings, known: pd.DataFrame, run_id: str) -> BpjsRead:
    """Every file under the BPJS dir not read before with the same content (same name and
    sha256, or the same sha256 under another name), split into results and bill lines."""
    read = BpjsRead()
    folder = settings.bpjs_dir
    if not folder.is_dir():
        return read
    by_name = dict(zip(known["file_name"], known["sha256"], strict=True)) if len(known) else {}
    seen_sha = set(known["sha256"]) if len(known) else set()
    records, results, bills = [], [], []
    for path in list_submissions(folder):
        name = path.relative_to(folder).as_posix()
        sha = sha256_of(path)
        if by_name.get(name) == sha:
            continue
        if name in by_name:
            read.replaced.append(name)
        if sha in seen_sha:
            record = {"file_name": name, "status": "duplicate", "reason_code": "DUPLICATE_FILE",
                      "reason": bpjs_reason("DUPLICATE_FILE", "berkas BPJS lain"),
                      "n_rows": 0, "n_skipped": 0}  # fmt: skip
            rows = pd.DataFrame()
        else:
            record, rows = read_bpjs_file(path, name, settings)
        seen_sha.add(sha)
        records.append({**record, "sha256": sha, "run_id": run_id, "loaded_at": datetime.now()})
        if rows.empty:
            continue
        (results if record["kind"] == "results" else bills).append(rows)
    read.files = pd.DataFrame(records)
    if results:
        read.results = pd.concat(results, ignore_index=True)[RESULT_COLUMNS]
    if bills:
        read.bill_lines = pd.concat(bills, ignore_index=True)[BILL_COLUMNS]
    return read
