"""End to end: generated spreadsheets -> `pipeline` flow -> warehouse, checked against ground truth."""

from __future__ import annotations

import shutil
from datetime import date

import duckdb
import pandas as pd
import pytest

from demo.generator import generate_demo_data
from flows.pipeline import pipeline

AS_OF = date(2026, 11, 27)
KEYS = ["file_name", "sheet", "row_number"]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, prefect_harness):
    """One generated workload (no changed-NIK duplicates) run once through the flow."""
    root = tmp_path_factory.mktemp("e2e")
    generate_demo_data(
        rows=400,
        out_dir=root / "raw",
        seed=11,
        reference_dir=root / "ref",
        as_of=AS_OF,
        hard_cases=False,
    )
    summary = pipeline(
        raw_dir=root / "raw",
        reference_dir=root / "ref",
        db=root / "tepat.duckdb",
        export_dir=root / "exports",
        as_of=AS_OF,
    )
    truth = {name: pd.read_csv(root / "raw" / "_truth" / f"{name}.csv", dtype=str, keep_default_na=False)
             for name in ("rows", "files", "persons")}  # fmt: skip
    con = duckdb.connect(str(root / "tepat.duckdb"), read_only=True)
    yield {"con": con, "truth": truth, "summary": summary, "root": root}
    con.close()


def table(con, sql):
    return con.execute(sql).df()


def test_every_file_loaded_with_its_row_and_skip_counts(warehouse):
    files = table(
        warehouse["con"],
        "SELECT file_name, status, regency_code, program, n_rows, n_skipped FROM source_files",
    )
    truth = warehouse["truth"]["files"]
    merged = truth.merge(files, on="file_name", how="outer", suffixes=("_true", ""), indicator=True)
    assert (merged["_merge"] == "both").all(), merged.loc[
        merged["_merge"] != "both", "file_name"
    ].tolist()
    assert (merged["status"] == "loaded").all()
    assert (merged["regency_code_true"] == merged["regency_code"]).all()
    assert (merged["program_true"] == merged["program"]).all()
    assert (merged["n_rows_true"].astype(int) == merged["n_rows"]).all()
    assert (merged["n_skipped_true"].astype(int) == merged["n_skipped"]).all()


def test_every_row_accounted_for_with_expected_status_and_codes(warehouse):
    con, truth = warehouse["con"], warehouse["truth"]["rows"]
    rows = table(con, "SELECT file_name, sheet, row_number, status FROM submission_rows")
    truth = truth.assign(row_number=truth["row_number"].astype(int))
    merged = truth.merge(rows, on=KEYS, how="outer", indicator=True)
    assert (merged["_merge"] == "both").all(), merged.loc[merged["_merge"] != "both", KEYS].head()
    wrong = merged.loc[
        merged["status"] != merged["expected_status"], [*KEYS, "status", "expected_status"]
    ]
    assert wrong.empty, wrong.head(10)

    issues = table(
        con,
        "SELECT file_name, sheet, row_number, string_agg(DISTINCT code, ';' ORDER BY code) AS codes "
        "FROM row_issues WHERE severity IN ('error', 'review') GROUP BY ALL",
    )
    codes = truth.merge(issues, on=KEYS, how="left")
    codes["codes"] = codes["codes"].fillna("")
    wrong = codes.loc[codes["codes"] != codes["expected_codes"], [*KEYS, "codes", "expected_codes"]]
    assert wrong.empty, wrong.head(10)


def test_persons_never_merge_two_true_people_and_one_id_per_person(warehouse):
    con, truth = warehouse["con"], warehouse["truth"]["rows"]
    rows = table(con, "SELECT file_name, sheet, row_number, status, person_id FROM submission_rows")
    merged = truth.assign(row_number=truth["row_number"].astype(int)).merge(rows, on=KEYS)
    linked = merged.loc[merged["person_id"].notna()]
    assert (linked.groupby("person_id")["true_person"].nunique() == 1).all()
    accepted = merged.loc[merged["status"] == "accepted"]
    assert (accepted.groupby("true_person")["person_id"].nunique() == 1).all()
    n_persons = con.execute("SELECT count(*) FROM persons").fetchone()[0]
    assert n_persons == linked["person_id"].nunique()


def _expected_verified(truth: dict[str, pd.DataFrame]) -> dict[str, set[str]]:
    """The default rules of CONTRACT.md applied to the generator's true person attributes."""
    rows, persons = truth["rows"], truth["persons"].set_index("true_person")
    programs = truth["files"].set_index("file_name")["program"]
    accepted = rows.loc[rows["expected_status"] == "accepted"].assign(
        program=lambda r: r["file_name"].map(programs)
    )
    # a row whose remarks say the person died, moved or is covered holds the person
    held = set(rows.loc[rows["remark_kind"].isin(["deceased", "moved", "covered"]), "true_person"])
    accepted = accepted.loc[~accepted["true_person"].isin(held)]
    born = pd.to_datetime(persons["tanggal_lahir"])
    age = (
        AS_OF.year
        - born.dt.year
        - (
            (born.dt.month > AS_OF.month)
            | ((born.dt.month == AS_OF.month) & (born.dt.day > AS_OF.day))
        )
    )
    resident = persons["no_kk"].str[:2] == "64"
    group = persons["occupation_group"]
    expected = {}
    for program in ("kesehatan", "ketenagakerjaan"):
        people = persons.loc[
            sorted(set(accepted.loc[accepted["program"] == program, "true_person"]))
        ]
        ok = resident[people.index]
        if program == "kesehatan":
            ok &= (group[people.index] != "wage_or_state") & (
                people["enrolled_kesehatan_covered"] != "True"
            )
        else:
            ok &= age[people.index].between(15, 65) & ~group[people.index].isin(
                ["wage_or_state", "not_working"]
            )
            ok &= people["enrolled_ketenagakerjaan_active"] != "True"
        expected[program] = set(people.loc[ok, "nik"])
    return expected


