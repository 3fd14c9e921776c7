"""The commit: a run is written into a copy of the warehouse under bounded, spilling memory and
renamed in; out of memory, an error or a kill leaves the warehouse file byte for byte as it was."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

from flows.runtime.faults import FAULT_ENV
from flows.runtime.lock import lock_path
from flows.warehouse.commit import (
    WarehouseChanged,
    WarehouseOutOfMemory,
    out_of_memory,
    remove_leftovers,
    staged_path,
    staged_warehouse,
)
from flows.warehouse.tuning import temp_directory, tune_for_write
from tests.faults import test_faults
from tests.faults.test_faults import SECOND, assert_same, warehouse_dump

WAL = ".wal"
loaded = test_faults.loaded  # a warehouse after one good run, a second file waiting


def folder_state(db: Path) -> dict[str, str]:
    """sha256 of every file next to the warehouse (WAL, copy, spill files), the run lock aside."""
    return {
        p.relative_to(db.parent).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(db.parent.rglob("*"))
        if p.is_file() and p != lock_path(db)
    }


def folder_sizes(db: Path) -> dict[str, int]:
    """Size of every file next to the warehouse, the run lock aside."""
    return {
        p.relative_to(db.parent).as_posix(): p.stat().st_size
        for p in sorted(db.parent.rglob("*"))
        if p.is_file() and p != lock_path(db)
    }


def small_warehouse(db: Path, rows: int = 1000) -> None:
    db.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE t (k VARCHAR PRIMARY KEY, v BIGINT)")
        con.execute("INSERT INTO t SELECT 'k' || range, range FROM range(?)", [rows])


def test_a_staged_write_is_renamed_in_only_when_the_block_ends(tmp_path):
    db = tmp_path / "w" / "tepat.duckdb"
    small_warehouse(db)
    with staged_warehouse(db) as staged:
        assert staged == staged_path(db) and staged.exists()
        with duckdb.connect(str(staged)) as con:
            con.execute("INSERT INTO t VALUES ('new', -1)")
        with duckdb.connect(str(db), read_only=True) as con:  # the warehouse is not touched yet
            assert con.execute("SELECT count(*) FROM t").fetchone() == (1000,)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM t").fetchone() == (1001,)
    assert sorted(folder_state(db)) == ["tepat.duckdb"]


def test_an_error_inside_leaves_the_warehouse_folder_byte_for_byte(tmp_path):
    db = tmp_path / "w" / "tepat.duckdb"
    small_warehouse(db)
    with duckdb.connect(str(db)) as con:
        con.execute("CHECKPOINT")
    before = folder_state(db)
    with (
        pytest.raises(duckdb.ConstraintException),
        staged_warehouse(db) as staged,
        duckdb.connect(str(staged)) as con,
    ):
        con.execute("INSERT INTO t SELECT 'big' || range, range FROM range(200000)")
        con.execute("INSERT INTO t VALUES ('k1', 1)")  # duplicate key: the write fails
    assert folder_state(db) == before


def test_a_write_to_the_warehouse_meanwhile_stops_the_rename(tmp_path):
    db = tmp_path / "w" / "tepat.duckdb"
    small_warehouse(db)
    with pytest.raises(WarehouseChanged), staged_warehouse(db) as staged:
        with duckdb.connect(str(staged)) as con:
            con.execute("INSERT INTO t VALUES ('run', 0)")
        with duckdb.connect(str(db)) as con:  # an officer's decision written without the lock
            con.execute("INSERT INTO t VALUES ('officer', 0)")
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT k FROM t WHERE v = 0 AND k <> 'k0'").fetchall() == [("officer",)]
    assert not staged_path(db).exists()


def test_leftovers_of_a_killed_run_are_removed_and_the_warehouse_kept(tmp_path):
    db = tmp_path / "tepat.duckdb"
    small_warehouse(db)
    before = folder_state(db)
    staged_path(db).write_bytes(b"half a copy")
    staged_path(db).with_name(staged_path(db).name + WAL).write_bytes(b"wal")
    (temp_directory(db) / "duckdb_temp_storage-0.tmp").parent.mkdir()
    (temp_directory(db) / "duckdb_temp_storage-0.tmp").write_bytes(b"spill")
    assert remove_leftovers(db)
    assert folder_state(db) == before and not temp_directory(db).exists()
    assert not remove_leftovers(db)


def test_the_write_connection_spills_next_to_the_warehouse(tmp_path):
    db = tmp_path / "tepat.duckdb"
    with duckdb.connect(str(tmp_path / "other.duckdb")) as con:
        tune_for_write(con, db, "128MB")
        settings = dict(
            con.execute(
                "SELECT name, value FROM duckdb_settings() WHERE name IN "
                "('temp_directory', 'preserve_insertion_order', 'memory_limit')"
            ).fetchall()
        )
        # twice the limit of text, sorted: DuckDB has to spill to the folder to finish
        con.execute(
            "CREATE TABLE big AS SELECT md5(range::VARCHAR) || md5((range + 1)::VARCHAR) AS k "
            "FROM range(2000000) ORDER BY k"
        )
        assert con.execute("SELECT count(*) FROM big").fetchone() == (2000000,)
    assert settings["temp_directory"] == str(temp_directory(db))
    assert settings["preserve_insertion_order"] == "true"  # rows and issues keep their order
    assert settings["memory_limit"].endswith("MiB") and float(settings["memory_limit"][:-4]) < 128


@pytest.mark.parametrize(
    ("error", "memory"),
    [
        (duckdb.OutOfMemoryException("could not allocate block of size 256.0 KiB"), True),
        (
            duckdb.TransactionException(
                "Failed to commit: could not allocate block of size 256.0 KiB (488.1 MiB/488.2 "
                "MiB used)"
            ),
            True,
        ),
        (duckdb.ConstraintException("Duplicate key"), False),
    ],
)
def test_out_of_memory_is_told_from_other_errors(error, memory):
    assert out_of_memory(error) is memory


def test_duckdb_out_of_memory_once_is_written_again_on_a_fresh_copy(loaded, monkeypatch):
    """DuckDB really runs out of memory at the commit (no spilling, 1 MB) the first time: a
    fresh DuckDB writes the run again on a fresh copy, and the run completes."""
    monkeypatch.setenv(FAULT_ENV, "warehouse-out-of-memory")
    summary = loaded["run"]()
    assert summary.files_loaded == 1 and summary.rows.get("accepted") == len(SECOND)
    assert sorted(folder_state(loaded["db"])) == ["tepat.duckdb"]
    with duckdb.connect(str(loaded["db"]), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM submission_rows").fetchone() == (4,)


def test_duckdb_out_of_memory_every_time_changes_nothing(loaded, monkeypatch):
    """DuckDB runs out of memory at every attempt: the run fails with one clear message, the
    warehouse folder is as before, and the next run loads the waiting file as if nothing had
    happened."""
    db = loaded["db"]
    before, tables = folder_sizes(db), warehouse_dump(db)
    monkeypatch.setenv(FAULT_ENV, "warehouse-out-of-memory:*")
    with pytest.raises(WarehouseOutOfMemory) as failed:
        loaded["run"]()
    assert "gudang data tidak diubah" in str(failed.value)
    # the chain is dropped (a DuckDB error may carry rows: never stored by Prefect); the message says why
    assert "memori DuckDB tidak cukup" in str(failed.value)
    # no dead blocks (the same size), no WAL, no copy, no spill folder; every table as it was
    # (the bytes are not: each connection refreshes the schema's views, flows/warehouse/store.py DDL)
    assert folder_sizes(db) == before
    assert_same(tables, warehouse_dump(db))
    monkeypatch.delenv(FAULT_ENV)
    summary = loaded["run"]()
    assert summary.files_loaded == 1 and summary.rows.get("accepted") == len(SECOND)
    assert sorted(folder_state(db)) == ["tepat.duckdb"]


@pytest.mark.parametrize("packed", [False, True])
def test_a_large_table_goes_in_a_few_rows_per_transaction_in_order(packed, monkeypatch):
    """DuckDB holds a transaction's rows until it commits: a large table is committed a part
    at a time (the staged copy keeps the run whole), every row in, in order."""
    import pandas as pd

    from flows.warehouse import packed as packing
    from flows.warehouse import store
    from flows.warehouse.store import _insert

    monkeypatch.setattr(packing, "BATCH_ROWS", 2)  # packed cells come back 2 rows at a time
    monkeypatch.setattr(store, "ROWS_PER_TRANSACTION", 3)
    con = duckdb.connect()
    con.execute("CREATE TABLE t (k INTEGER, v VARCHAR)")
    frame = pd.DataFrame({"k": range(7), "v": [f"v{i}" for i in range(7)]})
    cells = None
    if packed:
        frame, cells = packing.PackedColumns.set_aside(frame, ["k"], ["v"])
    every_row = [(i, f"v{i}") for i in range(7)]
    con.execute("BEGIN TRANSACTION")
    _insert(con, "t", frame, cells)
    con.execute("ROLLBACK")  # only the open part goes: the parts before it were committed
    kept = con.execute("SELECT k, v FROM t").fetchall()
    assert 3 <= len(kept) < 7
    assert kept == every_row[: len(kept)]
    con.execute("DELETE FROM t")
    con.execute("BEGIN TRANSACTION")
    _insert(con, "t", frame, cells)
    con.execute("COMMIT")
    assert con.execute("SELECT k, v FROM t").fetchall() == every_row
