"""Files for BPJS: the verified list per program and regency (xlsx and csv) and a budget summary.

Layout under `<export_dir>/bpjs/<program>/`:

- `verifikasi_<program>_<regency code>_<regency>_<as-of>.xlsx`: sheet `Daftar` (the persons
  within quota, in rank order, with the identity columns BPJS registers people with) and
  sheet `Ringkasan` (that regency's budget); `.csv` beside it holds the same list.
- `ringkasan_anggaran_<program>_<as-of>.xlsx` / `.csv`: one budget row per regency and a total.

Safety: every text goes into xlsx as a string cell (never a formula), NIK/KK/RT-RW included;
a text that starts with `=`, `+`, `-`, `@`, tab or CR also gets Excel's quote-prefix style
in xlsx (shown and kept as text, value unchanged) and a leading apostrophe in csv (the
OWASP advice for CSV injection), so no cell can act as a formula when opened. The csv is
UTF-8 with a BOM and gives NIK and KK as `="digits"`, so Excel opens it right by double-click.
Files are written under temporary names and moved into place only after the warehouse
commit; a file whose content did not change is not rewritten (`content_digest`: the same
inputs give the same bytes, the creation time being the as-of date). Large exports (a
province's worth of lists) are written by XlsxWriter in worker processes, whole files each.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from xlsxwriter.format import Format

from flows.outputs.files import (
    BPJS_DIR,
    PendingFile,
    RecordedExport,
    StaleFile,
    input_digest,
    settle_temp,
    temp_path,
)
from flows.outputs.writing import (
    CellColumn,
    FileJob,
    PackedArguments,
    print_setup,
    row_blocks,
    run_file_jobs,
    stable_workbook,
    write_columns,
    writing_pool,
    writing_workers,
)
from flows.settings import DEFAULT_PROGRAMS_FILE
from schemas.programs import ProgramRules, load_rules
from schemas.reference import REGENCIES
from transforms.publish.exports import (
    ARROW_TEXT,
    SUMMARY_COLUMNS,
    budget_summary,
    export_rows,
    formula_like,
    list_columns,
    neutralise,
    with_province_total,
)

SUMMARY_SHEET = "Ringkasan"  # a budget sheet: printed on one page
MONEY_COLUMNS = {"premium_monthly", "premium_month_total", "premium_year_total", "budget_yearly"}
NUMBER_COLUMNS = {"rank", "score", "n_verified", "quota", "n_within_quota"} | MONEY_COLUMNS
# Below this many rows in all, the files are written one after the other (it takes about a
# second); above it, in `writing_workers()` processes.
PARALLEL_MIN_ROWS = 20_000
CSV_COST_PER_ROW = 0.1  # Arrow writes a csv row in about a tenth of XlsxWriter's time


def _regency_slug(code: str) -> str:
    regency = REGENCIES.get(code)
    return regency.name.lower().replace(" ", "_") if regency else "wilayah"


@dataclass
class Table:
    """One sheet: column keys, headers and a frame holding them (numbers and texts)."""

    name: str
    columns: list[tuple[str, str]]
    frame: pd.DataFrame

    def column(self, col: int, rows: slice = slice(None)) -> pd.Series:
        """One column's cells (its `rows`): numbers as nullable floats, texts as Arrow strings
        (missing = null, written as an empty cell); made per block, never for the whole sheet."""
        key = self.columns[col][0]
        values = self.frame[key].iloc[rows].reset_index(drop=True)
        if key in NUMBER_COLUMNS:
            return pd.to_numeric(values, errors="coerce").astype("Float64")
        return values.astype(ARROW_TEXT)

    def cells(self, rows: slice = slice(None)) -> pd.DataFrame:
        """The sheet's columns (their `rows`) in order, headed by their titles."""
        return pd.DataFrame(
            {title: self.column(col, rows) for col, (_, title) in enumerate(self.columns)}
        )

    def longest(self, col: int) -> int:
        """Characters in the longest cell of a column (counted by Arrow, not per cell)."""
        values = pa.array(self.column(col))
        if self.columns[col][0] in NUMBER_COLUMNS:
            values = pc.cast(values, pa.string())  # whole numbers without ".0", as shown
        longest = pc.max(pc.utf8_length(values)).as_py()
        return longest or 0


