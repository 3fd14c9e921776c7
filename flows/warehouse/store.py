"""The DuckDB warehouse: connection, reading prior state, and writing a run into the staged copy."""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from flows.runtime.faults import fault_point
from flows.runtime.memory import release_memory
from flows.warehouse.packed import PackedColumns
from flows.warehouse.schema import migrate
from flows.warehouse.views import create_views

TEXT = pd.StringDtype("pyarrow")  # pandas' Arrow-backed text, <NA> for missing
# Tables a run replaces whole (the current state), and tables it appends to per file.
STATE_TABLES = (
    "persons",
    "candidate_decisions",
    "verified_candidates",
    "match_candidates",
    "row_outcomes",
)
# A transient lock conflict (a reader such as the workspace has the file open) is retried.
BUSY_WAIT_SECONDS = 2.0
BUSY_POLL_SECONDS = 0.1


@contextmanager
def connect(
    db: Path, read_only: bool = False, busy_wait_seconds: float = BUSY_WAIT_SECONDS
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse with the schema in place. The file, its folder and the WAL DuckDB
    writes beside it are owner-only from their first byte; while another process has the file
    open (the workspace reads it for well under a second), wait up to `busy_wait_seconds`."""
    with owner_only_files():
        db.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + busy_wait_seconds
        while True:
            try:
                con = duckdb.connect(str(db), read_only=read_only)
                break
            except duckdb.IOException as exc:
                busy = _busy(db, exc)
                if busy is None:
                    raise
                if time.monotonic() >= deadline:
                    raise busy from exc
                time.sleep(BUSY_POLL_SECONDS)
        try:
            if not read_only:
                migrate(con)
                create_views(con)
            yield con
        finally:
            con.close()


class WarehouseBusy(RuntimeError):
    """Another program holds the DuckDB file open for writing; nothing was read or changed."""


def _busy(db: Path, exc: duckdb.IOException) -> WarehouseBusy | None:
    """A clear message for DuckDB's lock conflict (another process has the file open)."""
    message = str(exc)
    if "could not set lock" not in message.lower():
        return None
    holder = re.search(r"held in (.*?) \(PID (\d+)\)", message)
    who = f"{Path(holder.group(1)).name}, PID {holder.group(2)}" if holder else "proses lain"
    return WarehouseBusy(
        f"gudang data {db} sedang dibuka oleh program lain ({who}); tutup program itu "
        "(mis. notebook, DBeaver, duckdb CLI) lalu jalankan lagi. Gudang data tidak diubah."
    )


@contextmanager
def owner_only_files() -> Iterator[None]:
    """Everything a run creates (warehouse, its WAL, exports, feedback, reports, temporary files,
    folders) readable and writable by the owner only: umask 077 for the duration."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [row[0] for row in con.execute(f"DESCRIBE {table}").fetchall()]


def read_frame(
    con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None
) -> pd.DataFrame:
    """Run a query and fully fetch it as a DataFrame."""
    return con.execute(sql, params or []).df()


def read_arrow_frame(
    con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None
) -> pd.DataFrame:
    """A query fetched through Arrow: text as Arrow-backed `string`, dates as datetime64[us];
    no Python object per cell, so large results come several times faster and leaner."""
    table = con.sql(sql, params=params or None).to_arrow_table()
    frame = table.to_pandas(
        types_mapper={pa.string(): TEXT, pa.large_string(): TEXT}.get, date_as_object=False
    )
    for name, dtype in zip(table.column_names, table.schema.types, strict=True):
        if pa.types.is_date(dtype):
            frame[name] = frame[name].astype("datetime64[us]")
    return frame


@dataclass
class RunWrite:
    """Everything one run writes, applied to a staged copy that replaces the warehouse whole."""

    run: dict[str, object]
    source_files: pd.DataFrame
    replaced_files: list[str]
    submission_rows: pd.DataFrame
    row_issues: pd.DataFrame
    registry_added: pd.DataFrame
    persons: pd.DataFrame
    candidate_decisions: pd.DataFrame
    verified_candidates: pd.DataFrame
    exports: pd.DataFrame
    row_status_updates: pd.DataFrame = field(default_factory=pd.DataFrame)
    programs: pd.DataFrame = field(default_factory=pd.DataFrame)  # premiums for v_budget
    match_candidates: pd.DataFrame = field(default_factory=pd.DataFrame)  # person pairs
    bpjs: BpjsWrite | None = None  # what BPJS sent back, and the lists sent this run
    row_outcomes: pd.DataFrame = field(default_factory=pd.DataFrame)  # feedback `Kode hasil`
    # columns of submission_rows, persons and candidate_decisions held packed
    # (flows/warehouse/packed.py)
    submission_row_columns: PackedColumns | None = None
    person_columns: PackedColumns | None = None
    decision_columns: PackedColumns | None = None
    # a run that changed only some persons: their ids, whose persons, decisions and pairs it
    # replaces, and row_outcomes then holds only the rows whose outcome was decided again
    # (None: the state tables are replaced whole)
    only_persons: np.ndarray | None = None
    # the reference lists' flags read from their files this run (None: as stored)
    reference_enrolment: pd.DataFrame | None = None
    # with `only_persons`: the lists (program, regency_code) ranked again, whose rows
    # verified_candidates then holds; the other lists' rows stay as stored (None: all replaced)
    only_lists: pd.DataFrame | None = None


@dataclass
class BpjsWrite:
    """BPJS files read this run, every results row (re-tied to persons), new bill lines, and
    the batches of lists sent to BPJS (appended, never rewritten)."""

    files: pd.DataFrame = field(default_factory=pd.DataFrame)
    replaced: list[str] = field(default_factory=list)
    results: pd.DataFrame | None = None  # None: results unchanged
    bill_lines: pd.DataFrame = field(default_factory=pd.DataFrame)
    batches: pd.DataFrame = field(default_factory=pd.DataFrame)
    members: pd.DataFrame = field(default_factory=pd.DataFrame)


def _insert(
    con: duckdb.DuckDBPyConnection,
    table: str,
    frame: pd.DataFrame,
    packed: PackedColumns | None = None,
) -> None:
    """Insert `frame`'s columns of `table`, committing every `ROWS_PER_TRANSACTION` rows
    (`_next_transaction`); `packed` columns set aside from it come back a batch at a time
    (never all unpacked at once)."""
    if frame is None or frame.empty:
        return
    known = table_columns(con, table)
    if packed is None:
        parts = (
            frame.iloc[i : i + ROWS_PER_TRANSACTION]
            for i in range(0, len(frame), ROWS_PER_TRANSACTION)
        )
        for number, part in enumerate(parts):
            if number:
                _next_transaction(con)
            _insert_part(con, table, part[[c for c in known if c in part.columns]])
        return
    columns = [c for c in known if c in frame.columns and c not in packed.columns]
    in_transaction = 0
    for part in packed.joined(frame[columns]):
        if in_transaction >= ROWS_PER_TRANSACTION:
            _next_transaction(con)
            in_transaction = 0
        _insert_part(con, table, part.select([c for c in known if c in part.column_names]))
        in_transaction += part.num_rows
        del part
        release_memory(cycles=False)  # each unpacked batch goes back before the next one


def _insert_part(con: duckdb.DuckDBPyConnection, table: str, part: pd.DataFrame | pa.Table) -> None:
    names = part.columns if isinstance(part, pd.DataFrame) else part.column_names
    view = f"_incoming_{table}"
    con.register(view, part)
    cols = ", ".join(names)
    try:
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {view}")
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # refused in an aborted transaction
            con.unregister(view)
        raise  # the insert's own error, e.g. out of memory
    con.unregister(view)


def write_run(
    con: duckdb.DuckDBPyConnection,
    write: RunWrite,
    before_commit: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
) -> None:
    """Apply one run's writes to the staged copy of the warehouse, which reaches the warehouse
    whole or not at all (flows/warehouse/commit.py), in transactions of at most
    `ROWS_PER_TRANSACTION` rows of a large table: DuckDB holds a transaction's new rows and
    index entries in memory until it commits, ~1.5 GB per million submission rows had it been
    one transaction."""
    con.execute("BEGIN TRANSACTION")
    try:
        if write.replaced_files:
            con.register("_replaced", pd.DataFrame({"file_name": write.replaced_files}))
            for table in ("submission_rows", "row_issues", "row_outcomes"):
                con.execute(
                    f"DELETE FROM {table} WHERE file_name IN (SELECT file_name FROM _replaced)"
                )
            con.unregister("_replaced")
        if not write.source_files.empty:
            con.register("_files", write.source_files[["file_name"]])
            con.execute(
                "DELETE FROM source_files WHERE file_name IN (SELECT file_name FROM _files)"
            )
            con.unregister("_files")
        _insert(con, "source_files", write.source_files)
        _insert(con, "submission_rows", write.submission_rows, write.submission_row_columns)
        _next_transaction(con)
        _insert(con, "row_issues", write.row_issues)
        fault_point("warehouse-mid-transaction")
        if not write.row_status_updates.empty:
            _apply_status_updates(con, write.row_status_updates)
        # The registry and the tables replaced whole: their order means nothing, so DuckDB need
        # not buffer to keep it (rows and issues keep theirs: readers see them as loaded).
        con.execute("SET preserve_insertion_order = false")
        _upsert_registry(con, write.registry_added)
        _clear_state(con, write.only_persons, write.row_outcomes, write.only_lists)
        _next_transaction(con)
        _insert(con, "persons", write.persons, write.person_columns)
        _next_transaction(con)
        _insert(con, "candidate_decisions", write.candidate_decisions, write.decision_columns)
        _next_transaction(con)
        _insert(con, "verified_candidates", write.verified_candidates)
        _insert(con, "match_candidates", write.match_candidates)
        _insert(con, "row_outcomes", write.row_outcomes)
        _next_transaction(con)
        _insert(con, "exports", write.exports)
        if not write.programs.empty:
            con.execute("DELETE FROM programs")
            _insert(con, "programs", write.programs)
        if write.bpjs is not None:  # after the state and premiums the bills are checked against
            _write_bpjs(con, write.bpjs, str(write.run["run_id"]))
        if write.reference_enrolment is not None:
            con.execute("DELETE FROM reference_enrolment")
            _insert(con, "reference_enrolment", write.reference_enrolment)
        _insert(con, "runs", pd.DataFrame([write.run]))
        if before_commit is not None:
            before_commit(con)
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # refused once DuckDB invalidated the database
            con.execute("ROLLBACK")
        raise
    finally:
        with contextlib.suppress(duckdb.Error):
            con.execute("RESET preserve_insertion_order")


# The memory limit DuckDB is held to for a moment between two transactions of a run's write.
CACHE_RELEASED_TO = "64MB"
# Rows of a large table written in one transaction: DuckDB holds a transaction's new rows in
# memory until it commits (~0.5 GB per million candidate decisions, 4M in one: 2.1 GB more of
# the process; 512Ki at a time: 0.8 GB at most, in the same time).
ROWS_PER_TRANSACTION = 8 * 65_536


def _next_transaction(con: duckdb.DuckDBPyConnection) -> None:
    """Commit what is written so far into the staged copy and go on in a new transaction,
    after DuckDB has let go of its cache of what is committed: it keeps written blocks up to
    its memory limit (0.7 GB more of the process at 1M rows), and drops them only when it
    must stay under a lower one."""
    memory_limit = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    con.execute("COMMIT")
    with contextlib.suppress(duckdb.Error):  # what cannot be dropped stays: no harm done
        con.execute(f"SET memory_limit = '{CACHE_RELEASED_TO}'")
    con.execute("SET memory_limit = ?", [memory_limit])
    con.execute("BEGIN TRANSACTION")


# State tables a run that changed only some persons rewrites in part, and the columns naming them.
PER_PERSON = {
    "persons": ("person_id",),
    "candidate_decisions": ("person_id",),
    "match_candidates": ("person_id_a", "person_id_b"),
}


def _clear_state(
    con: duckdb.DuckDBPyConnection,
    only_persons: np.ndarray | None,
    outcomes: pd.DataFrame,
    only_lists: pd.DataFrame | None = None,
) -> None:
    """Empty the state tables for the run to fill, or with `only_persons` remove just those
    persons' rows from the per-person tables, the `outcomes` rows from row_outcomes and the
    rows of `only_lists` from verified_candidates (without it, the lists are rewritten whole)."""
    if only_persons is None:
        for table in STATE_TABLES:
            con.execute(f"DELETE FROM {table}")
        return
    con.register("_changed_persons", pd.DataFrame({"person_id": only_persons.astype(np.int64)}))
    con.register("_changed_rows", outcomes[["file_name", "sheet", "row_number"]])
    lists = pd.DataFrame(columns=["program", "regency_code"]) if only_lists is None else only_lists
    con.register("_changed_lists", lists[["program", "regency_code"]].astype("string"))
    try:
        for table in STATE_TABLES:
            if table == "verified_candidates" and only_lists is not None:
                con.execute(
                    "DELETE FROM verified_candidates AS v USING _changed_lists AS l "
                    "WHERE v.program = l.program "
                    "AND v.regency_code IS NOT DISTINCT FROM l.regency_code"
                )
            elif table == "row_outcomes":
                con.execute(
                    "DELETE FROM row_outcomes AS o USING _changed_rows AS c "
                    "WHERE o.file_name = c.file_name AND o.sheet = c.sheet "
                    "AND o.row_number = c.row_number"
                )
            elif table in PER_PERSON:
                hit = " OR ".join(
                    f"{column} IN (SELECT person_id FROM _changed_persons)"
                    for column in PER_PERSON[table]
                )
                con.execute(f"DELETE FROM {table} WHERE {hit}")
            else:
                con.execute(f"DELETE FROM {table}")
    finally:
        con.unregister("_changed_persons")
        con.unregister("_changed_rows")
        con.unregister("_changed_lists")


def _upsert_registry(con: duckdb.DuckDBPyConnection, changes: pd.DataFrame) -> None:
    """New registry keys, and keys whose person changed (merged persons keep the smallest id)."""
    if changes is None or changes.empty:
        return
    con.register("_registry_keys", changes[["person_key"]])
    con.execute(
        "DELETE FROM person_registry WHERE person_key IN (SELECT person_key FROM _registry_keys)"
    )
    con.unregister("_registry_keys")
    _insert(con, "person_registry", changes)


def _apply_status_updates(con: duckdb.DuckDBPyConnection, updates: pd.DataFrame) -> None:
    """Person ids and statuses of rows loaded earlier (dedup may hold or link them)."""
    con.register("_updates", updates[["file_name", "sheet", "row_number", "status", "person_id"]])
    con.execute(
        """
        UPDATE submission_rows AS s
        SET status = u.status, person_id = u.person_id
        FROM _updates AS u
        WHERE s.file_name = u.file_name AND s.sheet = u.sheet AND s.row_number = u.row_number
        """
    )
    con.unregister("_updates")


def _write_bpjs(con: duckdb.DuckDBPyConnection, bpjs: BpjsWrite, run_id: str) -> None:
    """BPJS files, results and bills of this run; bills checked once the state is written."""
    from flows.warehouse.billing import reconcile_bills

    if bpjs.replaced:
        con.register("_bpjs_replaced", pd.DataFrame({"file_name": bpjs.replaced}))
        for table in ("bpjs_bill_lines", "billing_findings", "bpjs_results"):
            con.execute(
                f"DELETE FROM {table} WHERE file_name IN (SELECT file_name FROM _bpjs_replaced)"
            )
        con.unregister("_bpjs_replaced")
    if not bpjs.files.empty:
        con.register("_bpjs_files", bpjs.files[["file_name"]])
        con.execute("DELETE FROM bpjs_files WHERE file_name IN (SELECT file_name FROM _bpjs_files)")
        con.unregister("_bpjs_files")
        _insert(con, "bpjs_files", bpjs.files)
    if bpjs.results is not None:
        con.execute("DELETE FROM bpjs_results")
        _insert(con, "bpjs_results", bpjs.results)
    _insert(con, "bpjs_batches", bpjs.batches)
    _insert(con, "bpjs_batch_members", bpjs.members)
    reconcile_bills(con, bpjs.bill_lines, run_id)
