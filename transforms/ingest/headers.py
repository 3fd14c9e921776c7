"""Grid to table: find the header row by column-name synonyms, map columns, skip blank and footer rows.

A grid is a DataFrame of raw cell values (object dtype) whose index is the row number a
person sees in the spreadsheet (1-based) and whose columns are 0..n-1.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from transforms.ingest.places import PLACE_FIELDS, section_place

# Canonical fields and the header spellings regency offices use for them, normalised by
# `normalise_label` (upper case, letters and digits only). Synonyms of 5 or more characters
# also match as prefixes ("NAMALENGKAPSESUAIKTP" is `nama`), longest first.
FIELD_SYNONYMS: dict[str, tuple[str, ...]] = {
    "nik": (
        "NIK", "NIKKTP", "NONIK", "NOMORNIK", "NOKTP", "NOMORKTP", "NIKPESERTA", "NIKNOKTP",
        "NONIKKTP", "NIK16DIGIT", "NIKPENERIMA", "NIKCALONPESERTA", "NIKANGGOTAKELUARGA",
        "NIKART", "NOMORINDUKKEPENDUDUKAN", "NOINDUKKEPENDUDUKAN",
    ),
    "no_kk": (
        "NOKK", "NOMORKK", "KK", "NKK", "NIKK", "NOKK16DIGIT", "NOKARTUKELUARGA",
        "NOMORKARTUKELUARGA", "KARTUKELUARGA",
    ),
    "nama": (
        "NAMA", "NAMALENGKAP", "NAMAPESERTA", "NAMACALONPESERTA", "NAMASESUAIKTP", "NAMAKTP",
        "NAMAPENERIMA", "NAMACALONPENERIMA", "NAMAPENDUDUK", "NAMAANGGOTAKELUARGA", "NAMAART",
    ),
    "tempat_lahir": (
        "TEMPATLAHIR", "TMPLAHIR", "TPTLAHIR", "TEMPATLHR", "TMPTLAHIR", "TMPLHR", "TPTLHR",
        "KOTALAHIR",
    ),
    "tanggal_lahir": (
        "TANGGALLAHIR", "TGLLAHIR", "TGLLHR", "TANGGALLHR", "TGLKELAHIRAN", "TANGGALKELAHIRAN",
    ),
    "tempat_tanggal_lahir": (
        "TEMPATTANGGALLAHIR", "TEMPATTGLLAHIR", "TMPTGLLAHIR", "TMPTTGLLAHIR", "TPTTGLLAHIR",
        "TEMPATTGLLHR", "TTL", "TEMPATDANTANGGALLAHIR", "TEMPATLAHIRTANGGALLAHIR",
        "TEMPATLAHIRTGLLAHIR",
    ),
    "jenis_kelamin": (
        "JENISKELAMIN", "JK", "LP", "JKLP", "KELAMIN", "SEX", "GENDER", "JNSKELAMIN", "JNSKEL",
        "JENKEL",
    ),
    "alamat": ("ALAMAT", "ALAMATLENGKAP", "ALAMATDOMISILI", "JALAN", "ALAMATRUMAH", "DOMISILI"),
    "rt_rw": ("RTRW",),
    "rt": ("RT",),
    "rw": ("RW",),
    "desa": (
        "DESAKELURAHAN", "KELURAHANDESA", "KELURAHAN", "DESA", "DESAKEL", "KELDESA", "KEL",
        "NAMADESA", "NAMAKELURAHAN",
    ),
    "kecamatan": ("KECAMATAN", "KEC", "NAMAKECAMATAN"),
    "pekerjaan": ("PEKERJAAN", "JENISPEKERJAAN", "PEKERJAANUTAMA", "MATAPENCAHARIAN"),
    "penghasilan": (
        "PENGHASILAN", "PENGHASILANPERBULAN", "PENGHASILANRP", "PENDAPATAN",
        "PENDAPATANPERBULAN", "PENGHASILANBULANAN", "GAJI",
    ),
    "desil": (
        "DESIL", "DESILDTSEN", "DESILDTKS", "DESILKESEJAHTERAAN", "PERINGKATDESIL", "DTSENDESIL",
    ),
    "disabilitas": (
        "DISABILITAS", "PENYANDANGDISABILITAS", "DIFABEL", "JENISDISABILITAS",
        "STATUSDISABILITAS", "KETERANGANDISABILITAS",
    ),
    "jumlah_tanggungan": (
        "JUMLAHTANGGUNGAN", "JMLTANGGUNGAN", "TANGGUNGAN", "JUMLAHANGGOTAKELUARGA",
        "JMLANGGOTAKELUARGA", "JUMLAHART", "JMLART", "JUMLAHANGGOTARUMAHTANGGA", "JUMLAHJIWA",
        "JMLJIWA",
    ),
    "no_hp": (
        "NOHP", "NOTELP", "NOHANDPHONE", "NOTELEPON", "HP", "TELEPON", "NOMORHP", "NOMORTELEPON",
        "TELP", "NOWA", "NOHPWA", "NOMORHPWA", "NOTELPHP", "NOTLP", "HANDPHONE", "WHATSAPP",
        "NOWHATSAPP", "NOKONTAK",
    ),
    "fktp": ("FKTP", "FASKES", "FASKESTINGKATI", "FASKES1", "PUSKESMAS"),
    "keterangan": (
        "KETERANGAN", "KET", "KETERANGANLAIN", "KETERANGANTAMBAHAN", "CATATAN", "REMARK",
        "REMARKS", "INFO", "INFORMASI", "KETERANGANPESERTA", "CATATANPETUGAS",
    ),
    # Columns of the BPJS reference lists (already enrolled).
    "segmen": ("SEGMEN", "SEGMENPESERTA", "JENISPESERTA", "JENISKEPESERTAAN", "KEPESERTAAN"),
    "status_peserta": ("STATUS", "STATUSPESERTA", "STATUSKEPESERTAAN", "STATUSAKTIF"),
    "row_no": ("NO", "NOURUT", "NMR", "NOMOR", "NOMORURUT", "URUT"),
}  # fmt: skip

# Sub-header labels that only make sense under a combined "place/date of birth" header.
BIRTH_SUBLABELS: dict[str, str] = {
    "TEMPAT": "tempat_lahir",
    "TMP": "tempat_lahir",
    "TMPT": "tempat_lahir",
    "TPT": "tempat_lahir",
    "KOTA": "tempat_lahir",
    "KOTAKAB": "tempat_lahir",
    "TANGGAL": "tanggal_lahir",
    "TGL": "tanggal_lahir",
    "TGLBLNTHN": "tanggal_lahir",
    "TANGGALBULANTAHUN": "tanggal_lahir",
}

IDENTITY_FIELDS: tuple[str, ...] = ("nik", "no_kk")

_SYNONYM_TO_FIELD: dict[str, str] = {
    syn: fld for fld, syns in FIELD_SYNONYMS.items() for syn in syns
}
_PREFIX_SYNONYMS: list[tuple[str, str]] = sorted(
    ((syn, fld) for syn, fld in _SYNONYM_TO_FIELD.items() if len(syn) >= 5),
    key=lambda item: -len(item[0]),
)
# The same, looked up by a label's first characters, longest first: a few dict lookups per
# label instead of a hundred `startswith` (every cell of the first rows is tried as a label).
_PREFIX_LENGTHS: tuple[int, ...] = tuple(
    sorted({len(syn) for syn, _ in _PREFIX_SYNONYMS}, reverse=True)
)
_PREFIX_TO_FIELD: dict[str, str] = dict(_PREFIX_SYNONYMS)
_NON_ALNUM = re.compile(r"[^0-9A-Z]")
_PLACE_WORDS = ("TEMPAT", "TMP", "TPT")
_DATE_WORDS = ("TGL", "TANGGAL", "TANGAL")

# Totals rows: skipped wherever they are (never a candidate), with any number of filled cells.
TOTAL_MARKERS = re.compile(r"^\s*(SUB\s*-?\s*TOTAL|GRAND\s+TOTAL|JUMLAH|TOTAL)\b", re.IGNORECASE)
# Signature blocks and notes: a footer when the row has at most two filled cells.
FOOTER_MARKERS = re.compile(
    r"^\s*(MENGETAHUI|MENYETUJUI|KEPALA\b|KADIS\b|SEKRETARIS|PLT\.?\b|PLH\.?\b|NIP\b|NIP\.|"
    r"DIBUAT OLEH|DISETUJUI|DIPERIKSA|TTD|AN\.|A\.N\.|CATATAN|KET\s*:|KETERANGAN\s*:|SUMBER\s*:|"
    r"PETUGAS|OPERATOR|DINAS SOSIAL|PEMERINTAH (KOTA|KABUPATEN))",
    re.IGNORECASE,
)
# "Samarinda, 12 Mei 2025", "Tenggarong, 01-06-2025" or "Samarinda,     Juni 2025" (day left
# blank to be written by hand): the place-and-date line of a signature block.
PLACE_DATE_LINE = re.compile(
    r"^\s*[A-Za-z .'-]{3,40},\s*(\d{1,2}([ /.-])\s*([A-Za-z]{3,9}|\d{1,2})\2\s*\d{2,4}"
    r"|(\d{1,2}\s+)?[A-Za-z]{3,9}\s+\d{4}|\.*\s*\d{4})\s*$"
)
_IDENTITY_TEXT = re.compile(r"\d{10,}(E\+?\d+)?", re.IGNORECASE)
_COLUMN_NUMBER = re.compile(r"^\(?\s*(\d{1,2})\s*\)?$")


def normalise_label(value: object) -> str:
    """Header text for matching: upper case, only letters and digits."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return _NON_ALNUM.sub("", str(value).upper())


