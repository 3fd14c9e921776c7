"""What a row's remarks (`KETERANGAN`, `KET`, `CATATAN`) say of the person on the row.

Each distinct remark is read once, clause by clause (`janda, suami meninggal` has two). A
clause names the person as deceased, moved away, a duplicate row or already covered only when
it says so of this person: a relative before the word (`suami meninggal`, `ayah meninggal`),
a negation (`belum terdaftar BPJS`, `tidak pindah`) or a state word that is not an event
(`yatim`, `janda`, `cerai mati`) says nothing against them. Every finding only holds the row
for an officer's review; nothing here rejects a row.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from schemas.occupations import occupation_key

REMARK_CODES = ("REMARK_DECEASED", "REMARK_MOVED", "REMARK_DUPLICATE", "REMARK_COVERED")
REMARK_COLUMNS = {
    "REMARK_DECEASED": "remark_deceased",
    "REMARK_MOVED": "remark_moved",
    "REMARK_DUPLICATE": "remark_duplicate",
    "REMARK_COVERED": "remark_covered",
}

# Someone other than the person on the row: a word just before the event makes it theirs.
RELATIVES = frozenset(
    [
        "SUAMI",
        "ISTRI",
        "ISTERI",
        "AYAH",
        "BAPAK",
        "BAPAKNYA",
        "AYAHNYA",
        "IBU",
        "IBUNYA",
        "EMAK",
        "ORANG",
        "TUA",
        "ORTU",
        "ANAK",
        "ANAKNYA",
        "KAKEK",
        "NENEK",
        "KAKAK",
        "ADIK",
        "ABANG",
        "SAUDARA",
        "MERTUA",
        "KK",
        "KEPALA",
        "KELUARGA",
        "SUAMINYA",
        "ISTRINYA",
        "WALI",
    ]
)
NEGATIONS = frozenset(
    ["TIDAK", "TDK", "BELUM", "BLM", "BUKAN", "NON", "TAK", "GAK", "ENGGAK", "BATAL"]
)
# How far back (in words) a relative or a negation still governs the event word.
_REACH = 3

_DECEASED = frozenset(
    [
        "MENINGGAL",
        "MENINGAL",
        "MENINGGGAL",
        "WAFAT",
        "ALM",
        "ALMH",
        "ALMARHUM",
        "ALMARHUMAH",
        "MD",
        "MGL",
        "TEWAS",
        "MATI",
    ]
)
_MOVED = frozenset(["PINDAH", "MERANTAU"])  # not PINDAHAN / PINDAH DARI: moved in
_MOVED_PHRASES = (
    ("KELUAR", "DAERAH"), ("KELUAR", "KOTA"), ("KELUAR", "KABUPATEN"), ("TIDAK", "DIKENAL"),
    ("TIDAK", "DITEMUKAN"), ("TDK", "DITEMUKAN"), ("TIDAK", "BERDOMISILI"), ("DOMISILI", "LUAR"),
    ("SUDAH", "TIDAK", "TINGGAL"),
)  # fmt: skip
_DUPLICATE = frozenset(
    ["DOUBLE", "DOBEL", "DOBLE", "DOUBEL", "GANDA", "DUPLIKAT", "DUPLIKASI", "DUPLICATE"]
)
# Coverage: a scheme word with a word saying the person has it (and no negation in the clause).
_SCHEMES = frozenset(["BPJS", "KIS", "JKN", "PBI", "ASKES", "JAMKESDA", "KPJ"])
_HAS = frozenset(
    [
        "SUDAH",
        "SDH",
        "TELAH",
        "TERDAFTAR",
        "PESERTA",
        "AKTIF",
        "PUNYA",
        "MEMILIKI",
        "PUNYAI",
        "ADA",
        "DITANGGUNG",
        "TERCOVER",
    ]
)
_ALWAYS_COVERED = frozenset({"PBI"})  # `PBI APBN`: a subsidised member whatever else is said
# `cerai mati` (widowed by death) is a marital state, not this person's death.
_STATE_WORDS = frozenset({"CERAI"})
_CLAUSES = re.compile(r"[,;:.()\[\]/\n]+|\s-\s|\bDAN\b|\bTAPI\b|\bNAMUN\b", re.IGNORECASE)


def _after(words: list[str], i: int, phrase: tuple[str, ...]) -> bool:
    return tuple(words[i : i + len(phrase)]) == phrase


def _governed(words: list[str], i: int, by: frozenset[str]) -> bool:
    """Whether one of `by` stands within reach before word i."""
    return any(w in by for w in words[max(0, i - _REACH) : i])


def _of_person(words: list[str], i: int) -> bool:
    """An event at word i is this person's: no relative and no negation just before it."""
    return not (_governed(words, i, RELATIVES) or _governed(words, i, NEGATIONS))


def _clause_codes(words: list[str]) -> set[str]:
    codes: set[str] = set()
    for i, word in enumerate(words):
        if word in _DECEASED and _of_person(words, i) and not _governed(words, i, _STATE_WORDS):
            codes.add("REMARK_DECEASED")
        if word in _MOVED and _of_person(words, i) and not _after(words, i + 1, ("DARI",)):
            codes.add("REMARK_MOVED")
        if any(_after(words, i, p) for p in _MOVED_PHRASES) and not _governed(words, i, RELATIVES):
            codes.add("REMARK_MOVED")
        if word in _DUPLICATE and not _governed(words, i, NEGATIONS):
            codes.add("REMARK_DUPLICATE")
    negated = any(w in NEGATIONS or w.startswith("NONAKTIF") for w in words)
    schemes = _SCHEMES.intersection(words)
    if schemes and not negated and (_ALWAYS_COVERED & schemes or _HAS.intersection(words)):
        codes.add("REMARK_COVERED")
    return codes


def remark_codes(text: str) -> frozenset[str]:
    """The remark codes one remark gives the person on its row (empty: nothing against them)."""
    codes: set[str] = set()
    for clause in _CLAUSES.split(text):
        words = occupation_key(clause).split()
        if words:
            codes |= _clause_codes(words)
    return frozenset(codes)


def read_remarks(values: pd.Series) -> pd.DataFrame:
    """Per row, one boolean column per remark code (`remark_deceased`, ...), read once per
    distinct remark; blank remarks say nothing."""
    text = values.astype(pd.StringDtype("pyarrow"))
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    found = [remark_codes(u) for u in uniques]
    out = {}
    for code, column in REMARK_COLUMNS.items():
        per_unique = pd.array([code in f for f in found] + [False], dtype=bool)
        out[column] = per_unique[codes]  # the sentinel -1 takes the trailing False
    return pd.DataFrame(out, index=values.index)


# Remarks that rule the person out, not just the row: held until an officer decides.
PERSON_HOLDING = ("remark_deceased", "remark_moved", "remark_covered")


def persons_held_by_remarks(rows: pd.DataFrame) -> np.ndarray:
    """Person ids with a row still held whose remarks say the person died, moved away or is
    already covered: no other row of theirs puts them on a verified list meanwhile."""
    if rows.empty or "keterangan" not in rows:
        return np.zeros(0, dtype=np.int64)
    held = rows.loc[rows["status"].eq("review") & rows["keterangan"].notna()]
    flags = read_remarks(held["keterangan"])
    says = flags[list(PERSON_HOLDING)].any(axis=1).to_numpy(dtype=bool)
    ids = held["person_id"].to_numpy()[says]
    return np.unique(pd.to_numeric(pd.Series(ids), errors="coerce").dropna().astype(np.int64))
