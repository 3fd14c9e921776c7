"""Indonesian names: a display form (titles kept) and a matching key (titles and spellings folded)."""

from __future__ import annotations

import re

import pandas as pd

# Academic degrees, religious and honorific titles: kept for display, ignored for matching.
TITLES = (
    r"H|HJ|HAJI|HAJJAH|DR|DRS|DRA|IR|PROF|S[\s.]?PD|S[\s.]?PD[\s.]?I|S[\s.]?AG|S[\s.]?E|S[\s.]?H|S[\s.]?SOS|S[\s.]?KOM|"
    r"S[\s.]?T|S[\s.]?IP|S[\s.]?KM|S[\s.]?KEP|S[\s.]?FARM|S[\s.]?SI|S[\s.]?PT|S[\s.]?HUT|S[\s.]?PSI|A[\s.]?MD|A[\s.]?MA|AMD|"
    r"M[\s.]?PD|M[\s.]?SI|M[\s.]?M|M[\s.]?SC|M[\s.]?KES|M[\s.]?H|M[\s.]?T|M[\s.]?AG|SH|SE|ST|SPD|SAG|SSOS|SKOM|"
    r"ALM|ALMH|ALMARHUM|ALMARHUMAH|USTADZ|USTADZAH|KH|TGK|NY|SDR|SDRI"
)
_TITLE_BEFORE = re.compile(rf"^(?:(?:{TITLES})\.\s*|(?:{TITLES})\s+(?=\S))+")
_TITLE_AFTER = re.compile(rf"(?:\s*,\s*(?:{TITLES})\.?)+\s*$")
_PUNCT = re.compile(r"[^A-Z ]")
_SPACES = re.compile(r"\s+")

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


def clean_display_name(values: pd.Series) -> pd.Series:
    """Trim and collapse spaces; keep case, punctuation and titles as the regency wrote them."""
    text = values.astype("string").str.strip().str.replace(_SPACES, " ", regex=True)
    return text.mask(text.eq(""))


def name_key(display: pd.Series) -> pd.Series:
    """Matching key: upper case, titles removed, punctuation dropped, spelling variants folded."""
    upper = display.astype("string").str.upper()
    bare = upper.str.replace(_TITLE_AFTER, "", regex=True).str.replace(
        _TITLE_BEFORE, "", regex=True
    )
    letters = bare.str.replace(_PUNCT, " ", regex=True).str.replace(_SPACES, " ", regex=True)
    letters = letters.str.strip()
    folded = _fold_variants(letters)
    for old, new in _OLD_SPELLING:
        folded = folded.str.replace(old, new, regex=False)
    key = _fold_variants(folded)
    return key.mask(key.eq(""))


def _variant_patterns() -> list[tuple[str, str]]:
    by_target: dict[str, list[str]] = {}
    for variant, target in NAME_VARIANTS.items():
        if variant != target:
            by_target.setdefault(target, []).append(variant)
    return [(rf"\b(?:{'|'.join(sorted(vs))})\b", t) for t, vs in sorted(by_target.items())]


_VARIANT_PATTERNS = _variant_patterns()


def _fold_variants(names: pd.Series) -> pd.Series:
    for pattern, target in _VARIANT_PATTERNS:
        names = names.str.replace(pattern, target, regex=True)
    return names


def name_invalid(display: pd.Series) -> pd.Series:
    """A name is invalid when it holds digits or is a single letter (after removing punctuation)."""
    text = display.astype("string")
    letters = text.str.upper().str.replace(r"[^A-Z]", "", regex=True)
    has_digit = text.str.contains(r"\d", regex=True)
    return (has_digit | letters.str.len().lt(2)).fillna(False).astype(bool) & text.notna()