@functools.lru_cache(maxsize=4096)
def match_field(label: str) -> str | None:
    """Canonical field for a normalised header label, or None."""
    if not label:
        return None
    if label in _SYNONYM_TO_FIELD:
        return _SYNONYM_TO_FIELD[label]
    if any(w in label for w in _PLACE_WORDS) and any(w in label for w in _DATE_WORDS):
        return "tempat_tanggal_lahir"  # "TEMPAT LAHIR / TGL LAHIR" in one cell
    for length in _PREFIX_LENGTHS:
        if len(label) >= length:
            fld = _PREFIX_TO_FIELD.get(label[:length])
            if fld is not None:
                return fld
    return None


@dataclass
class HeaderMatch:
    """Where the header is and which grid column holds which field."""

    header_rows: list[int]  # grid index labels (row numbers) of the header: 1 to 3 rows
    columns: dict[str, int]  # field -> grid column position
    unmatched: list[str] = field(default_factory=list)  # header labels not recognised


def _map_row(
    labels: list[str], matcher: Callable[[str], str | None] = match_field
) -> dict[str, int]:
    mapping: dict[str, int] = {}
    for pos, label in enumerate(labels):
        fld = matcher(label)
        if fld is not None and fld not in mapping:
            mapping[fld] = pos
    return mapping


