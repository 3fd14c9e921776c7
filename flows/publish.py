"""Files for BPJS: the verified list per program and regency (xlsx and csv) and a budget summary.

Layout under `<export_dir>/bpjs/<program>/`:

- `verifikasi_<program>_<regency code>_<regency>_<as-of>.xlsx`: sheet `Daftar` (the persons
  within quota, in rank order, with the identity columns BPJS registers people with) and
  sheet `Ringkasan` (that regency's budget); `.csv` beside it holds the same list.
- `ringkasan_anggaran_<program>_<as-of>.xlsx` / `.csv`: one budget row per regency and a total.

Safety: every text goes into xlsx as a string cell (never a formula), NIK/KK/RT-RW included;
a text that starts with `=`, `+`, `-`, `@`, tab or CR also gets Excel's quote-prefix style
in xlsx (shown and kept as text, value unchanged) and a leading apostrophe in csv (the
OWASP advice for CSV injection), so no cell can act as a formula when opened. Files are
written under temporary names and moved into place only after the warehouse commit; a file
whose bytes did not change is not rewritten, and the same inputs give the same bytes.
Large exports (a province's worth of lists) are written on every core, one file per process.
"""

from __future__ import annotations

import csv
import hashlib
import io
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

from flows.settings import DEFAULT_PROGRAMS_FILE
from flows.warehouse import connect
from schemas.programs import Program, ProgramRules, load_rules
from transforms.reference import REGENCIES

IDENTITY_COLUMNS = [
    ("rank", "Peringkat"),
    ("nik", "NIK"),
    ("no_kk", "No KK"),
    ("nama", "Nama"),
    ("tanggal_lahir", "Tanggal Lahir"),
    ("jenis_kelamin", "Jenis Kelamin"),
    ("alamat", "Alamat"),
    ("rt_rw", "RT/RW"),
    ("desa", "Desa/Kelurahan"),
    ("kecamatan", "Kecamatan"),
    ("kabupaten_kota", "Kabupaten/Kota"),
    ("no_hp", "No HP"),
]
LAYOUT_COLUMNS = {
    "kesehatan": [("kelas_rawat", "Kelas Rawat"), ("fktp", "FKTP")],
    "ketenagakerjaan": [("pekerjaan", "Pekerjaan"), ("program_bpu", "Program")],
    "identity": [],
}
TRAILING_COLUMNS = [("score", "Skor Prioritas")]
KELAS_RAWAT = "III"
BPU_PROGRAMS = "JKK, JKM"

SUMMARY_COLUMNS = [
    ("program", "Program"),
    ("regency_code", "Kode Wilayah"),
    ("kabupaten_kota", "Kabupaten/Kota"),
    ("n_verified", "Terverifikasi"),
    ("quota", "Kuota"),
    ("n_within_quota", "Dalam Kuota"),
    ("premium_monthly", "Iuran per Orang per Bulan (Rp)"),
    ("premium_month_total", "Iuran per Bulan (Rp)"),
    ("premium_year_total", "Iuran per Tahun (Rp)"),
    ("budget_yearly", "Anggaran per Tahun (Rp)"),
]
MONEY_COLUMNS = {"premium_monthly", "premium_month_total", "premium_year_total", "budget_yearly"}
NUMBER_COLUMNS = {"rank", "score", "n_verified", "quota", "n_within_quota"} | MONEY_COLUMNS
IN_MEMORY_ROWS = 20_000
# Below this many rows in all, starting writing processes (~1 s each) costs more than it saves.
PARALLEL_MIN_ROWS = 50_000
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """A text a spreadsheet could run as a formula gets a leading apostrophe (for csv)."""
    return "'" + value if value.startswith(FORMULA_START) else value


@dataclass
class PendingFile:
    """An export written under a temporary name; `commit` moves it into place.

    If the file in place already has the same bytes it is left untouched.
    """

    temp: Path
    final: Path

    def commit(self) -> None:
        if self.final.exists() and _same_bytes(self.temp, self.final):
            self.temp.unlink(missing_ok=True)
        else:
            os.replace(self.temp, self.final)

    def discard(self) -> None:
        self.temp.unlink(missing_ok=True)


