"""The DuckDB warehouse: DDL, reading prior state, and one transaction per run."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from flows.analyst import ensure_reporting_schema
from flows.faults import fault_point

# New warehouse modules live in flows/warehouse/ (the target layout); until this module moves
# into that package, this lets `flows.warehouse.<module>` be imported.
__path__ = [str(Path(__file__).with_suffix(""))]

DDL = """
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY,
    started_at TIMESTAMP,
    finished_at TIMESTAMP,
    status VARCHAR,
    as_of DATE,
    n_files_seen INTEGER,
    n_files_loaded INTEGER,
    n_files_rejected INTEGER,
    n_files_duplicate INTEGER,
    n_rows INTEGER,
    n_accepted INTEGER,
    n_review INTEGER,
    n_rejected INTEGER,
    n_persons INTEGER,
    n_verified_kesehatan INTEGER,
    n_verified_ketenagakerjaan INTEGER,
    message VARCHAR
);
CREATE TABLE IF NOT EXISTS source_files (
    file_name VARCHAR PRIMARY KEY,
    sha256 VARCHAR,
    regency_code VARCHAR,
    program VARCHAR,
    status VARCHAR,
    reason_code VARCHAR,
    reason VARCHAR,
    n_rows INTEGER,
    n_skipped INTEGER,
    n_sheets INTEGER,
    run_id VARCHAR,
    loaded_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS submission_rows (
    file_name VARCHAR,
    sheet VARCHAR,
    row_number INTEGER,
    status VARCHAR,
    nik VARCHAR,
    person_id BIGINT,
    run_id VARCHAR,
    regency_code VARCHAR,
    program VARCHAR,
    order_key BIGINT,
    row_hash VARCHAR,
    nik_raw VARCHAR,
    no_kk VARCHAR,
    nama VARCHAR,
    nama_key VARCHAR,
    tempat_lahir VARCHAR,
    tanggal_lahir DATE,
    jenis_kelamin VARCHAR,
    alamat VARCHAR,
    rt_rw VARCHAR,
    desa VARCHAR,
    kecamatan VARCHAR,
    no_hp VARCHAR,
    fktp VARCHAR,
    pekerjaan VARCHAR,
    occupation_group VARCHAR,
    penghasilan DOUBLE,
    desil INTEGER,
    disabilitas BOOLEAN,
    jumlah_tanggungan INTEGER,
    PRIMARY KEY (file_name, sheet, row_number)
);
CREATE TABLE IF NOT EXISTS row_issues (
    file_name VARCHAR,
    sheet VARCHAR,
    row_number INTEGER,
    code VARCHAR,
    severity VARCHAR,
    column_name VARCHAR,
    value VARCHAR,
    message VARCHAR,
    run_id VARCHAR
);
CREATE TABLE IF NOT EXISTS person_registry (
    person_key VARCHAR PRIMARY KEY,
    person_id BIGINT,
    run_id VARCHAR
);
CREATE TABLE IF NOT EXISTS persons (
    person_id BIGINT PRIMARY KEY,
    nik VARCHAR,
    no_kk VARCHAR,
    nama VARCHAR,
    tanggal_lahir DATE,
    jenis_kelamin VARCHAR,
    regency_code VARCHAR,
    tempat_lahir VARCHAR,
    alamat VARCHAR,
    rt_rw VARCHAR,
    desa VARCHAR,
    kecamatan VARCHAR,
    no_hp VARCHAR,
    fktp VARCHAR,
    pekerjaan VARCHAR,
    occupation_group VARCHAR,
    penghasilan DOUBLE,
    desil INTEGER,
    disabilitas BOOLEAN,
    jumlah_tanggungan INTEGER,
    programs_submitted VARCHAR,
    programs_accepted VARCHAR,
    n_rows_accepted INTEGER,
    n_rows_review INTEGER,
    source_file VARCHAR,
    source_sheet VARCHAR,
    source_row INTEGER,
    run_id VARCHAR
);
CREATE TABLE IF NOT EXISTS candidate_decisions (
    program VARCHAR,
    person_id BIGINT,
    eligible BOOLEAN,
    reason_code VARCHAR,
    score DOUBLE,
    score_components JSON,
    run_id VARCHAR,
    PRIMARY KEY (program, person_id)
);
CREATE TABLE IF NOT EXISTS verified_candidates (
    program VARCHAR,
    person_id BIGINT,
    nik VARCHAR,
    regency_code VARCHAR,
    eligible BOOLEAN,
    score DOUBLE,
    rank INTEGER,
    within_quota BOOLEAN,
    run_id VARCHAR,
    PRIMARY KEY (program, person_id)
);
CREATE TABLE IF NOT EXISTS exports (
    run_id VARCHAR,
    program VARCHAR,
    regency_code VARCHAR,
    kind VARCHAR,
    path VARCHAR,
    n_rows INTEGER,
    sha256 VARCHAR
);
-- officers' decisions on rows held for review (flows/review_rows.py), keyed by row content
CREATE TABLE IF NOT EXISTS row_reviews (
    row_hash VARCHAR NOT NULL, regency_code VARCHAR, file_name VARCHAR NOT NULL,
    sheet VARCHAR NOT NULL, row_number INTEGER NOT NULL, decision VARCHAR NOT NULL,
    officer VARCHAR NOT NULL, note VARCHAR, codes VARCHAR, decided_at TIMESTAMP NOT NULL
);
-- cells as the regency wrote them, for the feedback workbooks (flows/feedback.py)
ALTER TABLE submission_rows ADD COLUMN IF NOT EXISTS kk_raw VARCHAR;
ALTER TABLE submission_rows ADD COLUMN IF NOT EXISTS tanggal_lahir_raw VARCHAR;
ALTER TABLE submission_rows ADD COLUMN IF NOT EXISTS jenis_kelamin_raw VARCHAR;
ALTER TABLE submission_rows ADD COLUMN IF NOT EXISTS pekerjaan_raw VARCHAR;
ALTER TABLE submission_rows ADD COLUMN IF NOT EXISTS penghasilan_raw VARCHAR;
ALTER TABLE submission_rows ADD COLUMN IF NOT EXISTS desil_raw VARCHAR;
ALTER TABLE submission_rows ADD COLUMN IF NOT EXISTS disabilitas_raw VARCHAR;
ALTER TABLE submission_rows ADD COLUMN IF NOT EXISTS jumlah_tanggungan_raw VARCHAR;
-- deduplication (transforms/dedup.py): pairs of person keys, officers' decisions, lineage
CREATE TABLE IF NOT EXISTS match_candidates (
    person_key_a VARCHAR, person_key_b VARCHAR, person_id_a BIGINT, person_id_b BIGINT,
    status VARCHAR, score DOUBLE, rule VARCHAR,
    nik_a VARCHAR, nik_b VARCHAR, edits_between_niks INTEGER, nama_a VARCHAR, nama_b VARCHAR,
    name_similarity DOUBLE, name_level VARCHAR, tanggal_lahir_a DATE, tanggal_lahir_b DATE,
    dob_level VARCHAR, jenis_kelamin_a VARCHAR, jenis_kelamin_b VARCHAR, same_sex BOOLEAN,
    no_kk_a VARCHAR, no_kk_b VARCHAR, same_family_card BOOLEAN, kecamatan_a VARCHAR, kecamatan_b VARCHAR,
    same_kecamatan BOOLEAN, regency_code_a VARCHAR, regency_code_b VARCHAR,
    decided_by VARCHAR, decided_at TIMESTAMP, run_id VARCHAR,
    PRIMARY KEY (person_key_a, person_key_b)
);
CREATE TABLE IF NOT EXISTS pair_reviews (
    person_key_a VARCHAR, person_key_b VARCHAR, person_id_a BIGINT, person_id_b BIGINT,
    decision VARCHAR, officer VARCHAR, decided_at TIMESTAMP, note VARCHAR
);
ALTER TABLE person_registry ADD COLUMN IF NOT EXISTS first_person_id BIGINT;
ALTER TABLE persons ADD COLUMN IF NOT EXISTS nik_variants VARCHAR;
ALTER TABLE submission_rows ADD COLUMN IF NOT EXISTS probable_person_id BIGINT;
CREATE OR REPLACE VIEW person_rows AS
SELECT person_id, file_name, sheet, row_number, status, program, regency_code, run_id
FROM submission_rows WHERE person_id IS NOT NULL;
COMMENT ON VIEW person_rows IS 'Lineage: every submission row (file, sheet, row) of each person.';
"""

TEXT = pd.StringDtype("pyarrow")  # pandas' Arrow-backed text, <NA> for missing
# Tables a run replaces whole (the current state), and tables it appends to per file.
STATE_TABLES = ("persons", "candidate_decisions", "verified_candidates", "match_candidates")


@contextmanager
def connect(db: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse (created owner-only on first use) with the schema in place."""
    db.parent.mkdir(parents=True, exist_ok=True)
    created = not db.exists()
    try:
        con = duckdb.connect(str(db), read_only=read_only)
    except duckdb.IOException as exc:
        busy = _busy(db, exc)
        if busy is None:
            raise
        raise busy from exc
    try:
        if created:
            os.chmod(db, 0o600)
        if not read_only:
            con.execute(DDL)
            ensure_reporting_schema(con)  # run fingerprints, `programs`, analyst views
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
    """Everything one run writes, applied in a single transaction."""

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


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    if frame is None or frame.empty:
        return
    columns = [c for c in table_columns(con, table) if c in frame.columns]
    view = f"_incoming_{table}"
    con.register(view, frame[columns])
    cols = ", ".join(columns)
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
    """Apply one run's writes atomically: all of them or, on any error, none (memory bounds and
    the copy that keeps a failure from touching the file: flows/warehouse/commit.py)."""
    con.execute("BEGIN TRANSACTION")
    try:
        if write.replaced_files:
            con.register("_replaced", pd.DataFrame({"file_name": write.replaced_files}))
            for table in ("submission_rows", "row_issues"):
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
        _insert(con, "submission_rows", write.submission_rows)
        _insert(con, "row_issues", write.row_issues)
        fault_point("warehouse-mid-transaction")
        if not write.row_status_updates.empty:
            _apply_status_updates(con, write.row_status_updates)
        # The registry and the tables replaced whole: their order means nothing, so DuckDB need
        # not buffer to keep it (rows and issues keep theirs: readers see them as loaded).
        con.execute("SET preserve_insertion_order = false")
        _upsert_registry(con, write.registry_added)
        for table in STATE_TABLES:
            con.execute(f"DELETE FROM {table}")
        _insert(con, "persons", write.persons)
        _insert(con, "candidate_decisions", write.candidate_decisions)
        _insert(con, "verified_candidates", write.verified_candidates)
        _insert(con, "match_candidates", write.match_candidates)
        _insert(con, "exports", write.exports)
        if not write.programs.empty:
            con.execute("DELETE FROM programs")
            _insert(con, "programs", write.programs)
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
