"""Hypothesis fuzz of grid to table (issue 13): random sheets of title, header, data, blank,
section, subtotal, repeated-header and footer rows, merged cells and odd cells never raise and
never lose a data row; every data row keeps its own row number."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transforms.ingest.headers import find_header, grid_to_table
from transforms.ingest.merged import as_merges, fill_merged

HEADER = ["NO", "NIK", "NAMA", "TGL LAHIR", "JK", "NO KK", "ALAMAT"]
WIDTH = len(HEADER)
KK_COLUMN, ADDRESS_COLUMN = 5, 6

ODD_CELLS = st.one_of(
    st.none(),
    st.just(""),
    st.just("   "),
    st.just(float("nan")),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(min_value=date(1900, 1, 1)),
    st.datetimes(min_value=datetime(1900, 1, 1)),
    st.text(max_size=30),
    st.sampled_from(["=SUM(A1:A9)", "JUMLAH", "KEC. PALARAN", "NIP. 1970", "\u200b", "👍", "-"]),
)
TITLES = st.sampled_from(
    ["DAFTAR USULAN PBI JKN", "KECAMATAN : PALARAN", "KOTA SAMARINDA TAHUN 2025", None]
)
KINDS = st.sampled_from(["data", "data", "data", "blank", "section", "subtotal", "header", "odd"])


@st.composite
def sheets(draw):
    """A grid, its merges, and the row numbers (1-based) of its data rows."""
    rows: list[list[object]] = []
    merges: list[tuple[int, int, int, int]] = []
    for _ in range(draw(st.integers(0, 3))):
        title = draw(TITLES)
        rows.append([title] + [None] * (WIDTH - 1))
        if title is not None and draw(st.booleans()):
            merges.append((len(rows) - 1, 0, len(rows) - 1, WIDTH - 1))
    rows.append(list(HEADER))
    data_rows: list[int] = []
    serial = 0
    family_start: int | None = None
    for kind in draw(st.lists(KINDS, max_size=25)):
        at = len(rows)
        if kind == "data":
            serial += 1
            odd = [draw(ODD_CELLS) for _ in range(3)]
            nik = f"6472015508{serial:06d}"
            rows.append([serial, nik, odd[0], odd[1], odd[2], "6472010101200001", "JL. A"])
            data_rows.append(at + 1)
            if family_start is not None and draw(st.booleans()):
                for column in (KK_COLUMN, ADDRESS_COLUMN):  # a family merged down
                    merges.append((family_start, column, at, column))
                family_start = None
            elif family_start is None:
                family_start = at
            continue
        family_start = None
        if kind == "blank":
            rows.append([None] * WIDTH)
        elif kind == "section":
            rows.append(
                [draw(st.sampled_from(["KEC. MELAK", "DESA/KEL. TANJUNG", "I. KECAMATAN X"]))]
            )
            rows[-1] += [None] * (WIDTH - 1)
            if draw(st.booleans()):
                merges.append((at, 0, at, WIDTH - 1))
        elif kind == "subtotal":
            label = draw(st.sampled_from(["SUB TOTAL", "JUMLAH", "Jumlah Kec. Melak", "TOTAL"]))
            rows.append([label, None, None, f"{serial} orang", None, None, None])
        elif kind == "header":
            rows.append(list(HEADER))
        else:  # a row of odd cells, no identity number in it
            rows.append([draw(ODD_CELLS) for _ in range(WIDTH)])
            rows[-1][1] = None
            rows[-1][KK_COLUMN] = None
    for line in draw(st.lists(st.sampled_from(["Samarinda, 12 Mei 2025", "Mengetahui,", None]))):
        rows.append([line] + [None] * (WIDTH - 1))
    grid = pd.DataFrame(rows, index=pd.RangeIndex(1, len(rows) + 1), dtype=object)
    return grid, merges, data_rows


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sheets())
def test_reader_never_raises_and_never_loses_a_data_row(sheet):
    grid, merges, data_rows = sheet
    filled = fill_merged(grid, as_merges(merges))
    header = find_header(filled.grid)
    assert header is not None
    table = grid_to_table(filled.grid, header, filled.spread)
    kept = table.rows.set_index("row_number")
    assert set(data_rows) <= set(kept.index)
    for row in data_rows:  # each data row at its own number, with its own NIK and the family's KK
        assert kept.loc[row, "nik"] == grid.loc[row, 1]
        assert kept.loc[row, "no_kk"] == "6472010101200001"
    skipped = set(table.skipped_rows)
    assert not skipped & set(kept.index)
    assert len(kept) + table.n_skipped == len(grid) - max(header.header_rows)


@settings(max_examples=100, deadline=None)
@given(
    st.integers(1, 8),
    st.integers(1, 6),
    st.lists(
        st.tuples(st.integers(-2, 9), st.integers(-2, 7), st.integers(0, 9), st.integers(0, 7)),
        max_size=6,
    ),
)
def test_fill_merged_never_raises_but_on_overlaps(n_rows, n_cols, merges):
    grid = pd.DataFrame(np.arange(n_rows * n_cols).reshape(n_rows, n_cols).astype(object))
    try:
        filled = fill_merged(grid, as_merges(merges))
    except ValueError:
        return  # overlapping merges: the file is refused, never half-filled
    assert filled.grid.shape == grid.shape
    assert filled.spread is None or filled.spread.shape == grid.shape
