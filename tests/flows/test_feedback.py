"""Feedback workbooks read back with openpyxl: rows in order, statuses, reasons, colours, summary."""

from __future__ import annotations

import hashlib
import stat
import time
from datetime import date

import openpyxl
import pandas as pd
import pytest

from flows.outputs.feedback import CELL_FILL, ROW_FILL, feedback_path, sources_of, write_feedback
from flows.outputs.files import content_digest
from schemas.rows import failing_checks, issues_from_checks, row_status
from tests.conftest import store_frames
from transforms.validate.normalise import canonicalise

AS_OF = date(2026, 11, 27)


def _rows() -> pd.DataFrame:
    good = {"no_kk": "6472010101200001", "nama": "Siti Aminah", "tanggal_lahir": "15-08-1980",
            "jenis_kelamin": "P", "pekerjaan": "Petani"}  # fmt: skip
    rows = [
        ("Palaran", 7, {"nik": "6472015508800003"}),  # clean
        ("Palaran", 5, {"nik": "64720155088"}),  # NIK_FORMAT: rejected
        ("Palaran", 9, {"nik": "6472015508800011", "no_kk": "6402010101200001"}),  # KK_REGION
        ("Palaran", 10, {"nik": "6472015508800029", "pekerjaan": "Serabutan"}),  # a note
        (
            "Sambutan",
            4,
            {"nik": "6472015508800037", "nama": '=HYPERLINK("x")'},
        ),  # formula-like text
    ]
    frame = pd.DataFrame(
        [
            {"file_name": "smd/usulan kesehatan.xlsx", "sheet": sheet, "row_number": number,
             "regency_code": "6472", "program": "kesehatan", **{**good, **cells}}
            for sheet, number, cells in rows
        ]
    )  # fmt: skip
    return frame


@pytest.fixture
def written(tmp_path):
    canonical = canonicalise(_rows(), AS_OF)
    issues = issues_from_checks(canonical, failing_checks(canonical))
    canonical["status"] = row_status(canonical, issues)
    records, pending = write_feedback(
        tmp_path, sources_of(canonical), canonical, issues, AS_OF, "run-1"
    )
    for file in pending:
        file.commit()
    return tmp_path, records, canonical, issues


