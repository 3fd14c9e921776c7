"""Feedback workbooks for regencies: every row of a submitted file back, with its status and reasons.

One xlsx per loaded source file under `<export_dir>/umpan_balik/<regency code>_<regency>/`:

- `Ringkasan`: the file, its regency and program, rows per status and per reason code (with
  an Indonesian description), what the colours mean and what to do.
- one sheet per sheet of the source file: the regency's rows in their order with their row
  numbers, `Status` (Diterima / Ditinjau / Ditolak), the reason codes, the reasons in Bahasa
  Indonesia, and the identity cells as written. Rejected and review rows are filled (light
  red / light yellow); the cell a reason blames (`row_issues.column_name`) is marked in a
  stronger colour (red = rejected, orange = review, blue = note).

Written like the BPJS exports: under a temporary name, moved into place after the warehouse
commit, owner-only, the same content for the same input. A workbook is written for every file
loaded this run and for every earlier file whose rows changed status this run (a review
decision applied, a NIK conflict found), so the regency always has the current verdict.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import xlsxwriter
from xlsxwriter.format import Format

from flows.outputs.bpjs_files import write_jobs
from flows.outputs.files import FEEDBACK_DIR, PendingFile, temp_path
from flows.outputs.writing import (
    CellColumn,
    FileJob,
    print_setup,
    row_blocks,
    stable_workbook,
    write_columns,
)
from flows.settings import Settings
from flows.warehouse.packed import PackedColumns
from flows.warehouse.store import connect, read_arrow_frame, read_frame, table_columns
from schemas.codes import (
    CODE_DESCRIPTIONS,
    OUTCOMES,
    PROGRAM_LABELS,
    ROW_KEYS,
    SEVERITY_LABELS,
    STATUS_LABELS,
)
from schemas.programs import REASON_MESSAGES
from schemas.reference import REGENCIES
from schemas.text import TEXT_DTYPE as TEXT
from transforms.ingest.sources import printable
from transforms.publish.exports import formula_like
from transforms.publish.outcomes import row_outcomes

FEEDBACK_KIND = "umpan_balik"  # `exports.kind` of a feedback workbook
SEVERITY_RANK = {"warning": 0, "review": 1, "error": 2}

# (header, source column(s) in order of preference, `row_issues.column_name` it stands for)
DATA_COLUMNS: list[tuple[str, tuple[str, ...], str]] = [
    ("NIK", ("nik_raw", "nik"), "nik"),
    ("No KK", ("kk_raw", "no_kk"), "no_kk"),
    ("Nama", ("nama",), "nama"),
    ("Tanggal Lahir", ("tanggal_lahir_raw", "tanggal_lahir"), "tanggal_lahir"),
    ("Jenis Kelamin", ("jenis_kelamin_raw", "jenis_kelamin"), "jenis_kelamin"),
    ("Pekerjaan", ("pekerjaan_raw", "pekerjaan"), "pekerjaan"),
    ("Penghasilan", ("penghasilan_raw",), "penghasilan"),
    ("Desil", ("desil_raw",), "desil"),
    ("Disabilitas", ("disabilitas_raw",), "disabilitas"),
    ("Jumlah Tanggungan", ("jumlah_tanggungan_raw",), "jumlah_tanggungan"),
]
ALWAYS_SHOWN = 5  # NIK .. Jenis Kelamin always; the rest only when a finding blames them
LEAD_COLUMNS = ["Baris", "Status", "Kode hasil", "Hasil", "Kode", "Alasan"]
STATUS_COLUMN = "status"  # `column_name` of review decisions: the Status cell is marked

ROW_FILL = {"rejected": "#FCE4D6", "review": "#FFF2CC"}
CELL_FILL = {2: "#FF7C80", 1: "#FFC000", 0: "#BDD7EE"}
LEGEND = [
    (ROW_FILL["rejected"], "Baris ditolak: perbaiki sesuai alasan lalu kirim ulang."),
    (ROW_FILL["review"], "Baris ditinjau petugas provinsi: cocokkan dengan KTP/KK."),
    (CELL_FILL[2], "Sel yang menyebabkan penolakan."),
    (CELL_FILL[1], "Sel yang perlu ditinjau."),
    (CELL_FILL[0], "Sel dengan catatan (baris tetap diterima)."),
]
INSTRUCTIONS = [
    "Kolom Baris menunjuk nomor baris pada berkas yang Anda kirim; Alasan menjelaskan "
    "masalahnya dan cara memperbaikinya.",
    "Kolom Hasil dan Kode hasil menyatakan hasil akhir untuk orang pada baris itu: hanya "
    "DIUSULKAN yang dikirim ke BPJS. Baris Diterima belum tentu diusulkan (mis. tidak "
    "memenuhi syarat, di luar kuota, atau duplikat dari baris lain).",
    "Baris berstatus Ditolak tidak diusulkan ke BPJS. Perbaiki datanya, lalu kirim ulang "
    "berkas (boleh seluruh berkas dengan nama yang sama).",
    "Baris berstatus Ditinjau menunggu keputusan petugas provinsi; hasilnya muncul pada "
    "umpan balik berikutnya.",
    "Baris berstatus Diterima dengan catatan tidak perlu diubah kecuali catatannya keliru.",
]


@dataclass(frozen=True)
class SourceFile:
    """A loaded submission file: where it came from and what the regency sent it for."""

    file_name: str
    regency_code: str
    program: str
    notes: tuple[str, ...] = ()  # what reading skipped (a REKAP sheet, a hidden sheet), why


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:80] or "berkas"


def feedback_path(export_dir: Path, source: SourceFile) -> Path:
    """`<export_dir>/umpan_balik/<code>_<regency>/umpan_balik_<file>_<hash>.xlsx` (stable)."""
    regency = REGENCIES.get(source.regency_code)
    folder = f"{source.regency_code}_{_slug(regency.name) if regency else 'wilayah'}"
    tag = hashlib.sha256(source.file_name.encode("utf-8")).hexdigest()[:6]
    return export_dir / FEEDBACK_DIR / folder / f"umpan_balik_{_slug(source.file_name)}_{tag}.xlsx"


def _sheet_title(name: str, taken: set[str]) -> str:
    """A valid, unique worksheet name for a source sheet (CSV files have none: `Data`)."""
    base = re.sub(r"[\[\]:*?/\\]", "_", printable(name)).strip("'") or "Data"
    base = base[:31]
    title, n = base, 2
    while title.lower() in taken:
        suffix = f" ({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(title.lower())
    return title


def _first(frame: pd.DataFrame, sources: tuple[str, ...]) -> pd.Series | None:
    """The first source column present, as display text (dates as dd-mm-yyyy)."""
    for column in sources:
        if column in frame:
            values = frame[column]
            if pd.api.types.is_datetime64_any_dtype(values):
                values = values.dt.strftime("%d-%m-%Y")
            return values.astype(TEXT)
    return None


def _reasons(issues: pd.DataFrame) -> pd.DataFrame:
    """Per row (sheet, row_number): its codes and its messages, worst severity first."""
    ordered = issues.assign(rank=issues["severity"].map(SEVERITY_RANK)).sort_values(
        ["sheet", "row_number", "rank", "code"], ascending=[True, True, False, True], kind="stable"
    )
    keys = ["sheet", "row_number"]

    def joined(frame: pd.DataFrame, column: str, separator: str) -> pd.Series:
        table = pa.Table.from_pandas(
            frame[[*keys, column]].astype({column: str}), preserve_index=False
        )
        grouped = table.group_by(keys, use_threads=False).aggregate([(column, "list")])
        lists = grouped[f"{column}_list"]
        text = pc.binary_join(lists, pa.scalar(separator, lists.type.value_type))
        index = pd.MultiIndex.from_arrays(
            [grouped["sheet"].to_pandas(), grouped["row_number"].to_pandas()]
        )
        return pd.Series(text.to_pandas().to_numpy(), index=index)

    codes = joined(ordered.drop_duplicates([*keys, "code"]), "code", ", ")
    reasons = joined(ordered.drop_duplicates([*keys, "message"]), "message", "\n")
    return pd.DataFrame({"codes": codes, "reasons": reasons.reindex(codes.index)})


class _Formats:
    """Cell formats made once per workbook and combination (fill, bold, quote, wrap)."""

    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        self.workbook = workbook
        self.cache: dict[tuple, Format] = {}

    def get(self, fill: str | None = None, bold: bool = False, quoted: bool = False, wrap=False):
        key = (fill, bold, quoted, wrap)
        if key not in self.cache:
            spec: dict[str, object] = {"valign": "top"}
            if fill:
                spec.update(bg_color=fill, pattern=1)
            if bold:
                spec["bold"] = True
            if quoted:
                spec["quote_prefix"] = True
            if wrap:
                spec["text_wrap"] = True
            self.cache[key] = self.workbook.add_format(spec)
        return self.cache[key]


def _counts_table(ws, r: int, header, title: str, counts: list[tuple[object, ...]], empty: str):
    """A small table of the summary sheet: header row, one row per count; the next free row."""
    r += 2
    for col, text in enumerate(title.split("|")):
        ws.write_string(r, col, text, header)
    if not counts:
        r += 1
        ws.write_string(r, 0, empty)
    for values in counts:
        r += 1
        for col, value in enumerate(values):
            if isinstance(value, str):
                ws.write_string(r, col, value)
            else:
                ws.write_number(r, col, value)
    return r


def _outcome_counts(rows: pd.DataFrame) -> list[tuple[str, str, int]]:
    """(Kode hasil, label, rows) in the order of OUTCOMES, not-eligible reasons by their code."""
    if "kode_hasil" not in rows or rows.empty:
        return []
    counts = rows["kode_hasil"].value_counts()
    order = [c for c in OUTCOMES if c != "NOT_ELIGIBLE"]
    known = [(c, OUTCOMES[c].label, int(counts[c])) for c in order if c in counts]
    reasons = sorted(set(counts.index) - set(order))
    not_eligible = OUTCOMES["NOT_ELIGIBLE"].label
    others = [(c, f"{not_eligible}: {REASON_MESSAGES.get(c, c)}", int(counts[c])) for c in reasons]
    return known[:2] + others + known[2:]  # proposed, outside quota, not eligible, the rest


def _write_summary(
    ws, formats: _Formats, source: SourceFile, rows: pd.DataFrame, issues: pd.DataFrame, as_of
) -> None:
    bold = formats.get(bold=True)
    header = formats.get(fill="#DDEBF7", bold=True)
    regency = REGENCIES.get(source.regency_code)
    for col, width in enumerate((28, 14, 70, 14)):
        ws.set_column(col, col, width)
    print_setup(ws, one_page=True)
    ws.write_string(0, 0, "Umpan balik verifikasi calon peserta BPJS", bold)
    facts = [
        ("Berkas", printable(source.file_name)),
        ("Kabupaten/Kota", f"{regency.full_name if regency else ''} ({source.regency_code})"),
        ("Program", PROGRAM_LABELS.get(source.program, source.program or "")),
        ("Tanggal acuan", as_of.strftime("%d-%m-%Y")),
    ]
    r = 2
    for label, value in facts:
        ws.write_string(r, 0, label, bold)
        ws.write_string(r, 1, value)
        r += 1
    ws.write_string(r, 0, "Jumlah baris data", bold)
    ws.write_number(r, 1, len(rows))
    r += 1

    r += 1
    ws.write_string(r, 0, "Status", header)
    ws.write_string(r, 1, "Jumlah baris", header)
    counts = rows["status"].value_counts()
    for status, label in STATUS_LABELS.items():
        r += 1
        ws.write_string(r, 0, label, formats.get(fill=ROW_FILL.get(status)))
        ws.write_number(r, 1, int(counts.get(status, 0)))

    r = _counts_table(
        ws, r, header, "Kode hasil|Jumlah baris|Hasil", [(c, n, label) for c, label, n in
        _outcome_counts(rows)], "Belum ada hasil.",
    )  # fmt: skip
    per_code: list[tuple[object, ...]] = []
    if len(issues):
        found = (
            issues.drop_duplicates(["sheet", "row_number", "code"])
            .groupby(["code", "severity"])
            .size()
            .reset_index(name="n")
        )
        found["rank"] = found["severity"].map(SEVERITY_RANK)
        found = found.sort_values(["rank", "n", "code"], ascending=[False, False, True])
        per_code = [
            (code, SEVERITY_LABELS.get(severity, severity), CODE_DESCRIPTIONS.get(code, code), n)
            for code, severity, n in found[["code", "severity", "n"]].itertuples(index=False)
        ]
    r = _counts_table(
        ws, r, header, "Kode|Tingkat|Keterangan|Jumlah baris",
        [(c, s, d, int(n)) for c, s, d, n in per_code], "Tidak ada temuan.",
    )  # fmt: skip
    r = _counts_table(
        ws, r, header, "Lembar dilewati|Alasan",
        [(_skipped_sheet(note), note) for note in source.notes], "Tidak ada lembar yang dilewati.",
    )  # fmt: skip

    r += 2
    ws.write_string(r, 0, "Arti warna", header)
    for fill, meaning in LEGEND:
        r += 1
        ws.write_blank(r, 0, None, formats.get(fill=fill))
        ws.write_string(r, 1, meaning)
    r += 2
    ws.write_string(r, 0, "Yang perlu dilakukan", header)
    for line in INSTRUCTIONS:
        r += 1
        ws.write_string(r, 0, "•")
        ws.write_string(r, 1, line)


def _skipped_sheet(note: str) -> str:
    """The sheet a reading note is about (`lembar 'REKAP' ...` -> REKAP), else the whole note."""
    found = re.search(r"lembar(?: tersembunyi)? '([^']*)'", note)
    return found.group(1) if found else "-"


# Every style a data cell can take: (fill, bold, quote prefix, wrap), made once per workbook.
STYLE_FILLS = [
    None,
    ROW_FILL["rejected"],
    ROW_FILL["review"],
    CELL_FILL[0],
    CELL_FILL[1],
    CELL_FILL[2],
]
STYLE_KEYS = [
    (fill, bold, quoted, wrap)
    for fill in STYLE_FILLS
    for bold in (False, True)
    for quoted in (False, True)
    for wrap in (False, True)
]
_ROW_FILL_ID = {"rejected": 1, "review": 2}  # index into STYLE_FILLS; a mark of rank k is 3 + k


def _start_sheet(ws, formats: _Formats, titles: list[str], n_rows: int) -> None:
    """Header, widths, frozen panes, filter and print set-up of a data sheet."""
    header = formats.get(fill="#DDEBF7", bold=True, wrap=True)
    wide = {"Alasan": 60, "Hasil": 45, "Nama": 22, "NIK": 19, "No KK": 19}
    for col, title in enumerate(titles):
        ws.set_column(col, col, wide.get(title, 8 if col == 0 else 14))
    ws.freeze_panes(1, 2)
    ws.autofilter(0, 0, max(n_rows, 1), len(titles) - 1)
    print_setup(ws)
    for col, title in enumerate(titles):
        ws.write_string(0, col, title, header)


def _style_index(fill: np.ndarray, bold, quoted, wrap) -> np.ndarray:
    """Position in STYLE_KEYS of per-cell (fill id, bold, quoted, wrap)."""
    return (
        (fill * 2 + np.asarray(bold, dtype=np.int64)) * 2 + np.asarray(quoted, dtype=np.int64)
    ) * 2 + np.asarray(wrap, dtype=np.int64)


@dataclass
class _Column:
    """One sheet column ready to write: texts (None = empty), a style per row, blank-if-filled."""

    values: list
    style: np.ndarray
    keep_empty: np.ndarray


def _texts(values: pd.Series) -> list:
    """Texts as a Python list (missing = None), converted by Arrow in one pass."""
    return pa.array(values, type=pa.large_string(), from_pandas=True).to_pylist()


def _sheet_columns(part: pd.DataFrame, columns, issues: pd.DataFrame) -> list[_Column]:
    """Columns B.. of one sheet's data rows with the style of every cell (vectorised)."""
    n = len(part)
    status = part["status"].to_numpy(dtype=object)
    row_fill = np.zeros(n, dtype=np.int64)
    for name, fill_id in _ROW_FILL_ID.items():
        row_fill[status == name] = fill_id
    filled = row_fill > 0

    # worst severity rank (-1 = none) per row and blamed column
    ranks: dict[str, np.ndarray] = {}
    if len(issues):
        position = pd.Index(part["row_number"].astype(np.int64)).get_indexer(
            issues["row_number"].astype(np.int64)
        )
        rank = issues["severity"].map(SEVERITY_RANK).to_numpy(dtype=np.int64)
        for column, at in pd.Series(np.arange(len(issues))).groupby(
            issues["column_name"].to_numpy()
        ):
            found = np.full(n, -1, dtype=np.int64)
            hit = position[at.to_numpy()] >= 0
            np.maximum.at(found, position[at.to_numpy()][hit], rank[at.to_numpy()][hit])
            ranks[column] = found
    none = np.full(n, -1, dtype=np.int64)

    status_rank = ranks.get(STATUS_COLUMN, none)
    status_fill = np.where(status_rank >= 0, 3 + np.maximum(status_rank, 0), row_fill)
    labels = pd.Series(status).map(STATUS_LABELS)
    plain = _style_index(row_fill, False, False, False)
    wrapped = _style_index(row_fill, False, False, True)
    out = [
        _Column(_texts(labels), _style_index(status_fill, False, False, False), filled),
        _Column(_texts(part["kode_hasil"]), plain, filled),
        _Column(_texts(part["hasil"]), wrapped, filled),
        _Column(_texts(part["codes"]), plain, filled),
        _Column(_texts(part["reasons"]), wrapped, filled),
    ]
    for _, values, blamed in columns:
        rank = ranks.get(blamed, none)
        marked = rank >= 0
        fill = np.where(marked, 3 + rank, row_fill)
        quoted = formula_like(values)  # shown with Excel's quote prefix (value unchanged)
        out.append(
            _Column(_texts(values), _style_index(fill, marked, quoted, False), filled | marked)
        )
    return out


