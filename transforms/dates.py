"""Birth dates as regency files write them: date cells, Excel serials, d/m/y text, Indonesian months.

Text is parsed once per distinct spelling (a column of a million birth dates holds far fewer
distinct strings) with RE2 patterns; two-digit years take the century that gives an age of
0 to 120 at the as-of date. Anything unreadable or impossible (31-02) becomes NaT; the row
check `DOB_INVALID` reports it.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from transforms.identity import (
    DATE,
    FLOAT,
    INT,
    SPACE,
    TEXT,
    arrow_text,
    build_dates,
    cell_kinds,
    extract,
    lookup,
    resolve_century,
    to_number,
)
from transforms.reference import INDONESIAN_MONTHS

EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
# Serial numbers for 1900-03-01 .. 2099-12-31; smaller or larger numbers are not dates.
SERIAL_MIN, SERIAL_MAX = 61, 73415

# Month spellings seen in regency files beyond reference.INDONESIAN_MONTHS (English, old).
MONTH_SPELLINGS: dict[str, int] = {
    **INDONESIAN_MONTHS,
    "JANUARY": 1,
    "FEBRUARY": 2,
    "PEB": 2,
    "MARCH": 3,
    "JUNE": 6,
    "JULY": 7,
    "AGT": 8,
    "AGST": 8,
    "AUGUST": 8,
    "OCTOBER": 10,
    "NOP": 11,
    "DECEMBER": 12,
}

_SEP = r"[ ]*[/.\-–—][ ]*"
_TIME = r"(?:[ T][0-9]{1,2}[:.][0-9]{2}(?:[:.][0-9]{2}(?:\.[0-9]+)?)?)?"
_DAY_FIRST = (
    rf"^(?P<d>[0-9]{{1,2}}){_SEP}(?P<m>[0-9]{{1,2}}){_SEP}(?P<y>[0-9]{{4}}|[0-9]{{2}}){_TIME}$"
)
_DAY_FIRST_SPACED = r"^(?P<d>[0-9]{1,2}) (?P<m>[0-9]{1,2}) (?P<y>[0-9]{4})$"
_YEAR_FIRST = rf"^(?P<y>[0-9]{{4}}){_SEP}(?P<m>[0-9]{{1,2}}){_SEP}(?P<d>[0-9]{{1,2}}){_TIME}$"
_NAMED = (
    r"^(?P<d>[0-9]{1,2})[ /.\-–—]*(?P<mon>[A-Za-z]{3,9})\.?[ /.\-–—,]*(?P<y>[0-9]{4}|[0-9]{2})$"
)
_SERIAL = r"^(?P<n>[0-9]{2,5})(?:\.0+)?$"


def _from_serial(numbers: np.ndarray) -> np.ndarray:
    """Excel serial day numbers to datetime64[ns]; not whole or out of range -> NaT."""
    numbers = np.asarray(numbers, dtype="float64")
    ok = (numbers >= SERIAL_MIN) & (numbers <= SERIAL_MAX) & (np.floor(numbers) == numbers)
    days = np.where(ok, numbers, 0).astype("int64").astype("timedelta64[D]")
    return np.where(ok, EXCEL_EPOCH + days, np.datetime64("NaT")).astype("datetime64[ns]")


def _four_digit_year(year: np.ndarray, month: np.ndarray, day: np.ndarray, as_of: date):
    return np.where(year < 100, resolve_century(year, month, day, as_of), year)


def parse_date_text(texts: pa.Array, as_of: date) -> np.ndarray:
    """Distinct date spellings to datetime64[ns] (NaT when unreadable)."""
    text = pc.utf8_trim(pc.replace_substring_regex(texts, SPACE + "+", " "), " ")
    result = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[ns]")

    def fill(found: np.ndarray) -> None:
        empty = np.isnat(result)
        result[empty] = found[empty]

    for pattern in (_DAY_FIRST, _DAY_FIRST_SPACED, _YEAR_FIRST):
        parts = extract(text, pattern)
        y, m, d = (to_number(parts[k]) for k in ("y", "m", "d"))
        fill(build_dates(_four_digit_year(y, m, d, as_of), m, d))

    named = extract(text, _NAMED)
    month = lookup(pc.utf8_upper(named["mon"]), MONTH_SPELLINGS, pa.float64())
    month = month.to_numpy(zero_copy_only=False).astype("float64")
    d, y = to_number(named["d"]), to_number(named["y"])
    fill(build_dates(_four_digit_year(y, month, d, as_of), month, d))

    fill(_from_serial(to_number(extract(text, _SERIAL)["n"])))
    return result


def parse_birth_dates(values: pd.Series, as_of: date) -> pd.Series:
    """Parse mixed birth-date cells to datetime64[ns]; NaT where unreadable (checked elsewhere).

    Date cells are taken as they are, numbers as Excel serials, text is parsed once per
    distinct spelling.
    """
    n = len(values)
    result = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    if n == 0:
        return pd.Series(result, index=values.index)
    if isinstance(values.dtype, pd.StringDtype):
        result[:] = _parse_text(arrow_text(values), as_of)
        return pd.Series(result, index=values.index)
    cells = values.to_numpy(dtype=object)
    kinds = cell_kinds(cells)
    is_date = kinds == DATE
    if is_date.any():
        result[is_date] = _date_cells(cells[is_date])
    is_number = (kinds == FLOAT) | (kinds == INT)
    if is_number.any():
        result[is_number] = _from_serial(cells[is_number].astype("float64"))
    is_text = kinds == TEXT
    if is_text.any():
        texts = pa.array(cells[is_text], type=pa.large_string())
        result[is_text] = _parse_text(texts, as_of)
    return pd.Series(result, index=values.index)


def _parse_text(texts: pa.Array, as_of: date) -> np.ndarray:
    """Text cells to datetime64[ns], parsing each distinct spelling once."""
    encoded = pc.dictionary_encode(texts)
    parsed = parse_date_text(encoded.dictionary, as_of)
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    out = np.full(len(texts), np.datetime64("NaT"), dtype="datetime64[ns]")
    valid = pc.is_valid(encoded.indices).to_numpy(zero_copy_only=False)
    out[valid] = parsed[indices[valid].astype(np.int64)]
    return out


def _date_cells(cells: np.ndarray) -> np.ndarray:
    """date/datetime/Timestamp cells to datetime64[ns] at day precision (NaT when out of range)."""
    try:
        days = np.array(cells.tolist(), dtype="datetime64[D]")
    except (TypeError, ValueError, OverflowError):
        days = np.array(
            [np.datetime64(date(v.year, v.month, v.day), "D") for v in cells], dtype="datetime64[D]"
        )
    in_range = (days >= np.datetime64("1700-01-01")) & (days <= np.datetime64("2250-12-31"))
    return np.where(in_range, days, np.datetime64("NaT")).astype("datetime64[ns]")


def age_at(birth: pd.Series, as_of: date) -> pd.Series:
    """Whole years of age at `as_of` (nullable integer)."""
    b = pd.to_datetime(birth)
    years = as_of.year - b.dt.year
    before_birthday = (b.dt.month > as_of.month) | (
        (b.dt.month == as_of.month) & (b.dt.day > as_of.day)
    )
    return (years - before_birthday.astype("Int64")).astype("Int64")
