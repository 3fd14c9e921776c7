"""Shared fixtures: one Prefect test harness per session, small generated workloads."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
# Two cores shared with other work: give the temporary API time to start.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
os.environ.setdefault("DO_NOT_TRACK", "1")
# Runs in tests read only the BPJS returns a test gives them, never the committed sample's.
os.environ.setdefault("TEPAT_BPJS_DIR", os.path.join(tempfile.gettempdir(), "tepat-tests-no-bpjs"))

import logging  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(scope="session")
def prefect_harness():
    """A temporary Prefect API for the whole session (starting one costs ~15 s)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


# --- shared builders (import them: `from tests.conftest import ...`) ----------------------------


def store_frames(db: Path, frames: dict[str, pd.DataFrame]) -> Path:
    """Insert each frame into its warehouse table by column name (the table's columns only)."""
    from flows.warehouse.store import connect

    with connect(db) as con:
        for table, frame in frames.items():
            columns = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
            con.register("_frame", frame[[c for c in columns if c in frame]])
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _frame")
            con.unregister("_frame")
    return db


@contextmanager
def captured_logs(level: int, fmt: str = "%(name)s %(message)s") -> Iterator[list[str]]:
    """Every log line formatted while the block runs (Prefect's loggers lowered to `level`)."""
    lines: list[str] = []

    class _Lines(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = _Lines(level=logging.DEBUG)
    handler.setFormatter(logging.Formatter(fmt))
    prefect_logger = logging.getLogger("prefect")
    previous = prefect_logger.level
    logging.getLogger().addHandler(handler)
    prefect_logger.setLevel(level)
    try:
        yield lines
    finally:
        logging.getLogger().removeHandler(handler)
        prefect_logger.setLevel(previous)
