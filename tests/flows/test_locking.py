"""One run at a time per warehouse: the flock-based run lock, across threads and processes."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from flows.runtime.lock import RunAlreadyRunning, lock_path, run_lock

HOLDER = """
import sys
from pathlib import Path
from flows.runtime.lock import run_lock
with run_lock(Path(sys.argv[1]), purpose="test holder"):
    print("held", flush=True)
    sys.stdin.readline()
print("released", flush=True)
"""


def test_lock_file_sits_next_to_the_warehouse(tmp_path: Path) -> None:
    assert lock_path(tmp_path / "w" / "tepat.duckdb") == tmp_path / "w" / "tepat.duckdb.lock"


def test_a_second_holder_is_refused_while_the_first_holds(tmp_path: Path) -> None:
    db = tmp_path / "tepat.duckdb"
    with run_lock(db):
        with (
            pytest.raises(RunAlreadyRunning, match="run lain sedang menulis") as refused,
            run_lock(db),
        ):
            pytest.fail("two holders at once")
        assert "pid" in str(refused.value)
    with run_lock(db):  # released: the next run gets it
        pass


def test_a_thread_is_refused_while_another_thread_holds(tmp_path: Path) -> None:
    db = tmp_path / "tepat.duckdb"
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with run_lock(db):
            holding.set()
            release.wait()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        holding.wait()
        with pytest.raises(RunAlreadyRunning), run_lock(db):
            pass
    finally:
        release.set()
        holder.join()
    with run_lock(db):
        pass


def test_a_waiting_run_gets_the_lock_once_the_holder_finishes(tmp_path: Path) -> None:
    db = tmp_path / "tepat.duckdb"
    holding, release = threading.Event(), threading.Event()
    order: list[str] = []

    def hold() -> None:
        with run_lock(db):
            holding.set()
            release.wait()
            order.append("first done")

    holder = threading.Thread(target=hold)
    holder.start()
    holding.wait()
    release.set()  # the holder finishes while (or before) we wait; either way we get the lock
    with run_lock(db, wait_seconds=60):
        order.append("second ran")
    holder.join()
    assert order == ["first done", "second ran"]


def test_another_process_holding_the_lock_blocks_this_one(tmp_path: Path) -> None:
    db = tmp_path / "tepat.duckdb"
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdin is not None
        assert child.stdout.readline().strip() == "held"
        with pytest.raises(RunAlreadyRunning, match=f"pid {child.pid}"), run_lock(db):
            pass
        child.stdin.write("\n")
        child.stdin.flush()
        assert child.stdout.readline().strip() == "released"
    finally:
        child.communicate(timeout=60)
    with run_lock(db):
        pass


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    db = tmp_path / "tepat.duckdb"
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == b"held"
    child.kill()
    child.wait(timeout=60)
    with run_lock(db):  # the kernel released the lock with the process
        pass


def test_the_pipeline_refuses_to_start_while_the_warehouse_is_locked(
    prefect_harness: None, tmp_path: Path
) -> None:
    from flows.pipeline import pipeline

    raw = tmp_path / "raw"
    raw.mkdir()
    db = tmp_path / "db" / "tepat.duckdb"
    with run_lock(db), pytest.raises(RunAlreadyRunning):
        pipeline(
            raw_dir=raw,
            reference_dir=tmp_path / "ref",
            db=db,
            export_dir=tmp_path / "exports",
        )
    assert not db.exists()  # nothing was written


def test_warehouse_and_its_wal_are_owner_only_from_the_first_byte(tmp_path: Path) -> None:
    """`tepat review decide-*` writes through `connect` outside a run: the WAL DuckDB creates
    beside the warehouse must not be readable by others even for a moment."""
    import os
    import stat

    from flows.warehouse.store import connect

    db = tmp_path / "gudang" / "tepat.duckdb"
    previous = os.umask(0o022)
    try:
        with connect(db) as con:
            con.execute("CREATE TABLE catatan (x INTEGER)")
            con.execute("INSERT INTO catatan VALUES (1)")
            wal = db.with_name(db.name + ".wal")
            assert wal.exists()  # open connection, uncheckpointed write: the WAL is there
            modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (db, wal, db.parent)}
        assert os.umask(0o022) == 0o022  # the caller's umask is back afterwards
    finally:
        os.umask(previous)
    assert modes == {"tepat.duckdb": 0o600, "tepat.duckdb.wal": 0o600, "gudang": 0o700}
