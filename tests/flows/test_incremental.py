"""A run whose only news is new or replaced files links and scores only the persons they can
change (flows/warehouse/affected.py), and leaves exactly what recomputing the province would."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from benchmarks.compare_warehouses import compare
from demo.generator import generate_demo_data
from flows.pipeline import pipeline

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
