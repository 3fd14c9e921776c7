"""Grid to table: find the header row by column-name synonyms, map columns, skip blank and footer rows.

A grid is a DataFrame of raw cell values (object dtype) whose index is the row number a
person sees in the spreadsheet (1-based) and whose columns are 0..n-1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

# Canonical fields and the header spellings regency offices use for them, normalised by
# `normalise_label` (upper case, letters and digits only).
FIELD_SYNONYMS: dict[str, tuple[str, ...]] = {
    "nik": (
        "NIK",
        "NIKKTP",
        "NONIK",
        "NOMORNIK",
        "NOKTP",
        "NOMORKTP",
        "NIKPESERTA",
        "NOMORINDUKKEPENDUDUKAN",
        "NOINDUKKEPENDUDUKAN",
    ),
    "no_kk": (
        "NOKK",
        "NOMORKK",
        "KK",
        "NKK",
        "NIKK",
        "NOKARTUKELUARGA",
        "NOMORKARTUKELUARGA",
        "KARTUKELUARGA",
    ),
    "nama": (
        "NAMA",
        "NAMALENGKAP",
        "NAMAPESERTA",
        "NAMACALONPESERTA",
        "NAMASESUAIKTP",
        "NAMAPENERIMA",
        "NAMAANGGOTAKELUARGA",
    ),
    "tempat_lahir": ("TEMPATLAHIR", "TMPLAHIR", "TPTLAHIR", "TEMPATLHR", "TMPTLAHIR"),
    "tanggal_lahir": (
        "TANGGALLAHIR",
        "TGLLAHIR",
        "TGLLHR",
        "TANGGALLHR",
        "TGLKELAHIRAN",
        "TANGGALKELAHIRAN",
    ),
    "tempat_tanggal_lahir": (
        "TEMPATTANGGALLAHIR",
        "TEMPATTGLLAHIR",
        "TMPTGLLAHIR",
        "TEMPATTGLLHR",
        "TTL",
        "TEMPATDANTANGGALLAHIR",
    ),
    "jenis_kelamin": ("JENISKELAMIN", "JK", "LP", "KELAMIN", "SEX", "GENDER", "JNSKELAMIN"),
    "alamat": ("ALAMAT", "ALAMATLENGKAP", "ALAMATDOMISILI", "JALAN", "ALAMATRUMAH"),
    "rt_rw": ("RTRW",),
    "rt": ("RT",),
    "rw": ("RW",),
    "desa": ("DESAKELURAHAN", "KELURAHANDESA", "KELURAHAN", "DESA", "DESAKEL", "KELDESA"),
    "kecamatan": ("KECAMATAN", "KEC"),
    "pekerjaan": ("PEKERJAAN", "JENISPEKERJAAN", "PEKERJAANUTAMA"),
    "penghasilan": (
        "PENGHASILAN",
        "PENGHASILANPERBULAN",
        "PENGHASILANRP",
        "PENDAPATAN",
        "PENDAPATANPERBULAN",
        "PENGHASILANBULANAN",
    ),
    "desil": ("DESIL", "DESILDTSEN", "DESILDTKS", "DESILKESEJAHTERAAN"),
    "disabilitas": (
        "DISABILITAS",
        "PENYANDANGDISABILITAS",
        "DIFABEL",
        "JENISDISABILITAS",
        "STATUSDISABILITAS",
    ),
    "jumlah_tanggungan": (
        "JUMLAHTANGGUNGAN",
        "JMLTANGGUNGAN",
        "TANGGUNGAN",
        "JUMLAHANGGOTAKELUARGA",
        "JMLANGGOTAKELUARGA",
    ),
    "no_hp": (
        "NOHP",
        "NOTELP",
        "NOHANDPHONE",
        "NOTELEPON",
        "HP",
        "TELEPON",
        "NOMORHP",
        "NOMORTELEPON",
        "TELP",
        "NOWA",
    ),
    "fktp": ("FKTP", "FASKES", "FASKESTINGKATI", "FASKES1", "PUSKESMAS"),
    # Columns of the BPJS reference lists (already enrolled).
    "segmen": ("SEGMEN", "SEGMENPESERTA", "JENISPESERTA", "JENISKEPESERTAAN", "KEPESERTAAN"),
    "status_peserta": ("STATUS", "STATUSPESERTA", "STATUSKEPESERTAAN", "STATUSAKTIF"),
    "row_no": ("NO", "NOURUT", "NMR", "NOMOR"),
}

# Sub-header labels that only make sense under a combined "place/date of birth" header.
BIRTH_SUBLABELS: dict[str, str] = {
    "TEMPAT": "tempat_lahir",
    "TMP": "tempat_lahir",
    "TPT": "tempat_lahir",
    "KOTA": "tempat_lahir",
    "TANGGAL": "tanggal_lahir",
    "TGL": "tanggal_lahir",
}

DATA_FIELDS: tuple[str, ...] = tuple(f for f in FIELD_SYNONYMS if f != "row_no")
IDENTITY_FIELDS: tuple[str, ...] = ("nik", "no_kk")

_SYNONYM_TO_FIELD: dict[str, str] = {
    syn: fld for fld, syns in FIELD_SYNONYMS.items() for syn in syns
}
_PREFIX_SYNONYMS: list[tuple[str, str]] = sorted(
    ((syn, fld) for syn, fld in _SYNONYM_TO_FIELD.items() if len(syn) >= 5),
    key=lambda item: -len(item[0]),
)
_NON_ALNUM = re.compile(r"[^0-9A-Z]")

# A footer starts at a row whose first cells say one of these (totals, signature blocks).
FOOTER_MARKERS = re.compile(
    r"^\s*(JUMLAH|TOTAL|MENGETAHUI|KEPALA\b|KADIS\b|SEKRETARIS|PLT\.?\b|PLH\.?\b|NIP\b|NIP\.|"
    r"DIBUAT OLEH|DISETUJUI|TTD|AN\.|A\.N\.|CATATAN|KETERANGAN\s*:)",
    re.IGNORECASE,
)
# "Samarinda, 12 Mei 2025" or "Tenggarong, 01-06-2025": the place-and-date line of a signature.
PLACE_DATE_LINE = re.compile(
    r"^\s*[A-Za-z .'-]{3,40},\s*\d{1,2}([ /.-])\s*([A-Za-z]{3,9}|\d{1,2})\1\s*\d{2,4}\s*$"
)


def normalise_label(value: object) -> str:
    """Header text for matching: upper case, only letters and digits."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return _NON_ALNUM.sub("", str(value).upper())


