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
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import rvgsrust_xlsxwriter as rxw

from flows.publish import PendingFile, formula_like, settle_temp, temp_path, writing_pool
from flows.settings import Settings
from flows.warehouse import connect, read_frame, table_columns
from schemas.codes import CODE_DESCRIPTIONS, SEVERITY_LABELS
from transforms.identity import TEXT_DTYPE as TEXT
from transforms.reference import REGENCIES
from transforms.sources import printable

FEEDBACK_DIR = "umpan_balik"
ROW_KEYS = ["file_name", "sheet", "row_number"]
STATUS_LABELS = {"accepted": "Diterima", "review": "Ditinjau", "rejected": "Ditolak"}
SEVERITY_RANK = {"warning": 0, "review": 1, "error": 2}
PROGRAM_LABELS = {
    "kesehatan": "BPJS Kesehatan (PBI Pemda)",
    "ketenagakerjaan": "BPJS Ketenagakerjaan (BPU)",
}

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
LEAD_COLUMNS = ["Baris", "Status", "Kode", "Alasan"]
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
    """Cell formats made once per workbook and combination (fill, bold, wrap, quote)."""

    def __init__(self, workbook: rxw.Workbook) -> None:
        self.workbook = workbook
        self.cache: dict[tuple, object] = {}

    def get(self, fill: str | None = None, bold: bool = False, quoted: bool = False, wrap=False):
        key = (fill, bold, quoted, wrap)
        if key not in self.cache:
            made = self.workbook.add_format().set_vertical_align("top")
            if fill:
                made.set_background_color(fill).set_pattern("solid")
            if bold:
                made.set_bold()
            if quoted:
                made.set_quote_prefix()
            if wrap:
                made.set_text_wrap()
            self.cache[key] = made
        return self.cache[key]


def _write_summary(
    ws, formats: _Formats, source: SourceFile, rows: pd.DataFrame, issues: pd.DataFrame, as_of
) -> None:
    bold = formats.get(bold=True)
    header = formats.get(fill="#DDEBF7", bold=True)
    regency = REGENCIES.get(source.regency_code)
    for col, width in enumerate((28, 14, 70, 14)):
        ws.set_column_width(col, width)
    ws.write(0, 0, "Umpan balik verifikasi calon peserta BPJS", bold)
    facts = [
        ("Berkas", printable(source.file_name)),
        ("Kabupaten/Kota", f"{regency.full_name if regency else ''} ({source.regency_code})"),
        ("Program", PROGRAM_LABELS.get(source.program, source.program or "")),
        ("Tanggal acuan", as_of.strftime("%d-%m-%Y")),
    ]
    r = 2
    for label, value in facts:
        ws.write(r, 0, label, bold)
        ws.write(r, 1, value)
        r += 1
    ws.write(r, 0, "Jumlah baris data", bold)
    ws.write(r, 1, len(rows))
    r += 1

    r += 1
    ws.write(r, 0, "Status", header)
    ws.write(r, 1, "Jumlah baris", header)
    counts = rows["status"].value_counts()
    for status, label in STATUS_LABELS.items():
        r += 1
        ws.write(r, 0, label, formats.get(fill=ROW_FILL.get(status)))
        ws.write(r, 1, int(counts.get(status, 0)))

    r += 2
    for col, title in enumerate(["Kode", "Tingkat", "Keterangan", "Jumlah baris"]):
        ws.write(r, col, title, header)
    if len(issues):
        per_code = (
            issues.drop_duplicates(["sheet", "row_number", "code"])
            .groupby(["code", "severity"])
            .size()
            .reset_index(name="n")
        )
        per_code["rank"] = per_code["severity"].map(SEVERITY_RANK)
        per_code = per_code.sort_values(["rank", "n", "code"], ascending=[False, False, True])
        for code, severity, n in per_code[["code", "severity", "n"]].itertuples(index=False):
            r += 1
            ws.write(r, 0, code)
            ws.write(r, 1, SEVERITY_LABELS.get(severity, severity))
            ws.write(r, 2, CODE_DESCRIPTIONS.get(code, code))
            ws.write(r, 3, int(n))
    else:
        r += 1
        ws.write(r, 0, "Tidak ada temuan.")

    r += 2
    ws.write(r, 0, "Arti warna", header)
    for fill, meaning in LEGEND:
        r += 1
        ws.write(r, 0, None, formats.get(fill=fill))
        ws.write(r, 1, meaning)
    r += 2
    ws.write(r, 0, "Yang perlu dilakukan", header)
    for line in INSTRUCTIONS:
        r += 1
        ws.write(r, 0, "•")
        ws.write(r, 1, line)


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
    """Header, widths, frozen panes and filter of a data sheet."""
    header = formats.get(fill="#DDEBF7", bold=True, wrap=True)
    ws.write_row(0, 0, list(titles), header)
    widths = [8, 11, 24, 70] + [22 if t in ("Nama", "NIK", "No KK") else 16 for t in titles[4:]]
    for col, width in enumerate(widths):
        ws.set_column_width(col, width)
    ws.freeze_panes(1, 2)
    ws.autofilter(0, 0, max(n_rows, 1), len(titles) - 1)