def _write_sheet_rows(
    ws, part: pd.DataFrame, columns: list[_Column], styles: list, first_row: int = 1
) -> None:
    """Write the data rows in order from `first_row`, streamed to disk, one cell per value or fill."""
    style_of = np.array(styles, dtype=object)
    numbers = part["row_number"].astype(np.int64).tolist()
    cells = [CellColumn(numbers, formats=style_of[columns[3].style].tolist(), number=True)]
    cells += [
        CellColumn(c.values, formats=style_of[c.style].tolist(), keep_empty=c.keep_empty.tolist())
        for c in columns
    ]
    write_columns(ws, first_row, cells, len(numbers))


def write_feedback_workbook(
    path: Path, source: SourceFile, rows: pd.DataFrame, issues: pd.DataFrame, as_of: date
) -> None:
    """The feedback workbook of one source file (rows of that file only, with their outcome
    columns), rows streamed to disk by XlsxWriter; identical input gives identical bytes."""
    workbook = stable_workbook(path, f"Umpan balik {printable(source.file_name)}", as_of)
    formats = _Formats(workbook)
    # Plain cells (no fill, mark or quote) need no format of their own.
    styles = [
        None if (f, b, q) == (None, False, False) and not w else formats.get(f, b, q, w)
        for f, b, q, w in STYLE_KEYS
    ]
    summary = workbook.add_worksheet("Ringkasan")
    _write_summary(summary, formats, source, rows, issues, as_of)

    # Identity columns always; other columns only when a finding in this file blames them.
    blamed_here = set(issues["column_name"]) if len(issues) else set()
    columns = []
    for position, (title, sources, blamed) in enumerate(DATA_COLUMNS):
        if position >= ALWAYS_SHOWN and blamed not in blamed_here:
            continue
        values = _first(rows, sources)
        if values is None:
            values = pd.Series(pd.NA, index=rows.index, dtype=TEXT)
        columns.append((title, values, blamed))

    table = (
        rows.join(_reasons(issues), on=["sheet", "row_number"])
        if len(issues)
        else rows.assign(codes=None, reasons=None)
    )
    order = ["sheet_order", "sheet"] if "sheet_order" in table else ["sheet"]
    table = table.sort_values([*order, "row_number"], kind="stable")
    titles = LEAD_COLUMNS + [title for title, _, _ in columns]
    taken = {"ringkasan"}
    issues_by_sheet = dict(tuple(issues.groupby("sheet", sort=False))) if len(issues) else {}
    for sheet, part in table.groupby("sheet", sort=False):
        ws = workbook.add_worksheet(_sheet_title(str(sheet), taken))
        _start_sheet(ws, formats, titles, len(part))
        part_columns = [(t, v.loc[part.index], b) for t, v, b in columns]
        sheet_issues = issues_by_sheet.get(sheet, issues.iloc[0:0])
        for block in row_blocks(len(part)):  # cells made block by block: memory stays flat
            rows_here = part.iloc[block]
            columns_here = [(t, v.iloc[block], b) for t, v, b in part_columns]
            cells = _sheet_columns(rows_here, columns_here, sheet_issues)
            _write_sheet_rows(ws, rows_here, cells, styles, first_row=1 + block.start)
    workbook.close()
    os.chmod(path, 0o600)


