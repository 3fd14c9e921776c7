"""How much memory DuckDB holds once every primary-key index of a warehouse is used (run by hand).

    python benchmarks/index_memory.py WAREHOUSE.duckdb

Indexes cannot spill to disk, so they are the floor under `TEPAT_WAREHOUSE_MEMORY_LIMIT`. On a
copy of the warehouse (the original is not touched), one row of each keyed table is inserted
again under a new key, in a transaction rolled back, so that DuckDB checks the key against its
index; prints DuckDB's memory (`duckdb_memory()`) after each table.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import duckdb

# A keyed table and how one of its rows gets a key not in the table.
NEW_KEY = {
    "submission_rows": "row_number + 100000000 AS row_number",
    "person_registry": "person_key || '~' AS person_key",
    "persons": "person_id + 1000000000000 AS person_id",
    "candidate_decisions": "person_id + 1000000000000 AS person_id",
    "verified_candidates": "person_id + 1000000000000 AS person_id",
    "match_candidates": "person_key_a || '~' AS person_key_a",
}


def main() -> None:
    source = Path(sys.argv[1])
    with tempfile.TemporaryDirectory(dir=source.parent) as scratch:
        copy = Path(scratch) / source.name
        shutil.copyfile(source, copy)
        with duckdb.connect(str(copy)) as con:
            for table, change in NEW_KEY.items():
                rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                con.execute("BEGIN")
                con.execute(f"INSERT INTO {table} SELECT * REPLACE ({change}) FROM {table} LIMIT 1")
                memory = dict(
                    con.execute("SELECT tag, memory_usage_bytes FROM duckdb_memory()").fetchall()
                )
                con.execute("ROLLBACK")
                print(
                    f"{table}: {rows:,} rows; indexes so far {memory.get('ART_INDEX', 0) / 1e6:.0f}"
                    f" MB, DuckDB in all {sum(memory.values()) / 1e6:.0f} MB"
                )


if __name__ == "__main__":
    main()