def _column_cells(
    table: Table, col: int, formats: dict[str, Format], rows: slice = slice(None)
) -> CellColumn:
    """One sheet column (its `rows`) as cells: numbers as floats, texts as strings
    (quote-prefixed when they start like a formula), missing values as no cell."""
    key = table.columns[col][0]
    column = table.column(col, rows)
    values = pa.array(column).to_pylist()
    if key in NUMBER_COLUMNS:
        money = formats["money"] if key in MONEY_COLUMNS else None
        return CellColumn(values, fmt=money, number=True)
    flagged = formula_like(column)
    if not flagged.any():
        return CellColumn(values)
    quoted = formats["quoted"]
    return CellColumn(values, formats=[quoted if f else None for f in flagged.tolist()])


def write_xlsx(path: Path, tables: list[Table], as_of: date) -> None:
    """An xlsx with frozen, filtered headers, printed landscape and fit to width; text as string
    cells; rows streamed to disk by XlsxWriter; the same tables give the same bytes."""
    workbook = stable_workbook(path, f"tepat {as_of.isoformat()}", as_of)
    header_format = workbook.add_format(
        {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True}
    )
    formats = {
        "quoted": workbook.add_format({"quote_prefix": True}),
        "money": workbook.add_format({"num_format": "#,##0"}),
    }
    for table in tables:
        ws = workbook.add_worksheet(table.name[:31])
        for col, (key, title) in enumerate(table.columns):
            width = max(10, min(40, max(len(title), table.longest(col)) + 2))
            ws.set_column(col, col, width, formats["money"] if key in MONEY_COLUMNS else None)
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, max(len(table.frame), 1), len(table.columns) - 1)
        print_setup(ws, one_page=table.name.startswith(SUMMARY_SHEET))
        ws.write_row(0, 0, [title for _, title in table.columns], header_format)
        for block in row_blocks(len(table.frame)):  # cells made block by block
            columns = [
                _column_cells(table, col, formats, block) for col in range(len(table.columns))
            ]
            write_columns(ws, 1 + block.start, columns, block.stop - block.start)
    workbook.close()
    os.chmod(path, 0o600)


# Columns a BPJS csv gives as `="digits"`: Excel opens them as text (all 16 digits kept).
CSV_TEXT_NUMBERS = {"nik", "no_kk"}
UTF8_BOM = b"\xef\xbb\xbf"


def _csv_cells(table: Table, rows: slice) -> pd.DataFrame:
    """A block of the csv: NIK and KK digits as `="digits"`, other texts neutralised."""
    cells = table.cells(rows)
    for col, (key, _) in enumerate(table.columns):
        if key in CSV_TEXT_NUMBERS:
            digits = cells.iloc[:, col].str.fullmatch(r"[0-9]+").fillna(False)
            cells.iloc[:, col] = cells.iloc[:, col].where(
                ~digits.to_numpy(dtype=bool), '="' + cells.iloc[:, col] + '"'
            )
        elif key not in NUMBER_COLUMNS:
            cells.iloc[:, col] = neutralise(cells.iloc[:, col])
    return cells


def write_csv(path: Path, table: Table) -> None:
    """UTF-8 with a BOM (Excel reads the names right), comma-separated, CRLF; texts quoted and
    neutralised, NIK and KK as `="digits"` (Excel keeps them as text), numbers bare; written
    block by block."""
    options = pacsv.WriteOptions(quoting_style="needed", eol="\r\n")
    with path.open("wb") as handle:
        handle.write(UTF8_BOM)
        writer = None
        for block in row_blocks(len(table.frame)) or [slice(0, 0)]:
            arrow = pa.Table.from_pandas(_csv_cells(table, block), preserve_index=False)
            if writer is None:
                writer = pacsv.CSVWriter(handle, arrow.schema, write_options=options)
            writer.write_table(arrow)
        writer.close()
    os.chmod(path, 0o600)


@dataclass
class _Export:
    """One file to write: where it goes, its record key (program, regency, kind, rows), how,
    and the digest of what it is written from."""

    final: Path
    key: tuple[str, str | None, str, int]
    write: Callable[..., None] | None  # None: kept as written by an earlier run
    args: PackedArguments | None  # held packed until a writer takes them; None when kept
    digest: str
    kept_sha256: str | None = None  # the file in place, made from the same inputs

    @property
    def temp(self) -> Path:
        return temp_path(self.final)

    def job(self) -> FileJob:
        cost = CSV_COST_PER_ROW if self.final.suffix == ".csv" else 1.0
        return FileJob(self.write, self.args, self.temp, self.final, self.key[3], cost)