# Rows above which the workbooks are written side by side by worker processes.
PARALLEL_MIN_ROWS = 20_000
# Columns a workbook needs from the rows.
WORKBOOK_COLUMNS = ["sheet", "sheet_order", "row_number", "status", "kode_hasil", "hasil"] + [
    source for _, sources, _ in DATA_COLUMNS for source in sources
]


def with_outcomes(rows: pd.DataFrame, outcomes: pd.DataFrame | None) -> pd.DataFrame:
    """`rows` with their `kode_hasil` and `hasil` (from `row_outcomes`; without them, what the
    row status alone tells)."""
    if outcomes is None:
        empty = pd.DataFrame(columns=["program", "person_id", "eligible", "reason_code"])
        ranks = pd.DataFrame(columns=["program", "person_id", "rank", "within_quota"])
        outcomes = row_outcomes(rows.assign(person_id=pd.NA), empty, ranks)
    keyed = outcomes.set_index(ROW_KEYS)[["kode_hasil", "hasil"]]
    found = keyed.reindex(pd.MultiIndex.from_frame(rows[ROW_KEYS]))
    # the arrays themselves, not NumPy copies: a province's sentences stay Arrow strings
    return rows.assign(kode_hasil=found["kode_hasil"].array, hasil=found["hasil"].array)


