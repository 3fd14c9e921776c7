"""Checks of a run's paths, rules and lock before Prefect starts: a mistake costs one line, at once.

Each check names the option to fix in one line of Bahasa Indonesia; nothing here imports
Prefect, so `tepat run` refuses a wrong folder in well under a second.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from pathlib import Path

from flows.runtime.lock import lock_path
from flows.settings import Settings
from schemas.programs import RulesError, load_rules


class PreflightError(Exception):
    """A run that cannot start: the message is the one line for the person at the terminal."""


def _nearest_existing(path: Path) -> Path:
    """`path` or its nearest ancestor that exists (a run creates the folders below it)."""
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def can_write_in(folder: Path) -> bool:
    """Can this process create files in `folder` (or in the nearest existing folder above it)?
    Tried for real: permissions alone do not tell a read-only mount, nor root's rights."""
    existing = _nearest_existing(folder)
    if not existing.is_dir():
        return False
    try:
        with tempfile.TemporaryFile(dir=existing, prefix=".tepat-probe-"):
            return True
    except OSError:
        return False


def another_run_holds(db: Path) -> bool:
    """Does another process hold the warehouse's run lock right now? (The lock is let go at
    once; the run itself takes it again.)"""
    path = lock_path(db)
    if not path.exists():
        return False
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def check_run(settings: Settings) -> None:
    """Refuse a run whose raw dir is missing, whose warehouse or export folder cannot be
    written, whose program rules do not validate, or whose warehouse another run is writing."""
    if not settings.raw_dir.is_dir():
        raise PreflightError(
            f"folder berkas usulan {settings.raw_dir} tidak ada; periksa --raw-dir"
        )
    db = settings.db
    if not can_write_in(db.parent) or (db.exists() and not os.access(db, os.W_OK)):
        raise PreflightError(
            f"folder gudang data {db.parent} tidak dapat ditulisi (hanya-baca atau bukan "
            "folder); periksa --db"
        )
    if not can_write_in(settings.export_dir):
        raise PreflightError(
            f"folder ekspor {settings.export_dir} tidak dapat ditulisi (hanya-baca atau bukan "
            "folder); periksa --export-dir"
        )
    try:
        load_rules(settings.programs_path)
    except RulesError as exc:
        raise PreflightError(f"aturan program tidak valid: {exc}") from None
    if settings.lock_wait_seconds <= 0 and another_run_holds(db):
        raise PreflightError(
            f"run lain sedang menulis gudang data {db}; run ini tidak dimulai. Tunggu sampai "
            "selesai, atau atur TEPAT_LOCK_WAIT_SECONDS agar menunggu."
        )