def _digest_of(write: Callable[..., None], args: tuple) -> str:
    """The input digest of `write(temp, *args)`: the writer's name, each table's name,
    columns and rows, and any other argument (the as-of date)."""
    parts: list[object] = [write.__qualname__]
    for arg in args:
        for table in arg if isinstance(arg, list) else [arg]:
            if isinstance(table, Table):
                parts.extend(
                    [table.name, table.columns, table.frame[[k for k, _ in table.columns]]]
                )
            else:
                parts.append(table)
    return input_digest(*parts)


@dataclass
class ExportStaging:
    """Exports to write under temporary names this run (BPJS lists, budget summaries, tambah
    and kurang lists), in order, and stale files to remove; all written by one `write_all`, so
    every writing process stays busy to the end. `recorded`: the files the last run recorded,
    so a file whose inputs did not change is left in place without being written again."""

    run_id: str
    recorded: dict[Path, RecordedExport] = field(default_factory=dict)
    entries: list[_Export | StaleFile] = field(default_factory=list)

    def stage(self, final: Path, key: tuple[str, str | None, str, int], write, *args) -> None:
        """Remember that `write(temp, *args)` makes `final` (written later by `write_all`); a
        file the last run recorded from the same inputs, still in place, is kept as it is, and
        its arguments are not held."""
        digest = _digest_of(write, args)
        recorded = self.recorded.get(final)
        if recorded is not None and recorded.still_in_place(final, digest):
            self.entries.append(_Export(final, key, write, None, digest, recorded.sha256))
            return
        self.entries.append(_Export(final, key, write, PackedArguments.of(args), digest))

    def carry(self, finals: list[Path], key: tuple[str, str | None, str, int]) -> bool:
        """Keep `finals` as the last run recorded them, without making their inputs, when all
        are still in place as written: for files whose inputs the caller knows did not change
        (the lists of a regency no changed person was or is on). False, and nothing kept,
        when one is missing or was changed since: then they are staged as usual."""
        recorded = [self.recorded.get(final) for final in finals]
        if any(
            r is None or r.input_digest is None or not r.still_in_place(final, r.input_digest)
            for r, final in zip(recorded, finals, strict=True)
        ):
            return False
        for final, r in zip(finals, recorded, strict=True):
            self.entries.append(_Export(final, key, None, None, r.input_digest, r.sha256))
        return True

    def write_all(
        self, workers: int, parallel_min_rows: int, pool: Executor | None = None
    ) -> tuple[pd.DataFrame, list[PendingFile | StaleFile]]:
        """Write every file whose inputs changed under its temporary name (in `pool`, or in
        `workers` processes of its own when there are at least `parallel_min_rows` rows), then
        the records and files to commit."""
        exports = [e for e in self.entries if isinstance(e, _Export)]
        kept = {e.final: e.kept_sha256 for e in exports if e.kept_sha256 is not None}
        to_write = [e for e in exports if e.final not in kept]
        try:
            settled = write_jobs([e.job() for e in to_write], workers, parallel_min_rows, pool)
        except BaseException:
            for export in to_write:
                export.temp.unlink(missing_ok=True)
            raise
        sha_of = dict(kept)
        unchanged = set(kept)
        for export, (sha, same) in zip(to_write, settled, strict=True):
            sha_of[export.final] = sha
            if same:
                unchanged.add(export.final)
        records = [
            {
                "run_id": self.run_id,
                "program": e.key[0],
                "regency_code": e.key[1],
                "kind": e.key[2],
                "path": e.final.as_posix(),
                "n_rows": e.key[3],
                "sha256": sha_of[e.final],
                "input_digest": e.digest,
            }
            for e in exports
        ]
        pending = [
            PendingFile(e.temp, e.final, e.final in unchanged) if isinstance(e, _Export) else e
            for e in self.entries
        ]
        return pd.DataFrame(records), pending


def write_jobs(
    jobs: list[FileJob], workers: int, parallel_min_rows: int, pool: Executor | None = None
) -> list[tuple[str, bool]]:
    """Write and settle `jobs`: in `pool` when given, in `workers` processes of their own when
    there are at least `parallel_min_rows` rows (processes cost ~1 s to start), else here."""
    if pool is not None or len(jobs) < 2:
        return run_file_jobs(jobs, settle_temp, pool if len(jobs) > 1 else None)
    workers = min(workers, len(jobs))
    if workers < 2 or sum(job.n_rows for job in jobs) < parallel_min_rows:
        return run_file_jobs(jobs, settle_temp)
    with writing_pool(workers) as own:
        return run_file_jobs(jobs, settle_temp, own)


