"""A de-identified copy of the warehouse for analysts (`tepat analyst-copy`).

The copy (`tepat analyst-copy OUT.duckdb`) holds the same tables and views with
identity columns replaced by keyed pseudonyms (HMAC-SHA256 with a key that stays with the
province) or removed, and birth dates reduced to the year.

Why HMAC in Python: DuckDB has `sha256` but no HMAC, and a bare `sha256(key || value)` is a
home-made MAC. Pseudonyms are computed with Python's `hmac` once per *distinct* value (a
NIK appears in several tables; each is hashed once), registered as a lookup table and joined
in DuckDB SQL, so per-row work stays in SQL.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from flows.warehouse.views import sql_text

# --- the de-identified copy -------------------------------------------------------------------


class AnalystCopyError(RuntimeError):
    """The copy could not be written; nothing was left at the output path."""


def pseudonym_key_path(db: Path, configured: Path | None = None) -> Path:
    """The key file: the configured path, else next to the warehouse."""
    return configured or db.with_name(db.name + ".pseudonym-key")


def load_or_create_key(path: Path) -> bytes:
    """The pseudonym key; created owner-only (0600) with 32 random bytes on first use."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise AnalystCopyError(
                f"kunci pseudonim {path} dapat dibaca pengguna lain (mode {mode:o}); "
                f"jalankan: chmod 600 {path}"
            ) from None
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
        if len(key) < 16:
            raise AnalystCopyError(f"kunci pseudonim {path} terlalu pendek") from None
        return key
    key = secrets.token_bytes(32)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key.hex() + "\n")
    return key


# Hex digits spelled as letters: a pseudonym never holds a run of digits that looks like a NIK.
_LETTERS = str.maketrans("0123456789abcdef", "abcdefghijklmnop")


def pseudonyms(key: bytes, kind: str, values: list[str]) -> list[str]:
    """`kind_` + 20 letters (80 bits of HMAC-SHA256(key, kind:value)), per value."""
    prefix = f"{kind}:".encode()
    return [
        f"{kind}_"
        + hmac.new(key, prefix + v.encode("utf-8"), hashlib.sha256)
        .hexdigest()[:20]
        .translate(_LETTERS)
        for v in values
    ]


# How each column is de-identified, decided by its name so tables other stages add are covered.
PSEUDONYM_KINDS: tuple[tuple[str, str], ...] = (
    # Row coordinates: a regency holds its own files and feedback (row number, NIK, name), so
    # a file name, sheet and row number would join the copy back to named people.
    (r"^(file_name|source_file)$", "file"),
    (r"^(sheet|source_sheet)$", "sheet"),
    (r"^(row_number|source_row)$", "row"),
    (r"^path$", "path"),  # feedback workbooks are named after their source file
    (r"sha256", "sha256"),  # a regency can hash its own file or feedback workbook
    (r"^(nik|no_nik)$|^nik_(?!raw)|_nik$", "nik"),
    (r"^nik_raw$", "nik_raw"),
    (r"^(no_kk|kk|nomor_kk)$|^(no_)?kk_|_kk$", "kk"),
    (r"^nama($|_)|_nama$|^(name|full_name|person_name)$", "nama"),
    (r"^person_key($|_)", "person_key"),
    (r"^row_hash$", "row_hash"),
    (r"^value$", "value"),
)
# A row number is pseudonymised with its file and sheet: the same number in two files differs.
ROW_PARTS = {"row_number": ("file_name", "sheet"), "source_row": ("source_file", "source_sheet")}
REMOVED = re.compile(
    r"^(alamat|address|rt_rw|rt|rw|no_hp|hp|telepon|no_telp|phone|email|tempat_lahir)($|_)"
    r"|_(alamat|address|hp|phone|telepon)$|^(catatan|note|notes|comment|keterangan)$"
    r"|^password($|_)"  # the workspace's password hashes (users) never leave the warehouse
    # the order rows were read in (row order within a file), a file's reason (names files,
    # sheets and rows)
    r"|^order_key$|^reason$"
    # a feedback outcome sentence names the file, sheet and row that carries a person's outcome
    r"|^hasil$"
)
BIRTH_DATE = re.compile(r"(^|_)(tanggal_lahir|tgl_lahir|birth_date|dob)($|_)")
HASH_COLUMN = re.compile(r"sha256|_hash$|^hash$")
# Runs of 10+ digits in free text (NIK, KK, phone numbers), not after a decimal point.
DIGITS_PATTERN = r"(^|[^0-9.,])[0-9]{10,}"
# Day-month-year dates in free text (messages quote the birth date inside a NIK).
DATE_PATTERN = r"\b([0-9]{1,2})[-/.]([0-9]{1,2})[-/.]([0-9]{2,4})\b"
TEXT_TYPES = ("VARCHAR", "JSON")