def _workbook_arguments(
    source: SourceFile,
    rows: pd.DataFrame,
    positions: np.ndarray,
    issues: pd.DataFrame,
    issue_positions: np.ndarray,
    as_of: date,
    cells: PackedColumns | None = None,
) -> Callable[[], tuple]:
    """The arguments of one file's `write_feedback_workbook`, sliced from `rows` and `issues`
    (at `positions` and `issue_positions`) only when the file is handed to its writer, so that
    a province's rows and issues are never held twice; `cells`: the cells of `rows`' first rows
    (this run's), held packed and unpacked here for this file."""

    def arguments() -> tuple:
        part = rows.iloc[positions]
        if cells is not None and len(positions) and positions[0] < cells.n_rows:
            part = cells.restored(part, positions)
        columns = [c for c in WORKBOOK_COLUMNS if c in part]
        return source, part[columns], issues.iloc[issue_positions], as_of

    return arguments


def write_feedback(
    export_dir: Path,
    sources: list[SourceFile],
    rows: pd.DataFrame,
    issues: pd.DataFrame,
    as_of: date,
    run_id: str,
    workers: int = 1,
    outcomes: pd.DataFrame | None = None,
    pool: Executor | None = None,
    cells: PackedColumns | None = None,
) -> tuple[pd.DataFrame, list[PendingFile]]:
    """One workbook per source file under temporary names; `exports` records for them.

    `outcomes`: `transforms.publish.outcomes.row_outcomes` of the rows. With many rows the
    files are written in `pool`, or by `workers` processes of their own. `cells`: the cells of
    the first rows of `rows`, set aside from them (`_workbook_arguments`).
    """
    rows = with_outcomes(rows, outcomes) if len(rows) else rows
    positions = rows.groupby("file_name", sort=False).indices if len(rows) else {}
    issues_at = issues.groupby("file_name", sort=False).indices if len(issues) else {}
    no_issues = np.zeros(0, dtype=np.int64)
    jobs: list[FileJob] = []
    answered: list[SourceFile] = []
    for source in sorted(sources, key=lambda s: s.file_name):
        at = positions.get(source.file_name, ())
        if not len(at):
            continue
        final = feedback_path(export_dir, source)
        final.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        file_issues = issues_at.get(source.file_name, no_issues)
        arguments = _workbook_arguments(source, rows, at, issues, file_issues, as_of, cells)
        jobs.append(FileJob(write_feedback_workbook, arguments, temp_path(final), final, len(at)))
        answered.append(source)
    try:
        settled = write_jobs(jobs, workers, PARALLEL_MIN_ROWS, pool)
    except BaseException:
        for job in jobs:
            job.temp.unlink(missing_ok=True)
        raise
    pending = [
        PendingFile(job.temp, job.final, unchanged)
        for job, (_, unchanged) in zip(jobs, settled, strict=True)
    ]
    records = [
        {
            "run_id": run_id,
            "program": source.program,
            "regency_code": source.regency_code,
            "kind": FEEDBACK_KIND,
            "path": job.final.as_posix(),
            "n_rows": job.n_rows,
            "sha256": digest,
            "source_file": source.file_name,
        }
        for job, source, (digest, _) in zip(jobs, answered, settled, strict=True)
    ]
    return pd.DataFrame(records), pending


