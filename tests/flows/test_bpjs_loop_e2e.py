"""The BPJS loop end to end: a generated sample with BPJS results and a bill, two runs of the flow."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from demo.generator import generate_demo_data
from flows.pipeline import pipeline

AS_OF = date(2026, 11, 27)
ROOT = Path(__file__).resolve().parents[2]
KEYS = ["file_name", "sheet", "row_number"]


def _run(root: Path, **options):
    return pipeline(raw_dir=root / "raw", reference_dir=root / "ref", db=root / "tepat.duckdb",
                    export_dir=root / "exports", bpjs_dir=root / "bpjs", as_of=AS_OF, **options)  # fmt: skip


def _query(root: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(root / "tepat.duckdb"), read_only=True) as con:
        return con.execute(sql).df()


@pytest.fixture(scope="module")
def loop(tmp_path_factory, prefect_harness):
    root = tmp_path_factory.mktemp("bpjs_loop")
    generate_demo_data(rows=400, out_dir=root / "raw", seed=5, reference_dir=root / "ref",
                       bpjs_dir=root / "bpjs", as_of=AS_OF)  # fmt: skip
    _run(root)
    truth = {name: pd.read_csv(root / "bpjs" / "_truth" / f"{name}.csv", dtype=str,
                               keep_default_na=False) for name in ("results", "bill")}  # fmt: skip
    return root, truth


@pytest.mark.slow
def test_every_result_row_kept_with_its_outcome_and_reason(loop):
    root, truth = loop
    results = _query(root, "SELECT * FROM bpjs_results").astype({"row_number": str})
    merged = truth["results"].merge(results, on=KEYS, how="left", validate="one_to_one")
    assert len(results) == len(truth["results"])
    assert (merged["outcome"] == merged["expected_outcome"]).all()
    assert (merged["reason_code"].fillna("") == merged["expected_reason_code"]).all()
    nobody = merged["true_person"].eq("")
    assert merged.loc[nobody, "person_id"].isna().all() and nobody.any()
    assert merged.loc[~nobody, "person_id"].notna().all()


@pytest.mark.slow
def test_results_change_decisions_status_and_lists(loop):
    root, truth = loop
    expected = truth["results"].loc[truth["results"]["true_person"].ne("")]
    decisions = _query(root, "SELECT d.reason_code, r.outcome FROM bpjs_results r JOIN "
                       "candidate_decisions d USING (program, person_id)")  # fmt: skip
    covered = decisions.loc[decisions["outcome"].eq("already_covered")]
    assert len(covered) and covered["reason_code"].eq("ALREADY_ENROLLED").all()
    status = _query(root, "SELECT v.bpjs_status, r.outcome, v.nik FROM verified_candidates v "
                    "JOIN bpjs_results r USING (program, person_id)")  # fmt: skip
    assert (status.loc[status["outcome"].eq("registered"), "bpjs_status"] == "registered").all()
    rejected = status.loc[status["outcome"].eq("rejected")]
    assert len(rejected) and (rejected["bpjs_status"] == "rejected").all()
    # not sent again: in no list for BPJS (full lists and tambah)
    sent = pd.concat(pd.read_csv(p, dtype=str) for p in (root / "exports" / "bpjs" / "kesehatan").rglob("*.csv")
                     if not p.name.startswith(("ringkasan", "kurang")))  # fmt: skip
    assert not set(rejected["nik"]) & set(sent["NIK"])
    assert expected["expected_outcome"].eq("rejected").any()


@pytest.mark.slow
def test_bill_findings_precision_recall_and_summary(loop):
    root, truth = loop
    found = _query(root, "SELECT * FROM billing_findings").astype({"row_number": str})
    merged = truth["bill"].merge(found, on=KEYS, how="left")
    got, want = merged["finding"].fillna(""), merged["expected_finding"]
    tp = int(((got == want) & want.ne("")).sum())
    assert tp / max(int(got.ne("").sum()), 1) >= 0.99 and tp / int(want.ne("").sum()) >= 0.99
    assert set(want) - {""} == {"BILLED_TWICE", "REJECTED_BY_BPJS", "NOT_ELIGIBLE", "NOT_VERIFIED"}
    summary = _query(root, "SELECT sum(n_lines) AS n, sum(amount_with_findings) AS rp, "
                     "sum(n_lines_with_findings) AS nf FROM v_billing_summary")  # fmt: skip
    assert summary["n"].item() == len(truth["bill"]) and summary["nf"].item() == len(found)
    assert summary["rp"].item() == found["amount"].sum()
    report = (root / "exports" / "laporan" / "laporan_terbaru.html").read_text(encoding="utf-8")
    assert "Tagihan iuran BPJS" in report and "Baris dengan temuan" in report


@pytest.mark.slow
def test_second_run_sends_only_changes_and_keeps_batches(loop, tmp_path):
    root, truth = loop
    first = _query(root, "SELECT * FROM bpjs_batches ORDER BY program")
    members = _query(root, "SELECT * FROM bpjs_batch_members")
    kes = first.set_index("program").loc["kesehatan"]
    assert 0 < kes["n_tambah"] < kes["n_full"]  # the ones BPJS registered already are not tambah
    registered = _query(root, "SELECT count(*) AS n FROM bpjs_batch_members m JOIN bpjs_results r "
                        "USING (program, person_id) WHERE r.outcome = 'registered'")  # fmt: skip
    assert registered["n"].item() == 0  # registered at BPJS already: never a tambah
    # Run 2: a smaller quota, so some persons sent before now fall outside it
    rules = (
        (ROOT / "schemas" / "programs.toml")
        .read_text(encoding="utf-8")
        .replace("[programs.kesehatan]\n", "[programs.kesehatan]\nquota_per_regency = 3\n")
    )
    programs = tmp_path / "programs.toml"
    programs.write_text(rules, encoding="utf-8")
    _run(root, programs_file=programs)
    batches = _query(root, "SELECT * FROM bpjs_batches ORDER BY run_id, program")
    assert len(batches) == 4
    pd.testing.assert_frame_equal(
        batches.iloc[:2].reset_index(drop=True), first.reset_index(drop=True), check_like=True
    )  # the first run's batches are never rewritten
    second = batches.iloc[2:]
    kurang = _query(root, f"SELECT * FROM bpjs_batch_members WHERE run_id = '{second['run_id'].iloc[0]}'"
                    " AND action = 'kurang'")  # fmt: skip
    assert len(kurang) and set(kurang["reason_code"]) <= {"OUTSIDE_QUOTA", "ALREADY_ENROLLED"}
    assert second.loc[second["program"].eq("kesehatan"), "n_tambah"].item() == 0
    assert len(_query(root, "SELECT * FROM bpjs_batch_members")) == len(members) + len(kurang)
    files = list((root / "exports" / "bpjs" / "kesehatan" / "perubahan").glob("kurang_*.csv"))
    assert len(files) == 2 and any(len(pd.read_csv(f, dtype=str)) == len(kurang) for f in files)
