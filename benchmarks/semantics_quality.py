"""What the cells say (issue 13), measured against the generator's ground truth (run by hand).

    .venv/bin/python benchmarks/semantics_quality.py [--rows 8000] [--dir /tmp/tepat_semantics]
        [--seed 13]

Generates the demo workload (occupations in every spelling, remarks, Indonesian name variants
on typo-NIK duplicates), runs `tepat run` on it once, and reports from the warehouse:

- row status accuracy and false rejects (rows rejected that should not be);
- precision and recall of each verified list against the shipped rules applied to the true
  person attributes (persons with an accepted row, no deceased/moved/covered remark held);
- deduplication of typo-NIK duplicates (one cluster per true person) by kind of name
  variation, and pairs of different people merged (must be none);
- persons whose remarks say deceased, moved or covered found on a verified list (must be 0).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flows.demo_data import generate_demo_data  # noqa: E402

AS_OF = date(2026, 11, 27)
KEYS = ["file_name", "sheet", "row_number"]
HOLDING = ("deceased", "moved", "covered")


def tepat_run(root: Path) -> None:
    """`tepat run` on the generated folders, with a Prefect home of its own."""
    env = dict(os.environ)
    env.setdefault("PREFECT_HOME", str(root / "prefect-home"))
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    script = Path(sys.executable).with_name("tepat")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "flows.cli"]
    subprocess.run(
        [*command, "run", "--raw-dir", str(root / "raw"), "--reference-dir", str(root / "ref"),
         "--db", str(root / "tepat.duckdb"), "--export-dir", str(root / "exports"),
         "--as-of", AS_OF.isoformat()],
        check=True, env=env, stdout=subprocess.DEVNULL,
    )  # fmt: skip


def truth_frames(raw: Path) -> dict[str, pd.DataFrame]:
    frames = {
        name: pd.read_csv(raw / "_truth" / f"{name}.csv", dtype=str, keep_default_na=False)
        for name in ("rows", "files", "persons")
    }
    frames["rows"]["row_number"] = frames["rows"]["row_number"].astype(int)
    return frames


def expected_verified(truth: dict[str, pd.DataFrame]) -> dict[str, set[str]]:
    """The shipped rules on the true person attributes: NIKs expected on each verified list."""
    rows, persons = truth["rows"], truth["persons"].set_index("true_person")
    programs = truth["files"].set_index("file_name")["program"]
    rows = rows.assign(program=rows["file_name"].map(programs))
    accepted = rows.loc[rows["expected_status"] == "accepted"]
    holding = set(rows.loc[rows["remark_kind"].isin(HOLDING), "true_person"])
    born = pd.to_datetime(persons["tanggal_lahir"])
    before_birthday = (born.dt.month > AS_OF.month) | (
        (born.dt.month == AS_OF.month) & (born.dt.day > AS_OF.day)
    )
    age = AS_OF.year - born.dt.year - before_birthday
    resident = persons["no_kk"].str[:2] == "64"
    group = persons["occupation_group"]
    expected = {}
    for program in ("kesehatan", "ketenagakerjaan"):
        ids = sorted(set(accepted.loc[accepted["program"] == program, "true_person"]) - holding)
        ok = resident[ids]
        if program == "kesehatan":
            ok &= (group[ids] != "wage_or_state") & (
                persons.loc[ids, "enrolled_kesehatan_covered"] != "True"
            )
        else:
            ok &= age[ids].between(15, 65) & ~group[ids].isin(["wage_or_state", "not_working"])
            ok &= persons.loc[ids, "enrolled_ketenagakerjaan_active"] != "True"
        expected[program] = set(persons.loc[ok[ok].index, "nik"])
    return expected


def measure(root: Path) -> list[str]:
    truth = truth_frames(root / "raw")
    con = duckdb.connect(str(root / "tepat.duckdb"), read_only=True)
    rows = con.execute(
        "SELECT file_name, sheet, row_number, status, person_id FROM submission_rows"
    ).df()
    merged = truth["rows"].merge(rows, on=KEYS, how="left", indicator=True)
    lines = [f"rows: {len(merged)} (in the warehouse: {int((merged['_merge'] == 'both').sum())})"]
    right = merged["status"] == merged["expected_status"]
    false_reject = (merged["status"] == "rejected") & (merged["expected_status"] != "rejected")
    lines.append(f"row status accuracy: {right.mean():.4f} ({int((~right).sum())} wrong)")
    lines.append(f"false rejects: {false_reject.mean():.4%} ({int(false_reject.sum())} rows)")
    wrong = merged.loc[~right, ["expected_status", "status", "expected_codes"]]
    for (expected, got), group in wrong.groupby(["expected_status", "status"]):
        codes = group["expected_codes"].replace("", "-").value_counts().head(4).to_dict()
        lines.append(f"  expected {expected}, got {got}: {len(group)} {codes}")

    verified = con.execute("SELECT program, nik, person_id FROM verified_candidates").df()
    true_of = (
        merged.dropna(subset=["person_id"])
        .groupby("person_id")["true_person"]
        .agg(lambda people: people.mode().iloc[0])
    )
    person_of_nik = truth["persons"].set_index("nik")["true_person"]
    for program, niks in expected_verified(truth).items():
        listed = verified.loc[verified["program"] == program]
        got = set(listed["nik"])
        tp = len(got & niks)
        # by person: the listed person is the true person whatever NIK of theirs is shown
        got_people = set(listed["person_id"].map(true_of).dropna())
        want_people = set(person_of_nik.reindex(sorted(niks)))
        tpp = len(got_people & want_people)
        lines.append(
            f"verified {program}: {len(got)} listed, {len(niks)} expected; by NIK precision "
            f"{tp / max(len(got), 1):.4f} recall {tp / max(len(niks), 1):.4f}; by person "
            f"precision {tpp / max(len(got_people), 1):.4f} recall "
            f"{tpp / max(len(want_people), 1):.4f}"
        )

    held = merged.loc[merged["remark_kind"].isin(HOLDING)]
    persons_listed = set(verified["person_id"].dropna().astype(int))
    listed_rows = held.loc[held["person_id"].isin(persons_listed)]
    lines.append(
        f"persons with a deceased/moved/covered remark on a verified list: "
        f"{listed_rows['true_person'].nunique()} (of {held['true_person'].nunique()})"
    )

    linked = merged.loc[merged["person_id"].notna()]
    merged_apart = (linked.groupby("person_id")["true_person"].nunique() > 1).sum()
    lines.append(f"persons merging different true people: {int(merged_apart)}")
    typo = merged.loc[merged["hard_case"] == "nik_typo"]
    clusters = linked.groupby("true_person")["person_id"].nunique()
    for kind, group in typo.groupby(typo["name_variant"].replace("", "none")):
        usable = group.loc[group["person_id"].notna()]
        together = clusters.reindex(usable["true_person"]).eq(1)
        lines.append(
            f"typo-NIK duplicates, name variation {kind}: {len(group)} rows, "
            f"{len(usable)} linked, merged with their person {int(together.sum())} "
            f"(recall {together.mean() if len(usable) else float('nan'):.3f})"
        )
    con.close()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=8000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/tepat_semantics"))
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    root = args.dir
    if not (root / "raw" / "_truth").exists():
        generate_demo_data(
            args.rows, root / "raw", seed=args.seed, reference_dir=root / "ref", as_of=AS_OF
        )
    if not (root / "tepat.duckdb").exists():
        tepat_run(root)
    print("\n".join(measure(root)))


if __name__ == "__main__":
    main()