# Columns a feedback workbook reads from `submission_rows` when it regenerates an earlier file.
STORED_COLUMNS = ["file_name", "sheet", "row_number", "status", "regency_code", "program"] + [
    source for _, sources, _ in DATA_COLUMNS for source in sources
]


def stored_rows(
    con: duckdb.DuckDBPyConnection, file_names: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows and issues of earlier-loaded files, as the warehouse holds them before this run."""
    if not file_names:
        return pd.DataFrame(), pd.DataFrame()
    present = set(table_columns(con, "submission_rows"))
    columns = ", ".join(dict.fromkeys(c for c in STORED_COLUMNS if c in present))
    con.register("_feedback_files", pd.DataFrame({"file_name": file_names}))
    try:
        rows = read_frame(
            con,
            f"SELECT {columns} FROM submission_rows "
            "WHERE file_name IN (SELECT file_name FROM _feedback_files)",
        )
        issues = read_frame(
            con,
            "SELECT file_name, sheet, row_number, code, severity, column_name, value, message "
            "FROM row_issues WHERE file_name IN (SELECT file_name FROM _feedback_files)",
        )
    finally:
        con.unregister("_feedback_files")
    return rows, issues


def feedback_inputs(
    db: Path,
    new_rows: pd.DataFrame,
    issues: pd.DataFrame,
    row_updates: pd.DataFrame,
    replaced: list[str],
    outcome_changed: set[str] | frozenset[str] = frozenset(),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows and issues for the feedback of this run: the files loaded now, plus earlier files
    whose rows changed status or outcome (their stored rows with the new statuses and this
    run's issues)."""
    new_files = set(new_rows["file_name"].unique()) if len(new_rows) else set()
    changed = set(row_updates["file_name"].unique()) if len(row_updates) else set()
    earlier = sorted((changed | set(outcome_changed)) - new_files - set(replaced))
    frames, issue_frames = [new_rows], [issues]
    if earlier and db.exists():
        with connect(db, read_only=True) as con:
            old_rows, old_issues = stored_rows(con, earlier)
        if len(old_rows):
            keyed = old_rows.set_index(ROW_KEYS)
            before = keyed["status"].copy()
            if len(row_updates):
                updates = row_updates.drop_duplicates(ROW_KEYS, keep="last").set_index(ROW_KEYS)
                hit = keyed.index.isin(updates.index)
                keyed.loc[hit, "status"] = updates.loc[keyed.index[hit], "status"].to_numpy()
            # a new person_id alone changes nothing the regency sees; a new outcome does
            files = keyed.index.get_level_values("file_name")
            moved = set(files[keyed["status"].ne(before).to_numpy()]) | set(outcome_changed)
            keyed = keyed.loc[files.isin(moved)]
            frames.append(keyed.reset_index())
            issue_frames.append(old_issues.loc[old_issues["file_name"].isin(moved)])
    present = [f for f in frames if len(f)]
    if len(present) > 1:
        rows = pd.concat(present, ignore_index=True)
    else:  # this run's rows alone (the usual case): used as they are, not copied
        rows = present[0] if present else pd.DataFrame()
    present_issues = [f for f in issue_frames if len(f)]
    if not present_issues:
        all_issues = pd.DataFrame(
            columns=[*ROW_KEYS, "code", "severity", "column_name", "value", "message"]
        )
    elif len(present_issues) == 1:  # this run's issues alone: copied only to drop repeats
        all_issues = present_issues[0].reset_index(drop=True)
    else:
        all_issues = pd.concat(present_issues, ignore_index=True)
    repeated = all_issues.duplicated([*ROW_KEYS, "code", "column_name", "message"])
    if repeated.any():
        all_issues = all_issues.loc[~repeated.to_numpy()].reset_index(drop=True)
    return rows, all_issues


def sources_of(
    rows: pd.DataFrame, notes: dict[str, tuple[str, ...]] | None = None
) -> list[SourceFile]:
    """The source files present in `rows`, with their regency, program and reading notes."""
    if rows.empty:
        return []
    notes = notes or {}
    first = rows.drop_duplicates("file_name")[["file_name", "regency_code", "program"]]
    return [
        SourceFile(str(f), str(r), str(p) if isinstance(p, str) else "", notes.get(str(f), ()))
        for f, r, p in first.itertuples(index=False)
    ]


@dataclass
class RunOutcomes:
    """What the feedback needs to tell every row's outcome: the run's decisions and lists."""

    decisions: pd.DataFrame
    verified: pd.DataFrame
    files: pd.DataFrame  # this run's `source_files` records (reading notes)
    reason_messages: dict[str, str]
    # per (program, person_id) BPJS rejected, as of this run's results (None: as stored)
    bpjs_rejections: pd.DataFrame | None = None
    # the persons whose rows' outcomes may have changed (a run that changed only some persons:
    # them and the others on the lists ranked again); None: every row's outcome is decided
    scope: np.ndarray | None = None


OUTCOME_ROW_COLUMNS = [*ROW_KEYS, "status", "person_id", "program", "order_key"]


def _stored_state(
    db: Path, skip: set[str], scope: np.ndarray | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, tuple[str, ...]]]:
    """From the warehouse before this run: the rows outcomes are decided over (files in `skip`
    left out; with `scope`, only the rows of those persons), their last outcomes, BPJS's
    rejections (when that table exists) and the reading notes of loaded files."""
    empty = pd.DataFrame(columns=OUTCOME_ROW_COLUMNS)
    if not db.exists():
        return empty, pd.DataFrame(columns=[*ROW_KEYS, "kode_hasil", "hasil"]), pd.DataFrame(), {}
    with connect(db, read_only=True) as con:
        tables = {
            row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        }
        con.register("_skip", pd.DataFrame({"file_name": sorted(skip)}, dtype=object))
        chosen = "file_name NOT IN (SELECT file_name FROM _skip)"
        if scope is not None:
            con.register("_scope", pd.DataFrame({"person_id": scope.astype(np.int64)}))
            chosen += " AND person_id IN (SELECT person_id FROM _scope)"
        rows = read_arrow_frame(
            con, f"SELECT {', '.join(OUTCOME_ROW_COLUMNS)} FROM submission_rows WHERE {chosen}"
        )
        con.unregister("_skip")
        if scope is not None:
            con.unregister("_scope")
            con.register("_rows", rows[ROW_KEYS])  # their last outcomes only
        previous = (
            read_arrow_frame(
                con,
                "SELECT o.file_name, o.sheet, o.row_number, o.kode_hasil, o.hasil "
                "FROM row_outcomes AS o"
                + (
                    ""
                    if scope is None
                    else " SEMI JOIN _rows AS r ON o.file_name = r.file_name "
                    "AND o.sheet = r.sheet AND o.row_number = r.row_number"
                ),
            )
            if "row_outcomes" in tables
            else pd.DataFrame(columns=[*ROW_KEYS, "kode_hasil", "hasil"])
        )
        if scope is not None:
            con.unregister("_rows")
        rejections = (
            read_frame(
                con,
                "SELECT program, person_id, reason_code, bpjs_text FROM bpjs_results "
                "WHERE outcome = 'rejected' AND person_id IS NOT NULL ORDER BY run_id",
            )
            if "bpjs_results" in tables
            else pd.DataFrame()
        )
        notes = read_frame(
            con, "SELECT file_name, reason FROM source_files WHERE status = 'loaded'"
        )
    return rows, previous, rejections, _notes_by_file(notes)


