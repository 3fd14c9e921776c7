"""Columns held packed until the warehouse write come back exactly, joined on their keys."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from flows.warehouse import packed as packed_module
from flows.warehouse.packed import PackedColumns, PackedFrame
from flows.warehouse.store import _insert


def _decisions() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "program": ["kesehatan", "kesehatan", "ketenagakerjaan"],
            "person_id": [1, 2, 1],
            "eligible": [True, False, True],
            "score_components": ['{"desil": {"value": 1}}', None, '{"desil": {"value": "é"}}'],
        }
    )


def test_set_aside_drops_the_columns_and_packs_them_with_their_keys():
    slim, packed = PackedColumns.set_aside(
        _decisions(), ["program", "person_id"], ["score_components"]
    )
    assert list(slim.columns) == ["program", "person_id", "eligible"]
    back = packed.table().to_pandas()
    pd.testing.assert_frame_equal(back, _decisions()[["program", "person_id", "score_components"]])
    assert packed.nbytes > 0


def test_insert_brings_the_packed_columns_back_batch_by_batch(monkeypatch):
    monkeypatch.setattr("flows.warehouse.packed.BATCH_ROWS", 2)  # 3 rows: two batches
    slim, packed = PackedColumns.set_aside(
        _decisions(), ["program", "person_id"], ["score_components"]
    )
    assert len(list(packed.batches())) == 2
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE d (program VARCHAR, person_id BIGINT, eligible BOOLEAN, "
        "score_components VARCHAR)"
    )
    _insert(con, "d", slim, packed)
    stored = con.sql("SELECT * FROM d ORDER BY program, person_id").df()
    expected = _decisions().sort_values(["program", "person_id"]).reset_index(drop=True)
    assert stored["score_components"].tolist() == expected["score_components"].tolist()
    assert stored["eligible"].tolist() == expected["eligible"].tolist()


def test_rows_out_of_line_with_their_packed_columns_are_refused():
    slim, packed = PackedColumns.set_aside(
        _decisions(), ["program", "person_id"], ["score_components"]
    )
    con = duckdb.connect()
    con.execute("CREATE TABLE d (program VARCHAR, person_id BIGINT, score_components VARCHAR)")
    with pytest.raises(ValueError, match="out of line"):
        _insert(con, "d", slim.iloc[::-1], packed)
    with pytest.raises(ValueError, match="hold 3 rows, their frame 4"):
        _insert(con, "d", pd.concat([slim, slim.iloc[:1]], ignore_index=True), packed)


def test_packed_columns_the_table_does_not_have_are_left_out():
    frame = _decisions().assign(note="not stored")
    slim, packed = PackedColumns.set_aside(
        frame, ["program", "person_id"], ["score_components", "note"]
    )
    con = duckdb.connect()
    con.execute("CREATE TABLE d (program VARCHAR, person_id BIGINT, score_components VARCHAR)")
    _insert(con, "d", slim, packed)
    assert con.execute("SELECT count(*) FROM d").fetchone()[0] == 3


def test_take_unpacks_only_the_rows_asked_for_with_their_dtypes(monkeypatch):
    monkeypatch.setattr("flows.warehouse.packed.BATCH_ROWS", 2)  # 5 rows: three batches
    rows = pd.DataFrame(
        {
            "row_number": [2, 3, 4, 5, 6],
            "nama": pd.array(["Siti", None, "Budi", "Ani", "Rudi"], dtype="string"),
            "desil": pd.array([1, None, 3, 4, 5], dtype="Int64"),
            "disabilitas": pd.array([True, None, False, True, False], dtype="boolean"),
        }
    )
    slim, packed = PackedColumns.set_aside(rows, ["row_number"], ["nama", "desil", "disabilitas"])
    assert packed.n_rows == 5
    # out of order, one row, all rows, none, and consecutive rows across batches (a view)
    for positions in ([3, 1], [4], [0, 1, 2, 3, 4], [], [1, 2, 3], [3, 4], [2, 4]):
        taken = packed.take(positions)
        expected = rows.iloc[positions].reset_index(drop=True)
        pd.testing.assert_frame_equal(taken, expected, check_index_type=False)
    with pytest.raises(IndexError):
        packed.take([5])


def test_restored_puts_the_cells_back_and_refuses_rows_out_of_line():
    rows = pd.DataFrame(
        {
            "row_number": [2, 3, 4],
            "status": ["accepted", "rejected", "review"],
            "nama": pd.array(["Siti", None, "Budi"], dtype="string"),
        }
    )
    slim, packed = PackedColumns.set_aside(rows, ["row_number"], ["nama"])
    back = packed.restored(slim.iloc[[2, 0]], [2, 0])
    pd.testing.assert_frame_equal(back, rows.iloc[[2, 0]])
    with pytest.raises(ValueError, match="out of line"):
        packed.restored(slim.iloc[[0, 2]], [2, 0])


def test_a_frame_packed_whole_comes_back_with_its_dtypes():
    rows = pd.DataFrame(
        {
            "file_name": pd.array(["a.xlsx", "a.xlsx", "b.csv"], dtype="string"),
            "sheet": ["Data", "Data", ""],
            "row_number": pd.array([2, 3, 2], dtype="int64"),
            "status": pd.array(["accepted", None, "rejected"], dtype="string"),
            "person_id": pd.array([7, None, 9], dtype="Int64"),
            "weight": [0.5, float("nan"), 2.0],
            "flag": pd.array([True, None, False], dtype="boolean"),
        }
    )
    packed = PackedColumns.whole(rows)
    assert packed.n_rows == 3
    pd.testing.assert_frame_equal(packed.unpacked(), rows)


def test_a_frame_held_packed_comes_back_with_its_index_and_an_empty_one_as_it_was():
    """Publishing holds the run's rows and decisions packed while the BPJS files are written."""
    decisions = pd.DataFrame(
        {
            "program": pd.Series(["kesehatan", "ketenagakerjaan"], dtype="str"),
            "person_id": [4, 9],
            "eligible": [True, False],
            "score": [0.25, float("nan")],
        },
        index=[10, 11],
    )
    held = PackedFrame.of(decisions)
    assert held.packed is not None
    pd.testing.assert_frame_equal(held.unpacked(), decisions)
    nothing = pd.DataFrame(columns=["program", "person_id"])
    assert PackedFrame.of(nothing).unpacked() is nothing