def write_bpjs_exports(
    verified: pd.DataFrame,
    persons: pd.DataFrame,
    export_dir: Path,
    as_of: date,
    run_id: str,
    rules: ProgramRules | None = None,
    workers: int | None = None,
    pool: Executor | None = None,
    recorded: dict[Path, RecordedExport] | None = None,
    changed_lists: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, list[PendingFile | StaleFile]]:
    """Per program: a list per regency (xlsx + csv) and a budget summary, not yet in place.

    Returns the `exports` records (sha256 of the bytes that will be in place) and the files
    to commit after the warehouse transaction. A file `recorded` by the last run from the same
    inputs, still in place as written, is not written again (one regency's new rows rewrite
    that regency's lists, not the province's). Large exports are written in `pool`, or on
    every core (`workers`, default: all); the bytes are the same however many write them.
    `changed_lists`: see `stage_bpjs_exports`.
    """
    staging = ExportStaging(run_id, recorded or {})
    stage_bpjs_exports(staging, verified, persons, export_dir, as_of, rules, changed_lists)
    workers = writing_workers() if workers is None else workers
    return staging.write_all(workers, PARALLEL_MIN_ROWS, pool)


def stage_bpjs_exports(
    staging: ExportStaging,
    verified: pd.DataFrame,
    persons: pd.DataFrame,
    export_dir: Path,
    as_of: date,
    rules: ProgramRules | None = None,
    changed_lists: pd.DataFrame | None = None,
) -> None:
    """Stage the lists per program and regency and the budget summaries (`write_bpjs_exports`),
    and the files of the day this run no longer produces, to be removed. `changed_lists`
    (program, regency_code): the only lists whose inputs may have changed (a run that changed
    some persons); the others are kept as the last run wrote them, when still in place."""
    rules = rules or load_rules(DEFAULT_PROGRAMS_FILE)
    day = as_of.isoformat()
    for program in sorted(verified["program"].unique()):
        settings = rules.programs.get(program)
        layout = settings.layout(program) if settings else "identity"
        summary = (
            budget_summary(verified, program, settings)
            if settings
            else pd.DataFrame(columns=[c for c, _ in SUMMARY_COLUMNS])
        )
        folder = export_dir / BPJS_DIR / program
        folder.mkdir(parents=True, exist_ok=True)
        written = len(staging.entries)
        listed = verified.loc[verified["program"].eq(program) & verified["within_quota"]]
        sizes = listed.groupby("regency_code", sort=True).size()
        stems = {
            code: folder / f"verifikasi_{program}_{code}_{_regency_slug(code)}_{day}"
            for code in sizes.index
        }
        kept: set[str] = set()
        if changed_lists is not None:
            changed = set(changed_lists.loc[changed_lists["program"].eq(program), "regency_code"])
            for code, size in sizes.items():
                finals = [stems[code].with_suffix(".xlsx"), stems[code].with_suffix(".csv")]
                key = (program, code, "bpjs", int(size))
                if code not in changed and staging.carry(finals, key):
                    kept.add(code)
        to_make = verified.loc[~verified["regency_code"].isin(kept)] if kept else verified
        rows = export_rows(to_make, persons, program, layout)
        rows, columns = list_columns(settings, layout, rows, persons)
        for code, group in rows.groupby("regency_code", sort=True):
            listing = Table("Daftar", columns, group)
            budget = Table(
                SUMMARY_SHEET, SUMMARY_COLUMNS, summary.loc[summary["regency_code"].eq(code)]
            )
            key = (program, code, "bpjs", len(group))
            stem = stems[code]
            staging.stage(stem.with_suffix(".xlsx"), key, write_xlsx, [listing, budget], as_of)
            staging.stage(stem.with_suffix(".csv"), key, write_csv, listing)
        if len(summary):
            totals = Table(
                f"{SUMMARY_SHEET} {program}", SUMMARY_COLUMNS, with_province_total(summary)
            )
            stem = folder / f"ringkasan_anggaran_{program}_{day}"
            key = (program, None, "bpjs_summary", len(summary))
            staging.stage(stem.with_suffix(".xlsx"), key, write_xlsx, [totals], as_of)
            staging.stage(stem.with_suffix(".csv"), key, write_csv, totals)
        now = {e.final for e in staging.entries[written:]}
        for pattern in (f"verifikasi_{program}_*_{day}.*", f"ringkasan_anggaran_{program}_{day}.*"):
            staging.entries.extend(
                StaleFile(old) for old in sorted(folder.glob(pattern)) if old not in now
            )