@dataclass
class StaleFile:
    """An export of the same program and date that this run no longer produces; removed on commit."""

    final: Path

    def commit(self) -> None:
        self.final.unlink(missing_ok=True)

    def discard(self) -> None:
        """Nothing was written for it."""


def temp_path(final: Path) -> Path:
    """Where an export is written before the warehouse commit: a hidden name beside it."""
    return final.with_name("." + final.name + ".tmp")


def recover_exports(db: Path, export_dir: Path) -> list[str]:
    """Finish what a run killed between its warehouse commit and moving its files in place left
    undone, then remove temporary files no run will move: call under the run lock.

    The last run that recorded exports committed their sha256; a temporary file with those
    bytes is moved into place (and that run's stale lists of the day removed, as it would have).
    Every other `*.tmp` under the export dir is debris of a run that never committed. Returns
    notes for the run summary (paths and counts only)."""
    notes: list[str] = []
    last = _last_exports(db)
    moved = 0
    for path, sha, _, _, _ in last:
        final, temp = Path(path), temp_path(Path(path))
        if temp.exists() and _sha256(temp) == sha:
            os.replace(temp, final)
            moved += 1
        elif not final.exists():
            notes.append(f"berkas ekspor {final} hilang; periksa lalu jalankan ulang")
    if moved:
        notes.append(f"{moved} berkas ekspor dari run yang terputus dipindahkan ke tempatnya")
        recorded = {Path(path) for path, *_ in last}
        for program, day in {(p, a) for _, _, kind, p, a in last if kind.startswith("bpjs")}:
            folder = export_dir / "bpjs" / program
            patterns = (f"verifikasi_{program}_*_{day}.*", f"ringkasan_anggaran_{program}_{day}.*")
            for old in (old for pattern in patterns for old in folder.glob(pattern)):
                if old not in recorded and not old.name.endswith(".tmp"):
                    old.unlink(missing_ok=True)
    leftovers = sorted(export_dir.rglob("*.tmp")) if export_dir.exists() else []
    for leftover in leftovers:
        leftover.unlink(missing_ok=True)
    if leftovers:
        notes.append(f"{len(leftovers)} berkas sementara dari run yang terputus dihapus")
    return notes


LAST_EXPORTS = """
SELECT e.path, e.sha256, e.kind, e.program, strftime(r.as_of, '%Y-%m-%d')
FROM exports e JOIN runs r USING (run_id)
WHERE e.run_id = (
    SELECT e2.run_id FROM exports e2 JOIN runs r2 USING (run_id)
    ORDER BY r2.finished_at DESC LIMIT 1
)
"""


def _last_exports(db: Path) -> list[tuple[str, str, str, str, str]]:
    """(path, sha256, kind, program, as-of) of every file the last run with exports recorded."""
    if not db.exists():
        return []
    with connect(db, read_only=True) as con:
        tables = con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        if not {("exports",), ("runs",)} <= set(tables):
            return []
        return con.execute(LAST_EXPORTS).fetchall()


def _same_bytes(a: Path, b: Path) -> bool:
    return a.stat().st_size == b.stat().st_size and a.read_bytes() == b.read_bytes()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _regency_slug(code: str) -> str:
    regency = REGENCIES.get(code)
    return regency.name.lower().replace(" ", "_") if regency else "wilayah"


def _regency_name(code: str) -> str | None:
    regency = REGENCIES.get(code)
    return regency.full_name if regency else None


