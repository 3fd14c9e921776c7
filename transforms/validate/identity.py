"""Cells as exact text, and NIK/KK: clean them and decode the embedded region, birth date and sex.

Text work runs on pyarrow compute kernels (RE2 regexes, dictionary encoding) rather than the
pandas `.str` accessor: pandas falls back to a Python loop for many patterns (`\\s`, `\\d` on
non-ASCII data, lookarounds, `extract` with unnamed groups), which is 20-50x slower on a
million rows. Text columns come out as `string[pyarrow]` (missing = <NA>).
"""

from __future__ import annotations

import collections
import re
from collections.abc import Callable
from datetime import date, datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from schemas.reference import KALTIM_DISTRICT_CODES, KALTIM_PROVINCE_CODE, PROVINCE_CODES
from schemas.text import (
    SPACE,
    arrow_text,
    blank_to_null,
    on_uniques,
    only_digits,
    rows_with,
    squash_whitespace,
    text_series,
)

# Largest integer a float64 holds exactly; numeric cells above it may have lost digits.
FLOAT_EXACT_LIMIT = 2**53
_SCIENTIFIC = r"^'?[0-9]+(?:[.,][0-9]+)?[eE][+]?[0-9]+$"
_IDENTITY_NOISE = r"[\s\x{00a0}.\-'’‘`_/]"
# Characters that show as nothing: zero-width spaces and joiners, direction marks, the BOM,
# soft hyphens; pasted from web apps and WhatsApp into identity cells.
_INVISIBLE = r"[\x{00ad}\x{180e}\x{200b}-\x{200f}\x{202a}-\x{202e}\x{2060}-\x{2064}\x{2066}-\x{2069}\x{feff}]"
# A label typed before the number: `NIK: 6472...`, `No. KK : 6472...`, `NKK 6472...`.
_IDENTITY_LABEL = (
    r"(?i)^[ ]*(?:no(?:mor)?[ .]*)?(?:n[ .]?i[ .]?k|k[ .]?k|nkk|ktp|kartu[ ]*keluarga)"
    r"(?:[ .]*ktp)?[ .]*[:=]?[ ]*"
)


def to_number(array: pa.Array) -> np.ndarray:
    """Digit strings (or nulls/empties) to float64 with NaN for missing."""
    cleaned = blank_to_null(array)
    return pc.cast(cleaned, pa.float64()).to_numpy(zero_copy_only=False)


# --------------------------------------------------------------------------------------------
# Cells
# --------------------------------------------------------------------------------------------

# Cell kinds, one int8 code per cell (`cell_kinds`).
OTHER, TEXT, FLOAT, INT, NONE, DATE = 0, 1, 2, 3, 4, 5
_KIND_CODES = {str: TEXT, float: FLOAT, int: INT, type(None): NONE}
_KIND_CODES.update({kind: DATE for kind in (date, datetime, pd.Timestamp)})


def cell_kinds(cells: np.ndarray) -> np.ndarray:
    """The kind of every cell of an object array (TEXT, FLOAT, INT, NONE, DATE or OTHER),
    in one C-level pass (a dict lookup per cell type)."""
    codes = collections.defaultdict(int, _KIND_CODES)
    return np.fromiter(map(codes.__getitem__, map(type, cells)), dtype=np.int8, count=len(cells))


