"""The demo-data generator: deterministic, and its ground truth matches what it wrote.

The expected codes are re-derived here from the cells read back from the files, by a
small scalar implementation of the contract's rules written independently of the
generator's vectorised one.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from demo import vocab as V
from demo.generator import DemoDataRefused, generate_demo_data
from flows.sources.read import read_sheets
from schemas.reference import (
    INDONESIAN_MONTHS,
    KALTIM_DISTRICT_CODES,
    OCCUPATIONS,
    PROGRAM_KEYWORDS,
    PROVINCE_CODES,
    REGENCIES,
    SEX_SPELLINGS,
)
from transforms.validate.occupations import match_occupation
from transforms.validate.remarks import remark_codes

AS_OF = date(2026, 11, 27)
N_ROWS = 600


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "raw"
    ref = out.parent / "reference"
    generate_demo_data(N_ROWS, out, seed=11, reference_dir=ref, as_of=AS_OF)
    return out


def _truth(out: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(out / "_truth" / name, dtype=str, keep_default_na=False)


def _tree_digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


# ---------------------------------------------------------------------------
# Reading the files back
# ---------------------------------------------------------------------------


def _read_sheets(path: Path, fmt: str, encoding: str, delimiter: str) -> dict[str, list[list]]:
    """Sheet name -> rows (0-based list = row_number - 1), cells as the officer sees them (a
    merged family cell in every member's row)."""
    if fmt == "xlsx":
        wb = CalamineWorkbook.from_path(str(path))
        out = {}
        for name in wb.sheet_names:
            sheet = wb.get_sheet_by_name(name)
            rows = sheet.to_python(skip_empty_area=False)
            for (r0, c0), (r1, c1) in sheet.merged_cell_ranges or []:
                for r in range(r0, r1 + 1):
                    rows[r][c0 : c1 + 1] = [rows[r0][c0]] * (c1 - c0 + 1)
            out[name] = [[None if v == "" else v for v in r] for r in rows]
        return out
    if fmt in (
        "xls",
        "ods",
    ):  # through the pipeline's reader: calamine, and merges from content.xml
        return {
            sheet.name: [
                [None if _blank(v) else v for v in row] for row in sheet.grid.to_numpy().tolist()
            ]
            for sheet in read_sheets(path)
        }
    text = path.read_bytes().decode(encoding)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return {"": [[None if v == "" else v for v in r] for r in rows]}


_HEADER_TO_COL = {h.upper(): col for col, hs in V.HEADERS.items() for h in hs}


def _header_row(rows: list[list]) -> tuple[int, dict[str, int]]:
    for i, r in enumerate(rows):
        cols = {_HEADER_TO_COL.get(str(v).upper()): j for j, v in enumerate(r) if v is not None}
        if "nik" in cols and "nama" in cols:
            cols.pop(None, None)
            return i, cols
    raise AssertionError("no header row")


def _blank(value) -> bool:
    return value is None or value == "" or (isinstance(value, float) and value != value)


def _empty(row: list) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)


# ---------------------------------------------------------------------------
# An independent scalar validator (the contract's rules)
# ---------------------------------------------------------------------------


def _century(yy: int, month: int, day: int) -> int:
    year = 2000 + yy
    if (year, month, day) > (AS_OF.year, AS_OF.month, AS_OF.day):
        year -= 100
    return year


def _real_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _identity(value) -> tuple[str, str | None]:
    """(kind, digits): kind in missing / number / sci / text."""
    if value is None:
        return "missing", None
    if isinstance(value, float | int):
        return "number", str(int(value))
    s = str(value).strip()
    if re.fullmatch(r"\d\.\d+E\+\d+", s):
        return "sci", None
    if s.startswith("'"):
        s = s[1:]
    return "text", re.sub(r"[\s.\-]", "", s)


