"""How well deduplication finds persons, measured against the generator's ground truth (run by hand).

    /work/venv/bin/python benchmarks/dedup_quality.py [--rows 100000] [--dir /tmp/tepat_dedup_bench]
        [--seed 7] [--scale 1000000]

Generates the demo workload once (unless `--dir` already holds it), reads every file through the
ingest stage's own functions (`ingest_file`, `canonicalise`, the pandera row checks), then runs
`transforms.link.dedup.deduplicate` on the accepted and review rows, as the flow's deduplicate task
does, without Prefect or the warehouse. Reports, over the rows that got a `person_id`:

- pairwise precision, recall and F1 of the predicted person clusters against `true_person`
  (a pair of rows is positive when both rows are in the same cluster);
- household members merged (true persons sharing a KK in one predicted cluster: twins, father
  and son) and same-name persons of other regencies merged: both must be zero;
- recall per hard case (NIK typo, swapped digits), the open review pairs, and how many rejected
  rows without a NIK got the right `probable_person_id`;
- the deduplication stage's time; with `--scale N` also on N rows synthesised by replicating
  the canonical rows with fresh, perturbed identities (generating N rows of spreadsheets is slow).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flows.settings import Settings  # noqa: E402
from flows.sources.ingest import ingest_file  # noqa: E402
from flows.sources.read import list_submissions  # noqa: E402
from schemas.codes import ROW_KEYS
from schemas.rows import failing_checks, issues_from_checks, row_status  # noqa: E402
from transforms.link.dedup import deduplicate, probable_persons  # noqa: E402
from transforms.validate.normalise import canonicalise  # noqa: E402

AS_OF = date(2026, 11, 27)
HOUSEHOLD_CASES = ("twin", "father_son")


def canonical_rows(raw_dir: Path, as_of: date = AS_OF) -> pd.DataFrame:
    """Every data row of every submission under `raw_dir`, canonical and with its status."""
    settings = Settings(raw_dir=raw_dir)
    frames = []
    for path in list_submissions(raw_dir):
        ingested = ingest_file(path, raw_dir, "-", settings)
        if not ingested.rows.empty:
            frames.append(ingested.rows)
    raw = pd.concat(frames, ignore_index=True)
    canonical = canonicalise(raw, as_of)
    issues = issues_from_checks(canonical, failing_checks(canonical))
    canonical["status"] = row_status(canonical, issues)
    codes = issues.groupby(ROW_KEYS)["code"].agg(";".join).rename("codes").reset_index()
    canonical = canonical.merge(codes, on=ROW_KEYS, how="left")
    canonical = canonical.sort_values(ROW_KEYS, kind="stable", ignore_index=True)
    canonical["order_key"] = np.arange(1, len(canonical) + 1, dtype="int64")
    return canonical


def usable(canonical: pd.DataFrame) -> pd.DataFrame:
    """The rows the flow hands to `deduplicate`: accepted and review."""
    return canonical.loc[canonical["status"].isin(["accepted", "review"])].reset_index(drop=True)


def read_truth(raw_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The generator's ground truth: one row per data row, one per person."""
    truth_dir = raw_dir / "_truth"
    rows = pd.read_csv(truth_dir / "rows.csv", dtype=str, keep_default_na=False)
    rows["row_number"] = rows["row_number"].astype("int64")
    persons = pd.read_csv(truth_dir / "persons.csv", dtype=str, keep_default_na=False)
    return rows, persons


