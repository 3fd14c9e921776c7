"""Officers' review of person pairs (`tepat review pairs`, `tepat review decide-pair`).

Deduplication writes the pairs it is unsure of to `match_candidates` (status `open`), next to
the pairs it merged itself (`merged`, decided by `otomatis`). An officer lists them and
records `merge` or `distinct` in `pair_reviews`, by person key, with who and when; every
later run honours the latest decision per pair (a pair marked distinct never reopens, even
when new files arrive). The decision shows in `match_candidates` at once; persons change at
the next `tepat run` (the review decisions are part of its input fingerprint, so that run
recomputes even without new files).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from flows.runtime.lock import run_lock
from flows.warehouse.store import connect, read_frame

DECISIONS = ("merge", "distinct")
STATUS_OF_DECISION = {"merge": "merged", "distinct": "distinct"}
STATUSES = ("open", "merged", "distinct", "all")
LIST_COLUMNS = [
    "person_id_a", "person_id_b", "first_person_id_a", "first_person_id_b", "status", "score",
    "rule", "nik_a", "nik_b", "nama_a", "nama_b", "tanggal_lahir_a", "tanggal_lahir_b",
    "jenis_kelamin_a", "jenis_kelamin_b", "same_family_card", "kecamatan_a", "kecamatan_b",
    "regency_code_a", "regency_code_b", "decided_by", "decided_at",
]  # fmt: skip
# A decision waits this long for a running `tepat run` to release the warehouse.
LOCK_WAIT_SECONDS = 30.0


class PairReviewError(ValueError):
    """The decision cannot be recorded; the message says why, in Indonesian."""


def list_pairs(db: Path, status: str = "open", limit: int | None = 50) -> pd.DataFrame:
    """Pairs of `match_candidates` with the given status (highest score first), with each
    side's own first id (to split a merged pair, give those to `decide_pair`)."""
    if status not in STATUSES:
        raise PairReviewError(f"status harus salah satu dari {', '.join(STATUSES)}")
    if not db.exists():
        raise PairReviewError(f"gudang data {db} belum ada: jalankan `tepat run` dulu")
    try:
        with connect(db, read_only=True) as con:
            pairs = read_pairs(con, status, limit)
    except duckdb.CatalogException as exc:
        raise PairReviewError("belum ada pasangan: jalankan `tepat run` dulu") from exc
    except duckdb.IOException as exc:
        raise PairReviewError(f"gudang data {db} sedang dipakai run lain; coba lagi") from exc
    return pairs[LIST_COLUMNS + ["person_key_a", "person_key_b"]]


def read_pairs(
    con: duckdb.DuckDBPyConnection,
    status: str = "open",
    limit: int | None = 50,
    offset: int = 0,
    regency_code: str | None = None,
) -> pd.DataFrame:
    """One page of pairs (highest score first) with their sides' first ids and `n_total`, the
    number of pairs on all pages; `regency_code`: only pairs whose both sides are that regency."""
    filters, params = [], []
    if status != "all":
        filters.append("m.status = ?")
        params.append(status)
    if regency_code:
        filters.append("m.regency_code_a = ? AND m.regency_code_b = ?")
        params += [regency_code, regency_code]
    where = f"WHERE {' AND '.join(filters)}" if filters else ""
    sql = f"""
        SELECT m.*, coalesce(ra.first_person_id, ra.person_id) AS first_person_id_a,
               coalesce(rb.first_person_id, rb.person_id) AS first_person_id_b,
               count(*) OVER () AS n_total
        FROM match_candidates m
        LEFT JOIN person_registry ra ON ra.person_key = m.person_key_a
        LEFT JOIN person_registry rb ON rb.person_key = m.person_key_b
        {where}
        ORDER BY m.score DESC, m.person_id_a, m.person_id_b
    """
    if limit is not None:
        sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
    return read_frame(con, sql, params)


def _pairs_between(con, person_a: int, person_b: int) -> pd.DataFrame:
    """`match_candidates` rows between persons A and B: by current ids, else by the sides'
    own first ids (a pair merged into one person)."""
    by_current = read_frame(
        con,
        "SELECT person_key_a, person_key_b, person_id_a, person_id_b FROM match_candidates "
        "WHERE person_id_a <> person_id_b AND ((person_id_a = ? AND person_id_b = ?) "
        "OR (person_id_a = ? AND person_id_b = ?))",
        [person_a, person_b, person_b, person_a],
    )
    if len(by_current):
        return by_current
    return read_frame(
        con,
        """
        SELECT m.person_key_a, m.person_key_b, m.person_id_a, m.person_id_b
        FROM match_candidates m
        JOIN person_registry ra ON ra.person_key = m.person_key_a
        JOIN person_registry rb ON rb.person_key = m.person_key_b
        WHERE (coalesce(ra.first_person_id, ra.person_id) = ?
               AND coalesce(rb.first_person_id, rb.person_id) = ?)
           OR (coalesce(ra.first_person_id, ra.person_id) = ?
               AND coalesce(rb.first_person_id, rb.person_id) = ?)
        """,
        [person_a, person_b, person_b, person_a],
    )


