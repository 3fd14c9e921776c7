"""The BPJS lists' and budget summaries' rows: verified persons within quota with their
identity columns, a program's export template, premiums per regency and a province total.

Pure: frames in, frames out. `flows/outputs/bpjs_files.py` writes them (xlsx and csv) and
`flows/outputs/bpjs_lists.py` shapes the tambah/kurang lists with them.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from schemas.programs import ExportColumn, Program
from schemas.reference import REGENCIES
from transforms.validate.names import FORMULA_START

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
FORMULA_PATTERN = "^[" + re.escape("".join(FORMULA_START)) + "]"
ARROW_TEXT = pd.ArrowDtype(pa.large_string())


def formula_like(texts: pd.Series) -> np.ndarray:
    """Per text: does it start like a formula (missing texts do not)?"""
    return texts.astype("string").str.match(FORMULA_PATTERN).fillna(False).to_numpy(dtype=bool)


def neutralise(texts: pd.Series) -> pd.Series:
    """Texts a spreadsheet could run as a formula get a leading apostrophe (for csv)."""
    return texts.where(~formula_like(texts), "'" + texts)


REGENCY_NAMES = {code: regency.full_name for code, regency in REGENCIES.items()}


def _regency_name(code: str) -> str | None:
    """The regency's full name (`Kota Samarinda`), None for a code outside the province."""
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
    # only the persons listed: one regency's list (or a tambah list) need not factorise the
    # province's persons for the join
    identity = identity.loc[identity["person_id"].isin(chosen["person_id"]).to_numpy(dtype=bool)]
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


def apply_export_template(
    rows: pd.DataFrame, persons: pd.DataFrame, template: list[ExportColumn]
) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """Rows and (key, header) columns of a template: missing fields from the person, else blank."""
    rows = rows.copy()
    columns = []
    for i, column in enumerate(template):
        if column.value is not None:
            key = f"value_{i}"
            rows[key] = column.value
        else:
            key = column.field or ""
            if key not in rows:
                source = persons.set_index("person_id")[key] if key in persons else None
                rows[key] = rows["person_id"].map(source) if source is not None else pd.NA
        columns.append((key, column.header))
    return rows, columns


def list_columns(
    settings: Program | None, layout: str, rows: pd.DataFrame, persons: pd.DataFrame
) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """The columns of a BPJS list: the program's template, else the layout's columns."""
    if settings is not None and settings.export_columns:
        return apply_export_template(rows, persons, settings.export_columns)
    return rows, IDENTITY_COLUMNS + LAYOUT_COLUMNS[layout] + TRAILING_COLUMNS


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


def with_province_total(summary: pd.DataFrame) -> pd.DataFrame:
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