def _style_index(fill: np.ndarray, bold, quoted, wrap) -> np.ndarray:
    """Position in STYLE_KEYS of per-cell (fill id, bold, quoted, wrap)."""
    return (
        (fill * 2 + np.asarray(bold, dtype=np.int64)) * 2 + np.asarray(quoted, dtype=np.int64)
    ) * 2 + np.asarray(wrap, dtype=np.int64)


@dataclass
class _Column:
    """One sheet column ready to write: texts (null = empty), a style per row, blank-if-filled."""

    values: pa.Array
    style: np.ndarray
    keep_empty: np.ndarray


def _text_array(values: pd.Series) -> pa.Array:
    """Texts as an Arrow array (missing = null): handed to the writer without Python strings."""
    return pa.array(values, type=pa.large_string(), from_pandas=True)


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
    out = [
        _Column(_text_array(labels), _style_index(status_fill, False, False, False), filled),
        _Column(_text_array(part["codes"]), _style_index(row_fill, False, False, False), filled),
        _Column(_text_array(part["reasons"]), _style_index(row_fill, False, False, True), filled),
    ]
    for _, values, blamed in columns:
        rank = ranks.get(blamed, none)
        marked = rank >= 0
        fill = np.where(marked, 3 + rank, row_fill)
        quoted = formula_like(values)  # shown with Excel's quote prefix (value unchanged)
        out.append(
            _Column(_text_array(values), _style_index(fill, marked, quoted, False), filled | marked)
        )
    return out


PLAIN_STYLE = 0  # STYLE_KEYS[0]: no fill, not bold, not quoted, not wrapped
PLAIN_WRAPPED_STYLE = 1  # the same, wrapped (the reasons column)
REASONS = 2  # position of the reasons among the columns after the row number


def _write_sheet_rows(
    ws, part: pd.DataFrame, columns: list[_Column], styles: list, titles: list[str]
) -> None:
    """Write the data rows in order, streamed to disk: runs of rows with no colour, mark or
    quoted cell go over as Arrow columns in one call, any other row cell by cell."""
    numbers = part["row_number"].astype(np.int64).to_numpy()
    matrix = np.column_stack([c.style for c in columns])
    plain = (np.delete(matrix, REASONS, axis=1) == PLAIN_STYLE).all(axis=1) & (
        matrix[:, REASONS] == PLAIN_WRAPPED_STYLE
    )
    table = pa.table([pa.array(numbers), *(c.values for c in columns)], names=titles)
    # Plain rows are one line high: only a reason (a note on a column not shown) wraps.
    plain_formats = {titles[REASONS + 1]: styles[PLAIN_WRAPPED_STYLE]}
    own = np.flatnonzero(~plain)
    style_of = np.array(styles, dtype=object)
    own_cells = [
        (
            c.values.take(own).to_pylist(),
            style_of[c.style[own]].tolist(),
            c.keep_empty[own].tolist(),
        )
        for c in columns
    ]
    lead_style = own_cells[1][1]  # the row number takes the row's own fill, like the codes
    write = ws.write
    start = 0
    for i, r in enumerate([*own.tolist(), len(numbers)]):
        if r > start:
            ws.write_dataframe(
                start + 1, 0, table.slice(start, r - start), write_header=False,
                column_formats=plain_formats,
            )  # fmt: skip
        if r < len(numbers):
            write(r + 1, 0, int(numbers[r]), lead_style[i])
            for col, (values, style, keep_empty) in enumerate(own_cells, start=1):
                if values[i] is not None or keep_empty[i]:
                    write(r + 1, col, values[i], style[i])
        start = r + 1