def match_field(label: str) -> str | None:
    """Canonical field for a normalised header label, or None."""
    if not label:
        return None
    if label in _SYNONYM_TO_FIELD:
        return _SYNONYM_TO_FIELD[label]
    for syn, fld in _PREFIX_SYNONYMS:
        if label.startswith(syn):
            return fld
    return None


@dataclass
class HeaderMatch:
    """Where the header is and which grid column holds which field."""

    header_rows: list[int]  # grid index labels (row numbers) of the header, 1 or 2 rows
    columns: dict[str, int]  # field -> grid column position
    unmatched: list[str] = field(default_factory=list)  # header labels not recognised

    @property
    def data_start_position(self) -> int:
        return len(self.header_rows)


def _map_row(labels: list[str]) -> dict[str, int]:
    mapping: dict[str, int] = {}
    for pos, label in enumerate(labels):
        fld = match_field(label)
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
) -> HeaderMatch | None:
    """Find the header in the first `search_rows` rows (one of `required` and `min_fields` known
    columns); handles two-row headers."""
    head = grid.head(search_rows + 1)
    labels = [[normalise_label(v) for v in row] for row in head.itertuples(index=False)]
    best: tuple[int, int, dict[str, int]] | None = None
    for i, row_labels in enumerate(labels[:search_rows]):
        mapping = _map_row(row_labels)
        if _is_header(mapping, required, min_fields) and (
            best is None or len(mapping) > len(best[2])
        ):
            best = (i, 1, mapping)
    if best is None:
        return None
    i, _, mapping = best
    header_rows = [int(head.index[i])]
    if i + 1 < len(labels):
        mapping, extra = _merge_sub_header(labels[i], labels[i + 1], mapping)
        if extra:
            header_rows.append(int(head.index[i + 1]))
    unmatched = [lab for pos, lab in enumerate(labels[i]) if lab and pos not in mapping.values()]
    return HeaderMatch(header_rows=header_rows, columns=mapping, unmatched=unmatched)


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
        fld = fld or match_field(s)
        if fld is not None and fld != "row_no":
            sub_fields.setdefault(fld, pos)
    if len(sub_fields) < 2:
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
    n_skipped: int
    skipped_rows: list[int]


def _blank_mask(frame: pd.DataFrame) -> pd.Series:
    empty = frame.isna() | frame.apply(lambda col: col.astype(str).str.strip().eq(""))
    return empty.all(axis=1)


def grid_to_table(grid: pd.DataFrame, header: HeaderMatch) -> Table:
    """Cut the data rows below the header, drop blank and footer rows (counted), name columns."""
    body = grid.loc[grid.index > max(header.header_rows)]
    if body.empty:
        return Table(rows=_empty_rows(header), n_skipped=0, skipped_rows=[])
    blank = _blank_mask(body)
    first_cells = body.iloc[:, : min(4, body.shape[1])]
    lead_text = first_cells.apply(
        lambda col: col.where(col.map(type).eq(str), "").astype(str).str.strip()
    )
    marker = lead_text.apply(lambda col: col.str.match(FOOTER_MARKERS)).any(
        axis=1
    ) | lead_text.apply(lambda col: col.str.match(PLACE_DATE_LINE)).any(axis=1)
    has_identity = pd.Series(False, index=body.index)
    for fld in IDENTITY_FIELDS:
        if fld in header.columns:
            values = body.iloc[:, header.columns[fld]]
            text = values.astype(str)
            digits = text.str.replace(r"[\s.\-']", "", regex=True)
            has_identity |= digits.str.fullmatch(r"\d{10,}(E\+?\d+)?", case=False).fillna(
                False
            ) & ~text.str.upper().str.startswith("NIP")
    footer_row = marker & ~has_identity
    # Everything from the first footer marker on is footer unless a real identity follows it.
    footer_zone = pd.Series(False, index=body.index)
    if footer_row.any():
        first = footer_row.idxmax()
        after = body.index >= first
        if not has_identity[after].any():
            footer_zone = pd.Series(after, index=body.index)
    skipped = blank | footer_row | footer_zone
    kept = body.loc[~skipped]
    data = pd.DataFrame(
        {
            fld: kept.iloc[:, pos].to_numpy()
            for fld, pos in header.columns.items()
            if fld != "row_no"
        },
        index=kept.index,
    )
    data.insert(0, "row_number", kept.index.astype("int64"))
    return Table(
        rows=data.reset_index(drop=True),
        n_skipped=int(skipped.sum()),
        skipped_rows=[int(i) for i in body.index[skipped.to_numpy()]],
    )


def _empty_rows(header: HeaderMatch) -> pd.DataFrame:
    cols = ["row_number"] + [f for f in header.columns if f != "row_no"]
    return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
