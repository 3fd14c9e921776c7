"""Birth dates as regency files write them: date cells, Excel serials, d/m/y text, Indonesian months."""

from __future__ import annotations

import datetime as dt
from datetime import date

import numpy as np
import pandas as pd

from transforms.identity import build_dates, resolve_century, to_float
from transforms.reference import INDONESIAN_MONTHS

EXCEL_EPOCH = pd.Timestamp("1899-12-30")
# Serial numbers for 1900-03-01 .. 2099-12-31; smaller or larger numbers are not dates.
SERIAL_MIN, SERIAL_MAX = 61, 73415

_NUMERIC_DMY = r"^\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{2}|\d{4})\s*$"
_ISO = r"^\s*(\d{4})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?\s*$"
_NAMED = r"^\s*(\d{1,2})\s*[\s/.\-]\s*([A-Za-z]{3,9})\.?\s*[\s/.\-,]\s*(\d{2}|\d{4})\s*$"
_SERIAL_TEXT = r"^\s*(\d{2,5})(?:\.0+)?\s*$"


def _from_cells(values: pd.Series) -> pd.Series:
    """Date and datetime cells (already typed by the reader) to timestamps."""
    is_date = values.map(lambda v: isinstance(v, dt.date))
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    if is_date.any():
        out[is_date] = pd.to_datetime(values[is_date].map(str).str[:10], errors="coerce")
    return out


def _from_serial(numbers: pd.Series) -> pd.Series:
    ok = numbers.between(SERIAL_MIN, SERIAL_MAX) & (numbers == np.floor(numbers))
    days = numbers.where(ok)
    return EXCEL_EPOCH + pd.to_timedelta(days, unit="D")


def _four_digit_year(year: pd.Series, month: pd.Series, day: pd.Series, as_of: date) -> pd.Series:
    short = year < 100
    return year.where(~short, resolve_century(year, month, day, as_of))


def parse_birth_dates(values: pd.Series, as_of: date) -> pd.Series:
    """Parse mixed birth-date cells to datetime64; NaT where unreadable (checked elsewhere)."""
    result = _from_cells(values)
    numeric_cell = values.map(lambda v: isinstance(v, int | float) and not isinstance(v, bool))
    if numeric_cell.any():
        nums = to_float(values[numeric_cell])
        result[numeric_cell] = _from_serial(nums)
    is_text = values.map(type).eq(str)
    if not is_text.any():
        return result
    text = values[is_text].astype("string").str.strip()
    parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")

    dmy = text.str.extract(_NUMERIC_DMY).apply(to_float)
    year = _four_digit_year(dmy[2], dmy[1], dmy[0], as_of)
    parsed = parsed.fillna(build_dates(year, dmy[1], dmy[0]))

    iso = text.str.extract(_ISO).apply(to_float)
    parsed = parsed.fillna(build_dates(iso[0], iso[1], iso[2]))

    named = text.str.extract(_NAMED)
    month = to_float(named[1].str.upper().map(INDONESIAN_MONTHS))
    day = to_float(named[0])
    year = to_float(named[2])
    year = _four_digit_year(year, month, day, as_of)
    parsed = parsed.fillna(build_dates(year, month, day))

    serial = to_float(text.str.extract(_SERIAL_TEXT)[0])
    parsed = parsed.fillna(_from_serial(serial))

    result[is_text] = parsed
    return result


def age_at(birth: pd.Series, as_of: date) -> pd.Series:
    """Whole years of age at `as_of` (nullable integer)."""
    b = pd.to_datetime(birth)
    years = as_of.year - b.dt.year
    before_birthday = (b.dt.month > as_of.month) | (
        (b.dt.month == as_of.month) & (b.dt.day > as_of.day)
    )
    return (years - before_birthday.astype("Int64")).astype("Int64")
