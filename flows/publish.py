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
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

from flows.settings import DEFAULT_PROGRAMS_FILE
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
            cells = table.cells[col]
            longest = max((len(str(v)) for v in cells if v is not None), default=0)
            width = max(10, min(40, max(len(title), longest) + 2))
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


@dataclass
class _Staging:
    """Exports written under temporary names this run: the files to commit and their records."""

    run_id: str
    records: list[dict[str, object]]
    pending: list[PendingFile | StaleFile]

    def stage(self, final: Path, key: tuple[str, str | None, str, int], write, *args) -> None:
        """`write(temp, *args)`, then remember the file and its record (program, regency, kind, rows)."""
        program, regency, kind, n_rows = key
        temp = final.with_name("." + final.name + ".tmp")
        write(temp, *args)
        self.pending.append(PendingFile(temp=temp, final=final))
        self.records.append(
            {
                "run_id": self.run_id,
                "program": program,
                "regency_code": regency,
                "kind": kind,
                "path": final.as_posix(),
                "n_rows": n_rows,
                "sha256": _sha256(temp),
            }
        )


def write_bpjs_exports(
    verified: pd.DataFrame,
    persons: pd.DataFrame,
    export_dir: Path,
    as_of: date,
    run_id: str,
    rules: ProgramRules | None = None,
) -> tuple[pd.DataFrame, list[PendingFile | StaleFile]]:
    """Per program: a list per regency (xlsx + csv) and a budget summary, not yet in place.

    Returns the `exports` records (sha256 of the bytes that will be in place) and the files
    to commit after the warehouse transaction.
    """
    rules = rules or load_rules(DEFAULT_PROGRAMS_FILE)
    staging = _Staging(run_id, [], [])
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
        written = len(staging.pending)
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
        now = {f.final for f in staging.pending[written:]}
        for pattern in (f"verifikasi_{program}_*_{day}.*", f"ringkasan_anggaran_{program}_{day}.*"):
            staging.pending.extend(
                StaleFile(old) for old in sorted(folder.glob(pattern)) if old not in now
            )
    return pd.DataFrame(staging.records), staging.pending
