"""Deduplication measured against the generator's ground truth, and the officers' review loop
through the flow (match_candidates, `tepat review pairs`, `decide-pair`, the next run)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from benchmarks.dedup_quality import (
    ROW_KEYS,
    canonical_rows,
    measure,
    read_truth,
    run_dedup,
    usable,
)
from transforms.link.dedup import probable_persons

AS_OF = date(2026, 11, 27)


@pytest.mark.slow
def test_generated_workload_is_deduplicated_without_merging_different_people(tmp_path):
    from demo.generator import generate_demo_data

    raw = tmp_path / "raw"
    generate_demo_data(4000, raw, seed=11, as_of=AS_OF, workers=1)
    truth_rows, truth_persons = read_truth(raw)
    # the ground truth holds every hard case at a realistic rate (0.1% to 2% of rows)
    rates = truth_rows["hard_case"].value_counts(normalize=True)
    for case in ("nik_typo", "nik_swap", "nik_missing_dup", "twin", "father_son"):
        assert 0.001 <= rates.get(case, 0) <= 0.02, case
    assert rates.get("same_name_other_regency", 0) > 0

    canonical = canonical_rows(raw, AS_OF)
    result, _, _ = run_dedup(usable(canonical))
    rejected = canonical.loc[canonical["status"].eq("rejected")]
    probable = rejected[ROW_KEYS].assign(
        probable_person_id=probable_persons(rejected, result.rows).to_numpy()
    )
    quality = measure(result.rows, truth_rows, truth_persons, result.match_candidates, probable)
    assert quality.precision >= 0.995, quality.text()
    assert quality.recall >= 0.98, quality.text()
    assert quality.household_merged == 0 and quality.other_regency_merged == 0, quality.text()
    assert min(quality.hard_recall.values()) >= 0.9, quality.text()
    assert quality.probable_wrong == 0, quality.text()
    assert quality.probable_found >= 0.9 * quality.probable_expected, quality.text()


HEADER = "NO;NIK;NO KK;NAMA;TGL LAHIR;JK;KECAMATAN;PEKERJAAN"
SITI, SITI_TYPO = "6472015508800003", "6472015508800008"
ROWS = [
    # Siti, and Siti again with a mistyped NIK (a later row: her golden NIK is the typo'd one)
    f"{SITI};6472010101200001;Siti Aminah;15-08-1980;P;Palaran;Petani",
    # twins: one KK, one birth date, NIK serials one apart, different names
    "6472011203100001;6472010101200002;Dewi Lestari;12-03-2010;P;Palaran;Pelajar",
    "6472011203100002;6472010101200002;Rina Wati;12-03-2010;P;Palaran;Pelajar",
    # Budi, and a row with a NIK typo and a shortened name: not sure, for review
    "6472011508800004;6472010101200003;Budi Santoso;15-08-1980;L;Palaran;Nelayan",
    "6472011508800094;6472010101200003;Budi Santos;15-08-1980;L;Palaran;Nelayan",
    f"{SITI_TYPO};6472010101200001;SITI AMINAH;15-08-1980;P;Palaran;Petani",
]


def _write_inputs(raw: Path, reference: Path) -> None:
    folder = raw / "Kota Samarinda"
    folder.mkdir(parents=True)
    lines = [HEADER] + [f"{i};{row}" for i, row in enumerate(ROWS, start=1)]
    (folder / "usulan jkn.csv").write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    reference.mkdir()
    (reference / "peserta jkn.csv").write_text(
        f"NIK;SEGMEN;STATUS\r\n{SITI};PBI APBN;AKTIF\r\n", encoding="utf-8"
    )


def _query(db: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).df()


def _ids(db: Path) -> dict[str, int]:
    rows = _query(db, "SELECT nik, person_id FROM submission_rows")
    return dict(zip(rows["nik"], rows["person_id"], strict=True))


@pytest.mark.slow
def test_review_decisions_flow_into_the_next_runs(prefect_harness, tmp_path):
    from flows.cli import app
    from flows.pipeline import pipeline

    raw, reference, db = tmp_path / "raw", tmp_path / "ref", tmp_path / "w" / "tepat.duckdb"
    _write_inputs(raw, reference)

    def run():
        return pipeline(
            raw_dir=raw, reference_dir=reference, db=db, export_dir=tmp_path / "out", as_of=AS_OF
        )

    run()
    ids = _ids(db)
    assert ids[SITI] == ids[SITI_TYPO]  # the typo'd NIK is Siti
    assert ids["6472011203100001"] != ids["6472011203100002"]  # twins stay two people
    budi, budi_typo = ids["6472011508800004"], ids["6472011508800094"]
    assert budi != budi_typo
    persons = _query(db, "SELECT person_id, nik, nik_variants FROM persons").set_index("person_id")
    assert set(persons.loc[ids[SITI], ["nik", "nik_variants"]]) == {SITI, SITI_TYPO}
    # Siti is on the reference list under her true NIK, whichever NIK is her golden one
    decision = _query(
        db, f"SELECT reason_code FROM candidate_decisions WHERE person_id = {ids[SITI]}"
    )
    assert decision["reason_code"].tolist() == ["ALREADY_ENROLLED"]
    lineage = _query(db, f"SELECT * FROM person_rows WHERE person_id = {ids[SITI]}")
    assert sorted(lineage["row_number"]) == [2, 7]

    cli = CliRunner()
    listed = cli.invoke(app, ["review", "pairs", "--db", str(db)])
    assert listed.exit_code == 0, listed.output
    assert "Budi Santos" in listed.output and "Siti" not in listed.output
    decided = cli.invoke(
        app,
        ["review", "decide-pair", str(budi_typo), str(budi), "--decision", "merge",
         "--officer", "Rina (Dinsos)", "--db", str(db)],
    )  # fmt: skip
    assert decided.exit_code == 0, decided.output
    # an officer splits the automatic merge, naming each side by its own first id
    merged = cli.invoke(app, ["review", "pairs", "--status", "merged", "--db", str(db)])
    own = _query(db, "SELECT person_key, first_person_id FROM person_registry")
    own = dict(zip(own["person_key"], own["first_person_id"], strict=True))
    assert f"{own['N:' + SITI]} & {own['N:' + SITI_TYPO]}" in merged.output
    cli.invoke(
        app,
        ["review", "decide-pair", str(own["N:" + SITI]), str(own["N:" + SITI_TYPO]),
         "--decision", "distinct", "--officer", "Rina (Dinsos)", "--db", str(db)],
    )  # fmt: skip
    bad = cli.invoke(
        app, ["review", "decide-pair", "1", "999", "--decision", "merge", "--officer", "Rina",
              "--db", str(db)],
    )  # fmt: skip
    assert bad.exit_code == 1 and "tidak ada pasangan" in bad.output

    # no new files: the decisions alone make the next run recompute
    run()
    ids = _ids(db)
    assert ids["6472011508800004"] == ids["6472011508800094"] == min(budi, budi_typo)
    assert ids[SITI] != ids[SITI_TYPO]
    pairs = _query(db, "SELECT status, decided_by FROM match_candidates ORDER BY status")
    assert pairs.to_dict("list") == {
        "status": ["distinct", "merged"],
        "decided_by": ["Rina (Dinsos)", "Rina (Dinsos)"],
    }
    # decisions hold when new files arrive
    (raw / "Kota Samarinda" / "usulan jkn revisi.csv").write_text(
        HEADER + "\r\n1;" + ROWS[-1] + "\r\n", encoding="utf-8"
    )
    run()
    assert _ids(db)[SITI] != _ids(db)[SITI_TYPO]
    assert len(_query(db, "SELECT * FROM pair_reviews")) == 2


def test_pair_decisions_are_recorded_with_who_and_when(tmp_path):
    from flows.review.pairs import PairReviewError, decide_pair, list_pairs, pairs_text
    from flows.warehouse.store import connect
    from transforms.link.dedup import deduplicate

    frame = pd.DataFrame(
        {
            "file_name": ["a.xlsx", "b.xlsx"], "sheet": "", "row_number": 2, "status": "accepted",
            "nik": ["6472015508800003", "6472015508800008"], "no_kk": "6472010101200001",
            "nama": ["Siti Aminah", "Siti Amina"], "nama_key": ["SITI AMINAH", "SITI AMINA"],
            "tanggal_lahir": pd.to_datetime(["1980-08-15"] * 2), "jenis_kelamin": "P",
            "kecamatan": "Palaran", "regency_code": "6472", "program": "kesehatan",
            "order_key": [1, 2],
        }
    )  # fmt: skip
    result = deduplicate(frame, pd.DataFrame({"person_key": [], "person_id": []}))
    db = tmp_path / "w.duckdb"
    with pytest.raises(PairReviewError, match="belum ada"):
        list_pairs(db)
    with connect(db) as con:
        for table, rows in (
            ("match_candidates", result.match_candidates),
            ("person_registry", result.registry_changes),
        ):
            con.register("_rows", rows)
            columns = ", ".join(rows.columns)
            con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM _rows")
            con.unregister("_rows")
    listed = list_pairs(db)
    assert listed[["person_id_a", "person_id_b", "status"]].values.tolist() == [[1, 2, "open"]]
    assert "SITI AMINA" in pairs_text(listed).upper()
    for decision, officer, message in (("maybe", "Rina", "keputusan"), ("merge", " ", "petugas")):
        with pytest.raises(PairReviewError, match=message):
            decide_pair(db, 1, 2, decision, officer)
    recorded = decide_pair(db, 2, 1, "distinct", "Rina", decided_at=pd.Timestamp("2026-11-02"))
    assert recorded[["person_key_a", "person_key_b", "decision"]].values.tolist() == [
        ["N:6472015508800003", "N:6472015508800008", "distinct"]
    ]
    assert list_pairs(db).empty
    decided = list_pairs(db, status="distinct").iloc[0]
    assert (decided["decided_by"], decided["decided_at"]) == ("Rina", pd.Timestamp("2026-11-02"))
    reviews = _query(db, "SELECT officer, decided_at, decision FROM pair_reviews")
    assert reviews.values.tolist() == [["Rina", pd.Timestamp("2026-11-02"), "distinct"]]