def _pairs(sizes: pd.Series) -> int:
    n = sizes.to_numpy(dtype=np.int64)
    return int((n * (n - 1) // 2).sum())


@dataclass
class Quality:
    """Pairwise quality of predicted person clusters against the true persons."""

    rows: int
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    household_merged: int
    other_regency_merged: int
    hard_recall: dict[str, float]
    open_review_pairs: int
    open_review_true: int
    probable_found: int
    probable_wrong: int
    probable_expected: int

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def text(self) -> str:
        hard = ", ".join(f"{k} {v:.3f}" for k, v in sorted(self.hard_recall.items()))
        return (
            f"rows with a person_id: {self.rows}\n"
            f"pairs: true {self.true_pairs}, predicted {self.predicted_pairs}, "
            f"correct {self.correct_pairs}\n"
            f"precision {self.precision:.4f}  recall {self.recall:.4f}  F1 {self.f1:.4f}\n"
            f"household members merged: {self.household_merged}; "
            f"same-name persons of other regencies merged: {self.other_regency_merged}\n"
            f"recall of hard cases (rows linked to their person's other rows): {hard}\n"
            f"open review pairs: {self.open_review_pairs} "
            f"({self.open_review_true} of them one true person)\n"
            f"rejected rows without NIK whose person has other rows: {self.probable_expected}, "
            f"given their probable_person_id: {self.probable_found}; "
            f"rejected rows given a wrong probable_person_id: {self.probable_wrong}"
        )


def measure(
    linked: pd.DataFrame,
    truth_rows: pd.DataFrame,
    truth_persons: pd.DataFrame,
    candidates: pd.DataFrame | None = None,
    probable: pd.DataFrame | None = None,
) -> Quality:
    """Compare `linked` (rows with `person_id`) with the ground truth, pair by pair."""
    rows = linked[[*ROW_KEYS, "person_id"]].merge(
        truth_rows[[*ROW_KEYS, "true_person", "hard_case"]], on=ROW_KEYS, how="inner"
    )
    true_pairs = _pairs(rows.groupby("true_person").size())
    predicted_pairs = _pairs(rows.groupby("person_id").size())
    correct_pairs = _pairs(rows.groupby(["person_id", "true_person"]).size())

    # true persons merged into one predicted person: were they household members (same KK)?
    kk = truth_persons.set_index("true_person")["no_kk"]
    merged = rows[["person_id", "true_person"]].drop_duplicates()
    merged = merged.loc[merged.duplicated("person_id", keep=False)]
    pairs = merged.merge(merged, on="person_id")
    pairs = pairs.loc[pairs["true_person_x"] < pairs["true_person_y"]]
    same_kk = pairs["true_person_x"].map(kk).eq(pairs["true_person_y"].map(kk))
    special = rows.drop_duplicates("true_person").set_index("true_person")["hard_case"]
    other_regency = pairs["true_person_x"].map(special).eq("same_name_other_regency") & pairs[
        "true_person_y"
    ].map(special).eq("same_name_other_regency")

    # hard cases: is the row in the predicted person of its true person's other rows?
    plain = rows.loc[rows["hard_case"].isin(["", *HOUSEHOLD_CASES, "same_name_other_regency"])]
    votes = plain.groupby(["true_person", "person_id"]).size().rename("n").reset_index()
    votes = votes.sort_values(["true_person", "n", "person_id"], ascending=[True, False, True])
    main_id = votes.drop_duplicates("true_person").set_index("true_person")["person_id"]
    hard_recall = {}
    for case in ("nik_typo", "nik_swap"):
        hard = rows.loc[rows["hard_case"].eq(case)]
        expected = hard["true_person"].map(main_id)
        known = expected.notna()
        if known.any():
            hard_recall[case] = float(hard.loc[known, "person_id"].eq(expected[known]).mean())

    probable_found = probable_wrong = probable_expected = 0
    if probable is not None:
        # a probable person is right when most of that person's rows are the row's true person
        truth_of = votes.sort_values(["person_id", "n"], ascending=[True, False])
        truth_of = truth_of.drop_duplicates("person_id").set_index("person_id")["true_person"]
        given = truth_rows[[*ROW_KEYS, "true_person", "hard_case"]].merge(probable, on=ROW_KEYS)
        given = given.dropna(subset=["probable_person_id"])
        given_truth = given["probable_person_id"].map(truth_of)
        probable_wrong = int((given_truth.notna() & given_truth.ne(given["true_person"])).sum())
        missing = truth_rows.loc[truth_rows["hard_case"].eq("nik_missing_dup")]
        probable_expected = int(missing["true_person"].isin(main_id.index).sum())
        probable_found = int(
            (given["hard_case"].eq("nik_missing_dup") & given_truth.eq(given["true_person"])).sum()
        )
    open_pairs = open_true = 0
    if candidates is not None and len(candidates):
        waiting = candidates.loc[candidates["status"].eq("open")]
        open_pairs = len(waiting)
        truth_of = rows.drop_duplicates("person_id").set_index("person_id")["true_person"]
        open_true = int(
            waiting["person_id_a"].map(truth_of).eq(waiting["person_id_b"].map(truth_of)).sum()
        )
    return Quality(
        rows=len(rows),
        true_pairs=true_pairs,
        predicted_pairs=predicted_pairs,
        correct_pairs=correct_pairs,
        household_merged=int(same_kk.sum()),
        other_regency_merged=int(other_regency.sum()),
        hard_recall=hard_recall,
        open_review_pairs=open_pairs,
        open_review_true=open_true,
        probable_found=probable_found,
        probable_wrong=probable_wrong,
        probable_expected=probable_expected,
    )


def _shift_digits(values: pd.Series, shift: int) -> pd.Series:
    """Add `shift` (mod 10) to digits 3 and 4 of 16-digit numbers: typo distances are kept."""
    text = values.astype("string")
    third = ((text.str[2].astype("Int64") + shift) % 10).astype("string")
    fourth = ((text.str[3].astype("Int64") + shift) % 10).astype("string")
    return (text.str[:2] + third + fourth + text.str[4:]).where(text.str.len().eq(16), text)


def replicate(rows: pd.DataFrame, total: int) -> pd.DataFrame:
    """About `total` rows from `rows`: copies whose NIKs, KKs (digits 3-4 shifted) and birth
    dates (shifted by 37 days a copy) are new identities, keeping every within-copy relation
    (typos, twins, households) as it was."""
    copies = []
    order_step = int(rows["order_key"].max()) + 1
    for copy in range(max(1, -(-total // len(rows)))):
        part = rows.copy()
        if copy:
            part["file_name"] = f"copy{copy}/" + part["file_name"].astype(str)
            part["nik"] = _shift_digits(part["nik"], copy)
            part["no_kk"] = _shift_digits(part["no_kk"], copy)
            part["tanggal_lahir"] = part["tanggal_lahir"] - pd.Timedelta(days=37 * copy)
            part["order_key"] = part["order_key"] + copy * order_step
        copies.append(part)
    return pd.concat(copies, ignore_index=True).iloc[:total]


EMPTY_REGISTRY = pd.DataFrame(
    {"person_key": pd.Series(dtype="string"), "person_id": pd.Series(dtype="int64")}
)


def run_dedup(rows: pd.DataFrame):
    """`deduplicate` on a fresh registry; returns its result and the seconds it took (wall
    clock, and CPU time of this process: on a busy machine the two differ)."""
    start, cpu = time.perf_counter(), time.process_time()
    result = deduplicate(rows, EMPTY_REGISTRY)
    return result, time.perf_counter() - start, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/tepat_dedup_bench"))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scale", type=int, default=0, help="also time dedup on this many rows")
    args = parser.parse_args()
    raw_dir = args.dir / f"rows{args.rows}_seed{args.seed}"
    if not (raw_dir / "_truth" / "rows.csv").exists():
        from demo.generator import generate_demo_data

        print(generate_demo_data(args.rows, raw_dir, seed=args.seed, as_of=AS_OF))
    cache = raw_dir.with_name(raw_dir.name + ".canonical.parquet")
    start = time.perf_counter()
    if cache.exists():
        canonical = pd.read_parquet(cache)
    else:
        canonical = canonical_rows(raw_dir)
        canonical.to_parquet(cache)
    print(f"read and validated {len(canonical)} rows in {time.perf_counter() - start:.1f} s")
    truth_rows, truth_persons = read_truth(raw_dir)
    result, seconds, cpu = run_dedup(usable(canonical))
    print(f"deduplicate: {len(result.rows)} rows in {seconds:.1f} s (CPU {cpu:.1f} s)")
    rejected = canonical.loc[canonical["status"].eq("rejected")]
    probable = rejected[ROW_KEYS].assign(
        probable_person_id=probable_persons(rejected, result.rows).to_numpy()
    )
    exact = result.rows.assign(person_id=result.rows["person_key"].factorize()[0])
    print("exact NIK only (before linking):")
    print(measure(exact, truth_rows, truth_persons).text().split("\n")[2])
    quality = measure(result.rows, truth_rows, truth_persons, result.match_candidates, probable)
    print("with linking:")
    print(quality.text())
    print(result.match_candidates.groupby(["status", "rule"]).size().to_string())
    if args.scale:
        big = replicate(usable(canonical), args.scale)
        result, seconds, cpu = run_dedup(big)
        print(
            f"deduplicate on {len(big)} synthesised rows: {seconds:.1f} s (CPU {cpu:.1f} s), "
            f"{result.rows['person_id'].nunique()} persons, "
            f"{len(result.match_candidates)} match candidates"
        )


if __name__ == "__main__":
    main()
