"""Written occupations to the Dukcapil list and a group for the program rules, matched on words.

Each distinct spelling is matched once (a column repeats a few hundred spellings): an officer's
mapping of its key first, then a name or spelling of the list, then the keywords in the list's
order (`ANGGOTA POLRI`, `PNS GURU`, `HONORER DINAS PU`), then the longest run of words that is
a known spelling (`PETANI SAWIT`). What is still not found is kept as written, group `unknown`.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from schemas.occupations import UNKNOWN_GROUP, OccupationList, occupation_key, occupation_list

TEXT_DTYPE = pd.StringDtype("pyarrow")

# An officer's decision: normalised spelling -> (occupation name, group).
Mappings = Mapping[str, tuple[str, str]]


def _contains(words: list[str], phrase: tuple[str, ...]) -> bool:
    """Whether `phrase` (each part a key, possibly several words) is a run of `words`."""
    wanted = " ".join(phrase).split()
    n = len(wanted)
    return any(words[i : i + n] == wanted for i in range(len(words) - n + 1))


def _longest_known_run(words: list[str], known: OccupationList) -> str | None:
    """The occupation of the longest run of words that is a known spelling; None when that
    length finds occupations of different groups (`GURU SEKOLAH`: ambiguous, not guessed)."""
    for length in range(len(words), 0, -1):
        found = [
            known.spellings[run]
            for start in range(len(words) - length + 1)
            if (run := " ".join(words[start : start + length])) in known.spellings
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
            name = _longest_known_run(words, known)
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
