"""Row status accuracy of a run against the demo generator's ground truth (issue 13).

    tepat demo-data --rows 5000 --seed 7 --out /tmp/d/raw --reference-dir /tmp/d/ref
    tepat run --raw-dir /tmp/d/raw --reference-dir /tmp/d/ref --db /tmp/d/t.duckdb \
        --export-dir /tmp/d/exp --as-of 2026-11-27
    python benchmarks/row_status_accuracy.py /tmp/d/raw /tmp/d/t.duckdb

Prints row status accuracy, false rejects (rows the truth does not reject, rejected), rows
missing or extra, files whose skipped-row count differs, and the rows without a kecamatan.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pandas as pd

KEYS = ["file_name", "sheet", "row_number"]


def measure(raw_dir: Path, db: Path) -> dict[str, object]:
    """Compare the warehouse's rows and files with `_truth/rows.csv` and `_truth/files.csv`."""
    truth = pd.read_csv(raw_dir / "_truth/rows.csv", dtype=str, keep_default_na=False)
    files = pd.read_csv(raw_dir / "_truth/files.csv", dtype=str, keep_default_na=False)
    truth["row_number"] = truth["row_number"].astype(int)
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.sql(
            "SELECT file_name, sheet, row_number, status, kecamatan FROM submission_rows"
        ).df()
        seen = con.sql("SELECT file_name, status, n_skipped FROM source_files").df()
    rows["row_number"] = rows["row_number"].astype(int)
    both = truth.merge(rows, on=KEYS, how="outer", indicator=True)
    matched = both.loc[both["_merge"].eq("both")]
    missing = both["_merge"].eq("left_only")
    extra = both["_merge"].eq("right_only")
    right = matched["status"].eq(matched["expected_status"])
    false_reject = matched["status"].eq("rejected") & matched["expected_status"].ne("rejected")
    skipped = files.merge(seen, on="file_name", how="left", suffixes=("_truth", ""))
    wrong_skips = skipped.loc[
        skipped["n_skipped_truth"].astype(float).ne(skipped["n_skipped"].astype(float))
    ]
    n = len(truth)
    return {
        "rows (truth)": n,
        "row status accuracy": round(float(right.sum()) / n, 4),
        "false rejects": int(false_reject.sum()),
        "false reject rate": round(float(false_reject.sum()) / n, 4),
        "rows missing (a truth row not read)": int(missing.sum()),
        "rows extra (read, not in the truth)": int(extra.sum()),
        "files not loaded": int(seen["status"].ne("loaded").sum()),
        "files with another skipped count": len(wrong_skips),
        "rows without kecamatan": int(rows["kecamatan"].isna().sum()),
        "mismatches (expected -> got)": matched.loc[~right]
        .groupby(["expected_status", "status"])
        .size()
        .to_dict(),
    }


if __name__ == "__main__":
    for key, value in measure(Path(sys.argv[1]), Path(sys.argv[2])).items():
        print(f"{key}: {value}")