def _nik(value) -> tuple[set[str], date | None, str | None, bool]:
    """(codes, embedded date, embedded sex, usable)."""
    kind, s = _identity(value)
    if kind == "missing":
        return {"NIK_MISSING"}, None, None, False
    if kind == "sci":
        return {"NIK_TRUNCATED"}, None, None, False
    if not (len(s) == 16 and s.isdigit()):
        return {"NIK_FORMAT"}, None, None, False
    codes = set()
    if kind == "number" and s.endswith("0"):
        codes.add("NIK_TRUNCATED")
    if s[:2] not in PROVINCE_CODES:
        codes.add("NIK_PROVINCE")
    dd, mm, yy = int(s[6:8]), int(s[8:10]), int(s[10:12])
    day = dd - 40 if dd > 40 else dd
    emb = None
    if (1 <= dd <= 31 or 41 <= dd <= 71) and 1 <= mm <= 12:
        emb = _real_date(_century(yy, mm, day), mm, day)
    if emb is None:
        codes.add("NIK_DATE")
    if s[12:] == "0000":
        codes.add("NIK_SERIAL")
    usable = not (codes - {"NIK_TRUNCATED"})
    return codes, emb, ("P" if dd > 40 else "L"), usable


def _dob(value) -> tuple[str, date | None]:
    """('missing' | 'invalid' | 'ok', date)."""
    if value is None:
        return "missing", None
    if isinstance(value, datetime):
        d = value.date()
    elif isinstance(value, date):
        d = value
    elif isinstance(value, float | int):
        d = date.fromordinal(date(1899, 12, 30).toordinal() + int(value))
    else:
        s = str(value).strip()
        d = None
        if m := re.fullmatch(r"(\d{1,2})[/-](\d{1,2})[/-](\d{4})", s):
            d = _real_date(int(m[3]), int(m[2]), int(m[1]))
        elif m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", s):
            d = _real_date(int(m[1]), int(m[2]), int(m[3]))
        elif m := re.fullmatch(r"(\d{1,2})[ -]([A-Za-z]+)[ -](\d{2}|\d{4})", s):
            month = INDONESIAN_MONTHS.get(m[2].upper())
            if month:
                year = int(m[3])
                if year < 100:
                    year = _century(year, month, int(m[1]))
                d = _real_date(year, month, int(m[1]))
        if d is None:
            return "invalid", None
    if d > AS_OF or (AS_OF - d).days > 120 * 365.2425:
        return "invalid", d
    return "ok", d


