"""The plain baseline of `run_benchmark.py`: the pipeline's steps written the way a first script would.

pandas `read_excel` with openpyxl, a header found by looking for "NIK", a loop over `iterrows`
with the identity checks written out (a faithful subset of `schemas/rows.py`: NIK 16 digits,
province, embedded date, serial; KK 16 digits; name; birth date readable and plausible; sex),
a dict keyed by NIK for duplicates, a sort per program and regency, and openpyxl writing the
BPJS lists and one feedback workbook per file with every row, its status and its reasons.
Not used by the pipeline; kept only to measure against.
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from pathlib import Path

PROVINCES = {
    11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33, 34, 35, 36, 51, 52, 53, 61, 62, 63, 64,
    65, 71, 72, 73, 74, 75, 76, 81, 82, 91, 92, 93, 94, 95, 96,
}  # fmt: skip
REGENCIES = [  # checked in this order (PPU before PASER: "Penajam Paser Utara")
    ("PPU", "6409"), ("PENAJAM", "6409"), ("PASER", "6401"), ("KUKAR", "6402"),
    ("KARTANEGARA", "6402"), ("BERAU", "6403"), ("KUBAR", "6407"), ("KUTAI BARAT", "6407"),
    ("KUTIM", "6408"), ("KUTAI TIMUR", "6408"), ("MAHULU", "6411"), ("MAHAKAM", "6411"),
    ("BPN", "6471"), ("BALIKPAPAN", "6471"), ("SMD", "6472"), ("SAMARINDA", "6472"),
    ("BTG", "6474"), ("BONTANG", "6474"),
]  # fmt: skip
WORKER_WORDS = ("KETENAGAKERJAAN", "BPJSTK", "BPJS TK", "BPU", "RENTAN", "JAMSOSTEK")
SEX = {
    "L": "L", "LK": "L", "LAKI-LAKI": "L", "LAKI LAKI": "L", "PRIA": "L", "1": "L",
    "P": "P", "PR": "P", "PEREMPUAN": "P", "WANITA": "P", "2": "P",
}  # fmt: skip
MONTHS = {
    "januari": 1, "jan": 1, "februari": 2, "feb": 2, "maret": 3, "mar": 3, "april": 4,
    "apr": 4, "mei": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7, "agustus": 8, "agu": 8,
    "ags": 8, "aug": 8, "september": 9, "sep": 9, "oktober": 10, "okt": 10, "oct": 10,
    "november": 11, "nov": 11, "desember": 12, "des": 12, "dec": 12,
}  # fmt: skip
AS_OF = date(2026, 11, 27)
EXPORT_HEADER = ["NIK", "No KK", "Nama", "Tanggal Lahir", "Jenis Kelamin", "Alamat", "Desa",
                 "Kecamatan", "Pekerjaan", "Desil"]  # fmt: skip


def empty(value) -> bool:
    return (
        value is None or (isinstance(value, float) and value != value) or str(value).strip() == ""
    )


def clean_number(value) -> str:
    """A NIK or KK as digits: numbers lose '.0', text loses spaces, dots, dashes and a leading '."""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, int):
        return str(value)
    text = str(value).strip().lstrip("'")
    for char in " .-":
        text = text.replace(char, "")
    return text


def parse_date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not empty(value):
        return date(1899, 12, 30) + timedelta(days=int(value))
    text = str(value).strip()
    for pattern in ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d", "%d-%m-%y", "%d/%m/%y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            pass
    parts = text.replace("-", " ").split()
    if len(parts) == 3 and parts[1].lower() in MONTHS:
        try:
            year = int(parts[2])
            year = year + 1900 if year < 100 and year > AS_OF.year % 100 else year
            year = year + 2000 if year < 100 else year
            return date(year, MONTHS[parts[1].lower()], int(parts[0]))
        except ValueError:
            return None
    return None


