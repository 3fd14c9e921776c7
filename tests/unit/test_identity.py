from datetime import date

import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.reference import PROVINCE_CODES
from transforms.validate.identity import cell_text, decode_nik, mask_identity, parse_identity

AS_OF = date(2026, 11, 27)


def test_numeric_cells_become_exact_digits():
    cells = pd.Series(
        [6472015508800003.0, 6472015508800003, "6472015508800003", None], dtype=object
    )
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
    nik = pd.Series(
        ["6472015508800003", "6472011512260001", "6472013102800001", "6472012902000001"]
    )
    out = decode_nik(nik, AS_OF)
    assert out["sex"].tolist() == ["P", "L", "L", "L"]
    assert out["dob"].iloc[0] == pd.Timestamp("1980-08-15")
    assert out["dob"].iloc[1] == pd.Timestamp("1926-12-15")  # 2026-12-15 is after the as-of date
    assert out["date_ok"].tolist() == [
        True,
        True,
        False,
        True,
    ]  # 31 Feb impossible; 29 Feb 2000 fine


def test_province_serial_and_district():
    nik = pd.Series(
        ["0072015508800003", "6472015508800000", "6499015508800003", "3578015508800003"]
    )
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


@settings(deadline=None)
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


# --- more cells, KK, sex, and the text kernels ----------------------------------------------------

from hypothesis import HealthCheck  # noqa: E402

from schemas.text import blank_to_null, count_bytes, only_digits, rows_with  # noqa: E402
from transforms.validate.identity import squash  # noqa: E402
from transforms.validate.normalise import parse_sex  # noqa: E402

SLOW_MACHINE = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_cell_text_of_every_cell_kind():
    cells = pd.Series(
        ["  a  b ", 12.0, 7, 1.5, date(1980, 5, 12), True, None, float("nan"), "", "\xa0x\t"],
        dtype=object,
    )
    out = cell_text(cells)
    assert out["text"].tolist() == [
        "a b",
        "12",
        "7",
        "1.5",
        "12-05-1980",
        "True",
        pd.NA,
        pd.NA,
        pd.NA,
        "x",
    ]
    assert out["from_number"].tolist() == [False, True, True, True] + [False] * 6
    assert out["inexact"].tolist()[3] is True  # a fraction


def test_numbers_beyond_float_precision_are_suspect():
    # a NIK from province 92 typed as a number is above 2**53: its last digit may be wrong
    out = parse_identity(pd.Series([9201015508800003.0, 6472015508800003.0], dtype=object))
    assert out["truncation_suspect"].tolist() == [True, False]


def test_kk_cleaned_like_a_nik():
    cells = pd.Series(
        ["6472 0101 0120 0001", "'6472010101200001", "6472010101", None], dtype=object
    )
    out = parse_identity(cells)
    assert out["value"].tolist()[:2] == ["6472010101200001"] * 2
    assert pd.isna(out["value"].iloc[2]) and bool(out["missing"].iloc[3])


@st.composite
def valid_kks(draw):
    regency = draw(st.sampled_from(["6401", "6402", "6471", "6472", "3578"]))
    rest = draw(st.integers(0, 10**12 - 1))
    return f"{regency}{rest:012d}"


@SLOW_MACHINE
@given(valid_kks(), st.sampled_from(SPELLINGS[:-1]))
def test_any_valid_kk_in_any_text_spelling_round_trips(kk, spelling):
    parsed = parse_identity(pd.Series([spelling(kk)], dtype=object))
    assert parsed["value"].iloc[0] == kk
    assert not parsed["truncation_suspect"].iloc[0]


@SLOW_MACHINE
@given(
    st.lists(st.one_of(st.text(), st.integers(), st.floats(), st.none(), st.dates()), max_size=8)
)
def test_identity_parsers_never_raise(cells):
    parsed = parse_identity(pd.Series(cells, dtype=object))
    decoded = decode_nik(parsed["value"], AS_OF)
    assert len(decoded) == len(cells)
    assert parsed["value"].dropna().str.fullmatch(r"\d{16}").all()


SEX = {"L": "L", "LK": "L", "Laki-laki": "L", "LAKI - LAKI": "L", "Pria": "L", "1": "L", 1: "L",
       "P": "P", "PR": "P", "Perempuan": "P", "wanita": "P", "2": "P", 2: "P"}  # fmt: skip


def test_every_sex_spelling_of_domain_md():
    cells = pd.Series([*SEX, 1.0, 2.0, "X", "L/P", None], dtype=object)
    assert parse_sex(cells).tolist() == [*SEX.values(), "L", "P", pd.NA, pd.NA, pd.NA]


