"""A run whose only news is new or replaced files links and scores only the persons they can
change (flows/warehouse/affected.py), and leaves exactly what recomputing the province would."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from benchmarks.compare_warehouses import compare
from demo.generator import generate_demo_data
from flows.pipeline import pipeline
from flows.warehouse.affected import moved_persons

AS_OF = date(2026, 11, 27)


def _deliveries(root: Path) -> tuple[Path, list[Path], Path]:
    """A generated province (typo'd NIKs, persons in two regencies or programs, re-sent parts
    of files), and the files held back for a second delivery: the revised ones and one
    regency's whole ketenagakerjaan file."""
    generate_demo_data(
        rows=1500, out_dir=root / "all", seed=5, reference_dir=root / "ref", formats="xlsx",
        revised_files=2,
    )  # fmt: skip
    files = sorted(p for p in (root / "all").rglob("*.xlsx") if "_truth" not in p.parts)
    later = [p for p in files if "revisi" in p.name.lower()]
    later += [next(p for p in files if "bpu" in p.name.lower() and p not in later)]
    return root / "all", later, root / "ref"


def _run(raw: Path, root: Path, ref: Path):
    return pipeline(raw_dir=raw, reference_dir=ref, db=root / "w.duckdb",
                    export_dir=root / "exports", bpjs_dir=root / "bpjs", as_of=AS_OF)  # fmt: skip


def _two_deliveries(root: Path, source: Path, later: list[Path], ref: Path) -> dict:
    """The province without the `later` files; then with them, one of them (a revised file)
    sent instead under its original's name: new files and a replaced one."""
    raw = root / "raw"
    shutil.copytree(source, raw, ignore=shutil.ignore_patterns("_truth"))
    held = [p.relative_to(source) for p in later]
    for name in held:
        (raw / name).rename(root / name.name)
    _run(raw, root, ref)
    for name in held:
        (root / name.name).rename(raw / name)
    revised = next(name for name in held if "(revisi)" in name.name)
    (raw / revised).replace(raw / revised.parent / revised.name.replace(" (revisi)", ""))
    return _run(raw, root, ref)


@pytest.mark.slow
def test_new_and_replaced_files_linked_alone_give_the_warehouse_and_files_of_a_full_recompute(
    tmp_path, prefect_harness, monkeypatch
):
    source, later, ref = _deliveries(tmp_path)

    monkeypatch.setenv("TEPAT_INCREMENTAL", "false")
    full = _two_deliveries(tmp_path / "full", source, later, ref)
    monkeypatch.setenv("TEPAT_INCREMENTAL", "true")
    incremental = _two_deliveries(tmp_path / "incremental", source, later, ref)

    lines = compare(tmp_path / "full" / "w.duckdb", tmp_path / "incremental" / "w.duckdb")
    assert not [line for line in lines if "DIFFER" in line or "only in" in line], lines
    assert incremental.persons == full.persons and incremental.verified == full.verified
    with duckdb.connect(str(tmp_path / "incremental" / "w.duckdb"), read_only=True) as con:
        relinked = con.execute("SELECT persons_relinked FROM runs ORDER BY started_at").fetchall()
        persons = con.execute("SELECT count(*) FROM persons").fetchall()[0][0]
    # the second run linked only part of the province, and part of it was stored persons
    assert relinked[0] == (None,) and 0 < relinked[1][0] < persons / 2, (relinked, persons)
    print(f"relinked {relinked[1][0]} of {persons} persons")

    # the same files, byte for byte, except the report
    def digests(root: Path) -> dict[str, bytes]:
        return {
            p.relative_to(root).as_posix(): p.read_bytes()
            for p in (root / "exports").rglob("*")
            if p.is_file() and "laporan" not in p.parts
        }

    assert digests(tmp_path / "full") == digests(tmp_path / "incremental")


