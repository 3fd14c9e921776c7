"""Ingesting submissions: every sheet, every row and every file accounted for.

Layout rules (header, blank and footer rows) on tiny grids; file records and reason codes on
small files; the regency/program rules on names; reading in worker processes; and the flow
end to end (re-runs, duplicates, revisions) on files written by real writers.
"""

from __future__ import annotations

import io
import shutil
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import xlsxwriter
from msoffcrypto.format.ooxml import OOXMLFile

import flows.sources.ingest
from flows.settings import Settings
from flows.sources.ingest import ingest_file, ingest_with, reading_pool
from flows.sources.read import sha256_of
from transforms.ingest.headers import find_header, grid_to_table
from transforms.ingest.sources import attribute_file

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
AS_OF = date(2026, 11, 27)


def grid(rows: list[list[object]]) -> pd.DataFrame:
    width = max(len(r) for r in rows)
    frame = pd.DataFrame([r + [None] * (width - len(r)) for r in rows], dtype=object)
    frame.index = range(1, len(frame) + 1)
    return frame


def cut(rows: list[list[object]]):
    g = grid(rows)
    return grid_to_table(g, find_header(g))


PEOPLE = [
    ["NO", "NIK", "NAMA", "JK", "ALAMAT"],
    [1, "6472015508800003", "Siti", "P", "Jl. Merdeka"],
    [2, "6472011508800004", "Budi", "L", "Jl. Merdeka"],
]


# --------------------------------------------------------------------------- layout


def test_every_canonical_field_has_the_spellings_offices_use():
    labels = [
        "No.", "N.I.K", "No. K.K", "Nama Lengkap", "Tempat Lahir", "Tgl. Lahir", "L / P",
        "Alamat", "RT / RW", "Desa/Kel.", "Kec.", "Pekerjaan", "Penghasilan (Rp)",
        "Desil DTSEN", "Penyandang Disabilitas", "Jml. Tanggungan", "No. HP / WA",
    ]  # fmt: skip
    header = find_header(grid([labels]))
    assert set(header.columns) == {
        "row_no", "nik", "no_kk", "nama", "tempat_lahir", "tanggal_lahir", "jenis_kelamin",
        "alamat", "rt_rw", "desa", "kecamatan", "pekerjaan", "penghasilan", "desil",
        "disabilitas", "jumlah_tanggungan", "no_hp",
    }  # fmt: skip
    assert header.unmatched == []
    one_cell = find_header(grid([["NIK", "NAMA", "TEMPAT LAHIR / TGL LAHIR", "JENKEL"]]))
    assert one_cell.columns == {
        "nik": 0, "nama": 1, "tempat_tanggal_lahir": 2, "jenis_kelamin": 3,
    }  # fmt: skip


def test_header_below_title_rows_with_a_row_of_column_numbers():
    rows = [
        ["REKAPITULASI USULAN"],
        [None],
        *[[f"catatan {i}"] for i in range(12)],
        ["NO", "NIK", "NAMA", "JK", "ALAMAT"],
        ["(1)", "(2)", "(3)", "(4)", "(5)"],
        *PEOPLE[1:],
    ]
    g = grid(rows)
    header = find_header(g)
    assert header.header_rows == [15, 16]
    assert grid_to_table(g, header).rows["row_number"].tolist() == [17, 18]
    assert find_header(g, search_rows=10) is None  # only the first rows are searched


def test_first_data_row_is_never_taken_for_a_second_header_row():
    table = cut(
        [
            ["NIK", "NAMA", "ALAMAT", "DESA", "JK"],
            [None, "Budi", "Jalan Merdeka 1", "Kelurahan Sidodadi", "L"],
            ["6472015508800003", "Siti", "Jalan Merdeka 2", "Kelurahan Sidodadi", "P"],
        ]
    )
    assert table.rows["row_number"].tolist() == [2, 3]


def test_blank_rows_and_rows_with_only_a_running_number_are_skipped():
    table = cut([*PEOPLE, [None, " ", "", None, None], [3], [4], [None, "\xa0"]])
    assert table.rows["row_number"].tolist() == [2, 3]
    assert table.skipped_rows == [4, 5, 6, 7]


def test_signature_block_at_the_right_and_a_date_line_left_for_a_hand():
    table = cut(
        [
            *PEOPLE,
            [None, None, None, None, "Samarinda,          2025"],
            [None, None, None, None, "Kepala Dinas Sosial"],
            [None, None, None, None, None],
            [None, None, None, None, "DRS. NAMA PEJABAT"],
            [None, None, None, None, "NIP. 19700101 199003 1 005"],
        ]
    )
    assert table.rows["row_number"].tolist() == [2, 3]
    assert table.n_skipped == 5 and table.n_footer == 4


