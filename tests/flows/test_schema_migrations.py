"""The warehouse schema is versioned: an older warehouse is migrated step by step, in one
transaction, with its rows kept and each version recorded."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

from flows.warehouse.schema import MIGRATIONS, SCHEMA_VERSION, Migration, migrate, schema_version
from flows.warehouse.store import connect

ROOT = Path(__file__).resolve().parents[2]


def _previous_release_ddl() -> str:
    """The DDL tepat 0.1 ran on every connect, before versioning: migration 1 is that DDL and a
    released migration is never edited (its checksum below pins it)."""
    return MIGRATIONS[0].sql


def test_released_migrations_are_never_edited():
    released = {1: "60a62f5adb5afabcbe6529bcd325e765a9de67613a480a386a705f0582e3327d"}
    for migration in MIGRATIONS:
        if migration.version in released:
            digest = hashlib.sha256(migration.sql.encode()).hexdigest()
            assert digest == released[migration.version], f"migration {migration.version} edited"


def _warehouse_of_previous_release(path: Path) -> None:
    con = duckdb.connect(str(path))
    con.execute(_previous_release_ddl())
    con.execute(
        "INSERT INTO source_files (file_name, sha256, regency_code, program, status, n_rows) "
        "VALUES ('6472/usulan.xlsx', 'abc', '6472', 'kesehatan', 'loaded', 3)"
    )
    con.close()


def test_a_warehouse_of_the_previous_release_is_migrated_and_keeps_its_rows(tmp_path):
    db = tmp_path / "lama.duckdb"
    _warehouse_of_previous_release(db)
    with connect(db) as con:
        assert schema_version(con) == SCHEMA_VERSION
        versions = [
            v for (v,) in con.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()
        ]
        assert versions == [m.version for m in MIGRATIONS]
        assert con.execute("SELECT file_name, n_rows FROM source_files").fetchall() == [
            ("6472/usulan.xlsx", 3)
        ]


def test_an_empty_warehouse_gets_every_version_once(tmp_path):
    db = tmp_path / "baru.duckdb"
    with connect(db):
        pass
    with connect(db) as con:  # a second connect applies nothing again
        assert con.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == len(
            MIGRATIONS
        )


def test_a_failing_step_leaves_the_warehouse_at_its_version(tmp_path):
    db = tmp_path / "gagal.duckdb"
    con = duckdb.connect(str(db))
    migrate(con)
    broken = (
        *MIGRATIONS,
        Migration(
            SCHEMA_VERSION + 1, "adds a column", "ALTER TABLE runs ADD COLUMN extra INTEGER;"
        ),
        Migration(SCHEMA_VERSION + 2, "fails", "ALTER TABLE no_such_table ADD COLUMN x INTEGER;"),
    )
    with pytest.raises(duckdb.Error):
        migrate(con, broken)
    assert schema_version(con) == SCHEMA_VERSION
    columns = [row[0] for row in con.execute("DESCRIBE runs").fetchall()]
    assert "extra" not in columns  # the step before the failing one was rolled back too
    con.close()


def test_a_warehouse_newer_than_this_tepat_is_refused(tmp_path):
    con = duckdb.connect(str(tmp_path / "baru.duckdb"))
    migrate(con)
    con.execute("INSERT INTO schema_migrations VALUES (999, 'from the future', now())")
    with pytest.raises(RuntimeError, match="lebih baru"):
        migrate(con)
    con.close()