def export_rows(
    verified: pd.DataFrame, persons: pd.DataFrame, program: str, layout: str | None = None
) -> pd.DataFrame:
    """Rows BPJS registers: verified within quota, joined to the person's identity columns."""
    layout = layout or (program if program in LAYOUT_COLUMNS else "identity")
    chosen = verified.loc[verified["program"].eq(program) & verified["within_quota"]]
    wanted = [c for c, _ in IDENTITY_COLUMNS + LAYOUT_COLUMNS["kesehatan"]] + ["pekerjaan"]
    identity = persons[["person_id", *[c for c in wanted if c in persons and c != "rank"]]]
    rows = chosen[["person_id", "regency_code", "rank", "score"]].merge(
        identity.drop(columns=["regency_code"], errors="ignore"),
        on="person_id",
        how="left",
        validate="one_to_one",
    )
    rows["kabupaten_kota"] = rows["regency_code"].map(_regency_name)
    rows["tanggal_lahir"] = pd.to_datetime(rows["tanggal_lahir"]).dt.strftime("%d-%m-%Y")
    rows["jenis_kelamin"] = rows["jenis_kelamin"].map({"L": "Laki-laki", "P": "Perempuan"})
    if layout == "kesehatan":
        rows["kelas_rawat"] = KELAS_RAWAT
    if layout == "ketenagakerjaan":
        rows["program_bpu"] = BPU_PROGRAMS
    for column, _ in IDENTITY_COLUMNS + LAYOUT_COLUMNS[layout]:
        if column not in rows:
            rows[column] = pd.NA
    return rows.sort_values(["regency_code", "rank"], kind="stable").reset_index(drop=True)


def budget_summary(verified: pd.DataFrame, program: str, settings: Program) -> pd.DataFrame:
    """Per regency of one program: persons verified, quota, within quota, premiums (Rp)."""
    rows = verified.loc[verified["program"].eq(program)]
    summary = (
        rows.groupby("regency_code", sort=True)
        .agg(n_verified=("person_id", "size"), n_within_quota=("within_quota", "sum"))
        .reset_index()
    )
    summary.insert(0, "program", program)
    summary["kabupaten_kota"] = summary["regency_code"].map(_regency_name)
    summary["quota"] = settings.quota
    premium = settings.premium_monthly
    summary["premium_monthly"] = premium
    summary["premium_month_total"] = summary["n_within_quota"] * premium
    summary["premium_year_total"] = summary["premium_month_total"] * 12
    summary["budget_yearly"] = settings.budget_yearly_per_regency
    return summary[[c for c, _ in SUMMARY_COLUMNS]]


def _with_total(summary: pd.DataFrame) -> pd.DataFrame:
    """The per-regency summary plus a province total row (`JUMLAH`)."""
    total = {
        "program": summary["program"].iloc[0] if len(summary) else None,
        "regency_code": "64",
        "kabupaten_kota": "JUMLAH Kalimantan Timur",
        "n_verified": summary["n_verified"].sum(),
        "quota": summary["quota"].sum() if summary["quota"].notna().all() else None,
        "n_within_quota": summary["n_within_quota"].sum(),
        "premium_monthly": summary["premium_monthly"].iloc[0] if len(summary) else None,
        "premium_month_total": summary["premium_month_total"].sum(),
        "premium_year_total": summary["premium_year_total"].sum(),
        "budget_yearly": summary["budget_yearly"].sum()
        if summary["budget_yearly"].notna().all()
        else None,
    }
    return pd.concat([summary, pd.DataFrame([total])], ignore_index=True)


def _number_cells(values: pd.Series) -> list[object]:
    """Numbers as cells: whole numbers as int, others as float, missing as None."""
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    return [None if x != x else (int(x) if x.is_integer() else float(x)) for x in numbers.tolist()]


def _text_cells(values: pd.Series) -> list[object]:
    """Texts as cells, missing as None."""
    return values.astype("string").to_numpy(dtype=object, na_value=None).tolist()


@dataclass
class Table:
    """One sheet: column keys, headers and values (text as str, numbers as int/float, None blank)."""

    name: str
    columns: list[tuple[str, str]]
    frame: pd.DataFrame

    @cached_property
    def cells(self) -> list[list[object]]:
        """One list of cells per column (text columns as str, number columns as int/float)."""
        return [
            _number_cells(self.frame[key])
            if key in NUMBER_COLUMNS
            else _text_cells(self.frame[key])
            for key, _ in self.columns
        ]

    def longest(self, col: int) -> int:
        """Characters in the longest cell of a column (text lengths counted by Arrow, not per cell)."""
        key = self.columns[col][0]
        if key in NUMBER_COLUMNS:
            return max((len(str(v)) for v in self.cells[col] if v is not None), default=0)
        longest = self.frame[key].astype("string").str.len().max()
        return 0 if pd.isna(longest) else int(longest)

    def values(self) -> list[list[object]]:
        """Cells row by row."""
        return [list(row) for row in zip(*self.cells, strict=True)]


