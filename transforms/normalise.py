"""Raw table rows (cell values under canonical names) to typed canonical rows ready for checks.

Every field keeps what the regency wrote (`*_raw`, trimmed text) next to its canonical value,
so feedback can show the cell as written and a review decision can key on the row content.
Low-cardinality fields (sex, occupation, amounts, desil, flags) are parsed once per distinct
spelling. Unknown spellings are kept and flagged (`*_unreadable`, occupation group
`unknown`), never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from transforms.dates import age_at, read_birth_dates
from transforms.identity import (
    TEXT,
    TEXT_DTYPE,
    arrow_text,
    blank_to_null,
    cell_kinds,
    cell_text,
    decode_nik,
    extract,
    lookup,
    on_uniques,
    parse_identity,
    text_series,
)
from transforms.names import name_fields
from transforms.reference import OCCUPATIONS, SEX_SPELLINGS

TEXT_FIELDS = ("alamat", "rt_rw", "desa", "kecamatan", "no_hp", "fktp")
KEY_COLUMNS = ("file_name", "sheet", "row_number")
# Cells that mean "nothing written" in optional numeric fields (not flagged as unreadable).
PLACEHOLDERS = {"-", "--", "_", ".", "?"}
NONE_WORDS = {"TIDAK ADA", "NIHIL", "TIDAK BERPENGHASILAN", "BELUM BERPENGHASILAN", "TIDAK PUNYA"}

_DISABILITY_YES = {"YA", "Y", "ADA", "IYA", "1", "TRUE", "DISABILITAS", "PENYANDANG DISABILITAS"}
_DISABILITY_NO = {"TIDAK", "T", "TDK", "TIDAK ADA", "0", "FALSE", "N", "NO", "NON", "NORMAL",
                  "BUKAN", "SEHAT", "TIDAK DISABILITAS", "NON DISABILITAS", "BUKAN DISABILITAS"}  # fmt: skip
# Words naming a kind of disability: a cell holding one counts as yes.
_DISABILITY_KINDS = (
    "DISABILITAS", "DIFABEL", "CACAT", "TUNA", "NETRA", "RUNGU", "WICARA", "DAKSA", "GRAHITA",
    "LARAS", "LUMPUH", "BUTA", "TULI", "BISU", "FISIK", "MENTAL", "INTELEKTUAL", "SENSORIK",
    "AUTIS", "PSIKOSOSIAL", "AMPUTASI", "DOWN SYNDROME",
)  # fmt: skip


def _text(values: pd.Series, collapse: bool = True) -> pd.Series:
    """Any cell as trimmed text (numbers without a trailing .0; inner spaces collapsed unless
    `collapse` is False); blank = NA."""
    return cell_text(values, collapse=collapse)["text"]


def _as_text(values: pd.Series) -> pd.Series:
    """Text as is (a parser normalises spellings itself), or cells made text first."""
    return values if isinstance(values.dtype, pd.StringDtype) else _text(values, collapse=False)


def _column(raw: pd.DataFrame, name: str) -> pd.Series:
    if name in raw:
        return raw[name]
    return pd.Series(pd.NA, index=raw.index, dtype=TEXT_DTYPE)


def _per_spelling(text: pd.Series, parse: Callable[[str], object], dtype) -> pd.Series:
    """Apply a Python parser once per distinct text (vocabularies are small) and spread it back."""
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    parsed = pd.array([parse(u) for u in uniques], dtype=dtype)
    out = parsed.take(codes, allow_fill=True)
    return pd.Series(out, index=text.index)


def split_place_and_date(values: pd.Series) -> pd.DataFrame:
    """`Samarinda, 12-05-1980` -> place `Samarinda`, date text `12-05-1980` (date cells kept)."""
    cells = values.to_numpy(dtype=object)
    is_text = cell_kinds(cells) == TEXT
    text = pa.array(np.where(is_text, cells, None), type=pa.large_string())
    parts = extract(text, r"^[ ]*(?P<place>.*?)[ ]*[,/][ ]*(?P<when>[0-9].*)$")
    place = text_series(blank_to_null(parts["place"]), values.index)
    when = pd.Series(cells, index=values.index, dtype=object)
    split = pc.is_valid(parts["when"]).to_numpy(zero_copy_only=False)
    when[split] = np.asarray(parts["when"].to_pylist(), dtype=object)[split]
    return pd.DataFrame({"tempat_lahir": place, "tanggal_lahir": when}, index=values.index)


def _sex_key(spellings: pa.Array) -> pa.Array:
    key = pc.replace_substring_regex(pc.utf8_upper(spellings), "[^A-Z0-9]", "")
    return lookup(key, SEX_SPELLINGS, pa.large_string())


def parse_sex(values: pd.Series) -> pd.Series:
    """L/P from every spelling of domain.md (L, LK, Laki-laki, Pria, 1 / P, PR, Perempuan,
    Wanita, 2); <NA> when blank or unknown."""
    return text_series(on_uniques(arrow_text(_as_text(values)), _sex_key), values.index)


_AMOUNT_WORDS = re.compile(r"RP\.?|/ ?BULAN|/ ?BLN|PER ?BULAN|PER ?BLN|SEBULAN|,-$|\s")
_THOUSANDS = re.compile(r"^\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*$")


def amount_of(text: str) -> float:
    """One rupiah spelling to a number: 1.500.000, Rp 2.000.000,00, 1,5 jt, 500 rb; NaN if unreadable."""
    upper = text.upper()
    if upper.strip() in NONE_WORDS:
        return 0.0
    compact = _AMOUNT_WORDS.sub("", upper)
    factor = 1.0
    for suffix, multiplier in (("JUTA", 1e6), ("JT", 1e6), ("RIBU", 1e3), ("RB", 1e3), ("K", 1e3)):
        if compact.endswith(suffix):
            compact, factor = compact[: -len(suffix)], multiplier
            break
    compact = re.sub(r"[.,]0{2}$", "", compact) if re.search(r"\d{3}[.,]00$", compact) else compact
    if not compact or not re.fullmatch(r"\d[\d.,]*", compact):
        return float("nan")
    if _THOUSANDS.match(compact):
        number = float(re.sub(r"[.,]", "", compact))
    elif "." in compact and "," in compact:
        last = max(compact.rfind("."), compact.rfind(","))
        whole = re.sub(r"[.,]", "", compact[:last])
        number = float(f"{whole}.{compact[last + 1 :]}")
    elif compact.count(".") + compact.count(",") == 1:
        number = float(compact.replace(",", "."))
    elif re.fullmatch(r"\d+", compact):
        number = float(compact)
    else:
        return float("nan")
    return number * factor


def parse_amount(values: pd.Series) -> pd.Series:
    """Rupiah amounts from numeric cells or text; NaN when unreadable or blank."""
    text = _as_text(values)
    placeholder = text.isin(PLACEHOLDERS).fillna(False)
    parsed = _per_spelling(text.mask(placeholder), amount_of, "Float64")
    return parsed.astype("float64")


def _small_int_of(low: int, high: int, words: str) -> Callable[[str], object]:
    pattern = re.compile(
        rf"^(?:{words})?\s*-?\s*(\d{{1,3}})(?:[.,]0+)?\s*(?:ORANG|ORG|JIWA|ANAK)?$"
    )

    def parse(text: str) -> object:
        upper = text.upper().strip()
        if upper in NONE_WORDS:
            return 0 if low == 0 else None
        found = pattern.match(upper)
        if not found:
            return None
        number = int(found.group(1))
        return number if low <= number <= high else None

    return parse


def parse_small_int(values: pd.Series, low: int, high: int, words: str = "DESIL|D") -> pd.Series:
    """Counts and deciles: integers within [low, high] (`3`, `3.0`, `Desil 3`, `3 orang`), else NA."""
    text = _as_text(values)
    placeholder = text.isin(PLACEHOLDERS).fillna(False)
    return _per_spelling(text.mask(placeholder), _small_int_of(low, high, words), "Int64")


def flag_of(text: str) -> object:
    """Ya/Tidak style flag; a named kind of disability counts as yes; None when unknown."""
    key = " ".join(re.sub(r"[^A-Z0-9]+", " ", text.upper()).split())
    if key in _DISABILITY_YES:
        return True
    if key in _DISABILITY_NO or key.startswith(("TIDAK ", "BUKAN ", "NON ", "TDK ")):
        return False
    if any(kind in key for kind in _DISABILITY_KINDS):
        return True
    return None


def parse_flag(values: pd.Series) -> pd.Series:
    """Ya/Tidak disability flags (named disability kinds count as yes); NA when blank or unknown."""
    text = _as_text(values)
    placeholder = text.isin(PLACEHOLDERS).fillna(False)
    return _per_spelling(text.mask(placeholder), flag_of, "boolean")


def occupation_key(text: str) -> str:
    """The spelling key of a written occupation: upper case, letters only, single spaces."""
    return " ".join(re.sub(r"[^A-Z]+", " ", text.upper()).split())


def occupation_of(text: str) -> tuple[str, str] | None:
    """A written occupation to (Dukcapil label, group); also `PEGAWAI NEGERI SIPIL (PNS)` forms."""
    found = OCCUPATIONS.get(occupation_key(text))
    if found is None and "(" in text:
        outside = occupation_key(re.sub(r"\([^)]*\)", " ", text))
        inside = " ".join(re.findall(r"\(([^)]*)\)", text))
        found = OCCUPATIONS.get(outside) or OCCUPATIONS.get(occupation_key(inside))
    return found


def normalise_occupation(values: pd.Series) -> pd.DataFrame:
    """Occupation spellings to Dukcapil labels and a group; unknown spellings kept and flagged."""
    raw = _as_text(values)
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    found = [occupation_of(u) for u in uniques]
    labels = pd.array([f[0] if f else u for f, u in zip(found, uniques, strict=True)], TEXT_DTYPE)
    groups = pd.array([f[1] if f else "unknown" for f in found], dtype=TEXT_DTYPE)
    return pd.DataFrame(
        {
            "pekerjaan": labels.take(codes, allow_fill=True),
            "occupation_group": groups.take(codes, allow_fill=True),
        },
        index=values.index,
    )


def _unreadable(text: pd.Series, parsed: pd.Series) -> np.ndarray:
    """Written (not blank, not a placeholder) but not understood."""
    written = text.notna() & ~text.isin(PLACEHOLDERS).fillna(False)
    return (written & parsed.isna()).to_numpy(dtype=bool)


def canonicalise(raw: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Typed canonical rows: identity decoded, dates parsed, names keyed, categories normalised.

    `raw` has the key columns, `regency_code`, `program` and canonical field columns holding
    raw cell values (any may be absent). Nothing is rejected here; checks come after.
    """
    out = raw.loc[:, [c for c in (*KEY_COLUMNS, "regency_code", "program") if c in raw]].copy()
    if "file_name" in raw and "sheet" in raw:  # sheets in the order they were read
        out["sheet_order"] = raw.groupby(["file_name", "sheet"], sort=False).ngroup().to_numpy()

    nik = parse_identity(_column(raw, "nik"))
    out["nik_raw"] = nik["raw"]
    out["nik_written"] = ~nik["missing"].to_numpy()
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
    out["kk_written"] = ~kk["missing"].to_numpy()
    out["kk_digits"] = kk["digits"]
    out["kk_scientific"] = kk["scientific"]
    out["kk_truncation_suspect"] = kk["truncation_suspect"]
    out["no_kk"] = kk["value"]

    out["nama"] = _text(_column(raw, "nama"))  # trimmed, spaces collapsed, titles kept
    out["nama_written"] = out["nama"].notna().to_numpy()
    name = name_fields(out["nama"])
    out["nama_key"] = name["key"]
    out["nama_problem"] = name["problem"]
    out["nama_invalid"] = name["problem"].notna().to_numpy()

    birth = _column(raw, "tanggal_lahir")
    place = _column(raw, "tempat_lahir")
    if "tempat_tanggal_lahir" in raw:
        combined = split_place_and_date(raw["tempat_tanggal_lahir"])
        birth = birth.astype(object).where(birth.notna(), combined["tanggal_lahir"])
        place = place.astype(object).where(place.notna(), combined["tempat_lahir"])
    birth_cells = read_birth_dates(birth, as_of)
    out["tanggal_lahir_raw"] = birth_cells["text"]
    out["tanggal_lahir_written"] = out["tanggal_lahir_raw"].notna().to_numpy()
    out["tanggal_lahir"] = birth_cells["date"]
    out["age"] = age_at(out["tanggal_lahir"], as_of)
    out["tempat_lahir"] = _text(place)

    sex_raw = _text(_column(raw, "jenis_kelamin"), collapse=False)
    out["jenis_kelamin_raw"] = sex_raw
    stated = parse_sex(sex_raw)
    out["jenis_kelamin_stated"] = stated
    derived = out["nik_sex"].where(out["nik_date_ok"])
    out["jenis_kelamin"] = stated.fillna(derived)

    for name in TEXT_FIELDS:
        out[name] = _text(raw[name]) if name in raw else _column(raw, name)
    if "rt" in raw and "rt_rw" not in raw:
        rt, rw = _text(raw["rt"]), _text(_column(raw, "rw"))
        out["rt_rw"] = (rt.fillna("") + "/" + rw.fillna("")).where(rt.notna() | rw.notna())

    occupation_raw = _column(raw, "pekerjaan")
    out["pekerjaan_raw"] = _text(occupation_raw, collapse=False)
    occupation = normalise_occupation(out["pekerjaan_raw"])
    out["pekerjaan"] = occupation["pekerjaan"]
    out["occupation_group"] = occupation["occupation_group"]

    income_raw = _column(raw, "penghasilan")
    out["penghasilan_raw"] = _text(income_raw, collapse=False)
    out["penghasilan"] = parse_amount(out["penghasilan_raw"])
    out["penghasilan_unreadable"] = _unreadable(out["penghasilan_raw"], out["penghasilan"])
    for name, parse in (
        ("desil", lambda v: parse_small_int(v, 1, 10)),
        ("jumlah_tanggungan", lambda v: parse_small_int(v, 0, 30, words="")),
        ("disabilitas", parse_flag),
    ):
        values = _column(raw, name)
        out[f"{name}_raw"] = _text(values, collapse=False)
        out[name] = parse(out[f"{name}_raw"])
        out[f"{name}_unreadable"] = _unreadable(out[f"{name}_raw"], out[name])
    out["row_hash"] = row_hash(out)
    return out


HASH_COLUMNS = ("nik_raw", "kk_raw", "nama", "tanggal_lahir_raw", "jenis_kelamin_raw")


def row_hash(frame: pd.DataFrame) -> pd.Series:
    """Content hash of a row's identity cells as written: a review decision applies to the same
    content in any later file, and a corrected row (different content) gets a new hash.

    SipHash (pandas' `hash_array` with its fixed key) of the cells joined with a separator,
    missing cells marked apart from empty ones: the same on every run and machine.
    """
    parts = [pc.fill_null(arrow_text(frame[c].astype(TEXT_DTYPE)), "\x00") for c in HASH_COLUMNS]
    joined = pc.binary_join_element_wise(*parts, pa.scalar("\x1f", pa.large_string()))
    # UTF-8 bytes hash exactly as their str does, without re-encoding every string
    utf8 = joined.cast(pa.large_binary()).to_numpy(zero_copy_only=False)
    hashed = pd.util.hash_array(utf8, categorize=False)
    digits = pa.array(hashed, type=pa.uint64()).cast(pa.large_string())
    return text_series(digits, frame.index)
