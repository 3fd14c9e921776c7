"""DuckDB settings for writing a run: spill to a folder next to the warehouse instead of failing."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import duckdb

from flows.runtime.faults import fault_wanted


def temp_directory(db: Path) -> Path:
    """Where DuckDB spills while a run is written: `tepat.duckdb` -> `tepat.duckdb.tmp`, on the
    warehouse's own disk (DuckDB's own default name, so an old leftover is found too)."""
    return db.with_name(db.name + ".tmp")


def tune_for_write(con: duckdb.DuckDBPyConnection, db: Path, memory_limit: str | None) -> None:
    """Bound DuckDB's memory and let it spill: what does not fit under `memory_limit` (None:
    DuckDB's default, 80% of RAM) goes to the temp folder. (Tables replaced whole are inserted
    in any order: `write_run`.)"""
    con.execute("SET temp_directory = ?", [str(temp_directory(db))])
    if memory_limit is not None:
        con.execute("SET memory_limit = ?", [memory_limit])


def remove_temp_directory(db: Path) -> None:
    """DuckDB's spill folder of a run that was killed (DuckDB removes it on a clean close)."""
    with contextlib.suppress(FileNotFoundError):
        shutil.rmtree(temp_directory(db))


def exhaust_memory_if_asked(con: duckdb.DuckDBPyConnection) -> None:
    """Fault harness (`TEPAT_FAULT_AT=warehouse-out-of-memory`, `...:*` at every attempt): no
    spilling and almost no memory, so DuckDB itself fails with its out-of-memory error where
    the run is committed."""
    if fault_wanted("warehouse-out-of-memory"):
        con.execute("SET max_temp_directory_size = '0KB'")
        con.execute("SET memory_limit = '1MB'")