def test_footer_markers_never_hide_data_in_the_middle():
    table = cut(
        [
            PEOPLE[0],
            PEOPLE[1],
            ["JUMLAH KECAMATAN PALARAN", 1, None, None, None],  # subtotal: skipped, counted
            [3, None, "Rina", "P", "Jl. Sentosa"],  # no NIK: still a row, reported
            PEOPLE[2],
            ["TOTAL", 2, None, None, None],
            [None, "Mengetahui,"],  # a signature with people after it is not the footer:
            [None, "Kepala Dinas"],  # reported, so the officer sees what was read
            [9, None, "Tono", "L", "Jl. Baru"],  # after the signature: still a row
        ]
    )
    assert table.rows["row_number"].tolist() == [2, 4, 5, 7, 8, 9]
    assert table.skipped_rows == [3, 6]


def test_totals_row_with_numbers_and_a_last_row_without_identity():
    table = cut(
        [
            ["NIK", "NAMA", "PENGHASILAN", "TANGGUNGAN", "DESIL"],
            ["6472015508800003", "Siti", 1500000, 2, 1],
            [None, "Budi tanpa NIK"],  # last person, no NIK: kept and reported
            ["Jumlah", None, 1500000, 2, 1],
            [None, "catatan: data per Mei"],  # after the totals: footer
        ]
    )
    assert table.rows["row_number"].tolist() == [2, 3]
    assert table.skipped_rows == [4, 5]
    assert table.n_footer == 2


# --------------------------------------------------------------------------- regency/program


@pytest.mark.parametrize(
    ("path", "title", "regency", "program"),
    [
        ("Penajam Paser Utara/usulan jkn.xlsx", "", "6409", "kesehatan"),  # not Paser
        ("Kab. Paser/usulan jkn.xlsx", "", "6401", "kesehatan"),
        ("KUTAI-BARAT/BPJS_TK.xlsx", "", "6407", "ketenagakerjaan"),
        ("2025/06/BPU Kukar.xlsx", "", "6402", "ketenagakerjaan"),  # dates are no codes
        ("Kota Bontang/revisi 2/data.xlsx", "USULAN PBI", "6474", "kesehatan"),
        ("x/Usulan JKN-KIS SMR.xlsx", "", "6472", "kesehatan"),
        ("x/data.xlsx", "DAFTAR PEKERJA RENTAN KAB. MAHAKAM ULU", "6411", "ketenagakerjaan"),
        ("Berau/usulan.xlsx", "KOTA BALIKPAPAN BPJS KESEHATAN", "6403", "kesehatan"),
    ],
)
def test_regency_and_program_edge_cases(path, title, regency, program):
    found = attribute_file(path, title)
    assert (found.regency_code, found.program) == (regency, program)


def test_ambiguous_names_are_not_guessed():
    two = attribute_file("x/Samarinda dan Balikpapan jkn.xlsx")
    assert two.regency_code is None and "lebih dari satu" in two.regency_problem
    # The folder decides first: the file name's second regency does not make it ambiguous.
    assert attribute_file("Bontang/Samarinda dan Balikpapan jkn.xlsx").regency_code == "6474"
    both = attribute_file("Samarinda/usulan.xlsx", "BPJS KESEHATAN DAN BPJS KETENAGAKERJAAN")
    assert both.program is None and "lebih dari satu" in both.program_problem


# --------------------------------------------------------------------------- files


def _write_xlsx(path: Path, rows: list[list[object]], sheet: str = "Data") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with xlsxwriter.Workbook(path) as wb:
        ws = wb.add_worksheet(sheet)
        for i, row in enumerate(rows):
            ws.write_row(i, 0, row)
    return path


def _ingest(path: Path, raw: Path, **settings) -> dict[str, object]:
    return ingest_file(path, raw, sha256_of(path), Settings(**settings)).record


def test_libreoffice_workbook_loads_every_sheet_with_a_header(tmp_path):
    raw = tmp_path / "raw"
    path = raw / "Kota Samarinda" / "usulan 2025.xls"
    path.parent.mkdir(parents=True)
    shutil.copy(FIXTURES / "libreoffice.xls", path)
    result = ingest_file(path, raw, sha256_of(path), Settings())
    record = result.record
    assert record["status"] == "loaded" and record["reason_code"] is None
    assert (record["regency_code"], record["program"]) == ("6472", "kesehatan")  # PBI JKN title
    assert (record["n_rows"], record["n_skipped"], record["n_sheets"]) == (6, 8, 2)
    assert "Kode Kecamatan" in record["reason"]  # the lookup sheet, noted
    keys = list(zip(result.rows["sheet"], result.rows["row_number"], strict=True))
    assert keys == [
        ("Palaran", 7), ("Palaran", 8), ("Palaran", 10), ("Palaran", 11),
        ("Sungai Kunjang", 2), ("Sungai Kunjang", 3),
    ]  # fmt: skip
    assert set(result.rows["file_name"]) == {"Kota Samarinda/usulan 2025.xls"}