def write_feedback_workbook(
    path: Path, source: SourceFile, rows: pd.DataFrame, issues: pd.DataFrame, as_of: date
) -> None:
    """The feedback workbook of one source file (rows of that file only), rows streamed to disk
    by rust_xlsxwriter; identical input gives identical content (`publish.content_digest`)."""
    workbook = rxw.Workbook(str(path))
    workbook.set_properties(title=f"Umpan balik {printable(source.file_name)}", author="tepat")
    formats = _Formats(workbook)
    styles = [formats.get(fill=f, bold=b, quoted=q, wrap=w) for f, b, q, w in STYLE_KEYS]
    summary = workbook.add_worksheet("Ringkasan", constant_memory=True)
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
        ws = workbook.add_worksheet(_sheet_title(str(sheet), taken), constant_memory=True)
        _start_sheet(ws, formats, titles, len(part))
        part_columns = [(t, v.loc[part.index], b) for t, v, b in columns]
        sheet_issues = issues_by_sheet.get(sheet, issues.iloc[0:0])
        columns_here = _sheet_columns(part, part_columns, sheet_issues)
        _write_sheet_rows(ws, part, columns_here, styles, titles)
    workbook.close()
    os.chmod(path, 0o600)


# Rows above which the workbooks are written side by side on `writing_pool` threads.
PARALLEL_MIN_ROWS = 20_000
# Columns a workbook needs from the rows.
WORKBOOK_COLUMNS = ["sheet", "sheet_order", "row_number", "status"] + [
    source for _, sources, _ in DATA_COLUMNS for source in sources
]


@dataclass
class _Workbook:
    """One feedback workbook to write: the file's rows are sliced from `rows` only when it is
    written, so that a province's rows are never held twice."""

    temp: Path
    final: Path
    source: SourceFile
    rows: pd.DataFrame
    positions: np.ndarray
    issues: pd.DataFrame
    as_of: date

    def write(self) -> tuple[str, bool]:
        """Write it (on this or a writing thread); `settle_temp` against the file in place."""
        columns = [c for c in WORKBOOK_COLUMNS if c in self.rows]
        file_rows = self.rows.iloc[self.positions][columns]
        write_feedback_workbook(self.temp, self.source, file_rows, self.issues, self.as_of)
        return settle_temp(self.temp, self.final)