def decide_pair(
    db: Path,
    person_a: int,
    person_b: int,
    decision: str,
    officer: str,
    note: str | None = None,
    decided_at: datetime | None = None,
) -> pd.DataFrame:
    """Record an officer's `merge` or `distinct` for every listed pair between persons A and B;
    returns the `pair_reviews` rows written."""
    if not db.exists():
        raise PairReviewError(f"gudang data {db} belum ada: jalankan `tepat run` dulu")
    with run_lock(db, LOCK_WAIT_SECONDS, purpose="tepat review decide-pair"), connect(db) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            reviews = record_pair_decision(
                con, person_a, person_b, decision, officer, note, decided_at
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return reviews


def record_pair_decision(
    con: duckdb.DuckDBPyConnection,
    person_a: int,
    person_b: int,
    decision: str,
    officer: str,
    note: str | None = None,
    decided_at: datetime | None = None,
) -> pd.DataFrame:
    """`decide_pair` on an open connection, inside the caller's transaction."""
    decision = decision.strip().lower()
    if decision not in DECISIONS:
        raise PairReviewError("keputusan harus 'merge' (orang yang sama) atau 'distinct' (berbeda)")
    officer = (officer or "").strip()
    if not officer:
        raise PairReviewError("nama petugas wajib diisi (--officer)")
    if person_a == person_b:
        raise PairReviewError("dua person_id yang berbeda diperlukan")
    when = decided_at or datetime.now()
    pairs = _pairs_between(con, person_a, person_b)
    if pairs.empty:
        raise PairReviewError(
            f"tidak ada pasangan {person_a} dan {person_b} di match_candidates; "
            "lihat `tepat review pairs`"
        )
    reviews = pairs.assign(decision=decision, officer=officer, decided_at=when, note=note)
    con.register("_pair_reviews", reviews)
    try:
        con.execute(
            "INSERT INTO pair_reviews (person_key_a, person_key_b, person_id_a, person_id_b, "
            "decision, officer, decided_at, note) SELECT person_key_a, person_key_b, "
            "person_id_a, person_id_b, decision, officer, decided_at, note FROM _pair_reviews"
        )
        con.execute(
            "UPDATE match_candidates AS m SET status = ?, decided_by = ?, decided_at = ? "
            "FROM _pair_reviews AS r "
            "WHERE m.person_key_a = r.person_key_a AND m.person_key_b = r.person_key_b",
            [STATUS_OF_DECISION[decision], officer, when],
        )
    finally:
        con.unregister("_pair_reviews")
    return reviews[
        ["person_key_a", "person_key_b", "person_id_a", "person_id_b", "decision", "officer",
         "decided_at", "note"]
    ]  # fmt: skip


def pairs_text(pairs: pd.DataFrame) -> str:
    """The listing an officer reads: one block per pair, in Indonesian."""
    if pairs.empty:
        return "Tidak ada pasangan."
    lines = []
    for row in pairs.itertuples(index=False):
        ids = f"{row.person_id_a} & {row.person_id_b}"
        if row.person_id_a == row.person_id_b:
            ids = f"{row.first_person_id_a} & {row.first_person_id_b} (kini {row.person_id_a})"
        kk = "sama" if row.same_family_card else "beda"
        lines.append(
            f"[{row.status}] {ids}  skor {row.score:.2f}  ({row.rule})\n"
            f"    NIK      : {row.nik_a} | {row.nik_b}\n"
            f"    Nama     : {row.nama_a} | {row.nama_b}\n"
            f"    Lahir    : {_date(row.tanggal_lahir_a)} | {_date(row.tanggal_lahir_b)}"
            f"   JK: {row.jenis_kelamin_a} | {row.jenis_kelamin_b}   KK: {kk}\n"
            f"    Wilayah  : {row.kecamatan_a} ({row.regency_code_a}) | "
            f"{row.kecamatan_b} ({row.regency_code_b})"
            + (f"\n    Diputus  : {row.decided_by}" if isinstance(row.decided_by, str) else "")
        )
    return "\n".join(lines)


def _date(value: object) -> str:
    return "-" if pd.isna(value) else pd.Timestamp(value).strftime("%d-%m-%Y")