@dataclass(frozen=True)
class ColumnPlan:
    table: str
    column: str
    kind: str  # "keep" | "pseudonym" | "remove" | "year" | "mask" | "message"
    pseudonym_kind: str = ""


def classify_column(table: str, column: str, dtype: str) -> ColumnPlan:
    """How one column is treated in the analyst copy."""
    name = column.lower()
    for pattern, kind in PSEUDONYM_KINDS:
        if re.search(pattern, name):
            return ColumnPlan(table, column, "pseudonym", kind)
    if REMOVED.search(name):
        return ColumnPlan(table, column, "remove")
    if BIRTH_DATE.search(name):
        return ColumnPlan(table, column, "year" if dtype in ("DATE", "TIMESTAMP") else "remove")
    if name == "message":
        return ColumnPlan(table, column, "message")
    if dtype in TEXT_TYPES and not HASH_COLUMN.search(name):
        return ColumnPlan(table, column, "mask")
    return ColumnPlan(table, column, "keep")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lookup(kind: str, expr: str) -> str:
    return (
        "(SELECT p.pseudonym FROM _pseudonyms AS p "
        f"WHERE p.kind = '{kind}' AND p.value = CAST({expr} AS VARCHAR))"
    )


def _masked(expr: str, replacement: str = "##########") -> str:
    return f"regexp_replace({expr}, '{DIGITS_PATTERN}', '\\1{replacement}', 'g')"


def _dates_to_year(expr: str) -> str:
    """`19-08-1989` or `19/08/89` in a message -> `**-**-1989` (birth dates keep only the year)."""
    return f"regexp_replace({expr}, '{DATE_PATTERN}', '**-**-\\3', 'g')"


def column_expression(plan: ColumnPlan, dtype: str, columns: set[str]) -> str:
    """SQL producing the de-identified value of one column (table alias `t`)."""
    col = "t." + _quote(plan.column)
    if plan.kind == "pseudonym" and plan.pseudonym_kind == "row":
        value = row_value(plan.column, columns, "t.")
        return _lookup("row", value) if value else f"CAST(NULL AS {dtype})"
    if plan.kind == "pseudonym":
        return _lookup(plan.pseudonym_kind, col)
    if plan.kind == "remove":
        return f"CAST(NULL AS {dtype})"
    if plan.kind == "year":
        return f"CAST(date_trunc('year', {col}) AS {dtype})"
    if plan.kind == "message":
        text = f"CAST({col} AS VARCHAR)"
        if "value" in columns:
            value = "t." + _quote("value")
            text = (
                f"CASE WHEN length(CAST({value} AS VARCHAR)) < 3 OR {value} IS NULL THEN {text} "
                f"ELSE replace({text}, CAST({value} AS VARCHAR), {_lookup('value', value)}) END"
            )
        return _dates_to_year(_masked(text))
    if plan.kind == "mask":  # in JSON a masked number becomes null, so the JSON stays valid
        replacement = "null" if dtype == "JSON" else "##########"
        return f"CAST({_masked(f'CAST({col} AS VARCHAR)', replacement)} AS {dtype})"
    return col


def row_value(column: str, columns: set[str], alias: str = "") -> str | None:
    """SQL for what a row number's pseudonym is made of: file, sheet and row together (None
    when the table lacks the file or sheet beside it: the column is then removed)."""
    parts = ROW_PARTS.get(column.lower())
    if parts is None or not set(parts) <= columns:
        return None
    cells = [f"CAST({alias}{_quote(c)} AS VARCHAR)" for c in (*parts, column)]
    return f"concat_ws(chr(31), {', '.join(cells)})"


def _tables(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str]]]:
    """Columns and types of every table of the attached source warehouse `src`."""
    rows = con.execute(
        "SELECT c.table_name, c.column_name, c.data_type FROM duckdb_columns() AS c "
        "JOIN duckdb_tables() AS t ON t.database_name = c.database_name "
        "AND t.schema_name = c.schema_name AND t.table_name = c.table_name "
        "WHERE c.database_name = 'src' AND c.schema_name = 'main' "
        "ORDER BY c.table_name, c.column_index"
    ).fetchall()
    tables: dict[str, list[tuple[str, str]]] = {}
    for table, column, dtype in rows:
        tables.setdefault(table, []).append((column, dtype))
    return tables


