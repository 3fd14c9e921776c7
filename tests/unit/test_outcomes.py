"""The outcome of every row (`Kode hasil`, `Hasil`): the pure function, then end to end against the warehouse."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest

from transforms.publish.outcomes import OUTCOME_COLUMNS, row_outcomes

AS_OF = date(2026, 11, 27)
KEYS = ["file_name", "sheet", "row_number"]
ROOT = Path(__file__).resolve().parents[2]


def _rows() -> pd.DataFrame:
    return pd.DataFrame(
        [
            # file, sheet, row, status, person, order
            ("a.xlsx", "Palaran", 2, "accepted", 1, 1),  # proposed
            ("a.xlsx", "Palaran", 3, "accepted", 2, 2),  # outside quota
            ("a.xlsx", "Palaran", 4, "accepted", 3, 3),  # not eligible
            ("a.xlsx", "Palaran", 5, "review", 4, 4),  # row held
            ("a.xlsx", "Palaran", 6, "rejected", None, 5),  # row rejected
            ("b.csv", "", 2, "accepted", 1, 6),  # the same person as a.xlsx row 2
            ("b.csv", "", 3, "accepted", 5, 7),  # rejected by BPJS
            ("b.csv", "", 4, "accepted", 6, 8),  # person held (no accepted row... decided so)
        ],
        columns=[*KEYS, "status", "person_id", "order_key"],
    ).assign(program="kesehatan")


DECISIONS = pd.DataFrame(
    {
        "program": "kesehatan",
        "person_id": [1, 2, 3, 4, 5, 6],
        "eligible": [True, True, False, False, True, False],
        "reason_code": [
            None,
            None,
            "OCCUPATION_EXCLUDED",
            "PENDING_REVIEW",
            None,
            "PENDING_REVIEW",
        ],
    }
)
VERIFIED = pd.DataFrame(
    {"program": "kesehatan", "person_id": [1, 2, 5], "rank": [1, 7, 2],
     "within_quota": [True, False, True]}
)  # fmt: skip
BPJS = pd.DataFrame(
    {"program": ["kesehatan"], "person_id": [5], "reason_code": ["DUKCAPIL_MISMATCH"],
     "bpjs_text": ["NIK TIDAK DITEMUKAN DI DUKCAPIL"]}
)  # fmt: skip


def test_every_kind_of_outcome_from_decisions_lists_and_bpjs():
    out = row_outcomes(_rows(), DECISIONS, VERIFIED, BPJS)
    assert list(out.columns) == OUTCOME_COLUMNS and len(out) == 8
    assert out["kode_hasil"].tolist() == [
        "DIUSULKAN", "DI_LUAR_KUOTA", "OCCUPATION_EXCLUDED", "MENUNGGU_TINJAUAN", "DITOLAK",
        "DUPLIKAT", "DITOLAK_BPJS", "MENUNGGU_TINJAUAN",
    ]  # fmt: skip
    hasil = out["hasil"].tolist()
    assert "peringkat 1" in hasil[0] and "peringkat 7" in hasil[1] and "kuota" in hasil[1]
    assert "pekerjaan tidak termasuk sasaran program" in hasil[2]
    assert hasil[5] == (
        "Orang yang sama dengan baris 2 lembar 'Palaran' berkas a.xlsx; hasilnya tercantum "
        "pada baris itu."
    )
    assert "NIK TIDAK DITEMUKAN DI DUKCAPIL" in hasil[6]
    assert out["hasil"].notna().all()


def test_the_outcome_goes_to_the_first_row_and_a_csv_is_named_without_a_sheet():
    rows = _rows().assign(order_key=lambda f: -f["order_key"])  # b.csv first now
    out = row_outcomes(rows, DECISIONS, VERIFIED).set_index(KEYS)
    assert out.loc[("b.csv", "", 2), "kode_hasil"] == "DIUSULKAN"
    assert out.loc[("a.xlsx", "Palaran", 2), "kode_hasil"] == "DUPLIKAT"
    assert out.loc[("a.xlsx", "Palaran", 2), "hasil"].startswith(
        "Orang yang sama dengan baris 2 berkas b.csv;"
    )
    # without BPJS's answers the person BPJS rejected is simply proposed
    assert out.loc[("b.csv", "", 3), "kode_hasil"] == "DIUSULKAN"


def test_a_person_in_two_programs_has_an_outcome_in_each():
    rows = pd.concat(
        [
            _rows().iloc[[0]],
            _rows().iloc[[0]].assign(file_name="tk.xlsx", program="ketenagakerjaan"),
        ]
    )
    decisions = pd.concat(
        [
            DECISIONS,
            DECISIONS.assign(
                program="ketenagakerjaan", eligible=False, reason_code="AGE_OUT_OF_RANGE"
            ),
        ]
    )
    out = row_outcomes(rows, decisions, VERIFIED)
    assert out["kode_hasil"].tolist() == ["DIUSULKAN", "AGE_OUT_OF_RANGE"]


def test_no_rows_no_outcomes():
    assert row_outcomes(_rows().iloc[0:0], DECISIONS, VERIFIED).empty


# ----------------------------------------------------------------------------- end to end

EXPECTED = """
WITH carriers AS (
    SELECT file_name, sheet, row_number, row_number() OVER (
        PARTITION BY person_id, program ORDER BY order_key, file_name, sheet, row_number) AS k
    FROM submission_rows WHERE status = 'accepted' AND person_id IS NOT NULL
)
SELECT s.file_name, s.sheet, s.row_number,
    CASE
        WHEN s.status = 'rejected' THEN 'DITOLAK'
        WHEN s.status = 'review' THEN 'MENUNGGU_TINJAUAN'
        WHEN c.k > 1 THEN 'DUPLIKAT'
        WHEN d.eligible AND b.person_id IS NOT NULL THEN 'DITOLAK_BPJS'
        WHEN d.eligible AND v.within_quota THEN 'DIUSULKAN'
        WHEN d.eligible AND NOT v.within_quota THEN 'DI_LUAR_KUOTA'
        WHEN d.reason_code = 'PENDING_REVIEW' OR d.person_id IS NULL THEN 'MENUNGGU_TINJAUAN'
        ELSE d.reason_code
    END AS expected
