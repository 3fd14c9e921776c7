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
whose content did not change is not rewritten (`content_digest`: the same inputs give the
same cells, styles and csv bytes; only an xlsx's creation-time stamp differs). Large exports
(a province's worth of lists) are written on every core, one file per thread.
"""

from __future__ import annotations

import hashlib
import os
import re
import zipfile
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import rvgsrust_xlsxwriter as rxw

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
# Below this many rows in all, the files are written one after the other (it takes well under
# a second); above it, on `writing_workers()` threads.
PARALLEL_MIN_ROWS = 20_000
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FORMULA_PATTERN = "^[" + re.escape("".join(FORMULA_START)) + "]"


def formula_like(texts: pd.Series) -> np.ndarray:
    """Per text: does it start like a formula (missing texts do not)?"""
    return texts.astype("string").str.match(FORMULA_PATTERN).fillna(False).to_numpy(dtype=bool)


def neutralise(texts: pd.Series) -> pd.Series:
    """Texts a spreadsheet could run as a formula get a leading apostrophe (for csv)."""
    return texts.where(~formula_like(texts), "'" + texts)


@dataclass
class PendingFile:
    """An export written under a temporary name; `commit` moves it into place.

    `unchanged`: the file in place already says the same (`settle_temp` removed the temporary
    file), so it is left untouched.
    """

    temp: Path
    final: Path
    unchanged: bool = False

    def commit(self) -> None:
        if not self.unchanged:
            os.replace(self.temp, self.final)

    def discard(self) -> None:
        self.temp.unlink(missing_ok=True)


# The xlsx writer stamps the time of writing here; nothing else in a workbook varies by run.
VOLATILE_MEMBERS = frozenset({"docProps/core.xml"})


def content_digest(path: Path) -> str:
    """sha256 of what a file says: for an xlsx the CRC-32 and size of every part but the
    creation-time stamp (read from the zip directory alone), for any other file its bytes."""
    if not zipfile.is_zipfile(path):
        return _sha256(path)
    with zipfile.ZipFile(path) as archive:
        parts = sorted(
            f"{info.filename}:{info.CRC:08x}:{info.file_size}"
            for info in archive.infolist()
            if info.filename not in VOLATILE_MEMBERS
        )
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def settle_temp(temp: Path, final: Path) -> tuple[str, bool]:
    """The sha256 of the bytes that will be in place, and whether the file already in place
    says the same (then the temporary file is removed and the file in place kept as it is)."""
    if final.exists() and content_digest(temp) == content_digest(final):
        temp.unlink()
        return _sha256(final), True
    return _sha256(temp), False


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
    Every other temporary name of tepat's in tepat's own folders is debris of a run that never
    committed; nothing else under the export dir is touched. Returns notes for the run summary
    (paths and counts only)."""
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
    leftovers = own_temporary_files(export_dir)
    for leftover in leftovers:
        leftover.unlink(missing_ok=True)
    if leftovers:
        notes.append(f"{len(leftovers)} berkas sementara dari run yang terputus dihapus")
    return notes


# The temporary name (`temp_path`) of a file tepat writes: BPJS lists, budget summaries,
# feedback workbooks and reports.
OWN_TEMPORARY = re.compile(
    r"^\.(?:verifikasi|ringkasan_anggaran|umpan_balik|laporan)_[A-Za-z0-9_.-]+\.tmp$"
)


def own_temporary_files(export_dir: Path) -> list[Path]:
    """tepat's temporary names in the folders tepat writes (`bpjs/<program>/`,
    `umpan_balik/<regency>/`, `laporan/`), never followed through a link: what recovery may
    delete. Files of other people under the export dir are not looked at."""
    from flows.feedback import FEEDBACK_DIR
    from flows.report import REPORT_DIR

    folders = [export_dir / REPORT_DIR]
    for parent in (export_dir / "bpjs", export_dir / FEEDBACK_DIR):
        if parent.is_dir() and not parent.is_symlink():
            folders.extend(sorted(parent.iterdir()))
    return sorted(
        path
        for folder in folders
        if folder.is_dir() and not folder.is_symlink()
        for path in folder.iterdir()
        if OWN_TEMPORARY.match(path.name) and path.is_file() and not path.is_symlink()
    )


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


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _regency_slug(code: str) -> str:
    regency = REGENCIES.get(code)
    return regency.name.lower().replace(" ", "_") if regency else "wilayah"


REGENCY_NAMES = {code: regency.full_name for code, regency in REGENCIES.items()}


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
    rows["kabupaten_kota"] = rows["regency_code"].map(REGENCY_NAMES)
    born = pa.array(pd.to_datetime(rows["tanggal_lahir"]))
    rows["tanggal_lahir"] = pd.Series(
        pc.strftime(born, format="%d-%m-%Y"), index=rows.index, dtype=ARROW_TEXT
    )  # Arrow's strftime: one kernel, not a Python call per date
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


@dataclass
class Table:
    """One sheet: column keys, headers and a frame holding them (numbers and texts)."""

    name: str
    columns: list[tuple[str, str]]
    frame: pd.DataFrame

    @cached_property
    def cells(self) -> pd.DataFrame:
        """The sheet's columns in order, headed by their titles: numbers as nullable floats,
        texts as Arrow strings (missing = null, written as an empty cell)."""
        frame = self.frame.reset_index(drop=True)
        return pd.DataFrame(
            {
                title: pd.to_numeric(frame[key], errors="coerce").astype("Float64")
                if key in NUMBER_COLUMNS
                else frame[key].astype(ARROW_TEXT)
                for key, title in self.columns
            }
        )

    def longest(self, col: int) -> int:
        """Characters in the longest cell of a column (counted by Arrow, not per cell)."""
        values = pa.array(self.cells.iloc[:, col])
        if self.columns[col][0] in NUMBER_COLUMNS:
            values = pc.cast(values, pa.string())  # whole numbers without ".0", as shown
        longest = pc.max(pc.utf8_length(values)).as_py()
        return longest or 0

    def formula_like(self) -> np.ndarray:
        """Per row: does any text cell start like a formula?"""
        flagged = np.zeros(len(self.frame), dtype=bool)
        for col, (key, _) in enumerate(self.columns):
            if key not in NUMBER_COLUMNS:
                flagged |= formula_like(self.cells.iloc[:, col])
        return flagged


ARROW_TEXT = pd.ArrowDtype(pa.large_string())


def _cell(value: object) -> object:
    """A cell value for a single-cell write: None for missing, whole numbers as int."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def write_xlsx(path: Path, tables: list[Table], as_of: date) -> None:
    """An xlsx with frozen, filtered headers; text as string cells; rows streamed to disk.

    Written by rust_xlsxwriter (`rvgsrust_xlsxwriter`): runs of rows without a cell that needs
    a format of its own go over as Arrow columns in one call, the rest cell by cell.
    """
    workbook = rxw.Workbook(str(path))
    workbook.set_properties(title=f"tepat {as_of.isoformat()}", author="tepat")
    header_format = workbook.add_format().set_bold().set_background_color("#DDEBF7")
    header_format.set_border("thin")
    quoted = workbook.add_format().set_quote_prefix()
    money = workbook.add_format().set_num_format("#,##0")
    for table in tables:
        ws = workbook.add_worksheet(table.name[:31], constant_memory=True)
        keys = [c for c, _ in table.columns]
        money_columns = {col for col, key in enumerate(keys) if key in MONEY_COLUMNS}
        for col, (_, title) in enumerate(table.columns):
            width = max(10, min(40, max(len(title), table.longest(col)) + 2))
            ws.set_column_width(col, width)
            if col in money_columns:
                ws.set_column_format(col, money)
        ws.write_row(0, 0, [title for _, title in table.columns], header_format)
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, max(len(table.frame), 1), len(keys) - 1)
        cells = table.cells
        arrow = pa.Table.from_pandas(cells, preserve_index=False)  # sliced without copies
        own_format = table.formula_like() | bool(money_columns)
        own_rows = np.flatnonzero(own_format)
        own_values = arrow.take(own_rows).to_pylist()
        start = 0
        for r, values in zip([*own_rows.tolist(), len(cells)], [*own_values, None], strict=True):
            if r > start:  # a run of plain rows
                ws.write_dataframe(start + 1, 0, arrow.slice(start, r - start), write_header=False)
            if values is not None:
                for col, value in enumerate(values.values()):
                    value = _cell(value)
                    if value is None:
                        continue
                    if isinstance(value, str):
                        fmt = quoted if value.startswith(FORMULA_START) else None
                    else:
                        fmt = money if col in money_columns else None
                    ws.write(r + 1, col, value, fmt)
            start = r + 1
    workbook.close()
    os.chmod(path, 0o600)


def write_csv(path: Path, table: Table) -> None:
    """UTF-8, comma-separated, CRLF; texts quoted and neutralised, numbers bare (Arrow's writer)."""
    cells = table.cells.copy()
    for col, (key, _) in enumerate(table.columns):
        if key not in NUMBER_COLUMNS:
            cells.iloc[:, col] = neutralise(cells.iloc[:, col])
    arrow = pa.Table.from_pandas(cells, preserve_index=False)
    options = pacsv.WriteOptions(quoting_style="needed", eol="\r\n")
    pacsv.write_csv(arrow, str(path), options)
    os.chmod(path, 0o600)


def _write_file(write, temp: Path, final: Path, args: tuple) -> tuple[str, bool]:
    """`write(temp, *args)`, then `settle_temp` (on a writing thread when the exports are large)."""
    write(temp, *args)
    return settle_temp(temp, final)


def writing_pool(workers: int) -> Executor:
    """Where export files are written side by side: threads, as the Rust writer builds and
    compresses the xlsx and Arrow the csv mostly without the GIL, and threads need no start-up,
    no copy of the rows and no memory of their own (processes cost ~1.5 s and a copy each)."""
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tepat-write")


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
        """Write every file under its temporary name (on `workers` threads when there are at
        least `parallel_min_rows` rows; largest first), then the records and files to commit."""
        exports = [e for e in self.entries if isinstance(e, _Export)]
        try:
            settled = self._write(exports, workers, parallel_min_rows)
        except BaseException:
            for export in exports:
                export.temp.unlink(missing_ok=True)
            raise
        sha_of = {export.final: sha for export, (sha, _) in zip(exports, settled, strict=True)}
        unchanged = {
            export.final for export, (_, same) in zip(exports, settled, strict=True) if same
        }
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
            PendingFile(e.temp, e.final, e.final in unchanged) if isinstance(e, _Export) else e
            for e in self.entries
        ]
        return pd.DataFrame(records), pending

    @staticmethod
    def _write(
        exports: list[_Export], workers: int, parallel_min_rows: int
    ) -> list[tuple[str, bool]]:
        rows = sum(e.key[3] for e in exports)
        workers = min(workers, len(exports))
        if workers < 2 or rows < parallel_min_rows:
            return [_write_file(e.write, e.temp, e.final, e.args) for e in exports]
        largest_first = sorted(range(len(exports)), key=lambda i: -exports[i].key[3])
        with writing_pool(workers) as pool:
            futures = {
                i: pool.submit(
                    _write_file,
                    exports[i].write,
                    exports[i].temp,
                    exports[i].final,
                    exports[i].args,
                )
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