def _is_header(mapping: dict[str, int], required: tuple[str, ...], min_fields: int) -> bool:
    data = [f for f in mapping if f != "row_no"]
    return any(f in mapping for f in required) and len(data) >= min_fields


def find_header(
    grid: pd.DataFrame,
    search_rows: int = 20,
    required: tuple[str, ...] = ("nik", "nama"),
    min_fields: int = 3,
    matcher: Callable[[str], str | None] = match_field,
) -> HeaderMatch | None:
    """Find the header in the first `search_rows` rows (one of `required` and `min_fields` known
    columns); takes in a second header row (`TEMPAT | TANGGAL` under `TEMPAT/TGL LAHIR`) and a
    row of column numbers (`1 | 2 | 3 ...`) under it. `matcher` names a label's field (other
    kinds of file, e.g. BPJS returns, have columns of their own)."""
    if grid.empty:
        return None
    head = grid.head(search_rows + 2)
    values = head.to_numpy(dtype=object).tolist()
    labels = [[normalise_label(v) for v in row] for row in values]
    best: tuple[int, dict[str, int]] | None = None
    for i, row_labels in enumerate(labels[:search_rows]):
        mapping = _map_row(row_labels, matcher)
        if _is_header(mapping, required, min_fields) and (
            best is None or len(mapping) > len(best[1])
        ):
            best = (i, mapping)
    if best is None:
        return None
    i, mapping = best
    header_rows = [int(head.index[i])]
    nxt = i + 1
    if nxt < len(labels) and _looks_like_labels(values[nxt]):
        mapping, merged = _merge_sub_header(labels[i], labels[nxt], mapping)
        if merged:
            header_rows.append(int(head.index[nxt]))
            nxt += 1
    if nxt < len(values) and _is_column_numbering(values[nxt]):
        header_rows.append(int(head.index[nxt]))
    unmatched = [lab for pos, lab in enumerate(labels[i]) if lab and pos not in mapping.values()]
    return HeaderMatch(header_rows=header_rows, columns=mapping, unmatched=unmatched)