def _outcomes_of_files(db: Path, files: list[str], decided: pd.DataFrame) -> pd.DataFrame:
    """The stored outcomes of the rows of `files` that `decided` does not hold."""
    with connect(db, read_only=True) as con:
        con.register("_files", pd.DataFrame({"file_name": files}, dtype=object))
        con.register("_decided", decided[ROW_KEYS])
        try:
            return read_arrow_frame(
                con,
                "SELECT o.file_name, o.sheet, o.row_number, o.kode_hasil, o.hasil "
                "FROM row_outcomes AS o SEMI JOIN _files AS f ON o.file_name = f.file_name "
                "ANTI JOIN _decided AS d ON o.file_name = d.file_name AND o.sheet = d.sheet "
                "AND o.row_number = d.row_number",
            )
        finally:
            con.unregister("_files")
            con.unregister("_decided")


def _notes_by_file(files: pd.DataFrame) -> dict[str, tuple[str, ...]]:
    """Per loaded file, what reading skipped and why (`source_files.reason` of a loaded file)."""
    if files.empty or "reason" not in files:
        return {}
    loaded = files.loc[files["reason"].notna()]
    if "status" in loaded:
        loaded = loaded.loc[loaded["status"].eq("loaded")]
    return {
        str(name): tuple(note for note in str(reason).split("; ") if note)
        for name, reason in zip(loaded["file_name"], loaded["reason"], strict=True)
    }


