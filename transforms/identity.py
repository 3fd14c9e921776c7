"""NIK and KK: read cells as exact text, clean, and decode the embedded region, birth date and sex."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from transforms.reference import KALTIM_DISTRICT_CODES, KALTIM_PROVINCE_CODE, PROVINCE_CODES

# Largest integer a float64 holds exactly; numeric cells above it may have lost digits.
FLOAT_EXACT_LIMIT = 2**53
_SCI = r"^\s*'?\s*\d+(?:[.,]\d+)?\s*[eE]\s*\+?\s*\d+\s*$"
_STRIP = r"[\s.\-'’‘`_/]"


def cell_text(values: pd.Series) -> pd.DataFrame:
    """Identity cells to exact text: `text` (as written), `from_number` (cell held a number).

    Numbers become their integer digits without float formatting (6472015508800003.0 ->
    "6472015508800003"); numbers beyond 2**53 or with a fraction are flagged `inexact`.
    """
    kinds = values.map(type)
    is_number = kinds.isin([float, int, np.float64, np.int64]) & values.notna()
    text = pd.Series(pd.NA, index=values.index, dtype="string")
    str_mask = kinds.eq(str)
    text[str_mask] = values[str_mask].astype("string").str.strip()
    inexact = pd.Series(False, index=values.index)
    if is_number.any():
        nums = pd.to_numeric(values[is_number], errors="coerce").astype("float64")
        whole = np.isfinite(nums) & (nums == np.floor(nums))
        as_int = nums.where(whole, 0).astype("int64").astype("string")
        text[is_number] = as_int.where(whole, nums.astype("string"))
        inexact[is_number] = (~whole) | (nums.abs() > FLOAT_EXACT_LIMIT)
    other = ~(str_mask | is_number) & values.notna()
    if other.any():
        text[other] = values[other].astype(str)
    text = text.mask(text.eq(""))
    return pd.DataFrame({"text": text, "from_number": is_number, "inexact": inexact})


def clean_digits(text: pd.Series) -> pd.Series:
    """Remove spaces, dots, dashes and a leading apostrophe; keep the rest as written."""
    return text.astype("string").str.replace(_STRIP, "", regex=True)


def is_scientific(text: pd.Series) -> pd.Series:
    """Text like `6.47201E+15`: a number Excel displayed in scientific notation (digits lost)."""
    return text.astype("string").str.match(_SCI).fillna(False).astype(bool)


def parse_identity(values: pd.Series) -> pd.DataFrame:
    """NIK/KK cells to `raw` text, 16-digit `digits` (NA unless valid format) and damage flags."""
    cells = cell_text(values)
    raw = cells["text"]
    digits = clean_digits(raw)
    sci = is_scientific(raw)
    is16 = digits.str.fullmatch(r"\d{16}").fillna(False).astype(bool) & ~sci
    # A 16-digit number from a numeric cell ending in 0 may be Excel's 15-digit rounding.
    suspect = (
        cells["from_number"] & is16 & (digits.str[-1].eq("0").fillna(False) | cells["inexact"])
    )
    return pd.DataFrame(
        {
            "raw": raw,
            "digits": digits,
            "value": digits.where(is16),
            "missing": raw.isna(),
            "scientific": sci,
            "truncation_suspect": suspect.astype(bool),
            "from_number": cells["from_number"],
        },
        index=values.index,
    )


def to_float(values: pd.Series) -> pd.Series:
    """Numbers as float64 with NaN for anything unreadable (no nullable-NA logic downstream)."""
    return pd.to_numeric(values, errors="coerce").astype("float64")


def nik_birth_parts(nik: pd.Series) -> pd.DataFrame:
    """Embedded day (women's -40 removed), month, two-digit year and sex of 16-digit NIKs."""
    day_raw = to_float(nik.str[6:8])
    month = to_float(nik.str[8:10])
    yy = to_float(nik.str[10:12])
    female = day_raw > 40
    day = day_raw.where(~female, day_raw - 40)
    sex = pd.Series(np.where(female, "P", "L"), index=nik.index, dtype="string").where(
        day_raw.notna()
    )
    return pd.DataFrame({"day": day, "month": month, "yy": yy, "sex": sex, "day_raw": day_raw})


def resolve_century(yy: pd.Series, month: pd.Series, day: pd.Series, as_of: date) -> pd.Series:
    """Four-digit year for a two-digit one: the latest century giving an age of 0 to 120."""
    this_century = (as_of.year // 100) * 100
    year = this_century + yy
    later = (year > as_of.year) | (
        (year == as_of.year)
        & ((month > as_of.month) | ((month == as_of.month) & (day > as_of.day)))
    )
    return year.where(~later, year - 100)


def build_dates(year: pd.Series, month: pd.Series, day: pd.Series) -> pd.Series:
    """Vectorised date construction; impossible combinations (31 Feb) give NaT."""
    frame = pd.DataFrame({"year": year, "month": month, "day": day})
    return pd.to_datetime(frame, errors="coerce")


def decode_nik(nik: pd.Series, as_of: date) -> pd.DataFrame:
    """Province/region checks and the embedded birth date and sex of cleaned 16-digit NIKs."""
    present = nik.notna()
    parts = nik_birth_parts(nik)
    day_ok = parts["day_raw"].between(1, 31) | parts["day_raw"].between(41, 71)
    month_ok = parts["month"].between(1, 12)
    year = resolve_century(parts["yy"], parts["month"], parts["day"], as_of)
    dob = build_dates(year.where(day_ok & month_ok), parts["month"].where(month_ok), parts["day"])
    province = nik.str[:2]
    return pd.DataFrame(
        {
            "province_ok": (~present) | province.isin(PROVINCE_CODES).fillna(False),
            "date_ok": (~present) | (day_ok & month_ok & dob.notna()).fillna(False),
            "serial_ok": (~present) | ~nik.str[-4:].eq("0000").fillna(False),
            "district_known": (~present)
            | ~province.eq(KALTIM_PROVINCE_CODE).fillna(False)
            | nik.str[:6].isin(KALTIM_DISTRICT_CODES).fillna(False),
            "dob": dob,
            "sex": parts["sex"].where(present),
        },
        index=nik.index,
    )


def mask_identity(value: str | None) -> str:
    """Log-safe form of a NIK or KK: region and serial kept, birth date hidden (6472********0003)."""
    if not value:
        return ""
    s = str(value)
    if len(s) < 10:
        return "*" * len(s)
    return s[:4] + "*" * (len(s) - 8) + s[-4:]
