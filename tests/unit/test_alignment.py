"""Order keys around deduplication on tiny frames: numbering, mapping linked rows back, changes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from transforms.link.alignment import (
    align_new_rows,
    in_row_order,
    number_new_rows,
    stored_order_kept,
    stored_row_changes,
)


def _rows(files: list[str], numbers: list[int], statuses: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {"file_name": files, "sheet": "", "row_number": numbers, "status": statuses}
    )


def test_rows_are_put_in_file_sheet_row_order_and_left_alone_when_already_in_it():
    rows = _rows(["b.csv", "a.csv", "a.csv"], [2, 3, 2], ["accepted"] * 3)
    assert in_row_order(rows)[["file_name", "row_number"]].values.tolist() == [
        ["a.csv", 2],
        ["a.csv", 3],
        ["b.csv", 2],
    ]
    ordered = in_row_order(rows)
    assert in_row_order(ordered).equals(ordered)


def test_new_rows_are_keyed_after_the_stored_rows():
    rows = _rows(["b.csv", "a.csv"], [2, 2], ["accepted", "rejected"])
    numbered, first = number_new_rows(rows, pd.DataFrame({"order_key": [4, 7]}))
    assert first == 8
    assert numbered[["file_name", "order_key"]].values.tolist() == [["a.csv", 8], ["b.csv", 9]]
    assert number_new_rows(rows, pd.DataFrame({"order_key": []}))[1] == 1  # an empty warehouse


def _linked() -> pd.DataFrame:
    """Stored rows 1 and 2, then this run's usable rows keyed 10 and 12 (11 was rejected)."""
    return pd.DataFrame(
        {
            "file_name": ["s.csv", "s.csv", "n.csv", "n.csv"],
            "sheet": "",
            "row_number": [2, 3, 2, 4],
            "order_key": np.array([1, 2, 10, 12], dtype=np.int64),
            "is_new": [False, False, True, True],
            "status": ["accepted", "review", "review", "accepted"],
            "person_id": np.array([5, 6, 5, 7], dtype=np.int64),
        }
    )


def test_linked_rows_go_back_to_their_new_row_and_an_unlinked_row_keeps_its_status():
    new_rows = _rows(["n.csv"] * 3, [2, 3, 4], ["accepted", "rejected", "accepted"])
    aligned = align_new_rows(new_rows, _linked(), first=10)
    assert aligned["status"].tolist() == ["review", "rejected", "accepted"]
    assert aligned["person_id"].tolist()[::2] == [5.0, 7.0]
    assert np.isnan(aligned["person_id"].iloc[1]) and aligned["person_id"].dtype == np.float64
    assert new_rows["status"].tolist() == ["accepted", "rejected", "accepted"]  # input untouched


def test_every_new_row_linked_gets_integer_ids():
    new_rows = _rows(["n.csv"] * 2, [2, 4], ["accepted", "accepted"])
    linked = _linked().assign(order_key=np.array([1, 2, 10, 11], dtype=np.int64))
    assert align_new_rows(new_rows, linked, first=10)["person_id"].tolist() == [5, 7]


def test_stored_rows_report_only_what_linking_changed_and_their_order_is_checked():
    stored = pd.DataFrame({"order_key": [1, 2], "status": ["accepted", "accepted"],
                           "person_id": [5, 6]})  # fmt: skip
    changed = stored_row_changes(_linked(), stored)
    assert changed.values.tolist() == [["s.csv", "", 3, "review", 6]]
    assert stored_order_kept(_linked(), stored)
    assert not stored_order_kept(_linked(), stored.iloc[::-1])


def test_the_flow_sorts_the_run_rows_a_column_at_a_time_into_the_same_frame():
    from flows.pipeline import _into_row_order

    rows = _rows(["b.csv", "a.csv", "a.csv"], [2, 3, 2], ["accepted", "review", "rejected"])
    rows = rows.assign(
        nama=pd.array(["Siti", None, "Budi"], dtype="string"),
        desil=pd.array([1, None, 3], dtype="Int64"),
        penghasilan=[1.5, np.nan, 2.0],
    )
    expected = in_row_order(rows)
    moved = _into_row_order(rows)
    pd.testing.assert_frame_equal(moved, expected)
    assert rows.columns.empty  # the unsorted frame gave its columns up
    in_order = expected.copy()
    pd.testing.assert_frame_equal(_into_row_order(in_order), expected)
