"""A run's allocators hand freed memory back; what the user chose is kept."""

from __future__ import annotations

import os
import subprocess
import sys

import pyarrow as pa
import pytest

CHOSEN = """
import os
import pyarrow as pa
from flows.runtime.memory import release_memory, use_returning_allocators
use_returning_allocators()
big = pa.array([b"x" * 1000] * 10_000)
del big
release_memory()
print(pa.default_memory_pool().backend_name, os.environ["ARROW_DEFAULT_MEMORY_POOL"],
      os.environ["MALLOC_MMAP_THRESHOLD_"])
"""


def _backend_after_choosing(environment: dict[str, str]) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", CHOSEN], env=environment, capture_output=True, text=True, check=True
    )
    return done.stdout.split()


def _has_jemalloc() -> bool:
    try:
        pa.jemalloc_memory_pool()
    except NotImplementedError:
        return False
    return True


@pytest.mark.skipif(not _has_jemalloc(), reason="this pyarrow has no jemalloc")
def test_a_run_allocates_from_jemalloc_and_its_child_processes_are_told():
    chosen = ("ARROW_DEFAULT_MEMORY_POOL", "MALLOC_MMAP_THRESHOLD_")
    environment = {k: v for k, v in os.environ.items() if k not in chosen}
    assert _backend_after_choosing(environment) == ["jemalloc", "jemalloc", str(1 << 20)]


def test_an_allocator_the_user_chose_is_kept():
    environment = {
        **os.environ,
        "ARROW_DEFAULT_MEMORY_POOL": "system",
        "MALLOC_MMAP_THRESHOLD_": "65536",
    }
    assert _backend_after_choosing(environment) == ["system", "system", "65536"]


def test_rows_moved_into_the_candidates_are_the_rows_taken_and_leave_the_frame():
    """Linking's candidates are the usable rows in ROW_COLUMNS, columns moved out one at a time."""
    import numpy as np
    import pandas as pd

    from flows.pipeline import ROW_COLUMNS, _moved_rows

    rows = pd.DataFrame(
        {
            "file_name": pd.array(["a.xlsx", "a.xlsx", "b.xlsx"], dtype="string"),
            "row_number": [2, 3, 2],
            "penghasilan": [1.5, np.nan, 3.0],
            "status": pd.array(["accepted", "rejected", "review"], dtype="string"),
            "sheet_order": [0, 0, 1],  # not a candidate column: stays
        },
        index=[10, 11, 12],
    )
    usable = np.array([True, False, True])
    expected = rows.reindex(columns=ROW_COLUMNS).loc[usable]
    moved = _moved_rows(rows, usable)
    pd.testing.assert_frame_equal(moved, expected)
    assert list(rows.columns) == ["sheet_order"]
    assert len(_moved_rows(pd.DataFrame(index=[1, 2]), np.array([False, True]))) == 1
