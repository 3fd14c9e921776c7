"""Written occupations to the Dukcapil list and a group for the program rules, matched on words.

Each distinct spelling is matched once (a column repeats a few hundred spellings): an officer's
mapping of its key first, then a name or spelling of the list, then the keywords in the list's
order (`ANGGOTA POLRI`, `PNS GURU`, `HONORER DINAS PU`), then a spelling of several words with
one word mistyped (`TUKANG BTU`), then the longest run of words that is a known spelling
(`PETANI SAWIT`). A run that only begins several names (`TUKANG`: TUKANG BATU, TUKANG KAYU) does
not decide when a word follows it: that word tells those occupations apart (`TUKANG BECAK` is
none of them). What is still not found is kept as written, group `unknown`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
from rapidfuzz.distance import OSA

from schemas.occupations import UNKNOWN_GROUP, OccupationList, occupation_key, occupation_list

TEXT_DTYPE = pd.StringDtype("pyarrow")

# An officer's decision: normalised spelling -> (occupation name, group).
Mappings = Mapping[str, tuple[str, str]]


def _contains(words: list[str], phrase: tuple[str, ...]) -> bool:
    """Whether `phrase` (each part a key, possibly several words) is a run of `words`."""
    wanted = " ".join(phrase).split()
    n = len(wanted)
    return any(words[i : i + n] == wanted for i in range(len(words) - n + 1))


# A mistyped word is recognised when it is one edit (a letter wrong, missing, extra, or two
# swapped) from a word of at least this many letters; shorter words must be written exactly.
TYPO_MIN_LETTERS = 4


@dataclass(frozen=True)
class _Index:
    """What the typo and run steps look up, built once per occupation list."""

    shared: frozenset[str]  # runs that begin several names without being one (`TUKANG`)
    # (position, the other words) -> (the word at that position, occupation name), for
    # spellings of two or more words whose word there has TYPO_MIN_LETTERS letters or more
    near: dict[tuple[int, tuple[str, ...]], list[tuple[str, str]]]


_INDEXES: dict[int, tuple[OccupationList, _Index]] = {}


def _index(known: OccupationList) -> _Index:
    """The lookups for `known`, built on first use (lists are few: the shipped one, a test's)."""
    cached = _INDEXES.get(id(known))
    if cached is not None and cached[0] is known:
        return cached[1]
    firsts: dict[str, set[str]] = {}
    for name in known.occupations:
        words = occupation_key(name).split()
        for n in range(1, len(words)):
            firsts.setdefault(" ".join(words[:n]), set()).add(name)
    names = {occupation_key(name) for name in known.occupations}
    shared = frozenset(run for run, of in firsts.items() if len(of) > 1 and run not in names)
    near: dict[tuple[int, tuple[str, ...]], list[tuple[str, str]]] = {}
    for spelling, name in known.spellings.items():
        words = spelling.split()
        for i, word in enumerate(words):
            if len(words) > 1 and len(word) >= TYPO_MIN_LETTERS:
                near.setdefault((i, tuple(words[:i] + words[i + 1 :])), []).append((word, name))
    if len(_INDEXES) >= 8:
        _INDEXES.clear()
    index = _Index(shared, near)
    _INDEXES[id(known)] = (known, index)
    return index


def _near_spelling(words: list[str], index: _Index) -> str | None:
    """The occupation of a spelling of as many words (two or more) that differs from `words`
    in one word by one edit (`TUKANG BTU`, `PETANI PEKEBN`); None when none does, or when
    spellings of two occupations do (a typo is corrected only when it is unambiguous)."""
    found = {
        name
        for i, written in enumerate(words)
        for listed, name in index.near.get((i, tuple(words[:i] + words[i + 1 :])), ())
        if OSA.distance(written, listed, score_cutoff=1) <= 1
    }
    return found.pop() if len(found) == 1 else None


def _longest_known_run(
    words: list[str], known: OccupationList, shared: frozenset[str]
) -> str | None:
    """The occupation of the longest run of words that is a known spelling, skipping a run that
    only begins several names when a word follows it (`TUKANG BECAK`); None when that length
    finds occupations of different groups (`GURU SEKOLAH`: ambiguous, not guessed)."""
    for length in range(len(words), 0, -1):
        found = [
            known.spellings[run]
            for start in range(len(words) - length + 1)
            if (run := " ".join(words[start : start + length])) in known.spellings
            and not (run in shared and start + length < len(words))
        ]
        if found:
            groups = {known.occupations[name].group for name in found}
            return found[0] if len(groups) == 1 else None
    return None


def match_occupation(
    text: str, mappings: Mappings | None = None, known: OccupationList | None = None
) -> tuple[str, str] | None:
    """One written occupation to (occupation name, group), or None when not recognised."""
    known = known or occupation_list()
    key = occupation_key(text)
    if not key:
        return None
    if mappings and key in mappings:
        return mappings[key]
    name = known.spellings.get(key)
    if name is None:
        words = key.split()
        name = next((n for phrase, n in known.keywords if _contains(words, phrase)), None)
        if name is None:
            index = _index(known)
            name = _near_spelling(words, index) or _longest_known_run(words, known, index.shared)
    if name is None:
        return None
    return name, known.occupations[name].group


def normalise_occupation(values: pd.Series, mappings: Mappings | None = None) -> pd.DataFrame:
    """Occupation spellings to `pekerjaan` (the list's name, or the spelling when not
    recognised), `occupation_group` (`unknown` then; <NA> when blank) and `occupation_key`."""
    text = values.astype(TEXT_DTYPE)
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    keys = [occupation_key(u) for u in uniques]
    found = [match_occupation(u, mappings) for u in uniques]
    labels = [f[0] if f else u for f, u in zip(found, uniques, strict=True)]
    groups = [f[1] if f else UNKNOWN_GROUP for f in found]
    blank = [not k for k in keys]  # punctuation only: nothing written
    labels = [None if b else v for b, v in zip(blank, labels, strict=True)]
    groups = [None if b else g for b, g in zip(blank, groups, strict=True)]

    def spread(items: list[str | None]) -> pd.api.extensions.ExtensionArray:
        return pd.array(items, dtype=TEXT_DTYPE).take(codes, allow_fill=True)

    return pd.DataFrame(
        {
            "pekerjaan": spread(labels),
            "occupation_group": spread(groups),
            "occupation_key": spread([k or None for k in keys]),
        },
        index=values.index,
    )