def number_text(numbers: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    """Numbers as digit strings without float formatting, and which of them are inexact."""
    finite = np.isfinite(numbers)
    whole = finite & (np.floor(np.where(finite, numbers, 0)) == numbers)
    in_range = whole & (np.abs(np.where(whole, numbers, 0)) < 9.2e18)
    digits = pa.array(np.where(in_range, numbers, 0).astype(np.int64)).cast(pa.large_string())
    if not in_range.all():
        rest = [repr(float(v)) for v in numbers[~in_range]]
        digits = pc.replace_with_mask(
            digits, pa.array(~in_range), pa.array(rest, type=pa.large_string())
        )
    inexact = ~whole | (np.abs(numbers) > FLOAT_EXACT_LIMIT)
    return digits, inexact


def format_dmy(days: np.ndarray) -> pa.Array:
    """datetime64 values as dd-mm-yyyy text (how officers write dates); NaT -> null.

    Formatted once per distinct day (a column of birth dates repeats days a lot).
    """
    days = np.asarray(days).astype("datetime64[D]")
    codes, distinct = pd.factorize(days.view(np.int64), use_na_sentinel=False)
    distinct = distinct.astype(np.int64).view("datetime64[D]")
    valid = ~np.isnat(distinct)
    safe = np.where(valid, distinct, np.datetime64("2000-01-01"))
    months = safe.astype("datetime64[M]")
    year = safe.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (safe - months.astype("datetime64[D]")).astype(np.int64) + 1
    text = np.char.add(
        np.char.add(np.char.zfill(day.astype(str), 2), "-"),
        np.char.add(np.char.add(np.char.zfill(month.astype(str), 2), "-"), year.astype(str)),
    )
    formatted = pa.array(np.where(valid, text, None), type=pa.large_string())
    return pc.take(formatted, pa.array(codes))


def squash(array: pa.Array) -> pa.Array:
    """Trim, collapse every run of whitespace to one space, blank -> null."""
    return squash_whitespace(array)


def trim(array: pa.Array) -> pa.Array:
    """Trim surrounding whitespace, blank -> null (inner spaces kept)."""
    return blank_to_null(pc.utf8_trim_whitespace(array))


def cell_text(values: pd.Series, collapse: bool = True) -> pd.DataFrame:
    """Cells to exact text: `text` (trimmed, <NA> when blank), `from_number`, `inexact`.

    Numbers become their integer digits without float formatting (6472015508800003.0 ->
    "6472015508800003"); numbers beyond 2**53 or with a fraction are flagged `inexact`;
    dates become dd-mm-yyyy. `collapse`: also collapse inner runs of whitespace (display
    text); parsers that normalise spellings themselves skip that pass. Columns that repeat a
    few spellings (sex, desil, kecamatan) are worked once per distinct cell.
    """
    squash = squash_whitespace if collapse else trim
    n = len(values)
    from_number = np.zeros(n, dtype=bool)
    inexact = np.zeros(n, dtype=bool)
    if isinstance(values.dtype, pd.StringDtype):
        text = arrow_text(values)
        if _repetitive(text):
            return _cells(on_uniques(text, squash), from_number, inexact, values.index)
        return _cells(squash(text), from_number, inexact, values.index)
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        numbers = values.to_numpy(dtype="float64", na_value=np.nan)
        present = ~np.isnan(numbers)
        digits, inexact[present] = number_text(numbers[present])
        text = _scatter(n, present, digits)
        return _cells(text, present, inexact, values.index)
    cells = values.to_numpy(dtype=object)
    try:  # the common case: text cells and blanks only
        text = pa.array(cells, type=pa.large_string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    else:
        if _repetitive(text):
            return _cells(on_uniques(text, squash), from_number, inexact, values.index)
        return _cells(squash(text), from_number, inexact, values.index)
    kinds = cell_kinds(cells)
    groups = _distinct_cells(cells, kinds)
    if groups is None:
        return _cells(*_mixed_cells(cells, kinds, squash), values.index)
    inverse, first = groups
    text, from_number, inexact = _mixed_cells(cells[first], kinds[first], squash)
    return _cells(
        pc.take(text, pa.array(inverse)), from_number[inverse], inexact[inverse], values.index
    )


# A column is worked once per distinct cell when a sample of this many cells holds at most
# a quarter as many distinct values (hashing costs less than the text kernels then).
_SAMPLE = 20_000
_MIN_ROWS = 50_000


def _repetitive(text: pa.Array) -> bool:
    """Whether a text column repeats its values enough to work per distinct value."""
    if len(text) < _MIN_ROWS:
        return False
    sample = text[:: max(1, len(text) // _SAMPLE)]
    return pc.count_distinct(sample, mode="all").as_py() * 4 <= len(sample)


def _distinct_cells(cells: np.ndarray, kinds: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """For a repetitive object column: each cell's group and one cell per group, or None.

    Cells group by value and kind (1 and 1.0 give the same text, True and 1 must not merge);
    date and other cells stay one per group, their text may differ though equal.
    """
    n = len(cells)
    if n < _MIN_ROWS:
        return None
    sample = cells[:: max(1, n // _SAMPLE)]
    try:
        if len(pd.unique(sample)) * 4 > len(sample):
            return None
        codes, _ = pd.factorize(cells, use_na_sentinel=True)
    except TypeError:  # an unhashable cell
        return None
    key = codes.astype(np.int64) * 8 + kinds
    apart = (kinds == OTHER) | (kinds == DATE)
    if apart.any():
        key[apart] = -16 - np.flatnonzero(apart)
    inverse, distinct = pd.factorize(key)
    first = np.empty(len(distinct), dtype=np.int64)
    first[inverse[::-1]] = np.arange(n - 1, -1, -1)  # any member represents its group
    return inverse, first


def _mixed_cells(
    cells: np.ndarray, kinds: np.ndarray, squash: Callable[[pa.Array], pa.Array]
) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """Text, from-number and inexact flags of object cells of mixed kinds."""
    inexact = np.zeros(len(cells), dtype=bool)
    is_str = kinds == TEXT
    is_number = (kinds == FLOAT) | (kinds == INT)
    if is_number.any():
        numbers = cells[is_number].astype("float64")
        present = ~np.isnan(numbers)
        is_number[np.flatnonzero(is_number)[~present]] = False
        numbers = numbers[present]
    text = pa.array(np.where(is_str, cells, None), type=pa.large_string())
    if is_number.any():
        digits, inexact[is_number] = number_text(numbers)
        text = pc.replace_with_mask(text, pa.array(is_number), digits)
    is_date = kinds == DATE
    if is_date.any():
        text = pc.replace_with_mask(text, pa.array(is_date), _date_text(cells[is_date]))
    other = kinds == OTHER
    if other.any():
        rendered = [_other_text(v) for v in cells[other]]
        text = pc.replace_with_mask(text, pa.array(other), pa.array(rendered, pa.large_string()))
    return squash(text), is_number, inexact


def _scatter(n: int, mask: np.ndarray, values: pa.Array) -> pa.Array:
    """A length-n string array with `values` at the True positions of `mask`, null elsewhere."""
    empty = pa.nulls(n, type=pa.large_string())
    return pc.replace_with_mask(empty, pa.array(mask), values) if mask.any() else empty


def date_cells_as_days(cells: np.ndarray) -> np.ndarray:
    """date / datetime / Timestamp cells to datetime64[D] (pyarrow converts them in C)."""
    return pa.array(cells, type=pa.date32()).to_numpy(zero_copy_only=False).astype("datetime64[D]")


def _date_text(cells: np.ndarray) -> pa.Array:
    """date / datetime cells as dd-mm-yyyy (dates numpy cannot hold become their str())."""
    try:
        return format_dmy(date_cells_as_days(cells))
    except (ValueError, TypeError, OverflowError, pa.ArrowException):
        return pa.array([str(v) for v in cells], type=pa.large_string())


def _other_text(value: object) -> str:
    """Date cells as dd-mm-yyyy (how officers write them); anything else via str()."""
    if isinstance(value, np.integer | np.floating) and float(value).is_integer():
        return str(int(value))
    if hasattr(value, "strftime"):
        try:
            return value.strftime("%d-%m-%Y")  # type: ignore[union-attr]
        except ValueError:
            return str(value)
    return str(value)


def _cells(text: pa.Array, from_number: np.ndarray, inexact: np.ndarray, index) -> pd.DataFrame:
    return pd.DataFrame(
        {"text": text_series(text, index), "from_number": from_number, "inexact": inexact},
        index=index,
    )


# --------------------------------------------------------------------------------------------
# NIK and KK
# --------------------------------------------------------------------------------------------


def identity_digits(text: pa.Array) -> pa.Array:
    """An identity cell in odd dress to its digits: NFKC (full-width digits and colons to
    ASCII), invisible characters and a leading label (`NIK:`, `No. KK`) removed, then the
    usual separators (spaces, dots, dashes, slashes, apostrophes)."""
    text = pc.utf8_normalize(text, "NFKC")
    text = pc.replace_substring_regex(text, _INVISIBLE, "")
    text = pc.replace_substring_regex(text, _IDENTITY_LABEL, "")
    return pc.replace_substring_regex(text, _IDENTITY_NOISE, "")


def parse_identity(values: pd.Series) -> pd.DataFrame:
    """NIK/KK cells to `raw` text, `digits`, 16-digit `value` (NA unless valid) and damage flags.

    `truncation_suspect`: a 16-digit number from a numeric cell that ends in 0 (Excel keeps
    15 significant digits) or was beyond float precision.
    """
    cells = cell_text(values, collapse=False)
    raw = arrow_text(cells["text"])
    clean = only_digits(raw)
    digits = raw
    if (~clean).any():
        noisy = pa.array(~clean & pc.is_valid(raw).to_numpy(zero_copy_only=False))
        digits = pc.replace_with_mask(raw, noisy, identity_digits(pc.filter(raw, noisy)))
    sci = np.zeros(len(raw), dtype=bool)
    maybe_sci = rows_with(raw, lambda b: (b == 0x45) | (b == 0x65))  # an E or e
    if maybe_sci.any():
        compact = pc.replace_substring_regex(pc.filter(raw, pa.array(maybe_sci)), SPACE, "")
        found = pc.fill_null(pc.match_substring_regex(compact, _SCIENTIFIC), False)
        sci[maybe_sci] = found.to_numpy(zero_copy_only=False)
    is16 = only_digits(digits, 16) & ~sci
    ends0 = pc.fill_null(pc.ends_with(digits, "0"), False).to_numpy(zero_copy_only=False)
    from_number = cells["from_number"].to_numpy()
    suspect = from_number & is16 & (ends0 | cells["inexact"].to_numpy())
    value = pc.if_else(pa.array(is16), digits, pa.scalar(None, digits.type))
    index = values.index
    return pd.DataFrame(
        {
            "raw": text_series(raw, index),
            "digits": text_series(digits, index),
            "value": text_series(value, index),
            "missing": cells["text"].isna().to_numpy(),
            "scientific": sci,
            "truncation_suspect": suspect,
            "from_number": from_number,
        },
        index=index,
    )


def to_float(values: pd.Series) -> pd.Series:
    """Numbers as float64 with NaN for anything unreadable (no nullable-NA logic downstream)."""
    return pd.to_numeric(values, errors="coerce").astype("float64")


def resolve_century(yy: np.ndarray, month: np.ndarray, day: np.ndarray, as_of: date) -> np.ndarray:
    """Four-digit year for a two-digit one: the latest century giving an age of 0 to 120."""
    yy, month, day = (np.asarray(a, dtype="float64") for a in (yy, month, day))
    year = (as_of.year // 100) * 100 + yy
    later = (year > as_of.year) | (
        (year == as_of.year)
        & ((month > as_of.month) | ((month == as_of.month) & (day > as_of.day)))
    )
    return np.where(later, year - 100, year)


def build_dates(year, month, day) -> np.ndarray:
    """Vectorised date construction (datetime64[ns]); impossible combinations (31 Feb) give NaT."""
    year, month, day = (np.asarray(a, dtype="float64") for a in (year, month, day))
    ok = (
        np.isfinite(year)
        & np.isfinite(month)
        & np.isfinite(day)
        & (year >= 1700)
        & (year <= 2250)
        & (month >= 1)
        & (month <= 12)
        & (day >= 1)
    )
    y = np.where(ok, year, 1970).astype("int64")
    m = np.where(ok, month, 1).astype("int64")
    d = np.where(ok, day, 1).astype("int64")
    first = (y - 1970).astype("datetime64[Y]").astype("datetime64[M]") + (m - 1).astype(
        "timedelta64[M]"
    )
    month_days = (first + np.timedelta64(1, "M")).astype("datetime64[D]") - first.astype(
        "datetime64[D]"
    )
    ok &= d <= month_days.astype("int64")
    dates = first.astype("datetime64[D]") + (d - 1).astype("timedelta64[D]")
    return np.where(ok, dates, np.datetime64("NaT")).astype("datetime64[ns]")


_PROVINCE_OK = np.zeros(100, dtype=bool)
_PROVINCE_OK[[int(code) for code in PROVINCE_CODES]] = True
_KALTIM_DISTRICTS = np.array(sorted(int(code) for code in KALTIM_DISTRICT_CODES), dtype=np.int64)


def nik_numbers(nik: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """16-digit NIKs as int64 (0 elsewhere) and which rows hold one."""
    array = arrow_text(nik)
    present = only_digits(array, 16)
    values = np.zeros(len(array), dtype=np.int64)
    if present.any():
        digits = pc.filter(array, pa.array(present))
        values[present] = pc.cast(digits, pa.int64()).to_numpy(zero_copy_only=False)
    return values, present


def nik_birth_parts(nik: pd.Series, numbers: tuple[np.ndarray, np.ndarray] | None = None):
    """Embedded day (women's +40 removed), month, two-digit year and sex of 16-digit NIKs."""
    values, present = numbers if numbers is not None else nik_numbers(nik)
    day_raw = np.where(present, (values // 10**8) % 100, np.nan)
    month = np.where(present, (values // 10**6) % 100, np.nan)
    yy = np.where(present, (values // 10**4) % 100, np.nan)
    female = day_raw > 40
    day = np.where(female, day_raw - 40, day_raw)
    sex = pc.if_else(pa.array(female, mask=~present), "P", "L").cast(pa.large_string())
    sex = text_series(sex, nik.index)
    return pd.DataFrame(
        {"day": day, "month": month, "yy": yy, "sex": sex, "day_raw": day_raw}, index=nik.index
    )


def decode_nik(nik: pd.Series, as_of: date) -> pd.DataFrame:
    """Province/district checks and the embedded birth date and sex of cleaned 16-digit NIKs.

    Flags are True where there is no NIK (nothing to check); the day is 01-31 for men and
    41-71 for women; the century is the one that gives an age of 0 to 120 at `as_of`.
    Decoded arithmetically from the NIK as an integer (PP KK CC DD MM YY SSSS).
    """
    values, present = nik_numbers(nik)
    parts = nik_birth_parts(nik, (values, present))
    day_raw, month, day = (parts[c].to_numpy() for c in ("day_raw", "month", "day"))
    day_ok = ((day_raw >= 1) & (day_raw <= 31)) | ((day_raw >= 41) & (day_raw <= 71))
    month_ok = (month >= 1) & (month <= 12)
    year = resolve_century(parts["yy"].to_numpy(), month, day, as_of)
    dob = build_dates(np.where(day_ok & month_ok, year, np.nan), month, day)
    province = values // 10**14
    kaltim = province == int(KALTIM_PROVINCE_CODE)
    known_district = np.isin(values // 10**10, _KALTIM_DISTRICTS)
    return pd.DataFrame(
        {
            "province_ok": ~present | _PROVINCE_OK[province % 100],
            "date_ok": ~present | (day_ok & month_ok & ~np.isnat(dob)),
            "serial_ok": ~present | (values % 10**4 != 0),
            "district_known": ~present | ~kaltim | known_district,
            "dob": dob,
            "sex": parts["sex"],
        },
        index=nik.index,
    )


# A NIK or KK anywhere in a text: 16 digits, also in groups split by single spaces, dots or
# dashes (6472 0155 0880 0003, 6472-0155-0880-0003, 64.72.01.550880.0003).
IDENTITY_NUMBER = re.compile(r"(?<!\d)\d(?:[ .\-]?\d){15}(?!\d)")
_NOT_DIGIT = re.compile(r"\D")


def mask_identity_numbers(text: str) -> str:
    """Every NIK-like number in a text masked as `6472********0003`, whatever its grouping."""
    return IDENTITY_NUMBER.sub(lambda m: mask_identity(_NOT_DIGIT.sub("", m.group(0))), text)


def mask_identity(value: str | None) -> str:
    """Log-safe form of a NIK or KK: region and serial kept, birth date hidden (6472********0003)."""
    if not value:
        return ""
    s = str(value)
    if len(s) < 10:
        return "*" * len(s)
    return s[:4] + "*" * (len(s) - 8) + s[-4:]
