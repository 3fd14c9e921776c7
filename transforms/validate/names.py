"""Indonesian names: a display form (titles kept) and a matching key (titles and spellings folded).

The key is computed once per distinct name with pyarrow kernels: upper case; academic degrees
after the name (`, S.Pd`, `S.E.`, `, M.Si`) and titles before it (`H.`, `Hj.`, `Drs.`,
`Ir.`, `Prof.`...) removed; apostrophes dropped (MA'RUF = MARUF), other punctuation made a
space; `bin`/`binti <father>` dropped; common spelling variants (ST. = SITI, ABD. = ABDUL,
MUHAMAD, MOH., M., NOOR) and old spellings (OE, DJ, TJ, SJ, CH) folded. The old J for Y
is not folded here (JOKO is not YOKO): `transforms.link.matching` allows it only when comparing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from schemas.text import arrow_text, count_bytes, lookup, rows_with, text_series
from transforms.validate.identity import squash

# A cell starting with one of these is run by a spreadsheet as a formula (exports neutralise
# it; a name never starts so). Checked after NFKC, so a full-width `＝` counts as `=`.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA = "^[ ]*[" + "".join("\\" + c if c in "-\\]^" else c for c in FORMULA_START) + "]"
_MARKUP = r"<[ ]*/?[ ]*[A-Za-z!][^<>]*>|&(?:[a-z]+|#[0-9]+);"

# Titles written before a name (religious, honorific, academic); followed by a dot or a space.
TITLES_BEFORE = (
    "ALMARHUMAH", "ALMARHUM", "USTADZAH", "USTADZ", "HAJJAH", "HAJI", "PROF", "ALMH", "SDRI",
    "DRS", "DRA", "DRG", "ALM", "UST", "TGK", "SDR", "HJ", "DR", "IR", "KH", "K.H", "NY", "H",
)  # fmt: skip
# Academic degrees written after a name, as they are spelled with dots.
DEGREES = (
    "S.PD.I", "S.PD.SD", "S.PD", "S.AG", "S.SOS", "S.KOM", "S.KEP", "S.FARM", "S.HUT", "S.PSI",
    "S.IKOM", "S.KED", "S.STP", "S.TR", "S.GZ", "S.ST", "S.TH.I", "S.TH", "S.HI", "S.IP",
    "S.KM", "S.SI", "S.PT", "S.AP", "S.E", "S.H", "S.T", "S.S", "A.MD.KEP", "A.MD.KEB",
    "A.MA.PD", "A.MD", "A.MA", "M.PD", "M.SI", "M.SC", "M.KES", "M.KOM", "M.HUM", "M.AP",
    "M.AG", "M.M", "M.H", "M.T", "M.E", "M.A", "PH.D", "SPD", "SAG", "SSOS", "SKOM", "AMD",
    "MPD", "MSI", "SE", "SH", "ST", "MM", "MH", "MT", "BSC", "MBA",
)  # fmt: skip


def _degree_pattern(forms, dot_required: bool) -> str:
    """RE2 alternation of degree spellings; dots optional (or the first one required)."""
    alternatives = []
    for form in forms:
        parts = form.split(".")
        if dot_required and len(parts) < 2:
            continue
        first_sep = r"\.[ ]?" if dot_required else r"\.?[ ]?"
        pattern = parts[0] + first_sep + r"\.?[ ]?".join(parts[1:]) if len(parts) > 1 else form
        alternatives.append(pattern)
    return "(?:" + "|".join(alternatives) + r")\.?"


_BEFORE = (
    r"^(?:(?:" + "|".join(t.replace(".", r"\.") for t in TITLES_BEFORE) + r")(?:\.[ ]*|[ ]+))+"
)
_AFTER_COMMA = r"(?:[ ]*,[ ]*" + _degree_pattern(DEGREES, dot_required=False) + r")+[ ,]*$"
_AFTER_DOTTED = r"(?:[ ]+" + _degree_pattern(DEGREES, dot_required=True) + r")+[ ,]*$"

# Spelling variants folded to one form, applied word by word on the matching key.
NAME_VARIANTS: dict[str, str] = {
    "MUHAMMAD": "MUHAMMAD",
    "MUHAMAD": "MUHAMMAD",
    "MOHAMMAD": "MUHAMMAD",
    "MOHAMAD": "MUHAMMAD",
    "MOCHAMMAD": "MUHAMMAD",
    "MOCHAMAD": "MUHAMMAD",
    "MUCHAMMAD": "MUHAMMAD",
    "MUCHAMAD": "MUHAMMAD",
    "MOHD": "MUHAMMAD",
    "MUHD": "MUHAMMAD",
    "MUH": "MUHAMMAD",
    "MOH": "MUHAMMAD",
    "MHD": "MUHAMMAD",
    "MOCH": "MUHAMMAD",
    "MUCH": "MUHAMMAD",
    "MOKH": "MUHAMMAD",
    "MUKH": "MUHAMMAD",
    "MOHAMED": "MUHAMMAD",
    "MUHAMMED": "MUHAMMAD",
    "M": "MUHAMMAD",
    "ABD": "ABDUL",
    "ABDOEL": "ABDUL",
    "NOER": "NUR",
    "NOOR": "NUR",
    "NURUL": "NURUL",
    "SITTI": "SITI",
    "SYARIFAH": "SYARIFAH",
    "SJARIFAH": "SYARIFAH",
    "ACHMAD": "AHMAD",
    "ACHMED": "AHMAD",
    "AHMED": "AHMAD",
    "ACHMADI": "AHMADI",
    "JOESOEF": "YUSUF",
    "YUSOF": "YUSUF",
    "SOEKARNO": "SUKARNO",
}
_OLD_SPELLING = [("OE", "U"), ("DJ", "J"), ("TJ", "C"), ("SJ", "SY"), ("CH", "KH")]
# `ST.` before another name, or alone, is SITI (last, after a name, `ST` is a degree).
_SITI = ((r"\bST ", "SITI "), (r"^ST$", "SITI"))
# `bin` / `binti` and the father's name after it: the person's own name is what comes before.
_PATRONYMIC = (r" (?:BIN|BINTI|BINTE) .*$", "")


def clean_display_name(values: pd.Series) -> pd.Series:
    """Trim and collapse spaces; keep case, punctuation and titles as the regency wrote them."""
    return text_series(squash(arrow_text(values)), values.index)


def strip_titles(upper: pa.Array) -> pa.Array:
    """Upper-case names without degrees after them and titles before them."""
    bare = pc.replace_substring_regex(upper, _AFTER_COMMA, "")
    bare = pc.replace_substring_regex(bare, _AFTER_DOTTED, "")
    return pc.replace_substring_regex(bare, _BEFORE, "")


def _fold_words(names: pa.Array) -> pa.Array:
    """Replace whole words by their folded spelling (MUHAMAD -> MUHAMMAD)."""
    words = pc.split_pattern(names, " ")
    flat = pc.list_flatten(words)
    folded = pc.coalesce(lookup(flat, NAME_VARIANTS, pa.large_string()), flat)
    offsets = pc.list_value_length(words).fill_null(0).to_numpy(zero_copy_only=False).cumsum()
    offsets = pa.array([0, *offsets.tolist()], type=pa.int32())
    joined = pa.ListArray.from_arrays(offsets, folded)
    return pc.binary_join(joined, pa.scalar(" ", pa.large_string()))


def _keys(names: pa.Array) -> pa.Array:
    letters = strip_titles(pc.utf8_upper(names))
    letters = pc.replace_substring_regex(letters, r"['’‘`]", "")
    letters = pc.replace_substring_regex(letters, r"[^A-Z]+", " ")
    letters = pc.utf8_trim(letters, " ")
    for pattern, replacement in (*_SITI, _PATRONYMIC):
        letters = pc.replace_substring_regex(letters, pattern, replacement)
    folded = _fold_words(letters)
    for old, new in _OLD_SPELLING:
        folded = pc.replace_substring(folded, old, new)
    key = _fold_words(folded)
    valid = pc.and_(pc.is_valid(names), pc.not_equal(key, ""))
    return pc.if_else(valid, key, pa.scalar(None, pa.large_string()))


def name_key(display: pd.Series) -> pd.Series:
    """Matching key: upper case, titles removed, punctuation dropped, spelling variants folded."""
    return name_fields(display)["key"]


def name_invalid(display: pd.Series) -> pd.Series:
    """A name is invalid when it is a formula or markup, holds digits or has under two letters."""
    return name_problem(display).notna()


def name_problem(display: pd.Series) -> pd.Series:
    """Why a present name is invalid, in Indonesian (<NA> when it is fine or absent)."""
    return name_fields(display)["problem"]


def _matches(names: pa.Array, pattern: str) -> np.ndarray:
    return pc.fill_null(pc.match_substring_regex(names, pattern), False).to_numpy(
        zero_copy_only=False
    )


def _problems(names: pa.Array) -> pa.Array:
    """Why each distinct name is invalid: a formula, markup, digits, or too few letters."""
    names = pc.utf8_normalize(names, "NFKC")
    digits = rows_with(names, lambda b: (b >= 0x30) & (b <= 0x39))
    letters = count_bytes(names, lambda b: ((b | 0x20) >= 0x61) & ((b | 0x20) <= 0x7A))
    present = pc.is_valid(names).to_numpy(zero_copy_only=False)
    problem = np.select(
        [_matches(names, _FORMULA) & (letters >= 2), _matches(names, _MARKUP), digits, letters < 2],
        ["diawali tanda rumus (= + - @)", "berisi kode/markup", "berisi angka",
         "kurang dari dua huruf"],
        default=None,
    )  # fmt: skip
    return pa.array(np.where(present, problem, None), type=pa.large_string())


def name_fields(display: pd.Series) -> pd.DataFrame:
    """`key` (for matching) and `problem` (why the name is invalid, or <NA>) of display names,
    computed once per distinct name."""
    encoded = pc.dictionary_encode(arrow_text(display))
    distinct = encoded.dictionary
    key = pc.take(_keys(distinct), encoded.indices)
    problem = pc.take(_problems(distinct), encoded.indices)
    return pd.DataFrame(
        {"key": text_series(key, display.index), "problem": text_series(problem, display.index)},
        index=display.index,
    )
