"""Rows held for review: list them with their evidence, record an officer's decision.

A decision (`accept` or `reject`, with the officer's name, a note and a timestamp) is kept in
`row_reviews`, keyed by the row's content (`submission_rows.row_hash`: the NIK, KK, name,
birth date and sex cells as written) and its regency, with the file, sheet and row it was
made on. Every later run applies it to rows with that content, in any file of that regency:

- accept: a row held for review becomes accepted, with a `REVIEW_ACCEPTED` note;
- reject: a row not already rejected becomes rejected, with a `REVIEW_REJECTED` error.

A corrected resubmission has different content, so an old decision does not touch it. Errors
are never lifted by a decision: accepting only releases a held row. Applying the decisions is
pure and lives in `transforms/validate/decisions.py`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from flows.runtime.lock import run_lock
from flows.warehouse.store import connect, read_frame, table_columns
from schemas.codes import ROW_KEYS

DECISIONS = ("accept", "reject")
DECISION_COLUMNS = [
    "row_hash", "regency_code", "file_name", "sheet", "row_number", "decision", "officer",
    "note", "codes", "decided_at",
]  # fmt: skip


def empty_decisions() -> pd.DataFrame:
    """No decisions (a fresh warehouse)."""
    return pd.DataFrame({c: pd.Series(dtype="object") for c in DECISION_COLUMNS})


def read_row_decisions(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The latest decision per row content and regency."""
    return read_frame(
        con,
        f"""
        SELECT {", ".join(DECISION_COLUMNS)} FROM row_reviews
        QUALIFY row_number() OVER (
            PARTITION BY row_hash, regency_code ORDER BY decided_at DESC, file_name, sheet,
            row_number) = 1
        """,
    )


# --------------------------------------------------------------------------------------------
# The officer's side: `tepat review rows` and `tepat review decide-row`
# --------------------------------------------------------------------------------------------

SHOWN_COLUMNS = {
    # shown as: preferred stored column, fallback
    "nik": ("nik_raw", "nik"),
    "no_kk": ("kk_raw", "no_kk"),
    "nama": ("nama", "nama"),
    "tanggal_lahir": ("tanggal_lahir_raw", "tanggal_lahir"),
    "jenis_kelamin": ("jenis_kelamin_raw", "jenis_kelamin"),
    "pekerjaan": ("pekerjaan_raw", "pekerjaan"),
}


