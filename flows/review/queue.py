"""The workspace's pending writes: every decision, login, upload and download is first appended to
an owner-only queue file beside the warehouse (`<db>.queue.jsonl`), then applied under the run
lock (at once when no run writes, else by the workspace's next write or at the start of the next
run). Nothing an officer did is lost while a run writes, and the web never blocks a run.

Each entry is applied in its own transaction together with its `audit_log` row, which carries
the entry's id: an entry already in `audit_log` is never applied twice (a crash between the
commit and emptying the file only repeats the skip).
"""

from __future__ import annotations

import fcntl
import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from flows.review.occupations import OccupationReviewError, record_occupation_mapping
from flows.review.pairs import PairReviewError, record_pair_decision
from flows.review.rows import ReviewError, record_row_decision
from flows.warehouse.store import connect
from schemas.occupations import occupation_list

ROW_DECISION = "keputusan_baris"
PAIR_DECISION = "keputusan_pasangan"
OCCUPATION_MAPPING = "pemetaan_pekerjaan"
FAILED_SUFFIX = "_gagal"  # the audit action of a decision that could not be recorded
# Dukcapil occupation label -> its group, the choices for mapping an unknown spelling.
OCCUPATION_CHOICES: dict[str, str] = {
    name: occupation.group for name, occupation in sorted(occupation_list().occupations.items())
}  # the Dukcapil list: occupation name -> its group


@dataclass(frozen=True)
class Outcome:
    """What applying one entry did: recorded, or refused with a reason."""

    entry_id: str
    ok: bool
    message: str = ""


def queue_path(db: Path) -> Path:
    """`data/processed/tepat.duckdb` -> `data/processed/tepat.duckdb.queue.jsonl`."""
    return db.with_name(db.name + ".queue.jsonl")


def enqueue(
    db: Path, username: str, action: str, obj: str, detail: str = "", **data: object
) -> str:
    """Append one entry (flushed to disk) and return its id."""
    entry = {
        "id": uuid.uuid4().hex,
        "at": datetime.now().isoformat(),
        "username": username,
        "action": action,
        "object": obj,
        "detail": detail,
        "data": data,
    }
    path = queue_path(db)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, (json.dumps(entry, default=str) + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)  # closing drops the flock
    return str(entry["id"])


def pending(db: Path) -> int:
    """How many entries wait in the queue."""
    path = queue_path(db)
    if not path.exists():
        return 0
    with path.open("rb") as handle:
        return sum(1 for line in handle if line.strip())


def apply_queue(db: Path) -> dict[str, Outcome]:
    """Apply every queued entry to the warehouse, then empty the queue; the caller holds the
    run lock (`flows.locking.run_lock`)."""
    path = queue_path(db)
    if not path.exists() or path.stat().st_size == 0:
        return {}
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with os.fdopen(os.dup(fd), "rb") as handle:
            entries = [json.loads(line) for line in handle if line.strip()]
        outcomes: dict[str, Outcome] = {}
        if entries:
            with connect(db) as con:
                done = {
                    row[0]
                    for row in con.execute(
                        "SELECT entry_id FROM audit_log WHERE entry_id IN "
                        "(SELECT unnest(?::VARCHAR[]))",
                        [[e["id"] for e in entries]],
                    ).fetchall()
                }
                for entry in entries:
                    if entry["id"] not in done:
                        outcomes[entry["id"]] = _apply_one(con, entry)
        os.ftruncate(fd, 0)
        return outcomes
    finally:
        os.close(fd)


def _apply_one(con: duckdb.DuckDBPyConnection, entry: dict) -> Outcome:
    """One entry and its audit row in one transaction; a refused decision is audited as such."""
    action = entry["action"]
    at = datetime.fromisoformat(entry["at"])
    con.execute("BEGIN TRANSACTION")
    try:
        message = APPLY.get(action, _audit_only)(con, entry, at)
        ok = True
    except (ReviewError, PairReviewError, OccupationReviewError) as exc:
        con.execute("ROLLBACK")
        con.execute("BEGIN TRANSACTION")
        action, message, ok = action + FAILED_SUFFIX, str(exc), False
    try:
        detail = entry.get("detail") or ""
        if not ok:
            detail = f"{detail} | {message}".strip(" |")
        con.execute(
            'INSERT INTO audit_log ("at", username, action, object, detail, entry_id) '
            "VALUES (?, ?, ?, ?, ?, ?)",
            [at, entry["username"], action, entry["object"], detail, entry["id"]],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return Outcome(entry["id"], ok, message)


def _audit_only(con: duckdb.DuckDBPyConnection, entry: dict, at: datetime) -> str:
    return ""


def _row_decision(con: duckdb.DuckDBPyConnection, entry: dict, at: datetime) -> str:
    data = entry["data"]
    record = record_row_decision(
        con, data["file_name"], data["sheet"], int(data["row_number"]), data["decision"],
        entry["username"], data["note"], at,
    )  # fmt: skip
    return f"Keputusan tercatat ({record['codes']}); berlaku pada run berikutnya."


def _pair_decision(con: duckdb.DuckDBPyConnection, entry: dict, at: datetime) -> str:
    data = entry["data"]
    written = record_pair_decision(
        con, int(data["person_a"]), int(data["person_b"]), data["decision"], entry["username"],
        data["note"], at,
    )  # fmt: skip
    return f"Keputusan tercatat untuk {len(written)} pasangan; berlaku pada run berikutnya."


def _occupation_mapping(con: duckdb.DuckDBPyConnection, entry: dict, at: datetime) -> str:
    data = entry["data"]
    recorded = record_occupation_mapping(
        con, str(data["spelling"]), str(data["occupation"]), entry["username"],
        str(data.get("reason") or ""), at,
    )  # fmt: skip
    return (
        f"Ejaan '{recorded['spelling']}' dipetakan ke {recorded['occupation']}; "
        "berlaku pada run berikutnya."
    )


APPLY: dict[str, Callable[[duckdb.DuckDBPyConnection, dict, datetime], str]] = {
    ROW_DECISION: _row_decision,
    PAIR_DECISION: _pair_decision,
    OCCUPATION_MAPPING: _occupation_mapping,
}


def apply_queue_at_run_start(db: Path) -> list[str]:
    """The run's first step under its lock: what officers did while the last run wrote
    (never fatal: a failure leaves the entries queued for the next try); notes for the summary."""
    try:
        outcomes = apply_queue(db)
    except (OSError, ValueError, duckdb.Error) as exc:
        return [f"Antrean ruang kerja tidak dapat diterapkan ({type(exc).__name__}); dicoba lagi"]
    if not outcomes:
        return []
    refused = sum(not o.ok for o in outcomes.values())
    return [
        f"Antrean ruang kerja: {len(outcomes)} tindakan diterapkan"
        + (f", {refused} keputusan ditolak (lihat audit_log)" if refused else "")
    ]
