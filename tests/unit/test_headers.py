import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from transforms.ingest.headers import FIELD_SYNONYMS, find_header, grid_to_table, match_field


def grid(rows):
    frame = pd.DataFrame(rows, dtype=object)
    frame.index = range(1, len(frame) + 1)
    frame.columns = range(frame.shape[1])
    return frame


def test_title_rows_two_row_header_blank_and_footer_rows():
    g = grid(
        [
            ["DAFTAR USULAN PBI JKN", None, None, None, None, None],
            ["KOTA SAMARINDA 2025", None, None, None, None, None],
            ["NO", "N I K", "Nama Lengkap", "TEMPAT/TGL LAHIR", None, "L/P"],
            [None, None, None, "TEMPAT", "TANGGAL", None],
            [1, "6472015508800003", "Siti", "Samarinda", "15-08-1980", "P"],
            [None, None, None, None, None, None],
            [2, "6472011508800004", "Budi", "Samarinda", "15-08-1980", "L"],
            ["JUMLAH", None, None, None, None, None],
            [None, None, None, None, None, None],
            ["Samarinda, 12 Mei 2025", None, None, None, None, None],
            ["Mengetahui,", None, None, None, None, None],
            ["Kepala Dinas Sosial", None, None, None, None, None],
            [None, None, "DRS. NAMA PEJABAT", None, None, None],
            ["NIP. 19700101 199003 1 005", None, None, None, None, None],
        ]
    )
    header = find_header(g)
    assert header.header_rows == [3, 4]
    assert header.columns["tempat_lahir"] == 3 and header.columns["tanggal_lahir"] == 4
    table = grid_to_table(g, header)
    assert table.rows["row_number"].tolist() == [5, 7]
    assert table.rows["nama"].tolist() == ["Siti", "Budi"]
    assert table.n_skipped == 8  # blank row 6 and rows 8-14
    assert "row_no" not in table.rows


def test_subtotal_in_the_middle_does_not_hide_later_rows():
    g = grid(
        [
            ["NIK", "NAMA", "NO KK"],
            ["6472015508800003", "Siti", "6472010101200001"],
            ["JUMLAH", None, None],
            ["6472011508800004", "Budi", "6472010101200001"],
        ]
    )
    table = grid_to_table(g, find_header(g))
    assert table.rows["row_number"].tolist() == [2, 4]
    assert table.n_skipped == 1


def test_no_header_in_a_lookup_sheet():
    g = grid([["Kode", "Kecamatan"], ["01", "Palaran"]])
    assert find_header(g) is None


@given(
    st.sampled_from([(syn, fld) for fld, syns in FIELD_SYNONYMS.items() for syn in syns]),
    st.sampled_from(["{}", "{} ", " {}", "{}.", "{}:"]),
    st.booleans(),
    st.booleans(),
)
def test_synonyms_match_ignoring_case_spaces_and_punctuation(pair, decoration, lower, spaced):
    synonym, field = pair
    text = " ".join(synonym) if spaced else synonym
    text = decoration.format(text.lower() if lower else text)
    assert match_field("".join(ch for ch in text.upper() if ch.isalnum())) == field


IDENTITY_LIKE_CELLS = [
    "6409010502750058", "640901050275005", "6403 0201 0919 7772", "641101-110417-7201",
    "'6403054308800095", "6409.0105.0275", "NIP 19800101 200501 1 001", "  NIP 1234567890",
    "6.40901E+15", "0000000000", "١٢٣٤٥٦٧٨٩٠١", "64030201 09\t197772", "", " ", "-", None,
    float("nan"), 6409010502750058.0, 123.0, 1e9, -1e9, 999999999, 10**12, 10**400, True,
    pd.Timestamp("2020-01-01").date(),
]  # fmt: skip


@given(st.lists(st.sampled_from(IDENTITY_LIKE_CELLS), max_size=12))
def test_identity_detection_is_the_same_vectorised_as_cell_by_cell(cells):
    import numpy as np

    from transforms.ingest.headers import _identity_like, _looks_like_identity

    values = np.empty(len(cells), dtype=object)
    values[:] = cells
    expected = [_looks_like_identity(v) for v in cells]
    assert _identity_like(values).tolist() == expected


def test_an_infinite_number_under_the_header_is_a_cell_not_a_column_number():
    grid = pd.DataFrame(
        [["NO", "NIK", "NAMA", "TGL LAHIR", "JK", "NO KK", "ALAMAT"],
         [None, None, None, None, None, None, float("inf")]],
        index=[1, 2], dtype=object,
    )  # fmt: skip
    header = find_header(grid)
    assert header.header_rows == [1]