def write_feedback(
    export_dir: Path,
    sources: list[SourceFile],
    rows: pd.DataFrame,
    issues: pd.DataFrame,
    as_of: date,
    run_id: str,
    workers: int = 1,
) -> tuple[pd.DataFrame, list[PendingFile]]:
    """One workbook per source file under temporary names; `exports` records for them.

    With many rows the files are written by `workers` threads at once.
    """
    positions = rows.groupby("file_name", sort=False).indices if len(rows) else {}
    issues_by_file = dict(tuple(issues.groupby("file_name", sort=False))) if len(issues) else {}
    empty_issues = issues.iloc[0:0]
    jobs = []
    for source in sorted(sources, key=lambda s: s.file_name):
        if not len(positions.get(source.file_name, ())):
            continue
        final = feedback_path(export_dir, source)
        final.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temp = temp_path(final)
        file_issues = issues_by_file.get(source.file_name, empty_issues)
        jobs.append(
            _Workbook(temp, final, source, rows, positions[source.file_name], file_issues, as_of)
        )
    try:
        if workers > 1 and len(jobs) > 1 and len(rows) >= PARALLEL_MIN_ROWS:
            with writing_pool(min(workers, len(jobs))) as pool:
                settled = list(pool.map(_Workbook.write, jobs))
        else:
            settled = [job.write() for job in jobs]
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
            "program": job.source.program,
            "regency_code": job.source.regency_code,
            "kind": "umpan_balik",
            "path": job.final.as_posix(),
            "n_rows": len(job.positions),
            "sha256": digest,
        }
        for job, (digest, _) in zip(jobs, settled, strict=True)
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
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows and issues for the feedback of this run: the files loaded now, plus earlier files
    whose rows changed status (their stored rows with the new statuses and this run's issues)."""
    new_files = set(new_rows["file_name"].unique()) if len(new_rows) else set()
    changed = set(row_updates["file_name"].unique()) if len(row_updates) else set()
    earlier = sorted(changed - new_files - set(replaced))
    frames, issue_frames = [new_rows], [issues]
    if earlier and db.exists():
        with connect(db, read_only=True) as con:
            old_rows, old_issues = stored_rows(con, earlier)
        if len(old_rows):
            updates = row_updates.drop_duplicates(ROW_KEYS, keep="last").set_index(ROW_KEYS)
            keyed = old_rows.set_index(ROW_KEYS)
            hit = keyed.index.isin(updates.index)
            before = keyed["status"].copy()
            keyed.loc[hit, "status"] = updates.loc[keyed.index[hit], "status"].to_numpy()
            # a new person_id alone changes nothing the regency sees
            moved = keyed.index[keyed["status"].ne(before)].get_level_values("file_name")
            keyed = keyed.loc[keyed.index.get_level_values("file_name").isin(set(moved))]
            frames.append(keyed.reset_index())
            issue_frames.append(old_issues.loc[old_issues["file_name"].isin(set(moved))])
    present = [f for f in frames if len(f)]
    if len(present) > 1:
        rows = pd.concat(present, ignore_index=True)
    else:  # this run's rows alone (the usual case): used as they are, not copied
        rows = present[0] if present else pd.DataFrame()
    all_issues = (
        pd.concat([f for f in issue_frames if len(f)], ignore_index=True)
        if any(len(f) for f in issue_frames)
        else pd.DataFrame(
            columns=[*ROW_KEYS, "code", "severity", "column_name", "value", "message"]
        )
    )
    if len(all_issues):
        all_issues = all_issues.drop_duplicates(
            [*ROW_KEYS, "code", "column_name", "message"], ignore_index=True
        )
    return rows, all_issues


def sources_of(rows: pd.DataFrame) -> list[SourceFile]:
    """The source files present in `rows`, with their regency and program."""
    if rows.empty:
        return []
    first = rows.drop_duplicates("file_name")[["file_name", "regency_code", "program"]]
    return [
        SourceFile(str(f), str(r), str(p) if isinstance(p, str) else "")
        for f, r, p in first.itertuples(index=False)
    ]


def write_feedback_for_run(
    settings: Settings,
    new_rows: pd.DataFrame,
    issues: pd.DataFrame,
    row_updates: pd.DataFrame,
    replaced: list[str],
    run_id: str,
    pending: list[PendingFile],
) -> pd.DataFrame:
    """The publish step's feedback: workbooks for this run's files and for earlier files whose
    rows changed status, appended to `pending` (all discarded if writing fails); `exports`
    records for them."""
    try:
        rows, all_issues = feedback_inputs(settings.db, new_rows, issues, row_updates, replaced)
        records, written = write_feedback(
            settings.export_dir, sources_of(rows), rows, all_issues, settings.as_of, run_id,
            workers=settings.read_workers,
        )  # fmt: skip
    except BaseException:
        for file in pending:
            file.discard()
        raise
    pending.extend(written)
    return records