@SLOW_MACHINE
@given(st.lists(st.one_of(st.text(), st.sampled_from(list(SEX)), st.none()), max_size=8))
def test_sex_parser_never_raises_and_only_says_l_or_p(cells):
    out = parse_sex(pd.Series(cells, dtype=object))
    assert set(out.dropna()) <= {"L", "P"}


def test_text_kernels():
    array = pa.array(
        ["ab  c", " x ", "", None, "1234567890123456", "a\u00a0b", "12a"], pa.large_string()
    )
    assert squash(array).to_pylist() == ["ab c", "x", None, None, "1234567890123456", "a b", "12a"]
    assert blank_to_null(array).to_pylist()[2:4] == [None, None]
    assert only_digits(array, 16).tolist() == [False, False, False, False, True, False, False]
    digits = count_bytes(array, lambda b: (b >= 0x30) & (b <= 0x39))
    assert digits.tolist() == [0, 0, 0, 0, 16, 0, 2]
    assert rows_with(array, lambda b: b == 0x61).tolist() == [
        True,
        False,
        False,
        False,
        False,
        True,
        True,
    ]


@SLOW_MACHINE
@given(st.lists(st.one_of(st.text(alphabet="ab1. \t\n\r\x0b\x0c\xa0\u2007\u202f"), st.none())))
def test_squash_matches_python(texts):
    expected = [" ".join(t.split()) or None if t is not None else None for t in texts]
    assert squash(pa.array(texts, pa.large_string())).to_pylist() == expected


def test_repetitive_columns_give_the_same_text_as_cell_by_cell():
    """Long columns that repeat a few spellings are worked per distinct cell: same result,
    and cells that compare equal but read differently (1, 1.0, True, NaN, NaT) stay apart."""
    import numpy as np

    kinds = [
        " L ", "P", 1, 1.0, True, np.float64(1.0), 2.5, float("nan"), None, pd.NaT, pd.NA,
        date(2020, 1, 31), pd.Timestamp("2020-01-31 10:00"), 6472015508800003.0, "a  b", "",
    ]  # fmt: skip
    cells = pd.Series([kinds[i % len(kinds)] for i in range(60_000)], dtype=object)
    whole = cell_text(cells)
    by_part = pd.concat([cell_text(cells.iloc[i : i + 16]) for i in range(0, 64, 16)])
    expected = pd.concat([by_part] * (60_000 // 64 + 1)).iloc[:60_000].set_axis(cells.index)
    pd.testing.assert_frame_equal(whole, expected)
    text = cells.map(lambda v: v if isinstance(v, str) else None).astype("string[pyarrow]")
    pd.testing.assert_frame_equal(
        cell_text(text),
        pd.concat([cell_text(text.iloc[i : i + 1000]) for i in range(0, 60_000, 1000)]),
    )


# --- identity cells in odd dress (issue 13) ---------------------------------------------------

_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
_INVISIBLE = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u200e")


def test_labels_invisible_characters_and_full_width_digits_are_cleaned():
    nik = "6472015508800003"
    cells = pd.Series(
        [f"NIK: {nik}", f"No. KK: {nik[:4]} {nik[4:8]} {nik[8:12]} {nik[12:]}",
         nik.translate(_FULL_WIDTH), f"{nik}\u200b", f"\ufeff'{nik}", f"NKK {nik}",
         f"Nomor KK : {nik}", f"NIK：{nik.translate(_FULL_WIDTH)}", "NIK: 6472 abc"],
        dtype=object,
    )  # fmt: skip
    out = parse_identity(cells)
    assert out["value"].tolist()[:8] == [nik] * 8
    assert pd.isna(out["value"].iloc[8]) and out["digits"].iloc[8] == "6472abc"
    assert out["raw"].iloc[0] == f"NIK: {nik}"  # the cell as written, for feedback


@settings(max_examples=200, deadline=None)
@given(
    digits=st.text(alphabet="0123456789", min_size=16, max_size=16),
    label=st.sampled_from(["", "NIK:", "NIK ", "No. KK:", "NO KK ", "N.I.K. ", "KK:"]),
    invisible=st.lists(st.sampled_from(_INVISIBLE), max_size=3),
    full_width=st.booleans(),
    at=st.integers(0, 16),
)
def test_any_dress_of_sixteen_digits_reads_them(digits, label, invisible, full_width, at):
    written = digits.translate(_FULL_WIDTH) if full_width else digits
    written = written[:at] + "".join(invisible) + written[at:]
    assert parse_identity(pd.Series([label + written]))["value"].iloc[0] == digits
