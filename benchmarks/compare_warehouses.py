"""Dump every table of a warehouse, and compare two warehouses (or dumps) table by table.

    python benchmarks/compare_warehouses.py dump  WAREHOUSE.duckdb OUT_DIR
    python benchmarks/compare_warehouses.py compare A B     # each a .duckdb file or a dump dir

For checking that a change to the pipeline keeps its results exactly (issue 19: precision,
recall and person-id stability): run the same workload with the code before and after, and
compare. Every table is compared as a multiset of rows in DuckDB (`EXCEPT ALL` both ways, out of
core, so a 4M-row warehouse compares in seconds), without what differs between two runs of the
same input: run ids, times, and where and when files were written (export paths and sha256, an
xlsx's creation-time stamp). Exit status 1 when anything differs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

# Columns that differ between two runs of the same input.
VOLATILE = {
    "run_id", "loaded_at", "decided_at", "started_at", "finished_at", "at", "created_at",
    "path", "sha256", "recomputed", "message", "duration_seconds", "applied_at",
    "files",  # bpjs_batches: the paths its tambah/kurang files were written to
}  # fmt: skip
# Tables whose rows are per run (one per run, not per result): compared by count only.
PER_RUN = {"runs", "run_fingerprints"}


def _tables(con: duckdb.DuckDBPyConnection, source: Path, alias: str) -> dict[str, str]:
    """Table name -> a relation over it, for a warehouse attached as `alias` or a dump dir."""
    if source.is_dir():
        return {p.stem: f"read_parquet('{p.as_posix()}')" for p in sorted(source.glob("*.parquet"))}
    con.execute(f"ATTACH '{source.as_posix()}' AS {alias} (READ_ONLY)")
    names = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = ? ORDER BY 1", [alias]
    ).fetchall()
    return {name: f"{alias}.main.{name}" for (name,) in names}


def dump(db: Path, out: Path) -> None:
    """Every table of the warehouse as one Parquet file each."""
    out.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as con:
        for name, relation in _tables(con, db, "w").items():
            con.execute(f"COPY (SELECT * FROM {relation}) TO '{(out / name).as_posix()}.parquet'")


def compare(a: Path, b: Path) -> list[str]:
    """One line per table: equal, or how it differs (rows only in a, only in b)."""
    lines = []
    with duckdb.connect() as con:
        con.execute("SET preserve_insertion_order = false")
        left, right = _tables(con, a, "a"), _tables(con, b, "b")
        for name in sorted(left.keys() | right.keys()):
            if name not in left or name not in right:
                lines.append(f"{name}: only in {'a' if name in left else 'b'}")
                continue
            cols_a = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {left[name]}").fetchall()]
            cols_b = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {right[name]}").fetchall()]
            common = [c for c in cols_a if c in cols_b and c not in VOLATILE]
            n_a = con.execute(f"SELECT count(*) FROM {left[name]}").fetchone()[0]
            n_b = con.execute(f"SELECT count(*) FROM {right[name]}").fetchone()[0]
            if name in PER_RUN or not common:
                lines.append(f"{name}: {n_a} vs {n_b} rows (per run, not compared)")
                continue
            cols = ", ".join(f'"{c}"' for c in common)
            only = [
                con.execute(
                    f"SELECT count(*) FROM (SELECT {cols} FROM {x} EXCEPT ALL SELECT {cols} FROM {y})"
                ).fetchone()[0]
                for x, y in ((left[name], right[name]), (right[name], left[name]))
            ]
            extra = sorted(set(cols_a) ^ set(cols_b))
            verdict = (
                "equal" if only == [0, 0] else f"DIFFER: {only[0]} only in a, {only[1]} only in b"
            )
            lines.append(
                f"{name}: {n_a} vs {n_b} rows, {len(common)} columns compared: {verdict}"
                + (f" (columns in one only: {extra})" if extra else "")
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump", help="every table as Parquet")
    d.add_argument("db", type=Path)
    d.add_argument("out", type=Path)
    c = sub.add_parser("compare", help="two warehouses or dumps, table by table")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    args = parser.parse_args()
    if args.command == "dump":
        dump(args.db, args.out)
        return
    lines = compare(args.a, args.b)
    print("\n".join(lines))
    sys.exit(1 if any("DIFFER" in line or "only in" in line for line in lines) else 0)


if __name__ == "__main__":
    main()