def _register_pseudonyms(
    con: duckdb.DuckDBPyConnection,
    key: bytes,
    plans: list[ColumnPlan],
    tables: dict[str, list[tuple[str, str]]],
) -> int:
    """Hash each distinct identity value once per kind and register the lookup as `_pseudonyms`."""
    by_kind: dict[str, list[str]] = {}
    for plan in plans:
        if plan.kind != "pseudonym":
            continue
        value = f"CAST({_quote(plan.column)} AS VARCHAR)"
        if plan.pseudonym_kind == "row":
            value = row_value(plan.column, {c for c, _ in tables[plan.table]})
            if value is None:
                continue
        by_kind.setdefault(plan.pseudonym_kind, []).append(
            f"SELECT {value} AS v FROM src.main.{_quote(plan.table)}"
        )
    frames = []
    for kind, selects in by_kind.items():
        values = (
            con.execute(
                f"SELECT DISTINCT v FROM ({' UNION ALL '.join(selects)}) WHERE v IS NOT NULL"
            )
            .df()["v"]
            .astype(str)
            .tolist()
        )
        frames.append(
            pd.DataFrame(
                {"kind": kind, "value": values, "pseudonym": pseudonyms(key, kind, values)}
            )
        )
    lookup = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame({"kind": [], "value": [], "pseudonym": []})
    ).astype("string")
    con.register("_pseudonyms", lookup)
    return len(lookup)


@dataclass(frozen=True)
class AnalystCopy:
    """What `write_analyst_copy` wrote."""

    path: Path
    tables: list[str]
    views: list[str]
    n_pseudonyms: int
    key_path: Path
    plans: list[ColumnPlan]


def write_analyst_copy(db: Path, out: Path, key_path: Path, overwrite: bool = False) -> AnalystCopy:
    """Write the de-identified copy of the warehouse to `out` (atomically: a temp file, then rename)."""
    if not db.exists():
        raise AnalystCopyError(f"gudang data {db} tidak ada")
    out = out.resolve()
    if out.exists() and not overwrite:
        raise AnalystCopyError(f"{out} sudah ada; pakai --overwrite untuk menimpanya")
    if out == db.resolve():
        raise AnalystCopyError("salinan analis tidak boleh menimpa gudang data itu sendiri")
    from flows.warehouse.store import owner_only_files  # flows.warehouse.store imports this module

    key = load_or_create_key(key_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = out.with_name(out.name + ".tmp")
    for stale in (temp, temp.with_name(temp.name + ".wal")):
        stale.unlink(missing_ok=True)

    try:
        with owner_only_files():  # the copy, its WAL and its temporary file: 0600 from the start
            tables, views, plans, n_pseudonyms = _write_copy(temp, db, key)
        os.replace(temp, out)
    except duckdb.Error as exc:
        temp.unlink(missing_ok=True)
        raise AnalystCopyError(f"salinan analis gagal: {exc}".splitlines()[0]) from exc
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return AnalystCopy(
        out, sorted(tables), sorted(v[0] for v in views), n_pseudonyms, key_path, plans
    )


def _write_copy(
    temp: Path, db: Path, key: bytes
) -> tuple[
    dict[str, list[tuple[str, str]]], list[tuple[str, str, str | None]], list[ColumnPlan], int
]:
    """The de-identified tables and the views, written to `temp`; what was written."""
    con = duckdb.connect(str(temp))
    try:
        con.execute(f"ATTACH '{db.resolve()}' AS src (READ_ONLY)")
        tables = _tables(con)
        plans = [classify_column(t, c, d) for t, cols in tables.items() for c, d in cols]
        n_pseudonyms = _register_pseudonyms(con, key, plans, tables)
        views = con.execute(
            "SELECT view_name, sql, comment FROM duckdb_views() "
            "WHERE NOT internal AND database_name = 'src' AND schema_name = 'main'"
        ).fetchall()
        by_table = {(p.table, p.column): p for p in plans}
        for table, cols in tables.items():
            names = {c for c, _ in cols}
            select = ", ".join(
                f"{column_expression(by_table[(table, c)], d, names)} AS {_quote(c)}"
                for c, d in cols
            )
            con.execute(
                f"CREATE TABLE main.{_quote(table)} AS "
                f"SELECT {select} FROM src.main.{_quote(table)} AS t"
            )
        con.execute("DETACH src")
        con.unregister("_pseudonyms")
        _copy_views(con, views)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return tables, views, plans, n_pseudonyms


def _copy_views(con: duckdb.DuckDBPyConnection, views: list[tuple[str, str, str | None]]) -> None:
    """Create the source's views in the copy, dependencies first (retry until none is left)."""
    pending = list(views)
    while pending:
        failed = []
        for name, sql, comment in pending:
            try:
                con.execute(sql)
            except duckdb.CatalogException:
                failed.append((name, sql, comment))
                continue
            if comment:
                con.execute(f"COMMENT ON VIEW {_quote(name)} IS '{sql_text(comment)}'")
        if len(failed) == len(pending):
            raise AnalystCopyError(
                "view tidak dapat dibuat di salinan: " + ", ".join(v[0] for v in failed)
            )
        pending = failed
