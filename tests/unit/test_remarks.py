"""Remarks: what a KETERANGAN says of the person on its row, and only of them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.ingest.headers import match_field, normalise_label
from transforms.validate.remarks import (
    REMARK_CODES,
    persons_held_by_remarks,
    read_remarks,
    remark_codes,
)


@pytest.mark.parametrize(
    ("remark", "codes"),
    [
        ("MENINGGAL DUNIA", {"REMARK_DECEASED"}),
        ("Sudah meninggal th 2024", {"REMARK_DECEASED"}),
        ("Alm.", {"REMARK_DECEASED"}),
        ("PINDAH DOMISILI", {"REMARK_MOVED"}),
        ("pindah ke Balikpapan", {"REMARK_MOVED"}),
        ("DOUBLE", {"REMARK_DUPLICATE"}),
        ("data ganda dgn baris 5", {"REMARK_DUPLICATE"}),
        ("SUDAH PBI APBN", {"REMARK_COVERED"}),
        ("SUDAH TERDAFTAR BPJS TK", {"REMARK_COVERED"}),
        ("sudah punya KIS", {"REMARK_COVERED"}),
        ("Double, sudah meninggal", {"REMARK_DUPLICATE", "REMARK_DECEASED"}),
        # nothing against this person
        ("janda, suami meninggal", set()),
        ("anak yatim", set()),
        ("ayah meninggal", set()),
        ("Yatim piatu, orang tua meninggal", set()),
        ("cerai mati", set()),
        ("Pindahan dari Jawa", set()),
        ("pindah dari Samarinda", set()),
        ("tidak pindah", set()),
        ("belum terdaftar BPJS", set()),
        ("KIS tidak aktif", set()),
        ("BPJS nonaktif", set()),
        ("bukan data ganda", set()),
        ("LANSIA", set()),
    ],
)
def test_remarks_about_this_person(remark, codes):
    assert remark_codes(remark) == codes


def test_read_once_per_distinct_remark_into_one_flag_per_code():
    flags = read_remarks(pd.Series(["MENINGGAL", None, "meninggal", "ayah meninggal", "DOUBLE"]))
    assert flags["remark_deceased"].tolist() == [True, False, True, False, False]
    assert flags["remark_duplicate"].tolist() == [False, False, False, False, True]
    assert len(flags.columns) == len(REMARK_CODES)


@settings(max_examples=300, deadline=None)
@given(
    relative=st.sampled_from(["suami", "istri", "ayah", "ibu", "orang tua", "anak", "kakek"]),
    event=st.sampled_from(["meninggal", "meninggal dunia", "wafat", "pindah"]),
    before=st.sampled_from(["", "janda, ", "Ket: ", "anak yatim - "]),
)
def test_a_relative_s_death_or_move_says_nothing_of_the_person(relative, event, before):
    assert remark_codes(f"{before}{relative} {event}") == frozenset()


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_remark_is_read_never_an_error(text):
    assert remark_codes(text) <= set(REMARK_CODES)


def test_the_remarks_column_is_found_by_its_usual_headers():
    for header in ("KETERANGAN", "Ket.", "KET", "CATATAN", "Keterangan Lain"):
        assert match_field(normalise_label(header)) == "keterangan", header
    assert match_field(normalise_label("KETERANGAN DISABILITAS")) == "disabilitas"


def test_persons_held_by_a_held_row_saying_died_moved_or_covered():
    rows = pd.DataFrame(
        {
            "person_id": [1, 2, 3, 4, 5],
            "status": ["review", "review", "review", "accepted", "review"],
            "keterangan": ["MENINGGAL", "DOUBLE", "suami meninggal", "PINDAH", "SUDAH PBI"],
        }
    )
    # a duplicate row holds only itself; an accepted row was released by an officer
    assert persons_held_by_remarks(rows).tolist() == [1, 5]
    assert persons_held_by_remarks(rows.iloc[0:0]).dtype == np.int64
