"""BPJS files and rows: which kind of file, which program, which month, what a result says."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime

import numpy as np
import pandas as pd

from schemas.bpjs import (
    BILL_WORDS,
    BPJS_FIELD_SYNONYMS,
    BPJS_PROGRAM_WORDS,
    RESULT_VOCABULARY,
    RESULTS_WORDS,
    UNKNOWN_RESULT,
)
from transforms.ingest.headers import match_field
from transforms.validate.identity import cell_text

_SYNONYM_TO_FIELD = {syn: fld for fld, syns in BPJS_FIELD_SYNONYMS.items() for syn in syns}
# Longer BPJS labels that start like one of these (`KETERANGANBPJS`, `IURANBULANINI`).
_PREFIXES = (("KETERANGAN", "keterangan"), ("STATUSPENDAFTARAN", "status_hasil"),
             ("HASIL", "status_hasil"), ("IURAN", "amount"), ("NOKARTU", "card_number"),
             ("PERIODE", "period"))  # fmt: skip
# Groups in the vocabulary only group alternatives: compiled as non-capturing.
_COMPILED = [
    (re.compile(p.replace("(", "(?:")), outcome, reason) for p, outcome, reason in RESULT_VOCABULARY
]
_MONTHS = {
    "JANUARI": 1, "JAN": 1, "FEBRUARI": 2, "PEBRUARI": 2, "FEB": 2, "PEB": 2, "MARET": 3,
    "MAR": 3, "APRIL": 4, "APR": 4, "MEI": 5, "MAY": 5, "JUNI": 6, "JUN": 6, "JULI": 7,
    "JUL": 7, "AGUSTUS": 8, "AGU": 8, "AGS": 8, "AUG": 8, "SEPTEMBER": 9, "SEP": 9, "SEPT": 9,
    "OKTOBER": 10, "OKT": 10, "OCT": 10, "NOVEMBER": 11, "NOP": 11, "NOV": 11, "NOPEMBER": 11,
    "DESEMBER": 12, "DES": 12, "DEC": 12,
}  # fmt: skip
_MONTH_WORD = "|".join(sorted(_MONTHS, key=len, reverse=True))
_PERIOD_PATTERNS = (
    re.compile(rf"(?<![A-Z])({_MONTH_WORD})[\s_\-./]*((?:19|20)\d\d)(?!\d)"),
    re.compile(r"(?<!\d)((?:19|20)\d\d)[\-_./]?(0[1-9]|1[0-2])(?!\d)"),
    re.compile(r"(?<!\d)(0?[1-9]|1[0-2])[\-_./]((?:19|20)\d\d)(?!\d)"),
)


def bpjs_field(label: str) -> str | None:
    """Canonical field of a normalised BPJS header label (BPJS columns, then submission ones)."""
    if label in _SYNONYM_TO_FIELD:
        return _SYNONYM_TO_FIELD[label]
    fld = match_field(label)
    if fld == "status_peserta":
        return "status_hasil"
    if fld is not None:
        return fld
    for prefix, bpjs in _PREFIXES:
        if label.startswith(prefix):
            return bpjs
    return None


def normalise_text(values: pd.Series) -> pd.Series:
    """Upper case, every run of non letters/digits one space, a space at each end."""
    text = values.astype("string").fillna("").str.upper()
    return " " + text.str.replace(r"[^A-Z0-9]+", " ", regex=True).str.strip() + " "


def classify_results(text: pd.Series) -> pd.DataFrame:
    """Outcome and reason code per result text (status and remark as BPJS wrote them).

    Distinct wordings are few (a branch writes the same few sentences), so the vocabulary is
    tried on the unique normalised texts only and mapped back.
    """
    norm = normalise_text(text)
    uniques = pd.Series(norm.unique())
    outcome = pd.Series(pd.NA, index=uniques.index, dtype="string")
    reason = pd.Series(pd.NA, index=uniques.index, dtype="string")
    open_ = pd.Series(True, index=uniques.index)
    for pattern, out, why in _COMPILED:
        hit = open_ & uniques.str.contains(pattern, regex=True)
        outcome[hit] = out
        reason[hit] = why if why is not None else pd.NA
        open_ &= ~hit
    outcome[open_] = UNKNOWN_RESULT[0]
    reason[open_] = UNKNOWN_RESULT[1]
    position = pd.Index(uniques).get_indexer(norm)
    return pd.DataFrame(
        {
            "outcome": outcome.to_numpy()[position],
            "reason_code": reason.to_numpy()[position],
        },
        index=text.index,
    ).astype("string")


def _words_in(words: Iterable[str], text: str) -> bool:
    prepared = " " + re.sub(r"[^A-Z0-9]+", " ", text.upper()) + " "
    return any(f" {w} " in prepared for w in words)


def file_kind(columns: Iterable[str], names: str) -> str | None:
    """`results`, `bill` or None: by the columns (a result column, an amount or class column),
    then by the words of the path and title rows."""
    cols = set(columns)
    has_result = bool(cols & {"status_hasil", "keterangan"})
    has_money = bool(cols & {"amount", "kelas", "period"})
    if has_result and not has_money:
        return "results"
    if has_money and not has_result:
        return "bill"
    results, bill = _words_in(RESULTS_WORDS, names), _words_in(BILL_WORDS, names)
    if results != bill:
        return "results" if results else "bill"
    if has_result and has_money:  # a bill with a remarks column
        return "bill" if "amount" in cols else "results"
    return None


def program_of(
    names: str, column_labels: Iterable[str] = (), values: Iterable[str] = ()
) -> str | None:
    """The program named by the path and title rows, else by the column labels, else by the
    values of a segment/program column; None when none or both are named."""
    for texts in (names, " ".join(column_labels), " ".join(values)):
        found = {p for p, words in BPJS_PROGRAM_WORDS.items() if _words_in(words, texts)}
        if len(found) == 1:
            return found.pop()
    return None


def period_of_text(text: str) -> str | None:
    """`YYYY-MM` named in a text (`OKTOBER 2026`, `2026-10`, `10/2026`, `Okt-2026`), or None."""
    upper = text.upper()
    for i, pattern in enumerate(_PERIOD_PATTERNS):
        found = pattern.search(upper)
        if not found:
            continue
        if i == 0:
            return f"{int(found.group(2)):04d}-{_MONTHS[found.group(1)]:02d}"
        if i == 1:
            return f"{int(found.group(1)):04d}-{int(found.group(2)):02d}"
        return f"{int(found.group(2)):04d}-{int(found.group(1)):02d}"
    return None


def _period_of_cell(value: object) -> str | None:
    if isinstance(value, date | datetime | pd.Timestamp):
        return f"{value.year:04d}-{value.month:02d}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value != value or not 20000 < value < 80000:  # NaN, or no Excel date serial
            return None
        day = pd.Timestamp("1899-12-30") + pd.Timedelta(days=float(value))
        return f"{day.year:04d}-{day.month:02d}"
    return period_of_text(str(value)) if value is not None else None


def periods_of(values: pd.Series) -> pd.Series:
    """`YYYY-MM` per period cell: dates, Excel serials, or texts as `period_of_text` reads them;
    worked once per distinct cell (a bill names one or two months)."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object))
    found = np.array([_period_of_cell(v) for v in uniques] + [None], dtype=object)
    return pd.Series(found[codes], index=values.index, dtype="string")


def cell_texts(values: pd.Series) -> pd.Series:
    """Cells as trimmed text (<NA> when blank); numbers as their digits (card numbers)."""
    return cell_text(values)["text"].astype("string")


def amounts(values: pd.Series) -> pd.Series:
    """Rupiah per cell: numbers as they are, `Rp 42.000`/`42,000`/`42.000,00` as 42000."""
    cells = cell_text(values, collapse=False)
    text = cells["text"].astype("string[pyarrow]").str.upper()
    text = text.str.replace(r"RP\.?|\s", "", regex=True)
    text = text.str.replace(r"[.,]\d{1,2}$", "", regex=True).str.replace(r"[^0-9]", "", regex=True)
    parsed = pd.to_numeric(text.where(text.str.len() > 0), errors="coerce").astype("Float64")
    exact = pd.to_numeric(values.where(cells["from_number"].to_numpy()), errors="coerce")
    return exact.astype("Float64").fillna(parsed)