def _sex(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        value = int(value)
    return SEX_SPELLINGS.get(re.sub(r"[^A-Z0-9]", "", str(value).upper()))


def _expected(cells: dict, regency: str) -> tuple[set[str], set[str]]:
    """(error and review codes, warning codes) of one row."""
    codes, emb, emb_sex, usable = _nik(cells.get("nik"))
    warnings = set()
    _kind, nik = _identity(cells.get("nik"))
    if usable and nik[:2] == "64" and nik[:6] not in KALTIM_DISTRICT_CODES:
        warnings.add("NIK_KECAMATAN_UNKNOWN")
    kind, kk = _identity(cells.get("kk"))
    if kind == "number" and len(kk) == 16 and kk.endswith("0"):
        warnings.add("KK_TRUNCATED")
    occupation = cells.get("pekerjaan")
    if occupation is not None:
        found = match_occupation(str(occupation))
        if found is None:
            codes.add("OCCUPATION_UNKNOWN")  # the shipped rules test occupation: review
        elif found[1] == "state_or_private":
            codes.add("OCCUPATION_AMBIGUOUS")
    if cells.get("ket") is not None:
        codes |= remark_codes(str(cells["ket"]))
    if kind == "missing":
        codes.add("KK_MISSING")
    elif not (kk and len(kk) == 16 and kk.isdigit()):
        codes.add("KK_FORMAT")
    elif kk[:4] != regency:
        codes.add("KK_REGION")
    if cells.get("nama") is None:
        codes.add("NAME_MISSING")
    state, d = _dob(cells.get("tgl"))
    if state == "missing":
        codes.add("DOB_MISSING")
    elif state == "invalid":
        codes.add("DOB_INVALID")
    elif usable and d != emb:
        codes.add("NIK_DOB_MISMATCH")
    sex = _sex(cells.get("jk"))
    if sex is None and not usable:
        codes.add("SEX_INVALID")
    elif sex is None:
        warnings.add("SEX_DERIVED")
    elif sex is not None and usable and sex != emb_sex:
        codes.add("NIK_SEX_MISMATCH")
    return codes, warnings


# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------


def test_same_seed_same_bytes(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate_demo_data(250, a, seed=3, reference_dir=tmp_path / "ra")
    generate_demo_data(250, b, seed=3, reference_dir=tmp_path / "rb")
    generate_demo_data(250, c, seed=4)
    assert _tree_digest(a) == _tree_digest(b)
    assert _tree_digest(tmp_path / "ra") == _tree_digest(tmp_path / "rb")
    assert (a / "_truth/rows.csv").read_bytes() != (c / "_truth/rows.csv").read_bytes()
    # cell contents too (xlsx bytes could in principle differ with equal cells)
    files = _truth(a, "files.csv")
    for f in files.itertuples():
        args = (f.format, f.encoding or "utf-8", f.delimiter or ",")
        assert _read_sheets(a / f.file_name, *args) == _read_sheets(b / f.file_name, *args)


def test_row_count_and_layout(demo):
    files = _truth(demo, "files.csv")
    rows = _truth(demo, "rows.csv")
    assert len(rows) == N_ROWS
    assert files["n_rows"].astype(int).sum() == N_ROWS
    written = {p.relative_to(demo).as_posix() for p in demo.rglob("*") if p.is_file()}
    truth_files = {"_truth/files.csv", "_truth/persons.csv", "_truth/rows.csv"}
    assert written == set(files["file_name"]) | truth_files
    base = files[files["revision_of"] == ""]
    assert len(base) == 20
    assert (base["n_rows"].astype(int) >= 4).all()
    assert set(files["format"]) == {"xlsx", "xls", "ods", "csv"}
    assert (files["format"] == "xlsx").sum() > (files["format"] == "csv").sum()


def test_truth_accounts_for_every_row(demo):
    files = _truth(demo, "files.csv")
    rows = _truth(demo, "rows.csv")
    for f in files.itertuples():
        sheets = _read_sheets(demo / f.file_name, f.format, f.encoding, f.delimiter)
        truth = rows[rows["file_name"] == f.file_name]
        skipped = 0
        # an empty template sheet (its header only) has no rows to account for
        sheets = {n: g for n, g in sheets.items() if sum(not _empty(r) for r in g) > 1}
        assert set(truth["sheet"]) == set(sheets), f.file_name
        for name, grid in sheets.items():
            h, _cols = _header_row(grid)
            nums = sorted(truth.loc[truth["sheet"] == name, "row_number"].astype(int))
            assert nums and nums[0] > h + 1
            last = max(i for i, r in enumerate(grid) if not _empty(r))
            data = set(nums)
            for k, rn in enumerate(nums, start=1):  # the NO column runs 1..n
                assert int(float(grid[rn - 1][0])) == k, (f.file_name, name, rn)
            for i in range(h + 1, last + 1):
                if i + 1 in data:
                    continue
                skipped += 1
                first = grid[i][0] if grid[i] else None
                assert first is None or not str(first).replace(".0", "").isdigit()
        assert skipped == int(f.n_skipped), f.file_name


def test_expected_codes_match_written_cells(demo):
    """Every row's codes, re-derived from the cells read back (calamine / csv module)."""
    files = _truth(demo, "files.csv").set_index("file_name")
    rows = _truth(demo, "rows.csv")
    checked = 0
    for (fname, sheet), grp in rows.groupby(["file_name", "sheet"], sort=False):
        f = files.loc[fname]
        grid = _read_sheets(demo / fname, f["format"], f["encoding"], f["delimiter"])[sheet]
        _h, cols = _header_row(grid)
        for r in grp.itertuples():
            row = grid[int(r.row_number) - 1]
            cells = {c: (row[j] if j < len(row) else None) for c, j in cols.items()}
            kind, digits = _identity(cells.get("nik"))
            ok = kind in ("text", "number") and len(digits) == 16 and digits.isdigit()
            read = digits if ok else ""
            assert read == r.nik_read, (fname, r.row_number)
            want = set(filter(None, r.expected_codes.split(";")))
            warn = set(filter(None, r.warning_codes.split(";")))
            assert _expected(cells, f["regency_code"]) == (want, warn), (fname, r.row_number, cells)
            checked += 1
    assert checked == N_ROWS


def test_status_and_rates(demo):
    rows = _truth(demo, "rows.csv")
    errors = {"NIK_MISSING", "NIK_FORMAT", "NIK_PROVINCE", "NIK_DATE", "NIK_SERIAL"}
    errors |= {"KK_MISSING", "KK_FORMAT", "NAME_MISSING", "DOB_MISSING", "DOB_INVALID"}
    errors |= {"SEX_INVALID"}
    for r in rows.itertuples():
        codes = set(filter(None, r.expected_codes.split(";")))
        if codes & errors:
            assert r.expected_status == "rejected"
        elif codes:  # review codes, or NIK_TRUNCATED (an error only for scientific notation)
            assert r.expected_status in ("review", "rejected")
        else:
            assert r.expected_status == "accepted"
    share = (rows["expected_codes"] != "").mean()
    assert 0.05 <= share <= 0.2
    assert {"nik_typo", "nik_swap", "nik_missing_dup"} <= set(rows["hard_case"])
    assert {"same_file", "other_regency", "revised"} <= set(rows["dup_kind"])
    both = rows.groupby("true_person")["file_name"].nunique()
    assert (both > 1).mean() > 0.05


def test_persons_are_consistent(demo):
    persons = _truth(demo, "persons.csv")
    rows = _truth(demo, "rows.csv")
    assert persons["nik"].is_unique
    assert set(rows["true_person"]) == set(persons["true_person"])
    nik_of = dict(zip(persons["true_person"], persons["nik"], strict=True))
    assert (rows["true_person"].map(nik_of) == rows["nik_true"]).all()
    labels = {lab for lab, _ in OCCUPATIONS.values()}
    for p in persons.itertuples():
        codes, emb, sex, usable = _nik(p.nik)
        assert usable and not codes, p.nik
        assert emb.isoformat() == p.tanggal_lahir and sex == p.jenis_kelamin
        assert len(p.no_kk) == 16 and p.no_kk.startswith("64")
        assert p.pekerjaan in labels or p.occupation_group == "unknown"
        if p.nik.startswith("64"):
            assert p.nik[:6] in KALTIM_DISTRICT_CODES or p.nik[:4] in (
                "6404",
                "6405",
                "6406",
                "6473",
            )
    twins = persons[
        persons["true_person"].isin(rows.loc[rows["hard_case"] == "twin", "true_person"])
    ]
    for _, g in twins.groupby("no_kk"):
        assert g["tanggal_lahir"].nunique() < len(g)


def test_file_names_name_one_regency_and_program(demo):
    files = _truth(demo, "files.csv")
    for f in files.itertuples():
        folder, stem = f.file_name.rsplit("/", 1)
        words = V.program_words(stem)
        assert words[f.program] and sum(words.values()) == 1, f.file_name
        assert not any(V.program_words(folder).values())
        found = set()
        text = " " + re.sub(r"[^A-Z0-9]+", " ", folder.upper()) + " "
        for code, r in sorted(REGENCIES.items(), key=lambda kv: -len(kv[1].name)):
            for token in (code, r.name.upper(), *r.abbreviations):
                if f" {token} " in text:
                    found.add(code)
                    text = text.replace(f" {token} ", " ")
        assert found == {f.regency_code}, f.file_name
    assert set(PROGRAM_KEYWORDS) == set(files["program"])


def test_reference_lists(demo):
    ref = demo.parent / "reference"
    persons = _truth(demo, "persons.csv")
    wb = CalamineWorkbook.from_path(str(ref / "bpjs_kesehatan_peserta.xlsx"))
    grid = wb.get_sheet_by_name(wb.sheet_names[0]).to_python()
    kes = pd.DataFrame(grid[1:], columns=grid[0])
    assert list(kes.columns) == ["NIK", "NAMA", "SEGMEN", "STATUS"]
    assert kes["NIK"].map(lambda v: isinstance(v, str) and len(v) == 16).all()
    tk = pd.read_csv(ref / "bpjs_ketenagakerjaan_peserta.csv", dtype=str)
    covered = set(kes.loc[(kes["STATUS"] == "AKTIF") & (kes["SEGMEN"] != "PBPU"), "NIK"])
    active = set(tk.loc[tk["STATUS"] == "AKTIF", "NIK"])
    assert (persons["enrolled_kesehatan_covered"] == "True").eq(persons["nik"].isin(covered)).all()
    assert (
        (persons["enrolled_ketenagakerjaan_active"] == "True").eq(persons["nik"].isin(active)).all()
    )
    assert persons["nik"].isin(set(kes["NIK"])).mean() > 0.05
    assert not set(kes["NIK"]) <= set(persons["nik"])  # also people never submitted


def test_xlsx_only_and_refuses_foreign_folder(tmp_path):
    out = tmp_path / "x"
    s = generate_demo_data(120, out, seed=1, formats="xlsx")
    files = _truth(out, "files.csv")
    assert set(files["format"]) == {"xlsx"} and s.n_rows == 120
    # a folder holding files is refused, even its own earlier output, unless asked to replace
    with pytest.raises(DemoDataRefused):
        generate_demo_data(150, out, seed=2, formats="xlsx")
    generate_demo_data(150, out, seed=2, formats="xlsx", hard_cases=False, replace=True)
    assert _truth(out, "files.csv")["n_rows"].astype(int).sum() == 150
    hard = set(_truth(out, "rows.csv")["hard_case"])
    assert not hard & {"nik_typo", "nik_swap", "nik_missing_dup"}
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("x")
    with pytest.raises(FileExistsError):
        generate_demo_data(100, other, seed=1)


def _snapshot(folder):
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_refuses_before_touching_anything_and_never_deletes_what_it_did_not_write(tmp_path):
    out, ref = tmp_path / "demo", tmp_path / "ref"
    generate_demo_data(120, out, seed=1, reference_dir=ref)
    (out / "catatan petugas.txt").write_text("jangan dihapus")  # someone else's file
    (ref / "daftar lain.csv").write_text("NIK\n")
    before, before_ref = _snapshot(out), _snapshot(ref)
    for replace in (False, True):
        with pytest.raises(DemoDataRefused):
            generate_demo_data(100, out, seed=2, reference_dir=ref, replace=replace)
        assert _snapshot(out) == before and _snapshot(ref) == before_ref  # nothing touched
    (out / "catatan petugas.txt").unlink()
    (ref / "daftar lain.csv").unlink()
    generate_demo_data(100, out, seed=2, reference_dir=ref, replace=True)
    assert _truth(out, "files.csv")["n_rows"].astype(int).sum() == 100


def test_cli_writes_a_new_folder_by_default_and_refuses_in_one_line(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from flows.cli import DEMO_DIR, app

    assert Path("data/raw") != DEMO_DIR  # the committed sample is never the default target
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    first = runner.invoke(app, ["demo-data", "--rows", "100"])
    assert first.exit_code == 0 and (tmp_path / DEMO_DIR / "_truth" / "files.csv").exists()
    again = runner.invoke(app, ["demo-data", "--rows", "100"])
    assert again.exit_code == 1
    lines = again.output.strip().splitlines()
    assert (
        len(lines) == 1
        and lines[0].startswith("tepat demo-data gagal:")
        and "--replace" in lines[0]
    )


def test_a_population_made_after_a_nik_serial_offset_shares_no_nik_with_one_made_without(
    tmp_path,
):
    """The benchmark's file of new persons: NIKs no person of a workload made at 0 holds."""
    generate_demo_data(3000, tmp_path / "warehouse", seed=5, formats="xlsx", revised_files=0)
    generate_demo_data(
        3000, tmp_path / "next", seed=6, formats="xlsx", revised_files=0, nik_serial_offset=5000
    )
    held = set(_truth(tmp_path / "warehouse", "persons.csv")["nik"])
    new = _truth(tmp_path / "next", "persons.csv")["nik"]
    assert new.str.fullmatch(r"\d{16}").all()
    assert (new.str[12:].astype(int) > 5000).all()
    assert max(int(nik[12:]) for nik in held) < 5000
    assert held.isdisjoint(new)
    with pytest.raises(ValueError, match="nik_serial_offset"):
        generate_demo_data(10, tmp_path / "bad", nik_serial_offset=8000)