def _is_empty_cell(value: object) -> bool:
    return (
        value is None or (isinstance(value, float) and value != value) or str(value).strip() == ""
    )


def _looks_like_labels(row: list[object]) -> bool:
    """A row that can be a second header row: text only, nothing that looks like a value."""
    for value in row:
        if _is_empty_cell(value):
            continue
        if not isinstance(value, str) or sum(ch.isdigit() for ch in value) >= 6:
            return False
    return True


def _is_column_numbering(row: list[object]) -> bool:
    """`1 | 2 | 3 | ...` or `(1) | (2) | ...` under a header: column numbers, not a person."""
    numbers = []
    for value in row:
        if _is_empty_cell(value):
            continue
        if (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and value == int(value)
        ):
            numbers.append(int(value))
            continue
        found = _COLUMN_NUMBER.match(str(value))
        if not found:
            return False
        numbers.append(int(found.group(1)))
    return len(numbers) >= 3 and numbers == list(range(numbers[0], numbers[0] + len(numbers)))


def _merge_sub_header(
    top: list[str], sub: list[str], mapping: dict[str, int]
) -> tuple[dict[str, int], bool]:
    """Merge a second header row (e.g. TEMPAT | TANGGAL under TEMPAT/TGL LAHIR) into the mapping."""
    parent = ""
    sub_fields: dict[str, int] = {}
    for pos, (t, s) in enumerate(zip(top, sub, strict=False)):
        parent = t or parent  # merged header cells are read as a value then blanks
        if not s:
            continue
        fld = None
        if match_field(parent) == "tempat_tanggal_lahir" or "LAHIR" in parent:
            fld = BIRTH_SUBLABELS.get(s)
        # Exact spellings only: a data value like "Jalan Merdeka 1" is no sub-header label.
        fld = fld or _SYNONYM_TO_FIELD.get(s)
        if fld is not None and fld != "row_no":
            sub_fields.setdefault(fld, pos)
    filled = sum(1 for s in sub if s)
    if len(sub_fields) < 2 or 2 * len(sub_fields) <= filled:
        return mapping, False
    merged = {f: p for f, p in mapping.items() if p not in sub_fields.values()}
    for fld, pos in sub_fields.items():
        merged.setdefault(fld, pos)
    if "tempat_lahir" in merged and "tanggal_lahir" in merged:
        merged.pop("tempat_tanggal_lahir", None)
    return merged, True


@dataclass
class Table:
    """A sheet's data rows under canonical field names, plus what was skipped."""

    rows: pd.DataFrame  # columns: row_number + canonical fields (raw cell values)
    n_skipped: int  # blank, section and footer rows
    skipped_rows: list[int]
    n_footer: int = 0  # of which footer rows (totals, signature block)
    n_sections: int = 0  # of which section titles and headers repeated mid-sheet


_BLANK_TEXT = np.frompyfunc(lambda v: isinstance(v, str) and not v.strip(), 1, 1)


def _filled(values: np.ndarray) -> np.ndarray:
    filled = ~(pd.isna(values) | (values == ""))
    # Whitespace-only text is rare: look for it only in the rows where it could matter.
    sparse = np.flatnonzero(filled.sum(axis=1) <= 3)
    if len(sparse):
        filled[sparse] &= ~_BLANK_TEXT(values[sparse]).astype(bool)
    return filled


_IDENTITY_PUNCTUATION = re.compile(r"[\s.\-']")


