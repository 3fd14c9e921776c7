"""Merged cells as the officer sees them: the value of a merge belongs to every cell it covers.

A merge is the file's own range (first row, first column, last row, last column; 0-based grid
positions, inclusive), never guessed from blank cells: an empty merged KK stays empty for every
member, and nothing is copied down from the family above.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

MERGE_COLUMNS = 4  # first_row, first_col, last_row, last_col


@dataclass(frozen=True)
class Filled:
    """A grid with its merges filled in, and which cells got the value of a cell to their left
    in the same merge (a title or signature line merged across columns is still one cell);
    `spread` is None when nothing was merged."""

    grid: pd.DataFrame
    spread: np.ndarray | None  # bool, grid shape


def as_merges(ranges: object) -> np.ndarray:
    """Merge ranges as an (n, 4) int64 array of first row, first column, last row, last column,
    from calamine's `((r0, c0), (r1, c1))` pairs, flat 4-tuples, or None."""
    if ranges is None:
        return np.zeros((0, MERGE_COLUMNS), dtype=np.int64)
    flat = [
        (*item[0], *item[1]) if len(item) == 2 else tuple(item)  # type: ignore[arg-type]
        for item in ranges  # type: ignore[union-attr]
    ]
    if not flat:
        return np.zeros((0, MERGE_COLUMNS), dtype=np.int64)
    return np.asarray(flat, dtype=np.int64).reshape(-1, MERGE_COLUMNS)


def fill_merged_cells(values: np.ndarray, merges: np.ndarray) -> np.ndarray | None:
    """Fill a 2-D object array in place: every cell a merge covers takes the value of the
    merge's top-left cell (vectorised); returns the `spread` mask, None when nothing was merged.
    Merges are clipped to the array; overlapping merges (a file Excel would not open) raise
    ValueError rather than multiply the work."""
    shape = values.shape
    merges = _clipped(np.asarray(merges, dtype=np.int64).reshape(-1, MERGE_COLUMNS), shape)
    if not len(merges):
        return None
    heights = merges[:, 2] - merges[:, 0] + 1
    widths = merges[:, 3] - merges[:, 1] + 1
    areas = heights * widths
    if int(areas.sum()) > values.size:
        raise ValueError("sel gabungan saling bertumpuk")
    owner = np.repeat(np.arange(len(merges)), areas)
    offset = np.arange(len(owner)) - np.repeat(np.cumsum(areas) - areas, areas)
    dr, dc = np.divmod(offset, widths[owner])
    top, left = merges[owner, 0], merges[owner, 1]
    rows, cols = top + dr, left + dc
    values[rows, cols] = values[top, left]
    spread = np.zeros(shape, dtype=bool)
    spread[rows, cols] = dc > 0
    return spread


def fill_merged(grid: pd.DataFrame, merges: np.ndarray) -> Filled:
    """A copy of the grid with its merges filled in (see `fill_merged_cells`), its row numbers
    kept; the grid itself when nothing is merged."""
    if not len(_clipped(np.asarray(merges, dtype=np.int64).reshape(-1, MERGE_COLUMNS), grid.shape)):
        return Filled(grid, None)
    values = grid.to_numpy(dtype=object, copy=True)
    spread = fill_merged_cells(values, merges)
    return Filled(pd.DataFrame(values, index=grid.index, columns=grid.columns, copy=False), spread)


def _clipped(merges: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Merges cut to the grid (a merge may run past the last filled cell); single cells dropped."""
    if not len(merges):
        return merges
    n_rows, n_cols = shape
    out = merges.copy()
    out[:, 2] = np.minimum(out[:, 2], n_rows - 1)
    out[:, 3] = np.minimum(out[:, 3], n_cols - 1)
    keep = (
        (out[:, 0] >= 0)
        & (out[:, 1] >= 0)
        & (out[:, 0] <= out[:, 2])
        & (out[:, 1] <= out[:, 3])
        & ((out[:, 2] > out[:, 0]) | (out[:, 3] > out[:, 1]))
    )
    return out[keep]