def _changed_files(outcomes: pd.DataFrame, previous: pd.DataFrame) -> set[str]:
    """Files holding a row whose outcome differs from the last run's (or that had none)."""
    if outcomes.empty:
        return set()
    joined = outcomes.merge(previous, on=ROW_KEYS, how="left", suffixes=("", "_before"))
    differs = joined["kode_hasil"].astype("string").ne(
        joined["kode_hasil_before"].astype("string")
    ) | joined["hasil"].astype("string").ne(joined["hasil_before"].astype("string"))
    return set(joined.loc[differs.fillna(True).to_numpy(dtype=bool), "file_name"])


def write_feedback_for_run(
    settings: Settings,
    new_rows: pd.DataFrame,
    issues: pd.DataFrame,
    row_updates: pd.DataFrame,
    replaced: list[str],
    run_id: str,
    pending: list[PendingFile],
    run: RunOutcomes,
    pool: Executor | None = None,
    cells: PackedColumns | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The publish step's feedback: workbooks for this run's files and for earlier files whose
    rows changed status or outcome, appended to `pending` (all discarded if writing fails);
    `exports` records for them, and the outcome of every row for `row_outcomes`. `cells`: the
    cells of `new_rows`, when held packed."""
    try:
        new_files = set(new_rows["file_name"].unique()) if len(new_rows) else set()
        stored, previous, rejections, notes = _stored_state(
            settings.db, new_files | set(replaced), run.scope
        )
        if run.bpjs_rejections is not None:
            rejections = run.bpjs_rejections
        if len(row_updates) and len(stored):
            updates = row_updates.drop_duplicates(ROW_KEYS, keep="last").set_index(ROW_KEYS)
            keyed = stored.set_index(ROW_KEYS)
            hit = keyed.index.isin(updates.index)
            for column in ("status", "person_id"):
                keyed[column] = keyed[column].astype(object)
                keyed.loc[hit, column] = updates.loc[keyed.index[hit], column].to_numpy()
            stored = keyed.reset_index()
        fresh = new_rows.reindex(columns=OUTCOME_ROW_COLUMNS)
        everyone = pd.concat([f for f in (stored, fresh) if len(f)] or [fresh], ignore_index=True)
        outcomes = row_outcomes(
            everyone, run.decisions, run.verified, rejections, run.reason_messages
        )
        del everyone, fresh, stored  # a province's rows: not held while the workbooks are written
        changed = _changed_files(outcomes, previous) - new_files
        del previous
        rows, all_issues = feedback_inputs(
            settings.db, new_rows, issues, row_updates, replaced, changed
        )
        notes.update(_notes_by_file(run.files))
        shown = outcomes
        if run.scope is not None and changed:  # the files' other rows keep their outcomes
            shown = pd.concat(
                [_outcomes_of_files(settings.db, sorted(changed), outcomes), outcomes],
                ignore_index=True,
            )
        records, written = write_feedback(
            settings.export_dir, sources_of(rows, notes), rows, all_issues, settings.as_of,
            run_id, workers=settings.read_workers, outcomes=shown, pool=pool, cells=cells,
        )  # fmt: skip
    except BaseException:
        for file in pending:
            file.discard()
        raise
    pending.extend(written)
    return records, outcomes.assign(run_id=run_id)
