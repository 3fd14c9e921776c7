"""Reading a sheet as the regency officer sees it (issue 13): merged cells in every format,
the place given around the rows, section rows, and one file never stopping the others."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xlsxwriter

from demo.generator import write_ods_cells, write_xls_cells
from flows.settings import Settings
from flows.sources.ingest import ingest_file, unexpected_reason
from flows.sources.ods_merges import ods_merges
from flows.sources.read import read_sheets
from schemas.rows import RawRows
from transforms.ingest.headers import find_header, grid_to_table
from transforms.ingest.merged import as_merges, fill_merged
from transforms.ingest.places import known_kecamatan, section_place, sheet_places

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
HEADER = ["NO", "NIK", "NAMA", "TGL LAHIR", "L/P", "NO KK", "ALAMAT", "DESIL"]
KK_A, KK_B = "6472010101200001", "6472010101200002"
# Three families: A (3 members, KK/address/desil merged), B (2 members, an empty KK merged),
# C (one member). Row 1 is the header; 0-based (first row, first column, last row, last column).
ROWS = [
    HEADER,
    [1, "6472015508800003", "SITI AMINAH", "15-08-1980", "P", KK_A, "JL. MERDEKA 1", 2],
    [2, "6472011508800004", "BUDI SANTOSO", "15-08-1980", "L", None, None, None],
    [3, "6472012003100005", "ANI", "20-03-2010", "P", None, None, None],
    [4, "6472014101900006", "RINA", "01-01-1990", "P", None, "JL. PAHLAWAN 2", 3],
    [5, "6472010101900007", "JOKO", "01-01-1990", "L", None, None, None],
    [6, "6472010202950008", "DEDI", "02-02-1995", "L", KK_B, "JL. SUDIRMAN 3", 4],
]
MERGES = [(1, col, 3, col) for col in (5, 6, 7)] + [(4, col, 5, col) for col in (5, 6, 7)]


def _write_xlsx(path: Path, sheets: dict[str, tuple[list[list], list]]) -> None:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    for name, (rows, merges) in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    ws.write(r, c, value)
        for r0, c0, r1, c1 in merges:
            ws.merge_range(r0, c0, r1, c1, rows[r0][c0])
    wb.close()


def _lines(rows: list[list]) -> list[tuple[int, dict[int, object], bool]]:
    return [
        (r, {c: v for c, v in enumerate(row) if v is not None}, False) for r, row in enumerate(rows)
    ]


def _write_xls(path: Path, sheets: dict[str, tuple[list[list], list]]) -> None:
    write_xls_cells(path, [(name, _lines(rows), merges) for name, (rows, merges) in sheets.items()])


def _write_ods(path: Path, sheets: dict[str, tuple[list[list], list]]) -> None:
    cells = [(name, _lines(rows), merges) for name, (rows, merges) in sheets.items()]
    write_ods_cells(path, cells, datetime(2026, 1, 2, 8, 0))


WRITERS = {"xlsx": _write_xlsx, "xls": _write_xls, "ods": _write_ods}


def _ingest(path: Path, raw_dir: Path):
    return ingest_file(path, raw_dir, "0" * 64, Settings(raw_dir=raw_dir))


# --------------------------------------------------------------------------- merged cells


def test_fill_merged_fills_every_cell_and_keeps_row_numbers():
    grid = pd.DataFrame(
        [["a", "x", None], [None, None, None], [None, None, "z"]], index=[5, 6, 7], dtype=object
    )
    filled = fill_merged(grid, as_merges([((0, 0), (2, 0)), ((0, 1), (0, 2))]))
    assert filled.grid.index.tolist() == [5, 6, 7]
    assert filled.grid[0].tolist() == ["a", "a", "a"]
    assert filled.grid.loc[5].tolist() == ["a", "x", "x"]
    assert filled.grid.loc[7, 2] == "z"  # outside every merge: untouched
    assert filled.spread.tolist() == [[False, False, True], [False] * 3, [False] * 3]


def test_fill_merged_clips_to_the_grid_and_refuses_overlaps():
    grid = pd.DataFrame([["a", None], [None, None]], dtype=object)
    assert fill_merged(grid, as_merges([(0, 0, 99, 0)])).grid[0].tolist() == ["a", "a"]
    with pytest.raises(ValueError):
        fill_merged(grid, as_merges([(0, 0, 1, 1), (0, 0, 1, 0), (0, 1, 1, 1)]))


def test_ods_merges_match_what_calamine_gives_for_xlsx():
    from python_calamine import CalamineWorkbook

    xlsx = CalamineWorkbook.from_path(str(FIXTURES / "libreoffice.xlsx"))
    expected = as_merges(xlsx.get_sheet_by_name("Palaran").merged_cell_ranges)
    assert ods_merges(FIXTURES / "libreoffice.ods")["Palaran"].tolist() == expected.tolist()


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_merged_family_cells_belong_to_every_member(tmp_path, fmt):
    raw = tmp_path / "raw"
    raw.mkdir()
    path = raw / f"Samarinda PBI JKN.{fmt}"
    WRITERS[fmt](path, {"Data": (ROWS, MERGES)})
    result = _ingest(path, raw)
    assert result.record["status"] == "loaded", result.record["reason"]
    rows = result.rows.set_index("row_number")
    assert rows.index.tolist() == [2, 3, 4, 5, 6, 7]  # the rows a person sees
    kk = rows["no_kk"].astype(object).where(rows["no_kk"].notna() & rows["no_kk"].ne(""), None)
    assert kk.tolist() == [KK_A, KK_A, KK_A, None, None, KK_B]  # never copied down from A
    assert rows["alamat"].tolist()[:5] == ["JL. MERDEKA 1"] * 3 + ["JL. PAHLAWAN 2"] * 2
    assert [int(float(v)) for v in rows["desil"]] == [2, 2, 2, 3, 3, 4]


def test_html_table_rowspan_is_a_merge(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    cells = "".join(f"<th>{h}</th>" for h in HEADER[:6])
    body = (
        f"<tr><td>1</td><td>6472015508800003</td><td>SITI</td><td>15-08-1980</td><td>P</td>"
        f"<td rowspan='2'>{KK_A}</td></tr>"
        "<tr><td>2</td><td>6472011508800004</td><td>BUDI</td><td>15-08-1980</td><td>L</td></tr>"
    )
    path = raw / "Samarinda PBI JKN.xls"
    path.write_text(f"<html><body><table><tr>{cells}</tr>{body}</table></body></html>")
    result = _ingest(path, raw)
    assert result.rows["no_kk"].tolist() == [KK_A, KK_A]


def test_a_title_or_signature_merged_across_columns_is_still_one_cell():
    grid = pd.DataFrame(
        [
            HEADER[:6],
            [1, "6472015508800003", "SITI", "15-08-1980", "P", KK_A],
            ["Samarinda, 12 Mei 2025", None, None, None, None, None],
            ["Kepala Dinas Sosial", None, None, None, None, None],
        ],
        index=range(1, 5),
        dtype=object,
    )
    filled = fill_merged(grid, as_merges([(2, 0, 2, 5), (3, 0, 3, 5)]))
    table = grid_to_table(filled.grid, find_header(filled.grid), filled.spread)
    assert table.rows["row_number"].tolist() == [2]
    assert table.n_footer == 2


# --------------------------------------------------------------------------- place around rows


def _grid(rows: list[list]) -> pd.DataFrame:
    width = max(len(r) for r in rows)
    padded = [list(r) + [None] * (width - len(r)) for r in rows]
    return pd.DataFrame(padded, index=range(1, len(rows) + 1), dtype=object)


PERSON = ["6472015508800003", "SITI", "15-08-1980", "P", KK_A]


def _person(no: int, serial: int) -> list:
    return [no, f"647201550880{serial:04d}", *PERSON[1:]]


def test_section_titles_give_kecamatan_and_desa_and_are_skipped():
    grid = _grid(
        [
            HEADER[:6],
            ["KEC. PALARAN"],
            ["DESA/KEL. SIMPANG PASIR"],
            _person(1, 11),
            _person(2, 12),
            ["SUB TOTAL", None, None, "2 orang"],
            ["2. KECAMATAN SAMBUTAN"],
            _person(3, 13),
            ["NO", "NIK", "NAMA", "TGL LAHIR", "L/P", "NO KK"],  # header again after a page break
            _person(4, 14),
            ["JUMLAH KEC. SAMBUTAN", None, None, "2 orang"],
            ["JUMLAH", None, None, "4 orang"],
        ]
    )
    table = grid_to_table(grid, find_header(grid))
    rows = table.rows.set_index("row_number")
    assert rows.index.tolist() == [4, 5, 8, 10]  # their own row numbers
    assert rows["kecamatan"].tolist() == ["PALARAN", "PALARAN", "SAMBUTAN", "SAMBUTAN"]
    desa = rows["desa"].astype(object).where(rows["desa"].notna(), None).tolist()
    assert desa == ["SIMPANG PASIR", "SIMPANG PASIR", None, None]  # a new kecamatan resets it
    assert table.n_skipped == 7 and sorted(table.skipped_rows) == [2, 3, 6, 7, 9, 11, 12]


def test_a_kecamatan_column_is_never_overwritten_by_sections():
    grid = _grid([[*HEADER[:6], "KECAMATAN"], ["KEC. PALARAN"], [*_person(1, 11), "Sambutan"]])
    rows = grid_to_table(grid, find_header(grid)).rows
    assert rows["kecamatan"].tolist() == ["Sambutan"] and "desa" not in rows


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("KEC. MELAK", ("kecamatan", "MELAK")),
        ("KECAMATAN : PALARAN", ("kecamatan", "PALARAN")),
        ("I. Kecamatan Sungai Kunjang", ("kecamatan", "Sungai Kunjang")),
        ("DESA/KEL. LOA BAKUNG", ("desa", "LOA BAKUNG")),
        ("KELUARGA MISKIN", None),
        ("Kepala Dinas Sosial", None),
        ("JUMLAH KEC. MELAK", None),
    ],
)
def test_section_place(text, expected):
    assert section_place(text) == expected


def test_sheet_places_from_titles_and_sheet_names():
    assert sheet_places("6472", "Sheet1", ["KECAMATAN : SUNGAI KUNJANG"]) == {
        "kecamatan": "Sungai Kunjang"
    }
    assert sheet_places("6472", "PALARAN", []) == {"kecamatan": "Palaran"}
    assert sheet_places("6472", "Sheet1", ["KOTA SAMARINDA TAHUN 2025"]) == {}
    # "Penajam" is a kecamatan of PPU, but the regency's own name is no kecamatan title
    assert sheet_places("6409", "DATA", ["KABUPATEN PENAJAM PASER UTARA"]) == {}
    assert known_kecamatan("Kec. Melak", "6407") == "Melak"
    assert known_kecamatan("Melak", "6472") is None


def test_sheet_name_and_title_give_the_kecamatan_of_a_file(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    people = [HEADER[:6], _person(1, 11), _person(2, 12)]
    titled = [["DAFTAR USULAN PBI JKN"], ["KECAMATAN : SUNGAI KUNJANG"], [], *people]
    sections = [HEADER[:6], ["KEC. SAMBUTAN"], _person(1, 21), ["SUB TOTAL"]]
    with_column = [[*HEADER[:6], "KECAMATAN"], [*_person(1, 31), "Loa Janan Ilir"]]
    path = raw / "Samarinda PBI JKN.xlsx"
    _write_xlsx(
        path,
        {
            "Palaran": (people, []),
            "Sheet2": (titled, []),
            "Sheet3": (sections, []),
            "Samarinda Ulu": (with_column, []),
        },
    )
    result = _ingest(path, raw)
    assert result.record["status"] == "loaded", result.record["reason"]
    got = result.rows.groupby("sheet")["kecamatan"].agg(lambda s: sorted(set(s)))
    assert got.to_dict() == {
        "Palaran": ["Palaran"],
        "Sheet2": ["Sungai Kunjang"],
        "Sheet3": ["Sambutan"],
        "Samarinda Ulu": ["Loa Janan Ilir"],  # the column wins over the sheet name
    }
    assert result.record["n_skipped"] == 2  # the section title and the subtotal


# --------------------------------------------------------------------------- isolation


def test_header_only_second_sheet_loads(tmp_path):
    """The everyday empty template sheet: its rows concatenate with the others' (row_number
    stays int64) and the rows pass the schema the pipeline checks them with."""
    raw = tmp_path / "raw"
    raw.mkdir()
    path = raw / "Samarinda PBI JKN.xlsx"
    _write_xlsx(path, {"Data": (ROWS, MERGES), "Sheet2": ([HEADER], [])})
    result = _ingest(path, raw)
    assert result.record["status"] == "loaded", result.record["reason"]
    assert result.rows["row_number"].dtype == np.int64
    RawRows.validate(
        result.rows[["file_name", "sheet", "row_number", "regency_code", "program"]], lazy=True
    )


def test_an_unexpected_error_rejects_only_that_file(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    raw.mkdir()
    good, bad = raw / "Samarinda PBI JKN.xlsx", raw / "Bontang PBI JKN.xlsx"
    _write_xlsx(good, {"Data": (ROWS, MERGES)})
    _write_xlsx(bad, {"Rusak": ([*ROWS, ["RUSAK"]], [])})
    import flows.sources.ingest as ingest_module

    real = ingest_module.grid_to_table

    def broken(grid, header, spread=None):
        if grid.isin(["RUSAK"]).any().any():
            raise ValueError("cell 6472015508800003 is odd")
        return real(grid, header, spread)

    monkeypatch.setattr(ingest_module, "grid_to_table", broken)
    loaded, rejected = _ingest(good, raw), _ingest(bad, raw)
    assert loaded.record["status"] == "loaded"
    assert rejected.record["status"] == "rejected"
    assert rejected.record["reason_code"] == "FILE_UNREADABLE"
    reason = str(rejected.record["reason"])
    assert "lembar 'Rusak'" in reason and "ValueError" in reason
    assert "6472015508800003" not in reason


def test_unexpected_reason_names_the_stage_and_hides_identity_numbers():
    reason = unexpected_reason("memvalidasi baris", KeyError("NIK 6472 0155 0880 0003"))
    assert reason.startswith("galat tak terduga saat memvalidasi baris: KeyError")
    assert "6472" not in reason


def test_validation_failure_in_one_file_rejects_that_file(tmp_path, monkeypatch):
    import flows.pipeline as pipeline_module

    raw = tmp_path / "raw"
    raw.mkdir()
    good, bad = raw / "Samarinda PBI JKN.xlsx", raw / "Bontang PBI JKN.xlsx"
    _write_xlsx(good, {"Data": (ROWS, MERGES)})
    _write_xlsx(bad, {"Data": (ROWS, MERGES)})
    results = [_ingest(good, raw), _ingest(bad, raw)]
    ingested = pipeline_module.Ingested(
        plan=pipeline_module.FilePlan(),
        files=pd.DataFrame([r.record for r in results]),
        raw_rows=pd.concat([r.rows for r in results], ignore_index=True),
    )
    real = pipeline_module.canonicalise

    def fragile(rows, as_of, *rest):
        if rows["file_name"].eq(bad.name).any():
            raise OverflowError("boom")
        return real(rows, as_of, *rest)

    monkeypatch.setattr(pipeline_module, "canonicalise", fragile)
    validate = pipeline_module.validate_isolated.fn  # the task's body, without a flow
    ingested, canonical, _issues = validate(ingested, date(2026, 11, 27))
    files = ingested.files.set_index("file_name")
    assert files.loc[good.name, "status"] == "loaded"
    assert files.loc[bad.name, ["status", "reason_code"]].tolist() == [
        "rejected",
        "FILE_UNREADABLE",
    ]
    assert set(canonical["file_name"]) == {good.name}
    assert set(ingested.raw_rows["file_name"]) == {good.name}


def test_fixture_header_merged_down_still_reads(tmp_path):
    """Header cells merged over two rows (NO, NIK ... over TEMPAT | TANGGAL) give one header."""
    for fmt in ("xlsx", "xls", "ods"):
        sheet = read_sheets(FIXTURES / f"libreoffice.{fmt}")[0]
        header = find_header(sheet.grid)
        assert header.header_rows == [5, 6]
        assert {"tempat_lahir", "tanggal_lahir", "nik", "no_kk"} <= set(header.columns)


def test_a_file_that_cannot_be_opened_is_rejected_and_the_others_planned(tmp_path, monkeypatch):
    import flows.pipeline as pipeline_module

    raw = tmp_path / "raw"
    raw.mkdir()
    good, bad = raw / "Samarinda PBI JKN.xlsx", raw / "Bontang PBI JKN.xlsx"
    _write_xlsx(good, {"Data": (ROWS, MERGES)})
    _write_xlsx(bad, {"Data": (ROWS, MERGES)})
    real = pipeline_module.sha256_of

    def locked(path):
        if path.name == bad.name:
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(pipeline_module, "sha256_of", locked)
    known = pd.DataFrame({"file_name": [], "sha256": [], "status": []})
    plan = pipeline_module.plan_files(raw, known)
    assert [path.name for path, _ in plan.to_ingest] == [good.name]
    assert [(r["file_name"], r["reason_code"]) for r in plan.records] == [
        (bad.name, "FILE_UNREADABLE")
    ]
    assert "Permission denied" in plan.records[0]["reason"]
