"""Commit a run so that no failure can damage the warehouse: the run is written into a copy of
the warehouse file, under bounded, spilling memory, and the copy is renamed over the warehouse
only once it is committed and checkpointed. A run that fails or is killed leaves the warehouse
file exactly as it was (no dead blocks, no WAL); its copy is removed then or by the next run."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from flows.warehouse.store import RunWrite, connect, write_run
from flows.warehouse.tuning import exhaust_memory_if_asked, remove_temp_directory, tune_for_write

_LOG = logging.getLogger(__name__)


class WarehouseOutOfMemory(RuntimeError):
    """DuckDB could not write the run under its memory limit; the warehouse was not changed."""


class WarehouseChanged(RuntimeError):
    """Another program wrote the warehouse while the run was written; the run was not committed."""


def out_of_memory(exc: BaseException | None) -> bool:
    """DuckDB's out-of-memory error, also as a failed commit (`TransactionException: Failed to
    commit: could not allocate block ...`) or behind what followed it (`FatalException:
    database has been invalidated`, raised by the rollback or the close)."""
    while exc is not None:
        message = str(exc)
        if isinstance(exc, duckdb.OutOfMemoryException) or any(
            marker in message for marker in ("Out of Memory", "could not allocate")
        ):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def staged_path(db: Path) -> Path:
    """The copy a run writes into: `tepat.duckdb` -> `tepat.duckdb.run`."""
    return db.with_name(db.name + ".run")


def remove_leftovers(db: Path) -> bool:
    """Remove the copy, its WAL and DuckDB's spill folder left by a run that failed or was
    killed while writing; the warehouse itself is never touched. True when there was one."""
    staged = staged_path(db)
    found = False
    for path in (staged, staged.with_name(staged.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            found = True
    remove_temp_directory(db)
    return found


def _identity(db: Path) -> tuple[int, int, int] | None:
    """Inode, size and modification time: changes whenever anything writes the file."""
    try:
        stat = db.stat()
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def staged_warehouse(db: Path) -> Iterator[Path]:
    """A copy of the warehouse to write into, renamed over it when the block ends normally; on
    any error the copy is removed and the warehouse stays byte for byte as it was. Writers of
    the warehouse must hold the run lock: a write to it meanwhile stops the rename."""
    remove_leftovers(db)
    staged = staged_path(db)
    if db.exists():
        with duckdb.connect(str(db)) as con:  # committed data in a WAL goes into the file first
            con.execute("CHECKPOINT")
    before = _identity(db)
    if before is not None:
        shutil.copyfile(db, staged)
        os.chmod(staged, 0o600)
    try:
        yield staged
        if _identity(db) != before:
            raise WarehouseChanged(
                f"gudang data {db} diubah program lain selama run menulis; run tidak disimpan, "
                "gudang data tetap seperti hasil program itu. Jalankan lagi."
            )
        if staged.with_name(staged.name + ".wal").exists():
            raise RuntimeError(f"{staged} still has a WAL after its checkpoint")
        _fsync(staged)
        os.replace(staged, db)
        _fsync(db.parent)
    except BaseException:
        remove_leftovers(db)
        raise
    remove_temp_directory(db)


def commit_run(db: Path, write: RunWrite, memory_limit: str) -> None:
    """Write one run into a copy of the warehouse under `memory_limit` (DuckDB spills the rest
    next to the warehouse) and put it in place; all of it or nothing, the file included.

    Should DuckDB still run out of memory (its indexes cannot spill), the write is made once
    more on a fresh copy by a fresh DuckDB under its own default limit (80% of RAM): a retry
    that can run, as the failed database may have been invalidated and is thrown away."""
    try:
        _commit_once(db, write, memory_limit)
        return
    except duckdb.Error as exc:
        if not out_of_memory(exc):
            raise
        _LOG.warning(
            "DuckDB out of memory under %s while writing the run; writing it again on a fresh "
            "copy under DuckDB's default limit",
            memory_limit,
        )
    try:
        _commit_once(db, write, None)
    except duckdb.Error as exc:
        if not out_of_memory(exc):
            raise
        raise WarehouseOutOfMemory(
            f"memori DuckDB tidak cukup untuk menulis run (batas {memory_limit}, lalu batas "
            "bawaan DuckDB); gudang data tidak diubah. Tutup program lain yang memakai banyak "
            "memori lalu jalankan lagi."
        ) from exc


def _commit_once(db: Path, write: RunWrite, memory_limit: str | None) -> None:
    with staged_warehouse(db) as staged, connect(staged) as con:
        tune_for_write(con, db, memory_limit)
        write_run(con, write, before_commit=exhaust_memory_if_asked)
        con.execute("CHECKPOINT")