def test_verified_lists_match_the_default_rules(warehouse):
    con = warehouse["con"]
    expected = _expected_verified(warehouse["truth"])
    for program, niks in expected.items():
        got = set(
            table(con, f"SELECT nik FROM verified_candidates WHERE program = '{program}'")["nik"]
        )
        assert got == niks, (program, sorted(got - niks)[:5], sorted(niks - got)[:5])
    dup = con.execute(
        "SELECT count(*) FROM (SELECT program, person_id FROM verified_candidates GROUP BY ALL HAVING count(*) > 1)"
    ).fetchone()[0]
    assert dup == 0


def test_exports_recorded_and_summary_readable(warehouse):
    con = warehouse["con"]
    exports = table(
        con, "SELECT program, regency_code, path, n_rows, sha256 FROM exports WHERE kind = 'bpjs'"
    )
    assert len(exports) > 0
    verified = table(
        con,
        "SELECT program, regency_code, count(*) FILTER (WHERE within_quota) AS n FROM verified_candidates GROUP BY ALL",
    )
    xlsx = exports.loc[exports["path"].str.endswith(".xlsx")]
    merged = verified.merge(xlsx, on=["program", "regency_code"])
    assert (merged["n"] == merged["n_rows"]).all()
    text = warehouse["summary"].text()
    assert "Berkas" in text and "Terverifikasi kesehatan" in text


def test_second_run_with_nothing_new_loads_nothing_twice(warehouse, tmp_path):
    root = warehouse["root"]
    warehouse["con"].close()
    again = pipeline(raw_dir=root / "raw", reference_dir=root / "ref", db=root / "tepat.duckdb",
                     export_dir=root / "exports", as_of=AS_OF)  # fmt: skip
    con = duckdb.connect(str(root / "tepat.duckdb"), read_only=True)
    warehouse["con"] = con
    n_rows = con.execute("SELECT count(*) FROM submission_rows").fetchone()[0]
    assert n_rows == len(warehouse["truth"]["rows"])
    assert again.files_loaded == 0


def _reason(db, person_id: int) -> set[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        found = con.execute(
            "SELECT reason_code FROM candidate_decisions WHERE person_id = ?", [person_id]
        ).fetchall()
    return {reason for (reason,) in found}


def test_a_new_file_keeps_the_holds_of_earlier_files_remarks(warehouse, tmp_path):
    """A remark on an earlier file's rejected row keeps holding its person when another file
    arrives (each run used to see only its own files' rejected rows)."""
    person = table(
        warehouse["con"],
        "SELECT p.person_id, p.nama, p.no_kk, p.tanggal_lahir, p.jenis_kelamin, p.kecamatan, "
        "p.source_file FROM persons p JOIN verified_candidates v USING (person_id) "
        "WHERE v.program = 'kesehatan' AND p.n_rows_accepted = 1 ORDER BY p.person_id LIMIT 1",
    ).iloc[0]
    raw = tmp_path / "raw"
    shutil.copytree(warehouse["root"] / "raw", raw, ignore=shutil.ignore_patterns("_truth"))
    folder = raw / str(person["source_file"]).split("/")[0]
    # no NIK (rejected), but the person's name, birth date, sex and KK: probably that person
    pd.DataFrame(
        {
            "NIK": [""], "Nama": [person["nama"]], "No KK": [person["no_kk"]],
            "Tanggal Lahir": [pd.Timestamp(person["tanggal_lahir"]).strftime("%d-%m-%Y")],
            "Jenis Kelamin": [person["jenis_kelamin"]], "Kecamatan": [person["kecamatan"]],
            "Keterangan": ["sudah meninggal dunia"],
        }
    ).to_csv(folder / "usulan jkn susulan.csv", index=False)  # fmt: skip
    run = dict(raw_dir=raw, reference_dir=warehouse["root"] / "ref", db=tmp_path / "w.duckdb",
               export_dir=tmp_path / "exports", as_of=AS_OF)  # fmt: skip
    pipeline(**run)
    assert _reason(run["db"], int(person["person_id"])) == {"REMARK_PENDING"}

    generate_demo_data(rows=60, out_dir=tmp_path / "other", seed=12, as_of=AS_OF, hard_cases=False)
    donor = sorted((tmp_path / "other").glob("*/*.xlsx"))[0]
    (raw / "kiriman_kedua").mkdir()
    shutil.copyfile(donor, raw / "kiriman_kedua" / donor.name)
    summary = pipeline(**run)

    assert summary.files_loaded == 1
    assert _reason(run["db"], int(person["person_id"])) == {"REMARK_PENDING"}