def _looks_like_identity(value: object) -> bool:
    """10+ digits as a number, or as text with spaces, dots or dashes; a `NIP ...` is not one."""
    if isinstance(value, str):
        if len(value) >= 10 and value.isdigit():
            return True
        digits = _IDENTITY_PUNCTUATION.sub("", value)
        return bool(_IDENTITY_TEXT.fullmatch(digits)) and not value.lstrip().upper().startswith(
            "NIP"
        )
    if isinstance(value, int | float) and not isinstance(value, bool):
        return abs(value) >= 1e9  # NaN compares False
    return False


_IDENTITY_LIKE = np.frompyfunc(_looks_like_identity, 1, 1)
_TYPE_OF = np.frompyfunc(type, 1, 1)


@dataclass(frozen=True)
class CellTypes:
    """Which cells of an object array are numbers (int or float, not bool), text, or empty
    (None, and NaN in a column of one type): as `isinstance` says, without a Python loop."""

    number: np.ndarray
    text: np.ndarray
    none: np.ndarray

    @property
    def other(self) -> np.ndarray:
        """Anything else: dates, bools, ..."""
        return ~(self.number | self.text | self.none)


def cell_types(values: np.ndarray) -> CellTypes:
    """The `CellTypes` of a 1-D object array: pandas' type inference for a column of one type
    (text, or floats as calamine gives numbers), else the few distinct types classified once."""
    nothing = np.zeros(len(values), dtype=bool)
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    if inferred in ("string", "floating", "empty"):
        empty = pd.isna(values)
        kept = ~empty if inferred != "empty" else nothing
        if inferred == "string":
            return CellTypes(number=nothing, text=kept, none=empty)
        return CellTypes(number=kept, text=nothing, none=empty)
    kinds = _TYPE_OF(values)
    masks = {"number": nothing.copy(), "text": nothing.copy(), "none": nothing.copy()}
    for kind in set(kinds.tolist()):
        if issubclass(kind, str):
            group = "text"
        elif issubclass(kind, int | float) and not issubclass(kind, bool):
            group = "number"
        elif kind is type(None):
            group = "none"
        else:
            continue
        target = np.empty((), dtype=object)  # compared as an object: numpy acts on its types
        target[()] = kind
        masks[group] |= kinds == target
    return CellTypes(**masks)


_ASCII_PUNCTUATION = (" ", ".", "-", "'")


def _ten_digits(text: pa.Array) -> np.ndarray:
    """Which texts are ten or more ASCII digits and nothing else."""
    digits = pc.and_(pc.ascii_is_decimal(text), pc.greater_equal(pc.binary_length(text), 10))
    return digits.to_numpy(zero_copy_only=False).copy()


def _identity_like(values: np.ndarray) -> np.ndarray:
    """Which cells hold what looks like an identity number (see `_looks_like_identity`),
    vectorised: numbers by their magnitude, text of ASCII digits by Arrow's kernels; only other
    text (spaced or dotted numbers, dashes, NIP ...) goes through `_looks_like_identity` one by one."""
    values = np.asarray(values, dtype=object)
    out = np.zeros(len(values), dtype=bool)
    if not len(values):
        return out
    types = cell_types(values)
    numeric = np.flatnonzero(types.number)
    undecided = np.zeros(0, dtype=np.intp)  # other types (dates, bools): never an identity
    if len(numeric):
        try:
            with np.errstate(invalid="ignore"):
                out[numeric] = np.abs(values[numeric].astype(np.float64)) >= 1e9
        except OverflowError:  # an integer beyond float: one by one
            undecided = numeric
    text = np.flatnonzero(types.text)
    if len(text):
        try:
            arrow = pa.array(values[text], type=pa.string())
        except (pa.ArrowException, UnicodeError):  # e.g. lone surrogates: one by one
            undecided = np.union1d(undecided, text)
        else:
            # ten or more ASCII digits: an identity by `_looks_like_identity` too
            sure = _ten_digits(arrow)
            if not sure.all():  # "6403 0201 0919 7772", "'6403...", "641101-110417-7201"
                rest = np.flatnonzero(~sure)
                spaced = arrow.take(pa.array(rest))
                for mark in _ASCII_PUNCTUATION:  # a subset of what it takes out
                    spaced = pc.replace_substring(spaced, mark, "")
                sure[rest] = _ten_digits(spaced)
            out[text[sure]] = True
            undecided = np.union1d(undecided, text[~sure])
    if len(undecided):
        with np.errstate(invalid="ignore"):  # a NaN cell compares False, as it should
            out[undecided] = _IDENTITY_LIKE(values[undecided]).astype(bool)
    return out