def write_xlsx(path: Path, tables: list[Table], as_of: date) -> None:
    """An xlsx with frozen, filtered headers; text as string cells; same bytes for the same input."""
    large = sum(len(t.frame) for t in tables) > IN_MEMORY_ROWS
    workbook = xlsxwriter.Workbook(
        str(path),
        {
            # small files are built in memory (no temp files); large ones row by row
            "constant_memory": large,
            "in_memory": not large,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    workbook.set_properties(
        {"created": datetime(as_of.year, as_of.month, as_of.day), "author": "tepat"}
    )
    header_format = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    quoted = workbook.add_format({"quote_prefix": True})
    money = workbook.add_format({"num_format": "#,##0"})
    for table in tables:
        ws = workbook.add_worksheet(table.name[:31])
        ws.freeze_panes(1, 0)
        keys = [c for c, _ in table.columns]
        rows = table.values()
        for col, (key, title) in enumerate(table.columns):
            ws.write_string(0, col, title, header_format)
            width = max(10, min(40, max(len(title), table.longest(col)) + 2))
            ws.set_column(col, col, width, money if key in MONEY_COLUMNS else None)
        ws.autofilter(0, 0, max(len(rows), 1), len(keys) - 1)
        for r, values in enumerate(rows, start=1):
            for col, value in enumerate(values):
                if value is None:
                    continue
                if isinstance(value, str):
                    if value.startswith(FORMULA_START):
                        ws.write_string(r, col, value, quoted)
                    else:
                        ws.write_string(r, col, value)
                elif keys[col] in MONEY_COLUMNS:
                    ws.write_number(r, col, value, money)
                else:
                    ws.write_number(r, col, value)
    workbook.close()
    os.chmod(path, 0o600)


def write_csv(path: Path, table: Table) -> None:
    """UTF-8, comma-separated, CRLF; texts quoted and neutralised, numbers bare."""
    columns = [
        cells if key in NUMBER_COLUMNS else [None if v is None else neutralise(v) for v in cells]
        for (key, _), cells in zip(table.columns, table.cells, strict=True)
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    writer.writerow([title for _, title in table.columns])
    writer.writerows(zip(*columns, strict=True))
    path.write_bytes(buffer.getvalue().encode("utf-8"))
    os.chmod(path, 0o600)


def _write_file(write, temp: Path, args: tuple) -> str:
    """`write(temp, *args)` and the sha256 of what it wrote (runs in a writing process when large)."""
    write(temp, *args)
    return _sha256(temp)


def writing_workers() -> int:
    """Cores this process may use: the export files are independent, so each core writes some."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@dataclass
class _Export:
    """One file to write: where it goes, its record key (program, regency, kind, rows), how."""

    final: Path
    key: tuple[str, str | None, str, int]
    write: Callable[..., None]
    args: tuple

    @property
    def temp(self) -> Path:
        return temp_path(self.final)


@dataclass
class _Staging:
    """Exports to write under temporary names this run, in order, and stale files to remove."""

    run_id: str
    entries: list[_Export | StaleFile] = field(default_factory=list)

    def stage(self, final: Path, key: tuple[str, str | None, str, int], write, *args) -> None:
        """Remember that `write(temp, *args)` makes `final` (written later by `write_all`)."""
        self.entries.append(_Export(final, key, write, args))

    def write_all(
        self, workers: int, parallel_min_rows: int
    ) -> tuple[pd.DataFrame, list[PendingFile | StaleFile]]:
        """Write every file under its temporary name (on `workers` processes when there are at
        least `parallel_min_rows` rows; largest first), then the records and files to commit."""
        exports = [e for e in self.entries if isinstance(e, _Export)]
        try:
            shas = self._write(exports, workers, parallel_min_rows)
        except BaseException:
            for export in exports:
                export.temp.unlink(missing_ok=True)
            raise
        sha_of = {export.final: sha for export, sha in zip(exports, shas, strict=True)}
        records = [
            {
                "run_id": self.run_id,
                "program": e.key[0],
                "regency_code": e.key[1],
                "kind": e.key[2],
                "path": e.final.as_posix(),
                "n_rows": e.key[3],
                "sha256": sha_of[e.final],
            }
            for e in exports
        ]
        pending = [
            PendingFile(temp=e.temp, final=e.final) if isinstance(e, _Export) else e
            for e in self.entries
        ]
        return pd.DataFrame(records), pending

    @staticmethod
    def _write(exports: list[_Export], workers: int, parallel_min_rows: int) -> list[str]:
        rows = sum(e.key[3] for e in exports)
        workers = min(workers, len(exports))
        if workers < 2 or rows < parallel_min_rows:
            return [_write_file(e.write, e.temp, e.args) for e in exports]
        # spawn, not fork: the flow process runs threads (Prefect), which fork does not copy safely
        context = multiprocessing.get_context("spawn")
        largest_first = sorted(range(len(exports)), key=lambda i: -exports[i].key[3])
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures = {
                i: pool.submit(_write_file, exports[i].write, exports[i].temp, exports[i].args)
                for i in largest_first
            }
            return [futures[i].result() for i in range(len(exports))]


def write_bpjs_exports(
    verified: pd.DataFrame,
    persons: pd.DataFrame,
    export_dir: Path,
    as_of: date,
    run_id: str,
    rules: ProgramRules | None = None,
    workers: int | None = None,
) -> tuple[pd.DataFrame, list[PendingFile | StaleFile]]:
    """Per program: a list per regency (xlsx + csv) and a budget summary, not yet in place.

    Returns the `exports` records (sha256 of the bytes that will be in place) and the files
    to commit after the warehouse transaction. Large exports are written on every core
    (`workers`, default: all); the bytes are the same however many write them.
    """
    rules = rules or load_rules(DEFAULT_PROGRAMS_FILE)
    staging = _Staging(run_id)
    day = as_of.isoformat()
    for program in sorted(verified["program"].unique()):
        settings = rules.programs.get(program)
        layout = settings.layout(program) if settings else "identity"
        columns = IDENTITY_COLUMNS + LAYOUT_COLUMNS[layout] + TRAILING_COLUMNS
        rows = export_rows(verified, persons, program, layout)
        summary = (
            budget_summary(verified, program, settings)
            if settings
            else pd.DataFrame(columns=[c for c, _ in SUMMARY_COLUMNS])
        )
        folder = export_dir / "bpjs" / program
        folder.mkdir(parents=True, exist_ok=True)
        written = len(staging.entries)
        for code, group in rows.groupby("regency_code", sort=True):
            stem = folder / f"verifikasi_{program}_{code}_{_regency_slug(code)}_{day}"
            listing = Table("Daftar", columns, group)
            budget = Table(
                "Ringkasan", SUMMARY_COLUMNS, summary.loc[summary["regency_code"].eq(code)]
            )
            key = (program, code, "bpjs", len(group))
            staging.stage(stem.with_suffix(".xlsx"), key, write_xlsx, [listing, budget], as_of)
            staging.stage(stem.with_suffix(".csv"), key, write_csv, listing)
        if len(summary):
            totals = Table(f"Ringkasan {program}", SUMMARY_COLUMNS, _with_total(summary))
            stem = folder / f"ringkasan_anggaran_{program}_{day}"
            key = (program, None, "bpjs_summary", len(summary))
            staging.stage(stem.with_suffix(".xlsx"), key, write_xlsx, [totals], as_of)
            staging.stage(stem.with_suffix(".csv"), key, write_csv, totals)
        now = {e.final for e in staging.entries[written:]}
        for pattern in (f"verifikasi_{program}_*_{day}.*", f"ringkasan_anggaran_{program}_{day}.*"):
            staging.entries.extend(
                StaleFile(old) for old in sorted(folder.glob(pattern)) if old not in now
            )
    return staging.write_all(writing_workers() if workers is None else workers, PARALLEL_MIN_ROWS)