def test_frames_set_aside_one_after_the_other_are_the_frames_concatenated(monkeypatch):
    monkeypatch.setattr("flows.warehouse.packed.BATCH_ROWS", 2)
    parts = [_decisions(), _decisions().iloc[0:0], _decisions().iloc[1:]]
    keys, columns = ["program", "person_id"], ["score_components"]
    slim, packed = PackedColumns.set_aside_each(iter(parts), keys, columns)
    whole_slim, whole = PackedColumns.set_aside(pd.concat(parts, ignore_index=True), keys, columns)
    pd.testing.assert_frame_equal(slim, whole_slim)
    assert packed.table().equals(whole.table())
    assert packed.n_rows == 5 and len(list(packed.batches())) == 3  # 2 + 1, then 2

    none_slim, none = PackedColumns.set_aside_each(iter([_decisions().iloc[0:0]]), keys, columns)
    assert none is None and none_slim.empty


def test_a_frame_is_packed_a_slice_at_a_time_in_the_whole_frames_types(monkeypatch):
    monkeypatch.setattr(packed_module, "TABLE_ROWS", 2)
    monkeypatch.setattr(packed_module, "BATCH_ROWS", 2)
    # the first slice's Python objects are all missing; the later ones are texts
    frame = pd.DataFrame(
        {
            "key": np.arange(5, dtype=np.int64),
            "variants": np.array([None, None, "a,b", None, "c"], dtype=object),
            "amount": [1.0, np.nan, 3.0, 4.0, 5.0],
        }
    )
    slim, packed = PackedColumns.set_aside(frame, ["key"], ["variants", "amount"])
    assert list(slim.columns) == ["key"]
    assert packed.starts.tolist() == [0, 2, 4, 5]
    back = packed.unpacked()
    assert back["variants"].fillna("-").tolist() == ["-", "-", "a,b", "-", "c"]
    assert back["amount"].tolist()[2:] == [3.0, 4.0, 5.0]
    pd.testing.assert_frame_equal(
        packed.take(np.array([4, 0, 2])),
        frame.iloc[[4, 0, 2]].reset_index(drop=True),
        check_dtype=False,
    )
