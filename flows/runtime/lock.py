"""One run at a time per warehouse: an exclusive `flock` on a lock file next to the DuckDB file.

The kernel drops the lock when the holding process ends, however it ends, so a crashed run
never leaves a stale lock behind. The lock file itself is never deleted (deleting a flock'ed
file lets two processes lock two different files); it only records who holds it.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

POLL_SECONDS = 0.5


class RunAlreadyRunning(RuntimeError):
    """Another run holds the warehouse; this run did not start and changed nothing."""


def lock_path(db: Path) -> Path:
    """`data/processed/tepat.duckdb` -> `data/processed/tepat.duckdb.lock`."""
    return db.with_name(db.name + ".lock")


def _holder(fd: int) -> str:
    """Who holds the lock, as written by the holder (best effort, for the message only)."""
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        info = json.loads(os.read(fd, 4096).decode("utf-8") or "{}")
    except (OSError, ValueError):
        return "proses lain"
    return f"pid {info.get('pid', '?')} di {info.get('host', '?')}, mulai {info.get('since', '?')}"


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextmanager
def run_lock(db: Path, wait_seconds: float = 0.0, purpose: str = "tepat run") -> Iterator[Path]:
    """Hold the warehouse's run lock for the block; wait up to `wait_seconds`, then refuse clearly."""
    path = lock_path(db)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + max(wait_seconds, 0.0)
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                raise RunAlreadyRunning(
                    f"run lain sedang menulis gudang data {db} ({_holder(fd)}); run ini tidak "
                    f"dimulai. Tunggu sampai selesai, atau atur TEPAT_LOCK_WAIT_SECONDS agar "
                    f"menunggu (kunci: {path})."
                )
            time.sleep(POLL_SECONDS)
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": datetime.now().isoformat(timespec="seconds"),
            "purpose": purpose,
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode("utf-8"), 0)
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
