"""Files for BPJS: one verified list per program and regency, written safely and recorded."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import xlsxwriter

from transforms.reference import REGENCIES

COMMON_COLUMNS = [
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
]
PROGRAM_COLUMNS = {
    "kesehatan": [("kelas_rawat", "Kelas Rawat"), ("fktp", "FKTP")],
    "ketenagakerjaan": [("pekerjaan", "Pekerjaan"), ("program_bpu", "Program")],
}
TRAILING_COLUMNS = [("score", "Skor Prioritas")]
TEXT_COLUMNS = {"nik", "no_kk", "rt_rw"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """A text that a spreadsheet could run as a formula gets a leading apostrophe."""
    return "'" + value if value.startswith(FORMULA_START) else value


@dataclass
class PendingFile:
    """An export written under a temporary name; `commit` renames it into place."""

    temp: Path
    final: Path

    def commit(self) -> None:
        os.replace(self.temp, self.final)

    def discard(self) -> None:
        self.temp.unlink(missing_ok=True)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def export_rows(verified: pd.DataFrame, persons: pd.DataFrame, program: str) -> pd.DataFrame:
    """Rows BPJS registers: verified within quota, joined to the person's identity columns."""
    chosen = verified.loc[verified["program"].eq(program) & verified["within_quota"]]
    rows = chosen[["person_id", "regency_code", "rank", "score"]].merge(
        persons.drop(columns=["regency_code"]), on="person_id", how="left", validate="one_to_one"
    )
    rows["kabupaten_kota"] = rows["regency_code"].map(
        {c: r.full_name for c, r in REGENCIES.items()}
    )
    rows["tanggal_lahir"] = pd.to_datetime(rows["tanggal_lahir"]).dt.strftime("%d-%m-%Y")
    rows["jenis_kelamin"] = rows["jenis_kelamin"].map({"L": "Laki-laki", "P": "Perempuan"})
    if program == "kesehatan":
        rows["kelas_rawat"] = "III"
    else:
        rows["program_bpu"] = "JKK, JKM"
    return rows.sort_values(["regency_code", "rank"], kind="stable").reset_index(drop=True)


def write_xlsx(
    path: Path, sheet: str, header: list[str], rows: list[list[object]], as_of: date
) -> None:
    """An xlsx with frozen header, all text cells as text, byte-identical for the same input."""
    workbook = xlsxwriter.Workbook(
        str(path), {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    workbook.set_properties(
        {"created": datetime(as_of.year, as_of.month, as_of.day), "author": "tepat"}
    )
    bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    ws = workbook.add_worksheet(sheet[:31])
    ws.freeze_panes(1, 0)
    for col, title in enumerate(header):
        ws.write_string(0, col, title, bold)
        ws.set_column(col, col, max(10, min(40, len(title) + 4)))
    for r, values in enumerate(rows, start=1):
        for col, value in enumerate(values):
            if value is None or (isinstance(value, float) and value != value):
                continue
            if isinstance(value, str):
                ws.write_string(r, col, neutralise(value))
            else:
                ws.write_number(r, col, value)
    workbook.close()
    os.chmod(path, 0o600)


def write_bpjs_exports(
    verified: pd.DataFrame,
    persons: pd.DataFrame,
    export_dir: Path,
    as_of: date,
    run_id: str,
) -> tuple[pd.DataFrame, list[PendingFile]]:
    """One xlsx per program and regency under `<export_dir>/bpjs/<program>/`, not yet in place."""
    records, pending = [], []
    for program in sorted(verified["program"].unique()):
        columns = COMMON_COLUMNS + PROGRAM_COLUMNS.get(program, []) + TRAILING_COLUMNS
        rows = export_rows(verified, persons, program)
        folder = export_dir / "bpjs" / program
        folder.mkdir(parents=True, exist_ok=True)
        for regency_code, group in rows.groupby("regency_code", sort=True):
            slug = REGENCIES[regency_code].name.lower().replace(" ", "_")
            final = folder / f"verifikasi_{program}_{regency_code}_{slug}_{as_of.isoformat()}.xlsx"
            temp = final.with_name("." + final.name + ".tmp")
            table = (
                group[[c for c, _ in columns]]
                .astype(object)
                .where(group[[c for c, _ in columns]].notna(), None)
            )
            for col in TEXT_COLUMNS & set(table.columns):
                table[col] = table[col].map(lambda v: None if v is None else str(v))
            table["rank"] = table["rank"].astype(int)
            table["score"] = table["score"].astype(float)
            write_xlsx(
                temp,
                f"{program} {regency_code}",
                [h for _, h in columns],
                table.values.tolist(),
                as_of,
            )
            pending.append(PendingFile(temp=temp, final=final))
            records.append(
                {
                    "run_id": run_id,
                    "program": program,
                    "regency_code": regency_code,
                    "kind": "bpjs",
                    "path": final.as_posix(),
                    "n_rows": len(group),
                    "sha256": _sha256(temp),
                }
            )
    return pd.DataFrame(records), pending