def check_row(nik, kk, name, born, sex) -> tuple[list[str], dict[str, object]]:
    """The row's error codes and its cleaned values, one field after the other."""
    errors = []
    nik_text = "" if empty(nik) else clean_number(nik)
    if not nik_text:
        errors.append("NIK_MISSING")
    elif len(nik_text) != 16 or not nik_text.isdigit():
        errors.append("NIK_FORMAT")
    else:
        if int(nik_text[:2]) not in PROVINCES:
            errors.append("NIK_PROVINCE")
        day, month, year = int(nik_text[6:8]), int(nik_text[8:10]), int(nik_text[10:12])
        day = day - 40 if day > 40 else day
        year = 2000 + year if 2000 + year <= AS_OF.year else 1900 + year
        try:
            date(year, month, day)
        except ValueError:
            errors.append("NIK_DATE")
        if nik_text.endswith("0000"):
            errors.append("NIK_SERIAL")
    kk_text = "" if empty(kk) else clean_number(kk)
    if not kk_text:
        errors.append("KK_MISSING")
    elif len(kk_text) != 16 or not kk_text.isdigit():
        errors.append("KK_FORMAT")
    name_text = "" if empty(name) else str(name).strip().upper()
    if not name_text:
        errors.append("NAME_MISSING")
    birth = None if empty(born) else parse_date(born)
    if empty(born):
        errors.append("DOB_MISSING")
    elif birth is None or birth > AS_OF or AS_OF.year - birth.year > 120:
        errors.append("DOB_INVALID")
    sex_code = SEX.get(str(sex).strip().upper()) if not empty(sex) else None
    if sex_code is None and len(nik_text) == 16 and nik_text.isdigit():
        sex_code = "P" if int(nik_text[6:8]) > 40 else "L"
    if sex_code is None:
        errors.append("SEX_INVALID")
    return errors, {"nik": nik_text, "no_kk": kk_text, "nama": name_text, "lahir": birth,
                    "jk": sex_code}  # fmt: skip


def find_columns(header: list[str]) -> dict[str, int]:
    """Column positions by the words a header holds."""
    found: dict[str, int] = {}
    for i, title in enumerate(header):
        text = str(title).upper().strip()
        squeezed = text.replace(" ", "").replace(".", "")
        if ("NIK" in squeezed or "INDUK" in text) and "nik" not in found:
            found["nik"] = i
        elif ("KK" in squeezed or "KARTU KELUARGA" in text) and "kk" not in found:
            found["kk"] = i
        elif text.startswith("NAMA") and "nama" not in found:
            found["nama"] = i
        elif ("TGL" in text or "TANGGAL" in text) and "lahir" not in found:
            found["lahir"] = i
        elif ("KELAMIN" in text or squeezed in ("JK", "L/P")) and "jk" not in found:
            found["jk"] = i
        elif "ALAMAT" in text:
            found.setdefault("alamat", i)
        elif "DESA" in text or squeezed[:3] == "KEL" and "KELAMIN" not in text:
            found.setdefault("desa", i)
        elif "KEC" in text:
            found.setdefault("kecamatan", i)
        elif "PEKERJAAN" in text:
            found.setdefault("pekerjaan", i)
        elif "DESIL" in text:
            found.setdefault("desil", i)
    return found


def regency_and_program(path: Path) -> tuple[str, str]:
    text = f"{path.parent.name} {path.stem}".upper()
    regency = next((code for word, code in REGENCIES if word in text), "")
    program = "ketenagakerjaan" if any(w in text for w in WORKER_WORDS) else "kesehatan"
    return regency, program


def read_sheets(paths: list[Path]) -> list[tuple[Path, str, object]]:
    """Every sheet of every file as a DataFrame of objects (pandas `read_excel`, openpyxl)."""
    import pandas as pd

    sheets = []
    for path in paths:
        frames = pd.read_excel(path, sheet_name=None, header=None, engine="openpyxl", dtype=object)
        sheets.extend((path, name, frame) for name, frame in frames.items())
    return sheets


