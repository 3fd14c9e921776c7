"""The workspace's access to the warehouse: opened per request and closed, never held.

Reads open the DuckDB file read-only; while a run has it open they wait a bounded time, then
the page says the run is writing. Writes go through the queue (flows/review/queue.py): appended
first, then applied under the run lock when it is free within a bounded wait, else left queued
for the next write or the next run. One warehouse connection at a time in this process (DuckDB
refuses a read-only and a read-write connection to one file side by side in one process).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from flows.review.queue import Outcome, apply_queue, enqueue
from flows.runtime.lock import RunAlreadyRunning, run_lock
from flows.warehouse.store import WarehouseBusy, connect

RETRY_SECONDS = 0.2
_GUARD = threading.Lock()


class WarehouseUnavailable(RuntimeError):
    """The warehouse is missing or a run holds it; the message (Indonesian) says which."""


@dataclass(frozen=True)
class Store:
    """Where the warehouse is and how long a request waits for a run."""

    db: Path
    read_wait_seconds: float = 3.0
    lock_wait_seconds: float = 3.0

    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection for one request (waits while a run has the file open)."""
        if not self.db.exists():
            raise WarehouseUnavailable(
                "Gudang data belum ada: jalankan `tepat run` lebih dulu, lalu muat ulang halaman."
            )
        deadline = time.monotonic() + self.read_wait_seconds
        with _GUARD, ExitStack() as stack:
            while True:
                try:
                    con = stack.enter_context(connect(self.db, read_only=True, busy_wait_seconds=0))
                    break
                except WarehouseBusy as exc:
                    if time.monotonic() >= deadline:
                        raise WarehouseUnavailable(
                            "Run sedang menulis gudang data; coba lagi sebentar lagi."
                        ) from exc
                    time.sleep(RETRY_SECONDS)
            yield con

    def frame(self, sql: str, params: list | None = None) -> pd.DataFrame:
        """One query's (small, paginated or aggregated) result."""
        with self.read() as con:
            return con.execute(sql, params or []).df()

    def record(
        self, username: str, action: str, obj: str, detail: str = "", **data: object
    ) -> Outcome | None:
        """Queue one action, then apply the queue; its outcome, or None while it waits queued."""
        entry_id = enqueue(self.db, username, action, obj, detail, **data)
        return self.flush().get(entry_id)

    def flush(self) -> dict[str, Outcome]:
        """Apply the queue if no run holds the warehouse within the bounded wait."""
        try:
            with run_lock(self.db, self.lock_wait_seconds, purpose="tepat web"), _GUARD:
                return apply_queue(self.db)
        except (RunAlreadyRunning, WarehouseBusy):
            return {}
