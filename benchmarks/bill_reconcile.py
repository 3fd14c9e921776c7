"""Time reading and reconciling one large BPJS bill (issue 17): `--lines` bill lines (csv, `;`)
against a generated warehouse of `--persons` persons, in DuckDB SQL (run by hand, never in CI).

    .venv/bin/python benchmarks/bill_reconcile.py --lines 1000000 --persons 1000000

The warehouse is built directly in DuckDB (persons with NIK variants, decisions, verified lists
with a quota, BPJS results); the bill bills verified persons, persons outside quota, not
eligible, rejected by BPJS, unknown NIKs and persons twice (also under a variant NIK). Prints
seconds for reading the file (flows/sources/bpjs.py) and for the reconciliation
(flows/outputs/billing.py), and the findings per kind against the planted ones.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from flows.settings import Settings
from flows.sources.bpjs import read_bpjs_file
from flows.warehouse.billing import reconcile_bills
from flows.warehouse.store import _insert, connect


def _niks(rng: np.random.Generator, n: int, start: int) -> np.ndarray:
    serial = np.arange(start, start + n)
    return np.char.add("6472", np.char.zfill((serial % 10**12).astype(str), 12)).astype(object)


def build(con: duckdb.DuckDBPyConnection, persons: int, rng: np.random.Generator) -> pd.DataFrame:
    """A warehouse of `persons` persons; returns the persons with their planted status."""
    nik = _niks(rng, persons, 1)
    variant = _niks(rng, persons, 10**11)
    has_variant = rng.random(persons) < 0.02
    kind = rng.choice(["ok", "quota", "not_eligible", "rejected"], size=persons,
                      p=[0.85, 0.05, 0.05, 0.05])  # fmt: skip
    frame = pd.DataFrame({"person_id": np.arange(1, persons + 1), "nik": nik,
                          "nik_variants": np.where(has_variant, variant, None),
                          "regency_code": rng.choice(["6401", "6472", "6471"], size=persons),
                          "kind": kind})  # fmt: skip
    _insert(con, "persons", frame)
    decisions = frame.assign(program="kesehatan", eligible=frame["kind"] != "not_eligible",
                             reason_code=np.where(frame["kind"] == "not_eligible",
                                                  "ALREADY_ENROLLED", None))  # fmt: skip
    _insert(con, "candidate_decisions", decisions)
    verified = decisions.loc[decisions["eligible"]].assign(
        within_quota=lambda v: v["kind"] != "quota", rank=1, score=1.0
    )
    _insert(con, "verified_candidates", verified)
    rejected = frame.loc[frame["kind"] == "rejected"]
    _insert(
        con,
        "bpjs_results",
        rejected.assign(
            file_name="hasil.xlsx",
            sheet="Hasil",
            row_number=np.arange(len(rejected)) + 2,
            program="kesehatan",
            outcome="rejected",
            reason_code="DUKCAPIL_MISMATCH",
            run_id="r0",
        ),
    )
    con.execute("INSERT INTO programs (program, premium_monthly) VALUES ('kesehatan', 42000)")
    return frame


def bill(path: Path, frame: pd.DataFrame, lines: int, rng: np.random.Generator) -> pd.Series:
    """A bill csv of `lines` lines; returns the planted finding per line."""
    n_unknown, n_twice = lines // 50, lines // 100
    base = frame.sample(n=lines - n_unknown - n_twice, random_state=1, replace=lines > len(frame))
    base = base.drop_duplicates("person_id")
    base = frame.loc[frame["person_id"].isin(base["person_id"])]
    twice = base.sample(n=min(n_twice, len(base)), random_state=2)
    twice_nik = np.where(twice["nik_variants"].notna(), twice["nik_variants"], twice["nik"])
    unknown = _niks(rng, lines - len(base) - len(twice), 5 * 10**11)
    expected = {"ok": "", "quota": "OUTSIDE_QUOTA", "not_eligible": "NOT_ELIGIBLE",
                "rejected": "REJECTED_BY_BPJS"}  # fmt: skip
    out = pd.DataFrame({
        "NIK": np.concatenate([base["nik"].to_numpy(), twice_nik, unknown]),
        "NAMA PESERTA": "PESERTA",
        "KELAS": "III",
        "IURAN": 42000,
        "PERIODE": "Oktober 2026",
    })  # fmt: skip
    out.to_csv(path, sep=";", index=False)
    return pd.Series(np.concatenate([base["kind"].map(expected).to_numpy(),
                                     np.full(len(twice), "BILLED_TWICE"),
                                     np.full(len(unknown), "NOT_VERIFIED")]))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--persons", type=int, default=1_000_000)
    args = parser.parse_args()
    rng = np.random.default_rng(17)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = folder / "tepat.duckdb"
        with connect(db) as con:
            frame = build(con, args.persons, rng)
        path = folder / "bpjs" / "tagihan_iuran_pbpu_pemda_oktober_2026.csv"
        path.parent.mkdir()
        expected = bill(path, frame, args.lines, rng)
        settings = Settings(bpjs_dir=path.parent, max_rows_per_sheet=2_000_000)
        t0 = time.perf_counter()
        record, lines = read_bpjs_file(path, path.name, settings)
        t1 = time.perf_counter()
        with connect(db) as con:
            con.execute("BEGIN")
            reconcile_bills(con, lines, "r1")
            con.execute("COMMIT")
            t2 = time.perf_counter()
            found = con.execute(
                "SELECT b.row_number, coalesce(f.finding, '') FROM bpjs_bill_lines b "
                "LEFT JOIN billing_findings f USING (file_name, sheet, row_number) ORDER BY 1"
            ).df()
        got = found.iloc[:, 1].to_numpy()
        want = expected.to_numpy()
        tp = int(((got == want) & (want != "")).sum())
        fp = int(((got != "") & (got != want)).sum())
        fn = int(((want != "") & (got != want)).sum())
        print(f"{record['n_rows']:,} lines ({record['status']}); read {t1 - t0:.1f} s, "
              f"reconcile {t2 - t1:.1f} s, total {t2 - t0:.1f} s")  # fmt: skip
        print(f"findings: precision {tp / max(tp + fp, 1):.4f}, recall {tp / max(tp + fn, 1):.4f}")
        print(pd.Series(got).value_counts().to_string())


if __name__ == "__main__":
    main()
