"""The occupation list (Dukcapil SIAK plus everyday words) as data: names, groups, spellings.

Loaded once from `schemas/occupations.toml` and checked on load: an entry naming a group or an
occupation that does not exist, or a spelling given to two occupations, is an error naming
the entry. The matching key (`occupation_key`) lives here so the data and the matcher agree.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

OCCUPATIONS_FILE = Path(__file__).with_name("occupations.toml")
UNKNOWN_GROUP = "unknown"

_NOT_WORD = re.compile(r"[^A-Z0-9]+")
_SINGLE_LETTERS = re.compile(r"\b(?:[A-Z] )+[A-Z]\b")


def occupation_key(text: str) -> str:
    """Upper case, NFKC, non-alphanumerics made spaces, runs of single letters joined
    (`P.N.S` = `PNS`): the form spellings and officers' mappings are matched on."""
    upper = unicodedata.normalize("NFKC", text).upper()
    words = " ".join(_NOT_WORD.sub(" ", upper).split())
    return _SINGLE_LETTERS.sub(lambda m: m.group(0).replace(" ", ""), words)


@dataclass(frozen=True)
class Occupation:
    """One occupation: its name as on a KTP/KK, its SIAK code (None outside the list), group."""

    name: str
    group: str
    code: int | None = None


@dataclass(frozen=True)
class OccupationList:
    """Everything the matcher needs: groups, occupations by name, spellings and keywords."""

    groups: dict[str, str]  # group -> Indonesian label
    may_be: dict[str, tuple[str, ...]]  # ambiguous group -> the groups it could be
    occupations: dict[str, Occupation]  # name -> occupation
    spellings: dict[str, str]  # key -> occupation name (names and spellings)
    keywords: tuple[tuple[tuple[str, ...], str], ...]  # (words, occupation name), in order

    def resolve(self, name: str) -> Occupation | None:
        """An occupation by its name or any spelling of it (case and punctuation ignored)."""
        found = self.spellings.get(occupation_key(name))
        return self.occupations[found] if found else None


class OccupationListError(ValueError):
    """The occupation list does not validate; the message names the entry."""


def parse_occupations(text: str, source: str = "occupations.toml") -> OccupationList:
    """Parse and check an occupation list from TOML text."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise OccupationListError(f"{source}: invalid TOML: {exc}") from exc
    problems: list[str] = []
    groups = {name: str(spec.get("label", name)) for name, spec in data.get("groups", {}).items()}
    if UNKNOWN_GROUP not in groups:
        problems.append(f"groups: the group '{UNKNOWN_GROUP}' is required")
    may_be = {
        name: tuple(spec["may_be"])
        for name, spec in data.get("groups", {}).items()
        if spec.get("may_be")
    }
    for name, options in may_be.items():
        problems += [f"groups.{name}.may_be: no group '{o}'" for o in options if o not in groups]
    occupations: dict[str, Occupation] = {}
    spellings: dict[str, str] = {}
    for i, entry in enumerate(data.get("occupations", []), start=1):
        where = f"occupations[{i}] ({entry.get('name')!r})"
        name, group = entry.get("name"), entry.get("group")
        if not name or group not in groups:
            problems.append(f"{where}: needs a name and one of the groups {sorted(groups)}")
            continue
        if name in occupations:
            problems.append(f"{where}: the name is given twice")
        occupations[name] = Occupation(name, group, entry.get("code"))
        for spelling in [name, *entry.get("spellings", [])]:
            key = occupation_key(spelling)
            if spellings.get(key, name) != name:
                problems.append(f"{where}: '{spelling}' is already a spelling of {spellings[key]}")
            spellings.setdefault(key, name)
    keywords = []
    for i, entry in enumerate(data.get("keywords", []), start=1):
        words = tuple(occupation_key(w) for w in entry.get("words", []))
        if not words or entry.get("occupation") not in occupations:
            problems.append(f"keywords[{i}]: needs words and an occupation of the list")
            continue
        keywords.append((words, entry["occupation"]))
    if problems:
        raise OccupationListError(f"{source}: " + "; ".join(problems))
    return OccupationList(groups, may_be, occupations, spellings, tuple(keywords))


@cache
def occupation_list(path: Path = OCCUPATIONS_FILE) -> OccupationList:
    """The shipped occupation list, read once per process."""
    return parse_occupations(path.read_text(encoding="utf-8"), path.name)