FROM submission_rows s
LEFT JOIN carriers c USING (file_name, sheet, row_number)
LEFT JOIN candidate_decisions d ON d.person_id = s.person_id AND d.program = s.program
LEFT JOIN verified_candidates v ON v.person_id = s.person_id AND v.program = s.program
LEFT JOIN (SELECT DISTINCT program, person_id FROM bpjs_results WHERE outcome = 'rejected') b
    ON b.person_id = s.person_id AND b.program = s.program
"""
BPJS_RESULTS = """
CREATE TABLE IF NOT EXISTS bpjs_results (
    file_name VARCHAR, sheet VARCHAR, row_number INTEGER, program VARCHAR, nik VARCHAR,
    person_id BIGINT, outcome VARCHAR, reason_code VARCHAR, bpjs_text VARCHAR,
    card_number VARCHAR, run_id VARCHAR
)
"""


def feedback_outcomes(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """(file_name, sheet, row_number, kode_hasil, hasil) of every data row of every feedback
    workbook of the last run, read back from the files."""
    exports = con.execute(
        "SELECT path, source_file FROM exports WHERE kind = 'umpan_balik' "
        "AND run_id = (SELECT max(run_id) FROM exports)"
    ).fetchall()
    found = []
    for path, source in exports:
        sheets = con.execute(
            "SELECT DISTINCT sheet FROM submission_rows WHERE file_name = ?", [source]
        ).fetchall()
        by_title = {(s or "Data")[:31]: s for (s,) in sheets}
        workbook = openpyxl.load_workbook(path, read_only=True)
        for ws in workbook.worksheets[1:]:
            rows = ws.iter_rows(values_only=True)
            header = list(next(rows))
            at = {title: header.index(title) for title in ("Baris", "Kode hasil", "Hasil")}
            for row in rows:
                found.append(
                    (source, by_title[ws.title], row[at["Baris"]], row[at["Kode hasil"]],
                     row[at["Hasil"]])
                )  # fmt: skip
        workbook.close()
    return pd.DataFrame(found, columns=[*KEYS, "kode_hasil", "hasil"])


@pytest.mark.slow
def test_feedback_tells_every_row_the_warehouse_decision(tmp_path, prefect_harness, monkeypatch):
    from demo.generator import generate_demo_data
    from flows.pipeline import pipeline

    rules = tmp_path / "programs.toml"
    shipped = (ROOT / "schemas" / "programs.toml").read_text(encoding="utf-8")
    rules.write_text(  # a small quota: some eligible persons fall outside it
        shipped.replace("[programs.kesehatan]\n", "[programs.kesehatan]\nquota_per_regency = 3\n"),
        encoding="utf-8",
    )
    generate_demo_data(rows=400, out_dir=tmp_path / "raw", seed=5, reference_dir=tmp_path / "ref",
                       as_of=AS_OF)  # fmt: skip
    db = tmp_path / "tepat.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(BPJS_RESULTS)  # what another stage fills from BPJS's answers; empty now
    run = dict(raw_dir=tmp_path / "raw", reference_dir=tmp_path / "ref", db=db,
               export_dir=tmp_path / "exports", as_of=AS_OF, programs_file=rules)  # fmt: skip
    pipeline(**run)

    with duckdb.connect(str(db), read_only=True) as con:
        expected = con.execute(EXPECTED).df()
        written = feedback_outcomes(con)
        records = con.execute(
            "SELECT source_file, path FROM exports WHERE kind = 'umpan_balik'"
        ).fetchall()
        loaded = {n for (n,) in con.execute(
            "SELECT file_name FROM source_files WHERE status = 'loaded'").fetchall()}  # fmt: skip
    # every row of every loaded file is in its workbook, with the warehouse's decision
    assert {name for name, _ in records} == loaded
    merged = expected.merge(written, on=KEYS, how="outer", indicator=True)
    assert (merged["_merge"] == "both").all(), merged.loc[merged["_merge"] != "both"].head()
    wrong = merged.loc[merged["kode_hasil"] != merged["expected"]]
    assert wrong.empty, wrong.head(10)
    assert merged["hasil"].notna().all()
    kinds = set(written["kode_hasil"])
    plain = {"DIUSULKAN", "DI_LUAR_KUOTA", "DUPLIKAT", "MENUNGGU_TINJAUAN", "DITOLAK"}
    assert plain <= kinds
    assert kinds - plain, "no row of a person decided not eligible"

    # BPJS rejects one proposed person; the next run tells the regency so, and rewrites only
    # the workbook whose rows' outcome changed.
    with duckdb.connect(str(db)) as con:
        person, program = con.execute(
            "SELECT person_id, program FROM verified_candidates WHERE within_quota "
            "ORDER BY person_id LIMIT 1"
        ).fetchone()
        con.execute(
            "INSERT INTO bpjs_results (program, nik, person_id, outcome, reason_code, bpjs_text) "
            "SELECT ?, nik, person_id, 'rejected', 'DUKCAPIL_MISMATCH', 'NIK TIDAK DITEMUKAN' "
            "FROM persons WHERE person_id = ?",
            [program, person],
        )
        (carrier,) = con.execute(
            "SELECT file_name FROM submission_rows WHERE person_id = ? AND program = ? "
            "AND status = 'accepted' ORDER BY order_key, file_name, sheet, row_number LIMIT 1",
            [person, program],
        ).fetchone()
    before = {name: Path(path).stat().st_mtime_ns for name, path in records}
    # the rejection was planted in the warehouse, not read from a BPJS file the run's inputs
    # fingerprint would see: only a whole recompute takes it into account
    monkeypatch.setenv("TEPAT_INCREMENTAL", "false")
    some = sorted((tmp_path / "raw").rglob("*.xlsx"))[0]
    shutil.copy(some, some.with_name("salinan " + some.name))  # something new: the run recomputes
    pipeline(**run)

    with duckdb.connect(str(db), read_only=True) as con:
        expected = con.execute(EXPECTED).df()
        stored = con.execute(
            "SELECT file_name, sheet, row_number, kode_hasil, hasil FROM row_outcomes"
        ).df()
        again = con.execute(
            "SELECT source_file FROM exports WHERE kind = 'umpan_balik' "
            "AND run_id = (SELECT max(run_id) FROM exports)"
        ).fetchall()
        written = feedback_outcomes(con)
    merged = expected.merge(stored, on=KEYS, how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert (merged["kode_hasil"] == merged["expected"]).all()
    assert [name for (name,) in again] == [carrier]
    shown = written.merge(stored, on=KEYS, suffixes=("", "_stored"))
    assert len(shown) == len(written) > 0
    assert (shown["kode_hasil"] == shown["kode_hasil_stored"]).all()
    assert (shown["hasil"] == shown["hasil_stored"]).all()
    assert "DITOLAK_BPJS" in set(shown["kode_hasil"])
    for name, mtime in before.items():
        if name != carrier:
            assert Path(dict(records)[name]).stat().st_mtime_ns == mtime, name


def test_a_run_that_decided_nothing_tells_each_row_its_status():
    rows = pd.DataFrame(
        {"file_name": ["a.xlsx"], "sheet": ["S"], "row_number": [3], "status": ["rejected"],
         "person_id": [pd.NA], "program": ["kesehatan"]}
    )  # fmt: skip
    out = row_outcomes(rows, pd.DataFrame(), pd.DataFrame())
    assert out["kode_hasil"].tolist() == ["DITOLAK"]
