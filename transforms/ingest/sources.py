"""Which regency and program a submission belongs to, from its folder names, file name and title rows."""

from __future__ import annotations

import re
from dataclasses import dataclass

from schemas.reference import PROGRAM_KEYWORDS, REGENCIES


@dataclass(frozen=True)
class Attribution:
    """What a file's names say: a regency code/program, or why it could not be decided."""

    regency_code: str | None
    program: str | None
    regency_problem: str = ""  # Indonesian detail when unknown or ambiguous
    program_problem: str = ""


# Characters that break a line, a log record, an XML part or the reading order when a file or
# sheet name is written out: C0/C1 controls, line and paragraph separators, bidi overrides.
UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(name: str) -> str:
    """A file or sheet name safe to write in a log, a summary, a report or a workbook: every
    control character shown as `?` (the name stays data; the warehouse keeps it as it is)."""
    return UNPRINTABLE.sub("?", name)


def _regency_patterns() -> list[tuple[str, re.Pattern[str]]]:
    patterns = []
    for code, r in REGENCIES.items():
        names = [re.escape(code), re.escape(f"{code[:2]}.{code[2:]}")]
        spelled = [
            r.name,
            f"{r.kind} {r.name}",
            f"{'Kab' if r.kind == 'Kabupaten' else 'Kota'}. {r.name}",
        ]
        if r.kind == "Kabupaten":
            spelled.append(f"Kab {r.name}")
        names += [re.escape(s.upper()).replace(r"\ ", r"[\s_\-.]*") for s in spelled]
        names += [re.escape(a) for a in r.abbreviations]
        patterns.append((code, re.compile(rf"(?<![A-Z0-9])(?:{'|'.join(names)})(?![A-Z0-9])")))
    return patterns


_REGENCY_PATTERNS = sorted(_regency_patterns(), key=lambda item: -len(REGENCIES[item[0]].name))
_PROGRAM_PATTERNS = {
    program: re.compile(
        r"(?<![A-Z0-9])(?:"
        + "|".join(re.escape(k).replace(r"\ ", r"[\s_\-.]*") for k in keywords)
        + r")(?![A-Z0-9])"
    )
    for program, keywords in PROGRAM_KEYWORDS.items()
}


def _prepare(text: str) -> str:
    return text.upper().replace("_", " ")


def regencies_in(text: str) -> set[str]:
    """Regency codes named in a piece of text (folder, file name or title)."""
    prepared = _prepare(text)
    found = set()
    # Longest names first, and a matched name is blanked out: "Penajam Paser Utara" is not "Paser".
    for code, pattern in _REGENCY_PATTERNS:
        prepared, n = pattern.subn(" ", prepared)
        if n:
            found.add(code)
    return found


def programs_in(text: str) -> set[str]:
    """Programs named in a piece of text by the contract's keywords."""
    prepared = _prepare(text)
    return {program for program, pattern in _PROGRAM_PATTERNS.items() if pattern.search(prepared)}


def _decide(candidates: list[tuple[str, set[str]]]) -> tuple[str | None, str]:
    """First source (in order of preference) naming exactly one value; report ambiguity."""
    for source, found in candidates:
        if len(found) == 1:
            return next(iter(found)), ""
        if len(found) > 1:
            return None, f"{source} menyebut lebih dari satu: {', '.join(sorted(found))}"
    return None, "tidak disebut"


def attribute_file(relative_path: str, title_text: str = "") -> Attribution:
    """Regency and program of a file: folder names, then file name, then title rows above the header."""
    parts = relative_path.split("/")
    folders, file_name = parts[:-1], parts[-1]
    stem = file_name.rsplit(".", 1)[0]
    sources = [("folder " + f, f) for f in reversed(folders)] + [("nama berkas", stem)]
    if title_text:
        sources.append(("judul", title_text))
    regency, regency_problem = _decide([(name, regencies_in(text)) for name, text in sources])
    program, program_problem = _decide([(name, programs_in(text)) for name, text in sources])
    return Attribution(regency, program, regency_problem, program_problem)
