"""Faults: a run killed anywhere loses nothing; a full disk, a warehouse held open by another
program and a broken reference list stop the run with one clear line and change nothing."""

from __future__ import annotations

import errno
import hashlib
import os
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

import flows.outputs.bpjs_files
import flows.outputs.feedback
from flows.outputs.files import recover_exports, temp_path
from flows.runtime.faults import FAULT_ENV
from tests.faults.harness import Harness, report

AS_OF = date(2026, 11, 27)
HEADER = "NIK;NO KK;NAMA;TANGGAL LAHIR;JENIS KELAMIN;PEKERJAAN"


def submission(raw: Path, name: str, people: list[tuple[str, str]]) -> Path:
    """A small Samarinda CSV: (NIK, name) per row, one household, informal workers."""
    path = raw / "Kota Samarinda" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [HEADER] + [
        f"{nik};6472010101200001;{nama};15-08-1980;{'P' if int(nik[6:8]) > 40 else 'L'};Petani"
        for nik, nama in people
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


FIRST = [("6472015508800003", "SITI AMINAH"), ("6472011508800004", "BUDI SANTOSO")]
SECOND = [("6472015508800011", "ANI LESTARI"), ("6472011508800029", "RUDI HARTONO")]


def warehouse_dump(db: Path) -> dict[str, pd.DataFrame]:
    """Every table of the warehouse, fully read (to compare before and after a failed run)."""
    with duckdb.connect(str(db), read_only=True) as con:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        return {t: con.execute(f"SELECT * FROM {t}").df() for t in sorted(tables)}


def files_under(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def assert_same(before: dict[str, pd.DataFrame], after: dict[str, pd.DataFrame]) -> None:
    assert before.keys() == after.keys()
    for table in before:
        pd.testing.assert_frame_equal(before[table], after[table], obj=table)


@pytest.fixture
def loaded(prefect_harness, tmp_path):
    """A warehouse after one good run, and a second file waiting in the raw dir."""
    from flows.pipeline import pipeline

    raw, db, out = tmp_path / "raw", tmp_path / "w" / "tepat.duckdb", tmp_path / "out"
    submission(raw, "usulan jkn.csv", FIRST)

    def run(**kwargs):
        return pipeline(
            raw_dir=raw, reference_dir=tmp_path / "ref", db=db, export_dir=out, as_of=AS_OF,
            **kwargs,
        )  # fmt: skip

    run()
    submission(raw, "usulan jkn tahap 2.csv", SECOND)
    return {"raw": raw, "db": db, "out": out, "run": run, "tmp": tmp_path}


# --------------------------------------------------------------------------- disk full


def _fills_the_disk(after_bytes: int):
    def write(path: Path, *_args, **_kwargs) -> None:
        with Path(path).open("wb") as handle:
            handle.write(b"x" * after_bytes)  # part of the file made it to disk
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    return write


@pytest.mark.parametrize("writer", ["bpjs csv", "feedback workbook"])
def test_disk_full_while_writing_exports_changes_nothing(loaded, monkeypatch, writer):
    before, files_before = warehouse_dump(loaded["db"]), files_under(loaded["out"])
    if writer == "bpjs csv":
        monkeypatch.setattr(flows.outputs.bpjs_files, "write_csv", _fills_the_disk(100))
    else:
        monkeypatch.setattr(flows.outputs.feedback, "write_feedback_workbook", _fills_the_disk(100))
    with pytest.raises(OSError) as failed:
        loaded["run"]()
    assert failed.value.errno == errno.ENOSPC
    assert_same(before, warehouse_dump(loaded["db"]))
    assert files_under(loaded["out"]) == files_before  # no partial file, no temporary file
    monkeypatch.undo()
    summary = loaded["run"]()  # space again: the waiting file is loaded as if nothing happened
    assert summary.files_loaded == 1 and summary.rows.get("accepted") == len(SECOND)


def test_disk_full_gives_one_line_on_stderr_and_a_non_zero_exit(loaded, monkeypatch):
    from flows.cli import app

    monkeypatch.setattr(flows.outputs.bpjs_files, "write_csv", _fills_the_disk(10))
    result = CliRunner().invoke(
        app,
        [
            "run",
            "--raw-dir",
            str(loaded["raw"]),
            "--reference-dir",
            str(loaded["tmp"] / "ref"),
            "--db",
            str(loaded["db"]),
            "--export-dir",
            str(loaded["out"]),
            "--as-of",
            "2026-11-27",
        ],  # fmt: skip
    )
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "No space left on device" in lines[0], result.stderr
    assert lines[0].startswith("tepat run gagal: OSError")


# --------------------------------------------------------------------------- warehouse held open

HOLDER = textwrap.dedent(
    """
    import sys, duckdb
    con = duckdb.connect(sys.argv[1])  # a write connection, as a notebook or DBeaver holds it
    con.execute("SELECT count(*) FROM runs").fetchall()
    print("holding", flush=True)
    sys.stdin.read()
    """
)


def test_a_warehouse_held_open_by_another_program_stops_the_run_clearly(loaded):
    before = warehouse_dump(loaded["db"])
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(loaded["db"])],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        with pytest.raises(Exception) as failed:
            loaded["run"]()
        message = str(failed.value)
        assert type(failed.value).__name__ == "WarehouseBusy"
        assert "sedang dibuka oleh program lain" in message and f"PID {holder.pid}" in message
        assert "\n" not in message
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert_same(before, warehouse_dump(loaded["db"]))
    assert loaded["run"]().files_loaded == 1  # released: the next run goes ahead


# --------------------------------------------------------------------------- reference lists


def _broken_reference(ref: Path, kind: str) -> str:
    ref.mkdir(parents=True, exist_ok=True)
    if kind == "corrupt workbook":
        (ref / "peserta bpjs kesehatan.xlsx").write_bytes(b"PK\x03\x04 rusak")
        return "peserta bpjs kesehatan.xlsx"
    (ref / "peserta bpjs ketenagakerjaan.csv").write_text(
        "NO;NAMA;ALAMAT\n1;SITI;Jl. Mawar\n", encoding="utf-8"
    )
    return "peserta bpjs ketenagakerjaan.csv"


@pytest.mark.parametrize("kind", ["corrupt workbook", "no NIK or status column"])
def test_a_malformed_reference_list_stops_the_run_naming_the_file(loaded, kind):
    from flows.sources.reference_lists import ReferenceListError

    name = _broken_reference(loaded["tmp"] / "ref", kind)
    before, files_before = warehouse_dump(loaded["db"]), files_under(loaded["out"])
    with pytest.raises(ReferenceListError) as failed:
        loaded["run"]()
    assert name in str(failed.value)
    # nobody was decided as "not enrolled" on a list that could not be read
    assert_same(before, warehouse_dump(loaded["db"]))
    assert files_under(loaded["out"]) == files_before


def test_a_missing_reference_folder_is_said_in_the_summary(loaded):
    summary = loaded["run"]()
    assert any("daftar peserta" in note and "tidak ada" in note for note in summary.references)


# --------------------------------------------------------------------------- killed runs


def test_recovery_moves_committed_exports_in_and_removes_debris(tmp_path):
    db, out = tmp_path / "tepat.duckdb", tmp_path / "out"
    folder = out / "bpjs" / "kesehatan"
    folder.mkdir(parents=True)
    committed = folder / "verifikasi_kesehatan_6472_samarinda_2026-11-27.csv"
    stale = folder / "verifikasi_kesehatan_6474_bontang_2026-11-27.csv"
    stale.write_text("old")
    temp_path(committed).write_bytes(b"new list")
    debris = out / "umpan_balik" / "6472_samarinda" / ".umpan_balik_x.xlsx.tmp"
    debris.parent.mkdir(parents=True)
    debris.write_bytes(b"half")
    sha = hashlib.sha256(b"new list").hexdigest()
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE runs (run_id VARCHAR, finished_at TIMESTAMP, as_of DATE)")
        con.execute(
            "CREATE TABLE exports (run_id VARCHAR, program VARCHAR, regency_code VARCHAR, "
            "kind VARCHAR, path VARCHAR, n_rows INTEGER, sha256 VARCHAR)"
        )
        con.execute("INSERT INTO runs VALUES ('r1', now(), DATE '2026-11-27')")
        con.execute(
            "INSERT INTO exports VALUES ('r1', 'kesehatan', '6472', 'bpjs', ?, 1, ?)",
            [committed.as_posix(), sha],
        )
    notes = recover_exports(db, out)
    assert committed.read_bytes() == b"new list" and not temp_path(committed).exists()
    assert not stale.exists() and not debris.exists()
    assert len(notes) == 2
    assert recover_exports(db, out) == []  # nothing left to do


def test_recovery_deletes_only_tepats_own_temporary_names_in_its_own_folders(tmp_path):
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    own = [
        out / "laporan" / ".laporan_20261127T060000-abcdef.html.tmp",
        out / "bpjs" / "ketenagakerjaan" / ".ringkasan_anggaran_ketenagakerjaan_2026-11-27.csv.tmp",
        out / "umpan_balik" / "6402_kutai_barat" / ".umpan_balik_usulan_jkn_1a2b3c.xlsx.tmp",
        out / "bpjs" / "kesehatan" / "perubahan" / ".tambah_kesehatan_2026-11-27_0002.xlsx.tmp",
    ]
    others = [
        out / "catatan" / "draf.tmp",  # a folder of someone else's under the export dir
        out / "catatan" / ".verifikasi_kesehatan_x.csv.tmp",  # tepat's name, not tepat's folder
        out / "bpjs" / "kesehatan" / "draf surat.tmp",  # tepat's folder, not tepat's name
        out / "bpjs" / "kesehatan" / "perubahan" / "catatan.tmp",
        out / "laporan" / "laporan.tmp",
        out / "draf.tmp",
        elsewhere / ".umpan_balik_x_123456.xlsx.tmp",  # reached only through a link
    ]
    for path in own + others:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    (out / "umpan_balik" / "6401_paser").symlink_to(elsewhere, target_is_directory=True)
    notes = recover_exports(tmp_path / "none.duckdb", out)
    assert [p for p in own if p.exists()] == []
    assert [p for p in others if not p.exists()] == []
    assert notes == ["4 berkas sementara dari run yang terputus dihapus"]


def test_a_fault_point_kills_the_process_only_when_named(tmp_path):
    code = "from flows.runtime.faults import fault_point\nfault_point('files-read')\nprint('alive')"
    env = {**os.environ, FAULT_ENV: "files-read"}
    root = Path(__file__).resolve().parents[2]
    killed = subprocess.run([sys.executable, "-c", code], env=env, cwd=root, capture_output=True)
    assert killed.returncode == -9 and killed.stdout == b""
    env[FAULT_ENV] = "files-read:2"
    alive = subprocess.run([sys.executable, "-c", code], env=env, cwd=root, capture_output=True)
    assert alive.returncode == 0 and alive.stdout.strip() == b"alive"


# Inside the transaction, between the commit and the moves, between two moves.
CI_KILL_POINTS = ["warehouse-mid-transaction", "warehouse-committed", "export-moved:2"]
# DuckDB out of memory while the run is written: once (written again on a fresh copy, the run
# completes), and at every attempt (the run fails, exit 1, and nothing is changed).
CI_MEMORY_POINTS = ["warehouse-out-of-memory", "warehouse-out-of-memory:*"]


@pytest.mark.slow
def test_a_run_killed_at_any_point_recovers_to_what_a_clean_run_gives(prefect_harness, tmp_path):
    """Kill `tepat run` (SIGKILL) at a few named points of its second delivery, run again, and
    compare with a run never killed (the full set: `python tests/faults/harness.py`)."""
    from prefect.settings import PREFECT_API_URL

    harness = Harness.prepare(tmp_path, rows=400, api_url=PREFECT_API_URL.value())
    points = CI_KILL_POINTS + CI_MEMORY_POINTS
    outcomes = [harness.kill_and_recover(fault=point) for point in points]
    print(report(outcomes))
    assert [o.exit_code for o in outcomes] == [-9] * len(CI_KILL_POINTS) + [0, 1]
    assert [o.problems for o in outcomes] == [[]] * len(points)
    assert sum(o.rows_lost for o in outcomes) == 0
    assert len(harness.reference.tables["submission_rows"]) > 300
    # the harness sees damage when there is some: killed after the commit, before the files
    # were moved, and compared without the recovery run
    unrecovered = harness.kill_and_recover(fault="warehouse-committed", recover=False)
    assert not unrecovered.survived
    assert any("temporary file left" in p for p in unrecovered.problems)
    assert any("export missing" in p for p in unrecovered.problems)