def _encrypted_xlsx(path: Path) -> Path:
    plain = io.BytesIO()
    with xlsxwriter.Workbook(plain) as wb:
        wb.add_worksheet().write_row(0, 0, PEOPLE[0])
    out = io.BytesIO()
    OOXMLFile(plain).encrypt("rahasia", out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(out.getvalue())
    return path


@pytest.mark.parametrize(
    ("name", "make", "code", "words"),
    [
        ("Samarinda/jkn.xlsx", lambda p: _encrypted_xlsx(p), "FILE_ENCRYPTED", "kata sandi"),
        ("Samarinda/jkn.xlsx", lambda p: p.write_bytes(b""), "FILE_EMPTY", "kosong"),
        ("Samarinda/jkn.xlsx", lambda p: _write_xlsx(p, [PEOPLE[0]]), "FILE_EMPTY", "kosong"),
        (
            "Samarinda/jkn.xlsx",
            lambda p: _write_xlsx(p, [["KODE", "KECAMATAN"], ["01", "Palaran"]]),
            "HEADER_NOT_FOUND",
            "judul kolom",
        ),
        ("data/jkn.xlsx", lambda p: _write_xlsx(p, PEOPLE), "REGENCY_UNKNOWN", "tidak disebut"),
        ("Samarinda/usulan.xlsx", lambda p: _write_xlsx(p, PEOPLE), "PROGRAM_UNKNOWN", "program"),
        (
            "Samarinda/KIS dan BPU.xlsx",
            lambda p: _write_xlsx(p, PEOPLE),
            "PROGRAM_UNKNOWN",
            "lebih dari satu",
        ),
        ("Samarinda/jkn.pdf", lambda p: p.write_bytes(b"%PDF-1.7"), "FILE_UNSUPPORTED", "PDF"),
        (
            "Samarinda/jkn.xlsx",
            lambda p: p.write_bytes(b"PK\x03\x04xx"),
            "FILE_UNREADABLE",
            "rusak",
        ),
    ],
)
def test_rejected_file_gets_a_code_and_an_indonesian_reason(tmp_path, name, make, code, words):
    raw = tmp_path / "raw"
    path = raw / name
    path.parent.mkdir(parents=True, exist_ok=True)
    make(path)
    record = _ingest(path, raw)
    assert (record["status"], record["reason_code"]) == ("rejected", code)
    assert words in record["reason"]


def test_an_unexpected_error_rejects_the_file_and_a_locked_file_raises_for_a_retry(
    tmp_path, monkeypatch
):
    raw = tmp_path / "raw"
    path = _write_xlsx(raw / "Samarinda" / "jkn.xlsx", PEOPLE)

    def broken(*_args, **_kwargs):
        raise RuntimeError("calamine panicked")

    monkeypatch.setattr(flows.sources.ingest, "iter_sheets", broken)
    record = _ingest(path, raw)
    assert record["reason_code"] == "FILE_UNREADABLE" and "calamine panicked" in record["reason"]

    def locked(*_args, **_kwargs):
        raise PermissionError("locked by Excel")

    monkeypatch.setattr(flows.sources.ingest, "iter_sheets", locked)
    with pytest.raises(PermissionError):
        _ingest(path, raw)


def test_reading_in_worker_processes_gives_what_reading_in_process_gives(tmp_path):
    raw = tmp_path / "raw"
    paths = [
        _write_xlsx(raw / "Samarinda" / "jkn.xlsx", PEOPLE),
        _write_xlsx(raw / "Bontang" / "jkn.xlsx", [["JUDUL"], *PEOPLE]),
    ]
    settings = Settings(read_workers=2, parallel_read_min_bytes=0)
    with reading_pool(settings, paths) as pool:
        assert isinstance(pool, ProcessPoolExecutor)
        parallel = [ingest_with(pool, p, raw, "-", settings) for p in paths]
    with reading_pool(Settings(), paths) as pool:
        assert pool is None  # a few kilobytes: not worth starting processes
        inline = [ingest_with(pool, p, raw, "-", settings) for p in paths]
    for a, b in zip(parallel, inline, strict=True):
        assert a.record == b.record
        pd.testing.assert_frame_equal(a.rows, b.rows)


class _BrokenPool(ThreadPoolExecutor):
    """A pool whose workers died."""

    def submit(self, *args, **kwargs):
        raise BrokenProcessPool("a worker was killed")


def test_a_broken_reading_pool_falls_back_to_reading_here(tmp_path):
    raw = tmp_path / "raw"
    path = _write_xlsx(raw / "Samarinda" / "jkn.xlsx", PEOPLE)
    with _BrokenPool() as pool:
        result = ingest_with(pool, path, raw, "-", Settings())
    assert result.record["status"] == "loaded" and result.record["n_rows"] == 2


@pytest.mark.slow
def test_demo_submissions_are_accounted_for_row_by_row(tmp_path):
    from demo.generator import generate_demo_data

    raw = tmp_path / "raw"
    generate_demo_data(300, raw, seed=3, as_of=AS_OF)
    files = pd.read_csv(raw / "_truth" / "files.csv", dtype=str, keep_default_na=False)
    truth = pd.read_csv(raw / "_truth" / "rows.csv", dtype=str, keep_default_na=False)
    got = []
    for expected in files.itertuples():
        result = ingest_file(raw / expected.file_name, raw, "-", Settings())
        record = result.record
        assert record["status"] == "loaded", record
        assert (record["regency_code"], record["program"]) == (
            expected.regency_code,
            expected.program,
        )
        assert (str(record["n_rows"]), str(record["n_skipped"])) == (
            expected.n_rows,
            expected.n_skipped,
        ), expected.file_name
        got.append(result.rows[["file_name", "sheet", "row_number"]])
    read = pd.concat(got).astype(str).sort_values(["file_name", "sheet", "row_number"])
    want = truth[["file_name", "sheet", "row_number"]].sort_values(
        ["file_name", "sheet", "row_number"]
    )
    assert read.to_numpy().tolist() == want.to_numpy().tolist()


# --------------------------------------------------------------------------- end to end

REVISED = [
    ["NO", "NIK", "NAMA", "TGL LAHIR", "JK", "NO KK"],
    [1, "6472011508800004", "Budi Santoso", "15-08-1980", "L", "6472010101200001"],
    [2, "6472054107900003", "Wati", "01-07-1990", "P", "6472050101100001"],
]


def _raw_dir(raw: Path) -> None:
    """Good files in every format next to every kind of bad one."""
    samarinda = raw / "Kota Samarinda"
    samarinda.mkdir(parents=True)
    shutil.copy(FIXTURES / "libreoffice.xls", samarinda / "Usulan PBI Samarinda.xls")
    shutil.copy(FIXTURES / "libreoffice.xls", samarinda / "Usulan PBI Samarinda (1).xls")
    (raw / "Kutai Barat").mkdir()
    (raw / "Kutai Barat" / "export BPU.xls").write_text(
        "<html><body><h3>DATA USULAN BPJS KETENAGAKERJAAN</h3><table>"
        "<tr><th>No</th><th>NIK</th><th>Nama</th><th>Tgl Lahir</th><th>JK</th><th>No KK</th></tr>"
        "<tr><td>1</td><td>6407015508800003</td><td>Siti Rahma</td><td>15-08-1980</td>"
        "<td>P</td><td>6407010101200001</td></tr></table></body></html>",
        encoding="utf-8",
    )
    (raw / "Balikpapan").mkdir()
    (raw / "Balikpapan" / "usulan jkn.csv").write_bytes(
        "NO;NIK;NAMA;TGL LAHIR;JK;NO KK\r\n1;6471015508800003;Andr\u00e9;15-08-1980;L;"
        "6471010101200001\r\n".encode("cp1252")
    )
    _encrypted_xlsx(raw / "Bontang" / "usulan kis.xlsx")
    (raw / "Bontang" / "kosong jkn.xlsx").write_bytes(b"")
    _write_xlsx(raw / "Berau" / "kode kecamatan jkn.xlsx", [["KODE", "KECAMATAN"], ["01", "X"]])
    # Three byte-identical files: the name decides regency and program, so each is read.
    unnamed = _write_xlsx(
        raw / "Paser" / "usulan.xlsx", [PEOPLE[0], [1, "6401015508800003", "Sari", "P", "-"]]
    )
    (raw / "lain").mkdir()
    shutil.copy(unnamed, raw / "lain" / "data jkn.xlsx")
    shutil.copy(unnamed, samarinda / "salinan jkn.xlsx")
    (raw / "PPU").mkdir()
    (raw / "PPU" / "surat jkn.pdf").write_bytes(b"%PDF-1.7")
    (raw / "KUKAR").mkdir()
    (raw / "KUKAR" / "rusak bpjs tk.xlsx").write_bytes(b"PK\x03\x04 broken")


def _query(db: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).df()


@pytest.mark.slow
def test_pipeline_accounts_for_every_file_reruns_and_revisions(prefect_harness, tmp_path):
    from flows.pipeline import pipeline

    raw, db = tmp_path / "raw", tmp_path / "w" / "tepat.duckdb"
    _raw_dir(raw)

    def run():
        return pipeline(
            raw_dir=raw, reference_dir=tmp_path / "ref", db=db, export_dir=tmp_path / "out",
            as_of=AS_OF,
        )  # fmt: skip

    run()
    files = _query(db, "SELECT * FROM source_files ORDER BY file_name").set_index("file_name")
    assert files["status"].to_dict() == {
        "Balikpapan/usulan jkn.csv": "loaded",
        "Berau/kode kecamatan jkn.xlsx": "rejected",
        "Bontang/kosong jkn.xlsx": "rejected",
        "Bontang/usulan kis.xlsx": "rejected",
        "KUKAR/rusak bpjs tk.xlsx": "rejected",
        "Kota Samarinda/Usulan PBI Samarinda (1).xls": "duplicate",
        "Kota Samarinda/Usulan PBI Samarinda.xls": "loaded",
        "Kota Samarinda/salinan jkn.xlsx": "loaded",
        "Kutai Barat/export BPU.xls": "loaded",
        "PPU/surat jkn.pdf": "rejected",
        "Paser/usulan.xlsx": "rejected",
        "lain/data jkn.xlsx": "rejected",
    }
    assert files["reason_code"].dropna().to_dict() == {
        "Berau/kode kecamatan jkn.xlsx": "HEADER_NOT_FOUND",
        "Bontang/kosong jkn.xlsx": "FILE_EMPTY",
        "Bontang/usulan kis.xlsx": "FILE_ENCRYPTED",
        "KUKAR/rusak bpjs tk.xlsx": "FILE_UNREADABLE",
        "Kota Samarinda/Usulan PBI Samarinda (1).xls": "DUPLICATE_FILE",
        "PPU/surat jkn.pdf": "FILE_UNSUPPORTED",
        "Paser/usulan.xlsx": "PROGRAM_UNKNOWN",
        "lain/data jkn.xlsx": "REGENCY_UNKNOWN",
    }
    assert files.loc[files["status"].ne("loaded"), "reason"].str.len().gt(20).all()
    samarinda = files.loc["Kota Samarinda/Usulan PBI Samarinda.xls"]
    assert (samarinda["n_rows"], samarinda["n_skipped"]) == (6, 8)
    assert (samarinda["regency_code"], samarinda["program"]) == ("6472", "kesehatan")
    rows = _query(
        db, "SELECT file_name, sheet, row_number, status, nik, person_id FROM submission_rows"
    )
    assert len(rows) == 9
    csv_row = rows.loc[rows["file_name"].eq("Balikpapan/usulan jkn.csv")].iloc[0]
    assert (csv_row["sheet"], csv_row["row_number"], csv_row["nik"]) == ("", 2, "6471015508800003")
    html_row = rows.loc[rows["file_name"].eq("Kutai Barat/export BPU.xls")].iloc[0]
    assert (html_row["sheet"], html_row["row_number"]) == ("export BPU", 3)  # h3 title: row 1

    # The same raw dir again: nothing is loaded twice.
    run()
    assert _query(db, "SELECT count(*) AS n FROM submission_rows")["n"].item() == 9
    again = _query(db, "SELECT file_name, run_id FROM source_files").set_index("file_name")
    assert again["run_id"].nunique() == 1
    assert _query(db, "SELECT count(*) AS n FROM runs")["n"].item() == 2

    # A revision under a new name is a new submission whose rows meet the earlier ones.
    _write_xlsx(raw / "Kota Samarinda" / "Usulan PBI Samarinda revisi 2.xlsx", REVISED)
    run()
    rows = _query(db, "SELECT file_name, nik, person_id, status FROM submission_rows")
    assert len(rows) == 11
    budi = rows.loc[rows["nik"].eq("6472011508800004")]
    assert len(budi) == 2 and budi["person_id"].nunique() == 1
    assert set(budi["file_name"]) == {
        "Kota Samarinda/Usulan PBI Samarinda.xls",
        "Kota Samarinda/Usulan PBI Samarinda revisi 2.xlsx",
    }