def _first_text(values: np.ndarray, filled: np.ndarray) -> list[str]:
    """The first filled cell of each row, as text ("" for a row with nothing)."""
    has_any = filled.any(axis=1)
    first = values[np.arange(len(values)), filled.argmax(axis=1)]
    return [str(cell) if found else "" for cell, found in zip(first, has_any, strict=True)]


def _matching(pattern: re.Pattern[str], texts: list[str]) -> np.ndarray:
    """Which texts start with the pattern (Python's `re`: no per-call Arrow regex analysis)."""
    return np.fromiter((pattern.match(t) is not None for t in texts), dtype=bool, count=len(texts))


def grid_to_table(
    grid: pd.DataFrame, header: HeaderMatch, spread: np.ndarray | None = None
) -> Table:
    """Cut the data rows below the header, drop blank, section and footer rows (counted), name
    columns.

    Blank: nothing in any recognised column but the running number. Section: a place title
    (`KEC. MELAK`, `DESA/KEL. ...`) or the header repeated mid-sheet; a place title gives the
    rows below it their kecamatan or desa when the sheet has no such column. Footer: a totals
    row (`JUMLAH`, `SUB TOTAL`) anywhere, and from the first totals/signature/place-and-date
    row after the last row that looks like a person (an identity number, or three filled
    fields), the rest of the sheet. Every other row is kept, so nothing in the middle of data
    disappears. `spread` marks cells holding a copy of a merged cell to their left (see
    `transforms.ingest.merged`): a line merged across columns still counts as one cell.
    """
    values, row_numbers, body = _body(grid, max(header.header_rows))
    data_positions = sorted({pos for fld, pos in header.columns.items() if fld != "row_no"})
    if not len(values) or not data_positions:
        return Table(rows=_empty_rows(header), n_skipped=0, skipped_rows=[])
    has_identity = np.zeros(len(values), dtype=bool)
    for fld in IDENTITY_FIELDS:
        if fld in header.columns:
            has_identity |= _identity_like(values[:, header.columns[fld]])

    # A row with an identity number is a person's; the others (few, in a sheet of people) are
    # looked at closely: how many recognised fields they fill, and whether their first filled
    # cell anywhere in the row (a `JUMLAH` often sits in the NO column) marks a footer.
    no_identity = np.flatnonzero(~has_identity)
    n_filled = np.full(len(values), len(data_positions))
    own = _filled(values[no_identity][:, data_positions])
    if spread is not None:
        own &= ~spread[body][no_identity][:, data_positions]
    n_filled[no_identity] = own.sum(axis=1)
    blank = n_filled == 0
    total = np.zeros(len(values), dtype=bool)
    signature = np.zeros(len(values), dtype=bool)
    section = np.zeros(len(values), dtype=bool)
    places: dict[str, list[object]] = {}
    if len(no_identity):
        lead = _first_text(values[no_identity], _filled(values[no_identity]))
        total[no_identity] = _matching(TOTAL_MARKERS, lead)
        few = n_filled[no_identity] <= 2
        signature[no_identity] = few & (
            _matching(FOOTER_MARKERS, lead) | _matching(PLACE_DATE_LINE, lead)
        )
        found = [
            section_place(text) if short else None for text, short in zip(lead, few, strict=True)
        ]
        section[no_identity] = [f is not None for f in found]
        labels = grid.loc[header.header_rows[0]].to_numpy(dtype=object)
        section[no_identity] |= _repeated_header(values[no_identity], labels, header)
        section &= ~total
        for level in PLACE_FIELDS:
            places[level] = [f[1] if f is not None and f[0] == level else None for f in found]
    marker = total | signature
    person_like = has_identity | ((n_filled >= 3) & ~marker & ~section)

    # The footer starts at the first marker after the last row that looks like a person.
    last_person = np.flatnonzero(person_like).max() if person_like.any() else -1
    starts = np.flatnonzero(marker & (np.arange(len(values)) > last_person))
    footer_zone = np.zeros(len(values), dtype=bool)
    if len(starts):
        footer_zone[starts[0] :] = True
    footer = total | (footer_zone & (marker | ~blank))
    skipped = blank | footer | (section & ~footer)
    kept = ~skipped
    fields = [fld for fld in header.columns if fld != "row_no"]
    kept_at = np.flatnonzero(kept)  # once, not once per column
    data = pd.DataFrame(
        {fld: values[kept_at, header.columns[fld]] for fld in fields},
        dtype=object,  # raw cells as read (text, numbers, dates); no costly type inference
        copy=False,
    )
    for level, names in places.items():
        if level not in header.columns and any(name is not None for name in names):
            data[level] = _below_sections(section, no_identity, names, level, places)[kept_at]
    data.insert(0, "row_number", row_numbers[kept_at])
    return Table(
        rows=data,
        n_skipped=int(skipped.sum()),
        skipped_rows=row_numbers[skipped].tolist(),
        n_footer=int(footer.sum()),
        n_sections=int((section & ~footer).sum()),
    )