def test_one_workbook_per_file_recorded_for_exports(written):
    root, records, canonical, _ = written
    assert len(records) == 1
    record = records.iloc[0]
    path = root / "umpan_balik" / "6472_samarinda" / record["path"].rsplit("/", 1)[-1]
    assert record["path"] == feedback_path(root, sources_of(canonical)[0]).as_posix()
    assert path.exists() and not list(path.parent.glob(".*.tmp"))
    assert record["kind"] == "umpan_balik" and record["program"] == "kesehatan"
    assert record["regency_code"] == "6472" and record["n_rows"] == 5
    assert record["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_rows_in_their_order_with_status_reasons_and_colours(written):
    root, records, _, _ = written
    workbook = openpyxl.load_workbook(records.iloc[0]["path"])
    assert workbook.sheetnames == ["Ringkasan", "Palaran", "Sambutan"]
    sheet = workbook["Palaran"]
    header = [c.value for c in sheet[1]]
    assert header[:11] == ["Baris", "Status", "Kode hasil", "Hasil", "Kode", "Alasan", "NIK",
                           "No KK", "Nama", "Tanggal Lahir", "Jenis Kelamin"]  # fmt: skip
    at = {title: i for i, title in enumerate(header)}
    assert "Pekerjaan" in header  # a finding blames it in this file
    rows = list(sheet.iter_rows(min_row=2))
    assert [r[0].value for r in rows] == [5, 7, 9, 10]  # the regency's row numbers, in order
    assert [r[1].value for r in rows] == ["Ditolak", "Diterima", "Ditinjau", "Diterima"]
    rejected, clean, review, noted = rows
    assert rejected[at["Kode"]].value == "NIK_FORMAT"
    assert rejected[at["Alasan"]].value.startswith("NIK harus 16 digit angka; tertulis 64720155088")
    assert rejected[at["NIK"]].value == "64720155088"  # the cell as written
    assert rejected[at["Kode hasil"]].value == "DITOLAK"
    assert review[at["Kode hasil"]].value == "MENUNGGU_TINJAUAN"
    fill = lambda cell: cell.fill.fgColor.rgb[-6:]  # noqa: E731
    assert fill(rejected[0]) == ROW_FILL["rejected"][1:]  # the row is highlighted
    nik = rejected[at["NIK"]]
    assert fill(nik) == CELL_FILL[2][1:] and nik.font.b  # the offending cell
    assert fill(review[0]) == ROW_FILL["review"][1:]
    assert fill(review[at["No KK"]]) == CELL_FILL[1][1:]
    occupation = at["Pekerjaan"]
    assert fill(noted[occupation]) == CELL_FILL[0][1:] and noted[occupation].value == "Serabutan"
    assert clean[at["Kode"]].value is None and clean[0].fill.fgColor.rgb in (None, "00000000")


def test_workbooks_print_landscape_fit_to_width_with_the_header_repeated(written):
    root, records, _, _ = written
    workbook = openpyxl.load_workbook(records.iloc[0]["path"])
    for sheet in workbook.worksheets:
        assert sheet.page_setup.orientation == "landscape"
        setup = sheet.page_setup  # 1 is the default, which the file may leave unwritten
        assert sheet.sheet_properties.pageSetUpPr.fitToPage and setup.fitToWidth in (None, 1)
    summary, data = workbook["Ringkasan"], workbook["Palaran"]
    assert summary.page_setup.fitToHeight in (None, 1)  # the summary on one page
    assert data.page_setup.fitToHeight == 0 and data.print_title_rows in ("1:1", "$1:$1")


def test_formula_like_text_stays_text(written):
    root, records, _, _ = written
    sheet = openpyxl.load_workbook(records.iloc[0]["path"])["Sambutan"]
    header = [c.value for c in sheet[1]]
    name = sheet.cell(row=2, column=header.index("Nama") + 1)
    assert name.value == '=HYPERLINK("x")' and name.data_type == "s"


def test_summary_counts_per_status_and_reason(written):
    root, records, _, _ = written
    summary = openpyxl.load_workbook(records.iloc[0]["path"])["Ringkasan"]
    values = [[c.value for c in row] for row in summary.iter_rows()]
    flat = {row[0]: row[1:] for row in values if row and row[0] is not None}
    assert flat["Berkas"][0] == "smd/usulan kesehatan.xlsx"
    # the formula-like "name" is NAME_INVALID (rejected) besides being shown as text
    assert flat["Diterima"][0] == 2 and flat["Ditinjau"][0] == 1 and flat["Ditolak"][0] == 2
    assert flat["NAME_INVALID"][0] == "Ditolak"
    assert flat["NIK_FORMAT"][:3] == ["Ditolak", "NIK bukan 16 digit angka", 1]
    assert flat["KK_REGION"][0] == "Ditinjau" and flat["OCCUPATION_UNKNOWN"][0] == "Catatan"


def test_same_input_same_content_and_a_discarded_write_leaves_nothing(tmp_path):
    canonical = canonicalise(_rows(), AS_OF)
    issues = issues_from_checks(canonical, failing_checks(canonical))
    canonical["status"] = row_status(canonical, issues)
    digests = []
    for run in ("a", "b"):
        records, pending = write_feedback(
            tmp_path / run, sources_of(canonical), canonical, issues, AS_OF, run
        )
        assert records.iloc[0]["sha256"] == hashlib.sha256(pending[0].temp.read_bytes()).hexdigest()
        digests.append(content_digest(pending[0].temp))
        for file in pending:
            file.discard()
        assert not list((tmp_path / run).rglob("*.xlsx*"))
        time.sleep(1.1)  # the creation-time stamp (seconds) differs; nothing else may
    assert digests[0] == digests[1]


def test_earlier_files_are_rewritten_only_when_a_status_changed(tmp_path):
    from flows.outputs.feedback import feedback_inputs

    canonical = canonicalise(_rows(), AS_OF)
    issues = issues_from_checks(canonical, failing_checks(canonical))
    canonical["status"] = row_status(canonical, issues)
    db = store_frames(tmp_path / "w.duckdb", {"submission_rows": canonical, "row_issues": issues})
    nothing_new = canonical.iloc[0:0]
    keys = {"file_name": ["smd/usulan kesehatan.xlsx"], "sheet": ["Palaran"], "row_number": [9]}
    same_status = pd.DataFrame({**keys, "status": ["review"], "person_id": [7]})
    rows, _ = feedback_inputs(db, nothing_new, issues.iloc[0:0], same_status, replaced=[])
    assert rows.empty  # only the person id moved: nothing to tell the regency
    decided = pd.DataFrame({**keys, "status": ["accepted"], "person_id": [7]})
    rows, found = feedback_inputs(db, nothing_new, issues.iloc[0:0], decided, replaced=[])
    assert len(rows) == 5 and rows.set_index("row_number").loc[9, "status"] == "accepted"
    assert rows["kk_raw"].notna().all()  # the cells as written come from the warehouse
    assert set(found["code"]) >= {"NIK_FORMAT", "KK_REGION"}


def test_summary_counts_outcomes_and_lists_skipped_sheets(tmp_path):
    from flows.outputs.feedback import SourceFile
    from transforms.publish.outcomes import row_outcomes

    raw = _rows()
    raw.loc[4, "nama"] = "Budi Santoso"  # a valid name: this row's person is decided, not rejected
    canonical = canonicalise(raw, AS_OF)
    issues = issues_from_checks(canonical, failing_checks(canonical))
    canonical["status"] = row_status(canonical, issues)
    canonical["person_id"] = [1, None, 2, 1, 3]  # row 10 is the person of row 7 again
    decisions = pd.DataFrame({"program": "kesehatan", "person_id": [1, 2, 3], "eligible": [True, False, False],
                              "reason_code": [None, "PENDING_REVIEW", "OCCUPATION_EXCLUDED"]})  # fmt: skip
    verified = pd.DataFrame({"program": ["kesehatan"], "person_id": [1], "rank": [1],
                             "within_quota": [True]})  # fmt: skip
    outcomes = row_outcomes(canonical, decisions, verified)
    source = SourceFile(
        "smd/usulan kesehatan.xlsx", "6472", "kesehatan",
        ("lembar 'REKAP' dilewati: judul kolom (NIK, NAMA, ...) tidak ditemukan",
         "lembar tersembunyi 'Lama' dilewati"),
    )  # fmt: skip
    records, pending = write_feedback(
        tmp_path, [source], canonical, issues, AS_OF, "run-1", outcomes=outcomes
    )
    assert records.iloc[0]["source_file"] == "smd/usulan kesehatan.xlsx"
    assert records.iloc[0]["kind"] == "umpan_balik"
    with pending[0].temp.open("rb") as handle:
        summary = openpyxl.load_workbook(handle)["Ringkasan"]
    flat = {row[0]: row[1:] for row in summary.iter_rows(values_only=True) if row[0]}
    assert flat["DIUSULKAN"][0] == 1 and flat["DUPLIKAT"][0] == 1 and flat["DITOLAK"][0] == 1
    assert flat["OCCUPATION_EXCLUDED"][0] == 1 and flat["MENUNGGU_TINJAUAN"][0] == 1
    assert "Pekerjaan tidak termasuk sasaran program" in flat["OCCUPATION_EXCLUDED"][1]
    assert flat["REKAP"][0].startswith("lembar 'REKAP' dilewati")
    assert flat["Lama"][0] == "lembar tersembunyi 'Lama' dilewati"
    pending[0].discard()


def test_cells_made_block_by_block_give_the_same_workbook(tmp_path, monkeypatch):
    canonical = canonicalise(_rows(), AS_OF)
    issues = issues_from_checks(canonical, failing_checks(canonical))
    canonical["status"] = row_status(canonical, issues)
    digests = []
    for run, block in (("whole", 10_000), ("blocks", 1)):  # one row a block: every boundary
        monkeypatch.setattr("flows.outputs.writing.BLOCK_ROWS", block)
        _, pending = write_feedback(
            tmp_path / run, sources_of(canonical), canonical, issues, AS_OF, run
        )
        digests.append(content_digest(pending[0].temp))
    assert digests[0] == digests[1]
