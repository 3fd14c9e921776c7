"""The warehouse schema, versioned: numbered migrations, applied in order, in one transaction.

Each migration is a SQL file `migrations/NNNN_name.sql`; its number is its version and its first
comment line says what it does. `schema_migrations` records each version a warehouse went
through. A warehouse written by tepat 0.1 (before versioning) has no such table: migration 1
is that release's schema, written idempotently (`IF NOT EXISTS`), so it brings any 0.1
warehouse to version 1 without touching its rows. A released migration is never edited; a
change to the schema is a new file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from importlib import resources

import duckdb


@dataclass(frozen=True)
class Migration:
    """One step of the schema: the SQL that moves a warehouse from `version - 1` to `version`."""

    version: int
    description: str
    sql: str


def load_migrations() -> tuple[Migration, ...]:
    """The migration files, in version order."""
    folder = resources.files("flows.warehouse") / "migrations"
    steps = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".sql"):
            continue
        sql = entry.read_text(encoding="utf-8")
        description = sql.splitlines()[0].removeprefix("--").strip()
        steps.append(Migration(int(entry.name.split("_", 1)[0]), description, sql))
    versions = [m.version for m in steps]
    if versions != list(range(1, len(steps) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..n without gaps, found {versions}")
    return tuple(steps)


MIGRATIONS = load_migrations()
SCHEMA_VERSION = MIGRATIONS[-1].version

VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    description VARCHAR,
    applied_at TIMESTAMP
);
"""


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The version a warehouse is at (0: empty, or written before versioning)."""
    known = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'schema_migrations'"
    ).fetchone()[0]
    if not known:
        return 0
    return con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0]


def migrate(con: duckdb.DuckDBPyConnection, migrations: tuple[Migration, ...] = MIGRATIONS) -> int:
    """Bring the warehouse to the newest version, every step in one transaction; returns it."""
    current = schema_version(con)
    if current > migrations[-1].version:
        raise RuntimeError(
            f"gudang data versi skema {current} lebih baru dari tepat ini "
            f"(versi {migrations[-1].version}); perbarui tepat"
        )
    pending = [m for m in migrations if m.version > current]
    if not pending:
        return current
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(VERSION_TABLE)
        for migration in pending:
            con.execute(migration.sql)
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                [migration.version, migration.description, datetime.now()],
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return pending[-1].version