def _below_sections(
    section: np.ndarray,
    no_identity: np.ndarray,
    names: list[object],
    level: str,
    places: dict[str, list[object]],
) -> np.ndarray:
    """Each body row's place at `level`: the name of the last section title of that level above
    it; a desa title holds only until the next kecamatan title."""
    n = len(section)
    at = np.full(n, -1, dtype=np.int64)
    named = np.array([name is not None for name in names], dtype=bool)
    at[no_identity[named]] = no_identity[named]
    last = np.maximum.accumulate(at)
    if level == "desa" and "kecamatan" in places:
        kec = np.full(n, -1, dtype=np.int64)
        has_kec = np.array([name is not None for name in places["kecamatan"]], dtype=bool)
        kec[no_identity[has_kec]] = no_identity[has_kec]
        last = np.where(np.maximum.accumulate(kec) > last, -1, last)
    by_row = np.full(n + 1, None, dtype=object)  # position n: no section above
    by_row[no_identity[named]] = np.asarray(names, dtype=object)[named]
    return by_row[np.where(last >= 0, last, n)]


def _repeated_header(values: np.ndarray, labels: np.ndarray, header: HeaderMatch) -> np.ndarray:
    """Rows repeating the header's own labels (two or more, each under its column, as after a
    page break) or a row of column numbers: headers, not persons."""
    out = np.zeros(len(values), dtype=bool)
    wanted = {
        pos: normalise_label(labels[pos])
        for fld, pos in header.columns.items()
        if fld != "row_no" and pos < len(labels) and normalise_label(labels[pos])
    }
    for i, row in enumerate(values):
        hits = sum(
            isinstance(row[pos], str) and normalise_label(row[pos]) == label
            for pos, label in wanted.items()
        )
        out[i] = hits >= 2 or _is_column_numbering(list(row))
    return out


def _body(grid: pd.DataFrame, last_header_row: int) -> tuple[np.ndarray, np.ndarray, object]:
    """The cells below the header, their row numbers, and where they sit in the grid (a slice
    or positions): a view of the grid when its rows are in order (as every reader makes them),
    so the sheet's cells are not copied once more."""
    index = grid.index
    if index.is_monotonic_increasing:
        start = int(index.searchsorted(last_header_row, side="right"))
        values = grid.to_numpy(dtype=object)[start:]
        return values, index[start:].to_numpy(dtype="int64"), slice(start, None)
    at = np.flatnonzero(index > last_header_row)
    body = grid.iloc[at]
    return body.to_numpy(dtype=object), body.index.to_numpy(dtype="int64"), at


def _empty_rows(header: HeaderMatch) -> pd.DataFrame:
    """No rows, in the dtypes rows have: a header-only sheet concatenates with the others."""
    cols = [f for f in header.columns if f != "row_no"]
    empty = pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
    empty.insert(0, "row_number", pd.Series(dtype="int64"))
    return empty
