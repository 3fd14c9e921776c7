"""The place given around the rows: a section row `KEC. MELAK`, a title `KECAMATAN : PALARAN`,
a sheet named `Palaran`, for sheets without a kecamatan (or desa) column."""

from __future__ import annotations

import re

from schemas.reference import REGENCIES

PLACE_FIELDS: tuple[str, ...] = ("kecamatan", "desa")

_LABEL = (
    r"(?P<label>KECAMATAN|KEC|DESA\s*/\s*KELURAHAN|DESA\s*/\s*KEL|KELURAHAN\s*/\s*DESA|"
    r"KEL\s*/\s*DESA|DESA|KELURAHAN|KEL)"
)
# A section row: an optional outline number (`I.`, `A.`, `1)`), the label, a name and nothing more.
SECTION_ROW = re.compile(
    r"^\s*(?:(?:[IVX]{1,4}|[A-Z]|\d{1,3})\s*[.)]\s*)?" + _LABEL
    + r"\b\.?\s*:?\s*(?P<name>[A-Z][A-Z0-9 .'/-]{1,50}?)\s*$",
    re.IGNORECASE,
)  # fmt: skip
# A labelled place inside a longer title line (`KOTA SAMARINDA - KECAMATAN PALARAN`).
_LABELLED = re.compile(
    r"(?<![A-Z])" + _LABEL + r"\b\.?\s*:?\s*(?P<name>[A-Z][A-Z .'-]{1,50}?)\s*(?:[-,;(]|TAHUN\b|$)",
    re.IGNORECASE,
)
_KECAMATAN_PREFIX = re.compile(r"^\s*KEC(?:AMATAN)?\b\.?\s*:?\s*", re.IGNORECASE)
_NON_ALNUM = re.compile(r"[^0-9A-Z]")


def _level(label: str) -> str:
    return "kecamatan" if label.upper().startswith("KEC") else "desa"


def _key(text: str) -> str:
    return _NON_ALNUM.sub("", text.upper())


def section_place(text: str) -> tuple[str, str] | None:
    """(`kecamatan` | `desa`, name as written) when a row's only text names a place, else None."""
    found = SECTION_ROW.match(text)
    if found is None:
        return None
    return _level(found["label"]), found["name"].strip(" .:")


def labelled_places(text: str) -> dict[str, str]:
    """Places a title line names with a label (`KECAMATAN : PALARAN`, `DESA/KEL. LOA BAKUNG`)."""
    places: dict[str, str] = {}
    for found in _LABELLED.finditer(text):
        places.setdefault(_level(found["label"]), found["name"].strip(" .:"))
    return places


def known_kecamatan(text: str, regency_code: str | None) -> str | None:
    """The regency's kecamatan a text names (`PALARAN`, `Kec. Palaran`, `SUNGAI_KUNJANG`), with
    its reference spelling; None when it names none (`Sheet1`, `DATA`)."""
    regency = REGENCIES.get(regency_code or "")
    if regency is None:
        return None
    key = _key(_KECAMATAN_PREFIX.sub("", text.replace("_", " ")))
    if not key:
        return None
    for name in regency.kecamatan.values():
        if _key(name) == key:
            return name
    return None


def sheet_places(
    regency_code: str | None, sheet_name: str, title_cells: list[str]
) -> dict[str, str]:
    """What the title rows and the sheet name say of every row's place: a labelled title first,
    then a sheet named after one of the regency's kecamatan."""
    places: dict[str, str] = {}
    for cell in title_cells:
        for level, name in labelled_places(cell).items():
            if level == "kecamatan":
                name = known_kecamatan(name, regency_code) or name
            places.setdefault(level, name)
    if "kecamatan" not in places:
        named = known_kecamatan(sheet_name, regency_code)
        if named is not None:
            places["kecamatan"] = named
    return places
