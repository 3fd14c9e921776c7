"""Order keys around deduplication: this run's rows numbered after the stored ones, and the
linked rows (stored rows first, then this run's usable rows, in order-key order) mapped back.

Pure: frames in, frames out. `deduplicate` keeps its candidates' order, so a linked row of
this run sits in the run's rows at its order key minus the first new key.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from schemas.codes import ROW_KEYS


def row_order(rows: pd.DataFrame) -> np.ndarray | None:
    """Positions that sort rows by file, sheet and row number (stable); None when they are."""
    keys = rows[ROW_KEYS].reset_index(drop=True)
    order = keys.sort_values(ROW_KEYS, kind="stable").index.to_numpy()
    return None if (order == np.arange(len(order))).all() else order


def in_row_order(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows sorted by file, sheet and row number (stable); not copied when already in order."""
    order = row_order(rows)
    if order is None:
        return rows.reset_index(drop=True)
    return rows.take(order).reset_index(drop=True)


def number_new_rows(
    rows: pd.DataFrame, stored: pd.DataFrame, first: int | None = None
) -> tuple[pd.DataFrame, int]:
    """This run's rows in row order, keyed after the stored rows' highest key (or from `first`,
    when only part of the stored rows is at hand), and the first key."""
    if first is None:
        first = int(stored["order_key"].max()) + 1 if len(stored) else 1
    numbered = in_row_order(rows)
    numbered["order_key"] = np.arange(first, first + len(numbered), dtype=np.int64)
    return numbered, first


def stored_order_kept(linked: pd.DataFrame, stored: pd.DataFrame) -> bool:
    """Whether the linked stored rows are the stored rows in their order (what alignment needs)."""
    is_new = linked["is_new"].to_numpy(dtype=bool)
    order_key = linked["order_key"].to_numpy(dtype=np.int64)
    return np.array_equal(order_key[~is_new], stored["order_key"].to_numpy(dtype=np.int64))


def align_new_rows(new_rows: pd.DataFrame, linked: pd.DataFrame, first: int) -> pd.DataFrame:
    """This run's rows with linking's status and person id (unlinked: own status, NaN id as a left merge gives)."""
    is_new = linked["is_new"].to_numpy(dtype=bool)
    position = linked["order_key"].to_numpy(dtype=np.int64)[is_new] - first
    linked_status = linked.loc[is_new, "status"].set_axis(position).reindex(new_rows.index)
    ids = linked["person_id"].to_numpy(dtype=np.int64)[is_new]
    if len(position) < len(new_rows):
        ids = pd.Series(ids, index=position, dtype=np.float64).reindex(new_rows.index).to_numpy()
    return new_rows.assign(status=linked_status.fillna(new_rows["status"]), person_id=ids)


def stored_row_changes(linked: pd.DataFrame, stored: pd.DataFrame) -> pd.DataFrame:
    """The stored rows whose status or person id linking changed: keys, status, person id."""
    is_new = linked["is_new"].to_numpy(dtype=bool)
    after = linked.loc[~is_new, [*ROW_KEYS, "status", "person_id"]].reset_index(drop=True)
    before = stored[["status", "person_id"]].reset_index(drop=True)
    changed = (after["status"] != before["status"]) | (after["person_id"] != before["person_id"])
    return after.loc[changed.to_numpy(dtype=bool)].reset_index(drop=True)
