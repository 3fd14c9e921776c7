import datetime as dt
from datetime import date

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.validate.dates import age_at, parse_birth_dates

AS_OF = date(2026, 11, 27)
MONTHS_ID = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
             "September", "Oktober", "November", "Desember"]  # fmt: skip
SHORT_ID = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"]


def test_every_format_of_domain_md():
    cells = pd.Series(
        [dt.date(1980, 5, 12), dt.datetime(1980, 5, 12), 29353, "29353", "12/05/1980",
         "12-05-1980", "12 Mei 1980", "12-Mei-80", "1980-05-12", "12 May 1980"],
        dtype=object,
    )  # fmt: skip
    out = parse_birth_dates(cells, AS_OF)
    assert (out == pd.Timestamp("1980-05-12")).all(), out.tolist()


def test_unreadable_and_impossible_give_nat():
    out = parse_birth_dates(pd.Series(["31/02/1980", "kemarin", "", None, 5], dtype=object), AS_OF)
    assert out.isna().all()


def test_two_digit_year_picks_the_century_with_a_plausible_age():
    out = parse_birth_dates(pd.Series(["01-01-30", "01-01-20", "01-12-26"], dtype=object), AS_OF)
    assert [d.year for d in out] == [1930, 2020, 1926]


def test_age_at():
    births = pd.Series(pd.to_datetime(["2000-11-27", "2000-11-28", None]))
    assert age_at(births, AS_OF).tolist()[:2] == [26, 25]


@settings(deadline=None)
@given(
    st.dates(min_value=date(1906, 12, 1), max_value=AS_OF),
    st.sampled_from(["dmy/", "dmy-", "iso", "named", "short", "serial", "cell"]),
)
def test_roundtrip_any_date_any_format(born, fmt):
    cell = {
        "dmy/": born.strftime("%d/%m/%Y"),
        "dmy-": born.strftime("%d-%m-%Y"),
        "iso": born.isoformat(),
        "named": f"{born.day} {MONTHS_ID[born.month - 1]} {born.year}",
        "short": f"{born.day:02d}-{SHORT_ID[born.month - 1]}-{born.year}",
        "serial": (pd.Timestamp(born) - pd.Timestamp("1899-12-30")).days,
        "cell": born,
    }[fmt]
    out = parse_birth_dates(pd.Series([cell], dtype=object), AS_OF)
    assert out.iloc[0] == pd.Timestamp(born)


# --- more formats, the text shown back, and never raising -------------------------------------------

from transforms.validate.dates import read_birth_dates  # noqa: E402


@pytest.mark.parametrize(
    "cell",
    ["12 Agustus 1980", "12 Agu 1980", "12-Ags-80", "12 Agt 1980", "12.08.1980", "12 08 1980",
     "12/8/80", "1980/08/12", "12-08-1980 00:00", "12–08–1980", "  12   Agustus  1980 ", "12-AUG-1980",
     29445, 29445.0, "29445", dt.datetime(1980, 8, 12, 7, 30), pd.Timestamp("1980-08-12")],
)  # fmt: skip
def test_indonesian_months_short_forms_and_other_spellings(cell):
    out = parse_birth_dates(pd.Series([cell], dtype=object), AS_OF)
    assert out.iloc[0] == pd.Timestamp("1980-08-12")


def test_future_and_ancient_dates_parse_for_the_checks_to_judge():
    out = parse_birth_dates(
        pd.Series(["12-08-2031", "12-08-1890", "30-02-1980"], dtype=object), AS_OF
    )
    assert out.iloc[0] == pd.Timestamp("2031-08-12") and out.iloc[1] == pd.Timestamp("1890-08-12")
    assert pd.isna(out.iloc[2])


def test_the_text_shown_back_is_what_the_officer_sees():
    cells = pd.Series(
        [dt.date(1980, 5, 12), 29353, " 12 Mei 1980 ", 5, None, float("nan")], dtype=object
    )
    out = read_birth_dates(cells, AS_OF)
    assert out["text"].tolist() == ["12-05-1980", "12-05-1980", "12 Mei 1980", "5", pd.NA, pd.NA]
    assert out["date"].notna().tolist() == [True, True, True, False, False, False]


@settings(deadline=None)
@given(
    st.lists(st.one_of(st.text(), st.integers(), st.floats(), st.none(), st.dates()), max_size=8)
)
def test_date_parser_never_raises(cells):
    out = read_birth_dates(pd.Series(cells, dtype=object), AS_OF)
    assert len(out) == len(cells)
    assert (
        out["date"].dropna().between(pd.Timestamp("1700-01-01"), pd.Timestamp("2251-01-01")).all()
    )


@settings(deadline=None)
@given(
    st.dates(min_value=date(1930, 1, 1), max_value=AS_OF), st.sampled_from(["%d-%m-%y", "%d/%m/%y"])
)
def test_two_digit_years_round_trip_within_a_century(born, pattern):
    out = parse_birth_dates(pd.Series([born.strftime(pattern)], dtype=object), AS_OF)
    assert out.iloc[0] == pd.Timestamp(born)