def check_sheets(sheets: list[tuple[Path, str, object]]) -> list[dict]:
    """One dict per data row with its cleaned values and error codes (blank and footer rows skipped)."""
    rows = []
    for path, sheet, frame in sheets:
        regency, program = regency_and_program(path)
        header_row = None
        for i in range(min(20, len(frame))):
            cells = [str(v).upper().replace(" ", "") for v in frame.iloc[i] if isinstance(v, str)]
            if any("NIK" in c or "INDUK" in c for c in cells):
                header_row = i
                break
        if header_row is None:
            continue
        columns = find_columns(list(frame.iloc[header_row]))
        for index, row in frame.iloc[header_row + 1 :].iterrows():
            values = {key: row.iloc[i] for key, i in columns.items()}
            if all(empty(v) for v in row.tolist()):
                continue
            if empty(values.get("nik")) and empty(values.get("nama")):
                continue  # a footer: totals, signatures
            errors, clean = check_row(
                values.get("nik"), values.get("kk"), values.get("nama"), values.get("lahir"),
                values.get("jk"),
            )  # fmt: skip
            for key in ("alamat", "desa", "kecamatan", "pekerjaan", "desil"):
                clean[key] = "" if empty(values.get(key)) else str(values.get(key))
            clean.update(
                file=path, sheet=sheet, row_number=index + 1, regency=regency, program=program,
                errors=errors, status="rejected" if errors else "accepted",
            )  # fmt: skip
            rows.append(clean)
    return rows


def rank_lists(rows: list[dict]) -> dict[tuple[str, str], list[dict]]:
    """First accepted row per program and NIK, listed per program and regency, poorest first."""
    persons: dict[tuple[str, str], dict] = {}
    for row in rows:
        if row["status"] == "accepted":
            persons.setdefault((row["program"], row["nik"]), row)
    lists: dict[tuple[str, str], list[dict]] = {}
    for (program, _), person in persons.items():
        lists.setdefault((program, person["regency"]), []).append(person)
    for members in lists.values():
        members.sort(key=lambda p: (p["desil"] or "99", p["lahir"] or AS_OF))
    return lists


def write_workbooks(rows: list[dict], lists: dict[tuple[str, str], list[dict]], out: Path) -> None:
    """The BPJS lists and one feedback workbook per file, with openpyxl, row by row."""
    import openpyxl

    out.mkdir(parents=True, exist_ok=True)
    for (program, regency), members in sorted(lists.items()):
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.title = "Daftar"
        sheet.append(["Peringkat", *EXPORT_HEADER])
        for rank, p in enumerate(members, start=1):
            born = p["lahir"].strftime("%d-%m-%Y") if p["lahir"] else ""
            sheet.append([rank, p["nik"], p["no_kk"], p["nama"], born, p["jk"], p["alamat"],
                          p["desa"], p["kecamatan"], p["pekerjaan"], p["desil"]])  # fmt: skip
        workbook.save(out / f"verifikasi_{program}_{regency}.xlsx")
    by_file: dict[Path, list[dict]] = {}
    for row in rows:
        by_file.setdefault(row["file"], []).append(row)
    for i, (path, file_rows) in enumerate(sorted(by_file.items())):
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.title = "Umpan balik"
        sheet.append(["Lembar", "Baris", "Status", "Kode", "NIK", "No KK", "Nama", "Lahir", "JK"])
        for r in file_rows:
            born = r["lahir"].strftime("%d-%m-%Y") if r["lahir"] else ""
            sheet.append([r["sheet"], r["row_number"], r["status"], ", ".join(r["errors"]),
                          r["nik"], r["no_kk"], r["nama"], born, r["jk"] or ""])  # fmt: skip
        workbook.save(out / f"umpan_balik_{i:02d}_{path.stem}.xlsx")


def run_plain(paths: list[Path], scratch: Path) -> dict[str, float]:
    """Read, check, deduplicate and rank, write; seconds per step."""
    times: dict[str, float] = {}
    start = time.perf_counter()
    sheets = read_sheets(paths)
    times["read (pandas + openpyxl)"] = time.perf_counter() - start
    start = time.perf_counter()
    rows = check_sheets(sheets)
    times["row-by-row checks (iterrows)"] = time.perf_counter() - start
    start = time.perf_counter()
    lists = rank_lists(rows)
    times["duplicates (dict) and ranking (sort)"] = time.perf_counter() - start
    start = time.perf_counter()
    write_workbooks(rows, lists, scratch / "plain_out")
    times["write (openpyxl)"] = time.perf_counter() - start
    return times
