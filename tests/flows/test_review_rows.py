"""Row review: decisions applied by content, recorded with who/why/when, honoured by later runs."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from flows.review.rows import (
    ReviewError,
    decide_row,
    empty_decisions,
    list_review_rows,
    open_review_rows,
    read_row_decisions,
    record_row_decision,
)
from flows.warehouse.store import connect
from schemas.rows import failing_checks, issues_from_checks, row_status
from tests.conftest import store_frames
from transforms.validate.decisions import apply_row_decisions, decide_stored_rows
from transforms.validate.normalise import canonicalise

AS_OF = date(2026, 11, 27)
WHEN = datetime(2026, 11, 20, 9, 30)


def _canonical(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    base = {
        "file_name": ["a.csv"] * n, "sheet": [""] * n, "row_number": list(range(2, n + 2)),
        "regency_code": ["6472"] * n, "program": ["kesehatan"] * n,
        "nik": ["6472015508800003"] * n, "no_kk": ["6472010101200001"] * n,
        "nama": ["Siti Aminah"] * n, "tanggal_lahir": ["15-08-1980"] * n, "jenis_kelamin": ["P"] * n,
    }  # fmt: skip
    base.update(columns)
    canonical = canonicalise(pd.DataFrame(base), AS_OF)
    issues = issues_from_checks(canonical, failing_checks(canonical))
    canonical["status"] = row_status(canonical, issues)
    return canonical


def _decisions(rows: pd.DataFrame, verdicts: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "row_hash": rows["row_hash"].to_numpy(), "regency_code": rows["regency_code"].to_numpy(),
            "file_name": rows["file_name"].to_numpy(), "sheet": rows["sheet"].to_numpy(),
            "row_number": rows["row_number"].to_numpy(), "decision": verdicts,
            "officer": "Rina", "note": "dicek dengan KTP", "codes": "", "decided_at": WHEN,
        }
    )  # fmt: skip


def test_accept_releases_a_held_row_and_reject_rejects_it():
    rows = _canonical(no_kk=["6402010101200001", "6402010101200002", "6472010101200001"])
    assert rows["status"].tolist() == ["review", "review", "accepted"]
    status, issues = apply_row_decisions(rows, _decisions(rows, ["accept", "reject", "reject"]))
    assert status.tolist() == ["accepted", "rejected", "rejected"]
    assert issues["code"].tolist() == ["REVIEW_ACCEPTED", "REVIEW_REJECTED", "REVIEW_REJECTED"]
    assert issues["severity"].tolist() == ["warning", "error", "error"]
    assert issues["message"].iloc[0].startswith("Baris ini ditinjau dan diterima oleh petugas")
    assert "Rina, 20-11-2026" in issues["message"].iloc[1]
    assert "dicek dengan KTP" in issues["message"].iloc[1]
    # accepting a row that validation accepts (a NIK conflict, held later) notes it only
    status, issues = apply_row_decisions(rows.iloc[2:], _decisions(rows.iloc[2:], ["accept"]))
    assert status.tolist() == ["accepted"] and issues["code"].tolist() == ["REVIEW_ACCEPTED"]


def test_a_decision_never_lifts_an_error_and_never_touches_other_content():
    held = _canonical(no_kk=["6402010101200001"])
    decisions = _decisions(held, ["accept"])
    broken = _canonical(no_kk=["6402010101200001"], nama=["A"])  # NAME_INVALID and KK_REGION
    assert apply_row_decisions(broken, decisions)[0].tolist() == ["rejected"]
    corrected = _canonical(no_kk=["6402010101200009"])  # a resubmission with another KK
    status, issues = apply_row_decisions(corrected, decisions)
    assert status.tolist() == ["review"] and issues.empty
    elsewhere = _canonical(no_kk=["6402010101200001"], regency_code=["6471"])
    assert apply_row_decisions(elsewhere, decisions)[0].tolist() == ["review"]


def test_stored_rows_get_status_updates_once():
    rows = _canonical(no_kk=["6402010101200001", "6402010101200002", "6472010101200001"])
    rows["person_id"] = [1, 2, 3]
    decisions = _decisions(rows.iloc[:2], ["accept", "reject"])
    kept, updates, issues = decide_stored_rows(rows, decisions, replaced=[])
    assert kept["row_number"].tolist() == [2, 4] and kept["status"].tolist() == [
        "accepted",
        "accepted",
    ]
    assert updates[["row_number", "status"]].values.tolist() == [[2, "accepted"], [3, "rejected"]]
    assert updates["person_id"].tolist() == [1, pd.NA]
    assert issues["code"].tolist() == ["REVIEW_ACCEPTED", "REVIEW_REJECTED"]
    # the next run reads the applied statuses: nothing changes, no second note
    again, updates, issues = decide_stored_rows(kept, decisions, replaced=[])
    assert updates.empty and issues.empty and again["status"].tolist() == ["accepted", "accepted"]
    # rows of a file replaced in this run are validated afresh instead
    _, updates, _ = decide_stored_rows(rows, decisions, replaced=["a.csv"])
    assert updates.empty


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    """A warehouse holding one review row (KK from another regency) and one accepted row."""
    rows = _canonical(no_kk=["6402010101200001", "6472010101200001"])
    issues = issues_from_checks(rows, failing_checks(rows))
    return store_frames(tmp_path / "w.duckdb", {"submission_rows": rows, "row_issues": issues})


def test_listing_shows_the_evidence(warehouse):
    listed = list_review_rows(warehouse)
    assert listed[["file_name", "sheet", "row_number", "codes"]].values.tolist() == [
        ["a.csv", "", 2, "KK_REGION"]
    ]
    assert "6402 (Kabupaten Kutai Kartanegara)" in listed["evidence"].iloc[0]
    assert listed["no_kk"].iloc[0] == "6402010101200001"


def test_decisions_are_recorded_with_who_why_and_when(warehouse):
    with connect(warehouse) as con:
        recorded = record_row_decision(con, "a.csv", "", 2, "accept", " Rina ", "pindah", WHEN)
        assert recorded["codes"] == "KK_REGION" and recorded["officer"] == "Rina"
        stored = read_row_decisions(con)
        assert stored[["row_number", "decision", "officer", "note"]].values.tolist() == [
            [2, "accept", "Rina", "pindah"]
        ]
        assert open_review_rows(con).empty  # decided: waits for the next run
        assert open_review_rows(con, include_decided=True)["decision"].tolist() == ["accept"]
        for args, reason in (
            (("a.csv", "", 99, "accept", "Rina", "x"), "tidak ditemukan"),
            (("a.csv", "", 3, "accept", "Rina", "x"), "bukan menunggu tinjauan"),
            (("a.csv", "", 2, "maybe", "Rina", "x"), "accept atau reject"),
            (("a.csv", "", 2, "reject", "", "x"), "petugas"),
            (("a.csv", "", 2, "reject", "Rina", " "), "Catatan"),
        ):
            with pytest.raises(ReviewError, match=reason):
                record_row_decision(con, *args)
    later = decide_row(warehouse, "a.csv", "", 2, "REJECT", "Budi", "salah orang")
    with connect(warehouse) as con:
        assert read_row_decisions(con)["decision"].tolist() == ["reject"]  # the latest wins
    assert later["officer"] == "Budi"


def test_no_warehouse_is_a_clear_error(tmp_path):
    with pytest.raises(ReviewError, match="belum ada"):
        list_review_rows(tmp_path / "none.duckdb")
    assert empty_decisions().empty


# --- end to end through the flow --------------------------------------------------------------

HEADER = "NIK;NO KK;NAMA;TGL LAHIR;JENIS KELAMIN;PEKERJAAN\n"


def _write(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + "".join(line + "\n" for line in lines), encoding="utf-8")


@pytest.mark.slow
def test_decisions_take_effect_on_the_next_run_and_feedback_follows(prefect_harness, tmp_path):
    from flows.cli import app
    from flows.pipeline import pipeline

    raw = tmp_path / "raw"
    first = raw / "Samarinda" / "usulan kesehatan samarinda.csv"
    _write(first, [
        "6472015508800003;6472010101200001;Siti Aminah;15-08-1980;P;Petani",
        "6472011203750005;6402010101200002;Budi Santoso;12-03-1975;L;Nelayan",  # KK_REGION
        "6472014107900007;6472010101200003;Rina Wati;02-07-1990;P;Pedagang",  # NIK_DOB_MISMATCH
        "6472015508800003;6472010101200004;Andi Pratama;01-01-2001;L;Sopir",  # NIK_CONFLICT
    ])  # fmt: skip
    db, exports = tmp_path / "w.duckdb", tmp_path / "exports"

    def run():
        return pipeline(raw_dir=raw, reference_dir=tmp_path / "ref", db=db, export_dir=exports,
                        as_of=AS_OF)  # fmt: skip

    def statuses():
        with duckdb.connect(str(db), read_only=True) as con:
            return dict(con.execute(
                "SELECT file_name || ':' || row_number, status FROM submission_rows").fetchall())  # fmt: skip

    run()
    smd = "Samarinda/usulan kesehatan samarinda.csv"
    assert statuses() == {f"{smd}:2": "accepted", f"{smd}:3": "review", f"{smd}:4": "review",
                          f"{smd}:5": "review"}  # fmt: skip

    cli = CliRunner()
    listed = cli.invoke(app, ["review", "rows", "--db", str(db)])
    assert listed.exit_code == 0, listed.output
    assert "KK_REGION" in listed.output and "NIK_DOB_MISMATCH" in listed.output
    assert "NIK yang sama juga dipakai: Siti Aminah" in listed.output  # the conflict's evidence
    for file_name, row, verdict in ((smd, 3, "accept"), (smd, 4, "reject"), (smd, 5, "accept")):
        decided = cli.invoke(app, ["review", "decide-row", file_name, "", str(row), "--decision",
                                   verdict, "--officer", "Rina", "--note", "dicek", "--db", str(db)])  # fmt: skip
        assert decided.exit_code == 0, decided.output

    run()  # no file changed: the decisions alone make this run recompute
    assert statuses() == {f"{smd}:2": "accepted", f"{smd}:3": "accepted", f"{smd}:4": "rejected",
                          f"{smd}:5": "accepted"}  # fmt: skip
    with duckdb.connect(str(db), read_only=True) as con:
        notes = con.execute(
            "SELECT file_name, row_number, code FROM row_issues WHERE code LIKE 'REVIEW_%' "
            "ORDER BY 1, 2").fetchall()  # fmt: skip
        verified = {r[0] for r in con.execute("SELECT nik FROM verified_candidates").fetchall()}
        feedback = con.execute(
            "SELECT run_id, path, n_rows FROM exports WHERE kind = 'umpan_balik' ORDER BY run_id, path"
        ).fetchall()  # fmt: skip
    assert notes == [
        (smd, 3, "REVIEW_ACCEPTED"),
        (smd, 4, "REVIEW_REJECTED"),
        (smd, 5, "REVIEW_ACCEPTED"),
    ]
    assert "6472011203750005" in verified and "6472014107900007" not in verified
    assert len(feedback) == 2  # the file's workbook on the first run, rewritten on the second
    sheet = openpyxl.load_workbook(feedback[-1][1])["Data"]
    assert [c.value for c in sheet["B"]][1:] == ["Diterima", "Diterima", "Ditolak", "Diterima"]
    reasons = [c.value for c in sheet[1]].index("Alasan") + 1
    assert "ditolak oleh petugas provinsi (Rina" in sheet.cell(row=4, column=reasons).value

    run()  # nothing new: no second note
    with duckdb.connect(str(db), read_only=True) as con:
        assert (
            con.execute("SELECT count(*) FROM row_issues WHERE code LIKE 'REVIEW_%'").fetchone()[0]
            == 3
        )

    # a corrected resubmission is validated afresh; the old decision does not apply to it
    _write(first, [
        "6472015508800003;6472010101200001;Siti Aminah;15-08-1980;P;Petani",
        "6472011203750005;6402010101200002;Budi Santoso;12-03-1975;L;Nelayan",
        "6472014107900007;6472010101200003;Rina Wati;03-07-1990;P;Pedagang",  # still differs
        "6472015508800003;6472010101200004;Andi Pratama;01-01-2001;L;Sopir",
    ])  # fmt: skip
    run()
    after = statuses()
    assert after[f"{smd}:3"] == after[f"{smd}:5"] == "accepted"  # same content: applies again
    assert after[f"{smd}:4"] == "review"  # new content: waits for a new decision
    with duckdb.connect(str(db), read_only=True) as con:
        notes = con.execute(
            "SELECT row_number, code FROM row_issues WHERE code LIKE 'REVIEW_%' ORDER BY 1"
        ).fetchall()
    assert notes == [(3, "REVIEW_ACCEPTED"), (5, "REVIEW_ACCEPTED")]
