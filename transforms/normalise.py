"""Raw table rows (cell values under canonical names) to typed canonical rows ready for checks."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from transforms.dates import age_at, parse_birth_dates
from transforms.identity import cell_text, decode_nik, parse_identity
from transforms.names import clean_display_name, name_invalid, name_key
from transforms.reference import OCCUPATIONS, SEX_SPELLINGS

TEXT_FIELDS = ("tempat_lahir", "alamat", "rt_rw", "desa", "kecamatan", "no_hp", "fktp")
KEY_COLUMNS = ("file_name", "sheet", "row_number")
_YES = {"YA", "Y", "ADA", "1", "TRUE", "DISABILITAS", "IYA"}
_NO = {"TIDAK", "T", "TDK", "TIDAKADA", "0", "FALSE", "NON", "NORMAL", "BUKAN", "-"}


def _text(values: pd.Series) -> pd.Series:
    """Any cell as trimmed text (numbers without a trailing .0); empty becomes NA."""
    return cell_text(values)["text"].str.strip().str.replace(r"\s+", " ", regex=True)


def _column(raw: pd.DataFrame, name: str) -> pd.Series:
    if name in raw:
        return raw[name]
    return pd.Series(None, index=raw.index, dtype="object")


def split_place_and_date(values: pd.Series) -> pd.DataFrame:
    """`Samarinda, 12-05-1980` -> place `Samarinda`, date text `12-05-1980` (cell kept when typed)."""
    text = values.where(values.map(type).eq(str))
    parts = text.astype("string").str.extract(r"^\s*(.*?)\s*[,/]\s*(\d.*)$")
    place = parts[0].mask(parts[0].eq(""))
    when = parts[1].astype("object").where(parts[1].notna(), values.where(text.isna()))
    when = when.where(~(text.notna() & parts[1].isna()), values)
    return pd.DataFrame({"tempat_lahir": place, "tanggal_lahir": when}, index=values.index)


def parse_sex(values: pd.Series) -> pd.Series:
    """L/P from every spelling of domain.md; NA when blank or unknown."""
    key = _text(values).str.upper().str.replace(r"[^A-Z0-9]", "", regex=True)
    return key.map(SEX_SPELLINGS).astype("string")


def parse_amount(values: pd.Series) -> pd.Series:
    """Rupiah amounts: numbers, `1.500.000`, `Rp 2.000.000,00`, `1,5 jt`; NaN when unreadable."""
    numeric = pd.to_numeric(values.where(values.map(type).isin([int, float])), errors="coerce")
    text = values.where(values.map(type).eq(str)).astype("string").str.upper()
    millions = text.str.contains(r"JT|JUTA", regex=True).fillna(False)
    digits = (
        text.str.replace(r"RP\.?|JT|JUTA|\s", "", regex=True)
        .str.replace(r",00$", "", regex=True)
        .str.replace(r"(?<=\d)\.(?=\d{3}(\D|$))", "", regex=True)
        .str.replace(",", ".", regex=False)
    )
    parsed = pd.to_numeric(digits, errors="coerce")
    parsed = parsed.where(~millions, parsed * 1_000_000)
    return numeric.fillna(parsed).astype("float64")


def parse_small_int(values: pd.Series, low: int, high: int) -> pd.Series:
    """Counts and deciles: integers within [low, high], else NA."""
    num = pd.to_numeric(_text(values).str.extract(r"^(\d{1,3})")[0], errors="coerce")
    return num.where(num.between(low, high)).astype("Int64")


def parse_flag(values: pd.Series) -> pd.Series:
    """Ya/Tidak style flags; any named disability type counts as yes."""
    key = _text(values).str.upper().str.replace(r"[^A-Z0-9]", "", regex=True)
    yes = key.isin(_YES) | (key.notna() & ~key.isin(_NO) & key.str.len().gt(2))
    return yes.where(key.notna()).astype("boolean")


def normalise_occupation(values: pd.Series) -> pd.DataFrame:
    """Occupation spellings to Dukcapil labels and a group; unknown spellings kept and flagged."""
    raw = _text(values)
    key = raw.str.upper().str.replace(r"[^A-Z]+", " ", regex=True).str.strip()
    label = key.map({k: v[0] for k, v in OCCUPATIONS.items()})
    group = key.map({k: v[1] for k, v in OCCUPATIONS.items()})
    return pd.DataFrame(
        {
            "pekerjaan": label.fillna(raw).astype("string"),
            "occupation_group": group.fillna("unknown").where(raw.notna()).astype("string"),
        },
        index=values.index,
    )


def canonicalise(raw: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Typed canonical rows: identity decoded, dates parsed, names keyed, categories normalised.

    `raw` has the key columns, `regency_code`, `program` and canonical field columns holding
    raw cell values (any may be absent). Nothing is rejected here; checks come after.
    """
    out = raw.loc[:, [c for c in (*KEY_COLUMNS, "regency_code", "program") if c in raw]].copy()

    nik = parse_identity(_column(raw, "nik"))
    out["nik_raw"] = nik["raw"]
    out["nik_digits"] = nik["digits"]
    out["nik"] = nik["value"]
    out["nik_scientific"] = nik["scientific"]
    out["nik_truncation_suspect"] = nik["truncation_suspect"]
    decoded = decode_nik(nik["value"], as_of)
    out["nik_province_ok"] = decoded["province_ok"]
    out["nik_date_ok"] = decoded["date_ok"]
    out["nik_serial_ok"] = decoded["serial_ok"]
    out["nik_district_known"] = decoded["district_known"]
    out["nik_dob"] = decoded["dob"]
    out["nik_sex"] = decoded["sex"]

    kk = parse_identity(_column(raw, "no_kk"))
    out["kk_raw"] = kk["raw"]
    out["kk_digits"] = kk["digits"]
    out["no_kk"] = kk["value"].where(~kk["scientific"])

    out["nama"] = clean_display_name(_text(_column(raw, "nama")))
    out["nama_key"] = name_key(out["nama"])
    out["nama_invalid"] = name_invalid(out["nama"])

    birth = _column(raw, "tanggal_lahir")
    place = _column(raw, "tempat_lahir")
    if "tempat_tanggal_lahir" in raw:
        combined = split_place_and_date(raw["tempat_tanggal_lahir"])
        birth = birth.where(birth.notna(), combined["tanggal_lahir"])
        place = place.where(place.notna(), combined["tempat_lahir"])
    out["tanggal_lahir_raw"] = _text(birth).str.replace(r" 00:00:00$", "", regex=True)
    out["tanggal_lahir"] = parse_birth_dates(birth, as_of)
    out["age"] = age_at(out["tanggal_lahir"], as_of)
    out["tempat_lahir"] = _text(place)

    sex_raw = _text(_column(raw, "jenis_kelamin"))
    out["jenis_kelamin_raw"] = sex_raw
    stated = parse_sex(_column(raw, "jenis_kelamin"))
    out["jenis_kelamin_stated"] = stated
    out["jenis_kelamin"] = stated.fillna(out["nik_sex"].where(out["nik_date_ok"]))

    for name in TEXT_FIELDS:
        out[name] = (
            _text(_column(raw, name))
            if name in raw
            else pd.Series(pd.NA, index=raw.index, dtype="string")
        )
    if "rt" in raw and "rt_rw" not in raw:
        rt, rw = _text(raw["rt"]), _text(_column(raw, "rw"))
        out["rt_rw"] = (rt.fillna("") + "/" + rw.fillna("")).where(rt.notna() | rw.notna())

    occupation = normalise_occupation(_column(raw, "pekerjaan"))
    out["pekerjaan"] = occupation["pekerjaan"]
    out["occupation_group"] = occupation["occupation_group"]
    income_raw = _column(raw, "penghasilan")
    out["penghasilan"] = parse_amount(income_raw)
    out["penghasilan_unreadable"] = (income_raw.notna() & _text(income_raw).notna()) & out[
        "penghasilan"
    ].isna()
    out["penghasilan_raw"] = _text(income_raw)
    out["desil"] = parse_small_int(_column(raw, "desil"), 1, 10)
    out["disabilitas"] = parse_flag(_column(raw, "disabilitas"))
    out["jumlah_tanggungan"] = parse_small_int(_column(raw, "jumlah_tanggungan"), 0, 30)
    out["row_hash"] = _row_hash(out)
    return out


def _row_hash(frame: pd.DataFrame) -> pd.Series:
    """Content hash of a row's identity fields: a review decision applies to the same content."""
    cols = ["nik_raw", "kk_raw", "nama", "tanggal_lahir_raw", "jenis_kelamin_raw"]
    hashed = pd.util.hash_pandas_object(frame[cols].astype("string"), index=False)
    return hashed.astype(np.uint64).astype("string")