def open_review_rows(
    con: duckdb.DuckDBPyConnection,
    include_decided: bool = False,
    regency_code: str | None = None,
    file_name: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> pd.DataFrame:
    """Rows held for review with their evidence (review findings, other holders of the NIK),
    the occupation and group the run gave them, and any decision already recorded for their
    content (applied by the next run); one page of `limit` rows from `offset` when given (the
    evidence is looked up for that page only)."""
    present = set(table_columns(con, "submission_rows"))
    tables = {row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    reviews = (
        "row_reviews"
        if "row_reviews" in tables
        else (
            "(SELECT NULL::VARCHAR AS row_hash, NULL::VARCHAR AS regency_code, NULL::VARCHAR AS "
            "decision, NULL::VARCHAR AS officer, NULL::VARCHAR AS note, NULL::TIMESTAMP AS "
            "decided_at WHERE false)"
        )
    )
    shown = []
    for alias, (preferred, fallback) in SHOWN_COLUMNS.items():
        column = preferred if preferred in present else fallback
        expression = f"s.{column}"
        if column == "tanggal_lahir":
            expression = "strftime(s.tanggal_lahir, '%d-%m-%Y')"
        shown.append(f"CAST({expression} AS VARCHAR) AS {alias}")
    remark = "s.keterangan" if "keterangan" in present else "NULL"
    shown.append(f"CAST({remark} AS VARCHAR) AS keterangan")
    filters, params = ["s.status = 'review'"], []
    if not include_decided:
        filters.append("d.decision IS NULL")
    if regency_code:
        filters.append("s.regency_code = ?")
        params.append(regency_code)
    if file_name:
        filters.append("s.file_name = ?")
        params.append(file_name)
    page = "" if limit is None else f"LIMIT {int(limit)} OFFSET {int(offset)}"
    matching = (
        "FROM submission_rows s LEFT JOIN latest d ON d.row_hash = s.row_hash AND "
        f"d.regency_code = s.regency_code WHERE {' AND '.join(filters)}"
    )
    frame = read_frame(
        con,
        f"""
        WITH latest AS (
            SELECT row_hash, regency_code, decision, officer, note, decided_at FROM {reviews}
            QUALIFY row_number() OVER (
                PARTITION BY row_hash, regency_code ORDER BY decided_at DESC) = 1
        ),
        keys AS MATERIALIZED (
            SELECT s.file_name, s.sheet, s.row_number {matching}
            ORDER BY s.regency_code, s.file_name, s.sheet, s.row_number
            {page}
        ),
        held AS MATERIALIZED (
            SELECT s.file_name, s.sheet, s.row_number, s.regency_code, s.program, s.row_hash,
                   s.person_id, s.nik AS nik_clean, {", ".join(shown)},
                   CAST(s.pekerjaan AS VARCHAR) AS occupation,
                   CAST(s.occupation_group AS VARCHAR) AS occupation_group,
                   (SELECT count(*) {matching}) AS n_total
            FROM submission_rows s JOIN keys k USING (file_name, sheet, row_number)
        ),
        findings AS (
            SELECT file_name, sheet, row_number,
                   string_agg(code, ', ' ORDER BY code) AS codes,
                   string_agg(message, '\n' ORDER BY code) AS evidence
            FROM (SELECT DISTINCT i.file_name, i.sheet, i.row_number, i.code, i.message
                  FROM row_issues i JOIN held h USING (file_name, sheet, row_number)
                  WHERE i.severity = 'review')
            GROUP BY ALL
        )
        SELECT h.file_name, h.sheet, h.row_number, h.regency_code, h.program,
               coalesce(f.codes, '') AS codes, h.nik, h.no_kk, h.nama, h.tanggal_lahir,
               h.jenis_kelamin, h.pekerjaan, h.occupation, h.occupation_group, h.keterangan,
               coalesce(f.evidence, '') AS evidence,
               d.decision, d.officer, d.note, d.decided_at, h.nik_clean, h.n_total, h.person_id
        FROM held h
        LEFT JOIN findings f USING (file_name, sheet, row_number)
        LEFT JOIN latest d ON d.row_hash = h.row_hash AND d.regency_code = h.regency_code
        ORDER BY h.regency_code, h.file_name, h.sheet, h.row_number
        """,
        params * 2,  # the page's rows, and how many rows match on all pages
    )
    holders = _other_holders(con, frame)
    frame.insert(frame.columns.get_loc("evidence") + 1, "other_holders", holders)
    return frame.drop(columns="person_id")


def _other_holders(con: duckdb.DuckDBPyConnection, held: pd.DataFrame) -> pd.Series:
    """Per row held as a NIK conflict, the other persons' rows with its NIK (only a conflict's NIK
    is used by another person; the NIKs are given as a list, so DuckDB filters the NIK column
    while scanning instead of reading every row's name and file)."""
    conflict = held["codes"].str.contains("NIK_CONFLICT", regex=False, na=False)
    niks = held.loc[conflict, "nik_clean"].dropna().unique().tolist()
    if not niks:
        return pd.Series(None, index=held.index, dtype="object")
    con.register("_held", held.loc[conflict, [*ROW_KEYS, "nik_clean", "person_id"]])
    try:
        found = read_frame(
            con,
            f"""
            SELECT h.file_name, h.sheet, h.row_number,
                   string_agg(o.nama || ' (lahir ' || coalesce(strftime(o.tanggal_lahir,
                       '%d-%m-%Y'), '?') || '; ' || o.file_name || ' baris ' ||
                       o.row_number || ')', '; ' ORDER BY o.order_key) AS other_holders
            FROM _held h JOIN (
                SELECT nik, person_id, nama, tanggal_lahir, file_name, row_number, order_key
                FROM submission_rows
                WHERE nik IN ({", ".join("?" for _ in niks)})
                  AND status IN ('accepted', 'review')
            ) o ON o.nik = h.nik_clean AND o.person_id IS DISTINCT FROM h.person_id
            GROUP BY ALL
            """,
            niks,
        )
    finally:
        con.unregister("_held")
    keyed = held[ROW_KEYS].merge(found, on=ROW_KEYS, how="left", validate="one_to_one")
    return pd.Series(keyed["other_holders"].to_numpy(), index=held.index, dtype="object")


def format_review_rows(frame: pd.DataFrame) -> str:
    """The listing an officer reads in the terminal (Indonesian)."""
    if frame.empty:
        return "Tidak ada baris yang menunggu tinjauan."
    lines = [f"{len(frame)} baris menunggu tinjauan:"]
    for n, row in enumerate(frame.itertuples(index=False), start=1):
        sheet = f" | lembar '{row.sheet}'" if row.sheet else ""
        lines.append("")
        lines.append(
            f"[{n}] {row.file_name}{sheet} | baris {row.row_number} | {row.regency_code} "
            f"{row.program or ''}".rstrip()
        )
        lines.append(f"    Kode  : {row.codes}")
        data = " | ".join(
            f"{label} {value}"
            for label, value in (
                ("NIK", row.nik), ("KK", row.no_kk), ("Nama", row.nama),
                ("Lahir", row.tanggal_lahir), ("JK", row.jenis_kelamin),
            )
            if isinstance(value, str) and value
        )  # fmt: skip
        lines.append(f"    Data  : {data}")
        if isinstance(row.keterangan, str) and row.keterangan:
            lines.append(f"    Ket.  : {row.keterangan}")
        for evidence in str(row.evidence).splitlines():
            lines.append(f"    Bukti : {evidence}")
        if isinstance(row.other_holders, str) and row.other_holders:
            lines.append(f"    NIK yang sama juga dipakai: {row.other_holders}")
        if isinstance(row.decision, str):
            lines.append(
                f"    Keputusan: {row.decision} oleh {row.officer} ({row.note}); "
                "berlaku pada run berikutnya"
            )
        sheet_arg = f'"{row.sheet}"'
        lines.append(
            f'    Putuskan: tepat review decide-row "{row.file_name}" {sheet_arg} '
            f"{row.row_number} --decision accept|reject --officer NAMA --note CATATAN"
        )
    return "\n".join(lines)


class ReviewError(ValueError):
    """A decision that cannot be recorded; the message (Indonesian) says why."""


def record_row_decision(
    con: duckdb.DuckDBPyConnection,
    file_name: str,
    sheet: str,
    row_number: int,
    decision: str,
    officer: str,
    note: str,
    decided_at: datetime | None = None,
) -> dict[str, object]:
    """Record an officer's decision on a row held for review; the next run applies it."""
    if decision not in DECISIONS:
        raise ReviewError(f"Keputusan harus accept atau reject, bukan '{decision}'.")
    if not officer.strip():
        raise ReviewError("Nama petugas (--officer) wajib diisi.")
    if not note.strip():
        raise ReviewError("Catatan (--note) wajib diisi: tuliskan dasar keputusan.")
    found = con.execute(
        "SELECT status, row_hash, regency_code FROM submission_rows "
        "WHERE file_name = ? AND sheet = ? AND row_number = ?",
        [file_name, sheet, row_number],
    ).fetchall()
    if not found:
        raise ReviewError(
            f"Baris tidak ditemukan: {file_name}, lembar '{sheet}', baris {row_number}. "
            "Lihat `tepat review rows` untuk nama berkas, lembar dan baris yang tepat."
        )
    status, row_hash, regency_code = found[0]
    if status != "review":
        raise ReviewError(
            f"Baris ini berstatus {status}, bukan menunggu tinjauan; hanya baris yang "
            "ditinjau dapat diputuskan."
        )
    codes = con.execute(
        "SELECT string_agg(DISTINCT code, ', ') FROM row_issues "
        "WHERE file_name = ? AND sheet = ? AND row_number = ? AND severity = 'review'",
        [file_name, sheet, row_number],
    ).fetchone()[0]
    record = {
        "row_hash": row_hash,
        "regency_code": regency_code,
        "file_name": file_name,
        "sheet": sheet,
        "row_number": int(row_number),
        "decision": decision,
        "officer": officer.strip(),
        "note": note.strip(),
        "codes": codes or "",
        "decided_at": decided_at or datetime.now(),
    }
    con.execute(
        f"INSERT INTO row_reviews ({', '.join(DECISION_COLUMNS)}) VALUES "
        f"({', '.join('?' for _ in DECISION_COLUMNS)})",
        [record[c] for c in DECISION_COLUMNS],
    )
    return record


# --------------------------------------------------------------------------------------------
# Warehouse-level entry points for the command line
# --------------------------------------------------------------------------------------------

LOCK_WAIT_SECONDS = 30.0  # a decision waits this long for a running `tepat run` to finish


def list_review_rows(
    db: Path,
    include_decided: bool = False,
    regency_code: str | None = None,
    file_name: str | None = None,
) -> pd.DataFrame:
    """`open_review_rows` on the warehouse file, read-only."""
    if not db.exists():
        raise ReviewError(f"Gudang data {db} belum ada: jalankan `tepat run` dulu.")
    try:
        with connect(db, read_only=True) as con:
            return open_review_rows(con, include_decided, regency_code, file_name)
    except duckdb.IOException as exc:
        raise ReviewError(f"Gudang data {db} sedang dipakai run lain; coba lagi nanti.") from exc


def decide_row(
    db: Path,
    file_name: str,
    sheet: str,
    row_number: int,
    decision: str,
    officer: str,
    note: str,
    decided_at: datetime | None = None,
) -> dict[str, object]:
    """`record_row_decision` on the warehouse file, holding the run lock while writing."""
    if not db.exists():
        raise ReviewError(f"Gudang data {db} belum ada: jalankan `tepat run` dulu.")
    with (
        run_lock(db, LOCK_WAIT_SECONDS, purpose="tepat review decide-row"),
        connect(db) as con,
    ):
        return record_row_decision(
            con, file_name, sheet, row_number, decision.strip().lower(), officer, note, decided_at
        )