def test_persons_linked_again_to_the_same_record_and_decisions_have_not_moved():
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE persons (person_id BIGINT, nama VARCHAR, alamat VARCHAR, "
        "tanggal_lahir DATE, desil INTEGER, run_id VARCHAR)"
    )
    con.execute(
        "CREATE TABLE candidate_decisions (program VARCHAR, person_id BIGINT, eligible BOOLEAN, "
        "reason_code VARCHAR, score DOUBLE, score_components JSON, run_id VARCHAR)"
    )
    con.execute(
        "INSERT INTO persons VALUES (1, 'SITI', NULL, '1980-01-01', 1, 'r1'), "
        "(2, 'BUDI', 'Jl. A', '1970-02-02', NULL, 'r1'), (3, 'WATI', 'Jl. B', NULL, 2, 'r1'), "
        "(5, 'AMIR', 'Jl. C', '1990-03-03', 3, 'r1'), (9, 'LAIN', 'Jl. D', NULL, 4, 'r1')"
    )
    con.execute(
        "INSERT INTO candidate_decisions VALUES ('kesehatan', 1, true, NULL, 70.5, '{}', 'r1'), "
        "('kesehatan', 2, false, 'TOO_RICH', 10, '{}', 'r1'), "
        "('kesehatan', 3, true, NULL, 50, '{}', 'r1'), "
        "('kesehatan', 5, true, NULL, 40, '{}', 'r1'), ('kesehatan', 9, true, NULL, 1, '{}', 'r1')"
    )
    # made again: 1 the same (pandas dtypes), 2 moved house, 3 gone (merged into 2), 4 new,
    # 5 the same record but a new score; 9 was not linked again
    persons = pd.DataFrame(
        {
            "person_id": pd.array([1, 2, 4, 5], dtype="Int64"),
            "nama": pd.array(["SITI", "BUDI", "BARU", "AMIR"], dtype="string[pyarrow]"),
            "alamat": pd.array([None, "Jl. Z", "Jl. E", "Jl. C"], dtype="string[pyarrow]"),
            "tanggal_lahir": pd.to_datetime(["1980-01-01", "1970-02-02", None, "1990-03-03"]),
            "desil": pd.array([1, None, 1, 3], dtype="Int64"),
            "remark_hold": [False, False, False, False],  # not stored: not compared
        }
    )
    decisions = pd.DataFrame(
        {
            "program": ["kesehatan"] * 4,
            "person_id": [1, 2, 4, 5],
            "eligible": [True, False, True, True],
            "reason_code": [None, "TOO_RICH", None, None],
            "score": [70.5, 10.0, 60.0, 41.0],
            "score_components": ["{}"] * 4,
        }
    )
    moved = moved_persons(con, np.array([1, 2, 3, 5]), persons, decisions)
    assert moved.tolist() == [2, 3, 4, 5]


@pytest.mark.slow
def test_reference_lists_unchanged_since_a_run_are_not_read_again_and_decide_the_same(
    tmp_path, prefect_harness, monkeypatch
):
    import flows.pipeline as pipeline_module

    source, later, ref = _deliveries(tmp_path)
    reads = []
    real = pipeline_module.load_reference_lists
    monkeypatch.setattr(
        pipeline_module, "load_reference_lists", lambda folder: reads.append(folder) or real(folder)
    )
    stored = _two_deliveries(tmp_path / "stored", source, later, ref)
    assert len(reads) == 1  # the second run took the flags the first one stored
    with duckdb.connect(str(tmp_path / "stored" / "w.duckdb"), read_only=True) as con:
        notes = con.execute("SELECT reference_notes FROM runs ORDER BY started_at").fetchall()
        kept = con.execute("SELECT count(DISTINCT reference_sha256) FROM reference_enrolment")
        assert kept.fetchone()[0] == 1
    assert notes[0] == notes[1] and "peserta" in notes[0][0], notes
    assert stored.references == [line for line in notes[1][0].split("\n")]

    # read from the files in both runs: the same warehouse
    monkeypatch.setattr(pipeline_module, "stored_reference", lambda db, sha: None)
    read = _two_deliveries(tmp_path / "read", source, later, ref)
    assert len(reads) == 3 and read.references == stored.references
    lines = compare(tmp_path / "read" / "w.duckdb", tmp_path / "stored" / "w.duckdb")
    assert not [line for line in lines if "DIFFER" in line or "only in" in line], lines

    # a changed list is read again
    listed = next(p for p in ref.iterdir() if p.suffix == ".csv")
    listed.write_text(listed.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    monkeypatch.undo()
    monkeypatch.setattr(
        pipeline_module, "load_reference_lists", lambda folder: reads.append(folder) or real(folder)
    )
    _run(tmp_path / "stored" / "raw", tmp_path / "stored", ref)
    assert len(reads) == 4
