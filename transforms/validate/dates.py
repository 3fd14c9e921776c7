"""Birth dates as regency files write them: date cells, Excel serials, d/m/y text, Indonesian months.

Text is parsed once per distinct spelling (a column of a million birth dates holds far fewer
distinct strings) with RE2 patterns; two-digit years take the century that gives an age of
0 to 120 at the as-of date. Anything unreadable or impossible (31-02) becomes NaT; the row
check `DOB_INVALID` reports it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from schemas.reference import INDONESIAN_MONTHS
from schemas.text import SPACE, arrow_text, blank_to_null, extract, lookup, text_series
from transforms.validate.identity import (
    DATE,
    FLOAT,
    INT,
    OTHER,
    TEXT,
    build_dates,
    cell_kinds,
    date_cells_as_days,
    format_dmy,
    number_text,
    resolve_century,
    squash,
    to_number,
)

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


def _numeric_dates(pattern: str, as_of: date) -> Callable[[pa.Array], np.ndarray]:
    def parse(text: pa.Array) -> np.ndarray:
        parts = extract(text, pattern)
        y, m, d = (to_number(parts[k]) for k in ("y", "m", "d"))
        return build_dates(_four_digit_year(y, m, d, as_of), m, d)

    return parse


def _named_month_dates(as_of: date) -> Callable[[pa.Array], np.ndarray]:
    def parse(text: pa.Array) -> np.ndarray:
        named = extract(text, _NAMED)
        month = lookup(pc.utf8_upper(named["mon"]), MONTH_SPELLINGS, pa.float64())
        month = month.to_numpy(zero_copy_only=False).astype("float64")
        d, y = to_number(named["d"]), to_number(named["y"])
        return build_dates(_four_digit_year(y, month, d, as_of), month, d)

    return parse


def _serial_dates(text: pa.Array) -> np.ndarray:
    return _from_serial(to_number(extract(text, _SERIAL)["n"]))


def parse_date_text(texts: pa.Array, as_of: date) -> np.ndarray:
    """Distinct date spellings to datetime64[ns] (NaT when unreadable).

    Each spelling takes the first pattern that gives a date; a pattern only sees the
    spellings no earlier pattern read.
    """
    text = pc.utf8_trim(pc.replace_substring_regex(texts, SPACE + "+", " "), " ")
    result = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[ns]")
    todo = np.arange(len(text))
    steps = (
        *(_numeric_dates(p, as_of) for p in (_DAY_FIRST, _DAY_FIRST_SPACED, _YEAR_FIRST)),
        _named_month_dates(as_of),
        _serial_dates,
    )
    for parse in steps:
        if not todo.size:
            break
        found = parse(text if todo.size == len(text) else pc.take(text, pa.array(todo)))
        result[todo] = found
        todo = todo[np.isnat(found)]
    return result


def read_birth_dates(values: pd.Series, as_of: date) -> pd.DataFrame:
    """Birth-date cells to `text` (as the regency wrote it; date cells and valid Excel serials
    as dd-mm-yyyy, which is what the officer sees in the cell) and `date` (datetime64[ns],
    NaT where unreadable; the row checks report it).

    Date cells are taken as they are, numbers as Excel serials, text is trimmed and parsed
    once per distinct spelling.
    """
    n = len(values)
    parsed = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    text = pa.nulls(n, type=pa.large_string())
    if n == 0:
        return _birth_frame(text, parsed, values.index)
    if isinstance(values.dtype, pd.StringDtype):
        text, parsed[:] = _parse_text(arrow_text(values), as_of)
        return _birth_frame(text, parsed, values.index)
    cells = values.to_numpy(dtype=object)
    kinds = cell_kinds(cells)
    is_text = kinds == TEXT
    if is_text.any():
        written, parsed[is_text] = _parse_text(
            pa.array(cells[is_text], type=pa.large_string()), as_of
        )
        text = pc.replace_with_mask(text, pa.array(is_text), written)
    is_number = (kinds == FLOAT) | (kinds == INT)
    if is_number.any():  # NaN is a blank cell, not a number
        is_number[np.flatnonzero(is_number)[np.isnan(cells[is_number].astype("float64"))]] = False
    if is_number.any():
        numbers = cells[is_number].astype("float64")
        parsed[is_number] = _from_serial(numbers)
        written, _ = number_text(numbers)
        shown = pc.coalesce(format_dmy(parsed[is_number]), written)
        text = pc.replace_with_mask(text, pa.array(is_number), shown)
    is_date = kinds == DATE
    if is_date.any():
        parsed[is_date] = _date_cells(cells[is_date])
        shown = format_dmy(parsed[is_date])
        if shown.null_count:
            written = pa.array([str(v) for v in cells[is_date]], type=pa.large_string())
            shown = pc.coalesce(shown, written)
        text = pc.replace_with_mask(text, pa.array(is_date), shown)
    other = kinds == OTHER
    if other.any():
        written = pa.array([str(v) for v in cells[other]], type=pa.large_string())
        text = pc.replace_with_mask(text, pa.array(other), written)
    return _birth_frame(blank_to_null(text), parsed, values.index)


def _birth_frame(text: pa.Array, parsed: np.ndarray, index: pd.Index) -> pd.DataFrame:
    return pd.DataFrame({"text": text_series(text, index), "date": parsed}, index=index)


def parse_birth_dates(values: pd.Series, as_of: date) -> pd.Series:
    """Parse mixed birth-date cells to datetime64[ns]; NaT where unreadable (checked elsewhere)."""
    return read_birth_dates(values, as_of)["date"]


def _parse_text(texts: pa.Array, as_of: date) -> tuple[pa.Array, np.ndarray]:
    """Text cells to (trimmed text, datetime64[ns]), working once per distinct spelling."""
    encoded = pc.dictionary_encode(texts)
    distinct = squash(encoded.dictionary)
    parsed = parse_date_text(distinct, as_of)
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    valid = pc.is_valid(encoded.indices).to_numpy(zero_copy_only=False)
    out = np.full(len(texts), np.datetime64("NaT"), dtype="datetime64[ns]")
    out[valid] = parsed[indices[valid].astype(np.int64)]
    return pc.take(distinct, encoded.indices), out


def _date_cells(cells: np.ndarray) -> np.ndarray:
    """date/datetime/Timestamp cells to datetime64[ns] at day precision (NaT when out of range)."""
    try:
        days = date_cells_as_days(cells)
    except (TypeError, ValueError, OverflowError, pa.ArrowException):
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
