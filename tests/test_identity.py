from datetime import date

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from transforms.identity import cell_text, decode_nik, mask_identity, parse_identity
from transforms.reference import PROVINCE_CODES

AS_OF = date(2026, 11, 27)


def test_numeric_cells_become_exact_digits():
    cells = pd.Series([6472015508800003.0, 6472015508800003, "6472015508800003", None], dtype=object)
    out = cell_text(cells)
    assert out["text"].tolist()[:3] == ["6472015508800003"] * 3
    assert out["from_number"].tolist() == [True, True, False, False]


def test_cleaning_and_damage_flags():
    cells = pd.Series(
        ["'6472 0155 0880 0003", "6472.0155.0880.0003", "6.47201E+15", 6472015508800010.0, "123"],
        dtype=object,
    )
    out = parse_identity(cells)
    assert out["value"].tolist()[:2] == ["6472015508800003", "6472015508800003"]
    assert out["scientific"].tolist() == [False, False, True, False, False]
    assert out["truncation_suspect"].tolist() == [False, False, False, True, False]
    assert pd.isna(out["value"].iloc[4])


def test_decode_female_day_and_century():
    nik = pd.Series(["6472015508800003", "6472011512260001", "6472013102800001", "6472012902000001"])
    out = decode_nik(nik, AS_OF)
    assert out["sex"].tolist() == ["P", "L", "L", "L"]
    assert out["dob"].iloc[0] == pd.Timestamp("1980-08-15")
    assert out["dob"].iloc[1] == pd.Timestamp("1926-12-15")  # 2026-12-15 is after the as-of date
    assert out["date_ok"].tolist() == [True, True, False, True]  # 31 Feb impossible; 29 Feb 2000 fine


def test_province_serial_and_district():
    nik = pd.Series(["0072015508800003", "6472015508800000", "6499015508800003", "3578015508800003"])
    out = decode_nik(nik, AS_OF)
    assert out["province_ok"].tolist() == [False, True, True, True]
    assert out["serial_ok"].tolist() == [True, False, True, True]
    assert out["district_known"].tolist() == [True, True, False, True]


def test_mask_identity_hides_birth_date():
    assert mask_identity("6472015508800003") == "6472********0003"


@st.composite
def valid_niks(draw):
    province = draw(st.sampled_from(sorted(PROVINCE_CODES)))
    region = draw(st.integers(1, 99))
    district = draw(st.integers(1, 99))
    born = draw(st.dates(min_value=date(1907, 1, 1), max_value=AS_OF))
    female = draw(st.booleans())
    serial = draw(st.integers(1, 9999))
    day = born.day + (40 if female else 0)
    nik = f"{province}{region:02d}{district:02d}{day:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}"
    return nik, born, "P" if female else "L"


SPELLINGS = [
    lambda n: n,
    lambda n: "'" + n,
    lambda n: f" {n} ",
    lambda n: f"{n[:6]}.{n[6:12]}.{n[12:]}",
    lambda n: f"{n[:4]} {n[4:8]} {n[8:12]} {n[12:]}",
    lambda n: f"{n[:6]}-{n[6:]}",
    lambda n: float(n) if int(n) < 2**53 else n,  # a numeric cell, exact below 2**53
]


@given(valid_niks(), st.sampled_from(SPELLINGS))
def test_any_valid_nik_in_any_spelling_decodes(case, spelling):
    nik, born, sex = case
    written = spelling(nik)
    parsed = parse_identity(pd.Series([written], dtype=object))
    assert parsed["value"].iloc[0] == nik
    decoded = decode_nik(parsed["value"], AS_OF)
    assert bool(decoded["date_ok"].iloc[0]) and bool(decoded["province_ok"].iloc[0])
    assert decoded["sex"].iloc[0] == sex
    dob = decoded["dob"].iloc[0]
    assert (dob.day, dob.month, dob.year % 100) == (born.day, born.month, born.year % 100)
    assert 0 <= AS_OF.year - dob.year <= 120
