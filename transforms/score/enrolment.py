"""Reference-list rows (program, NIK, segment, status) to coverage flags per NIK.

BPJS Kesehatan: an active member in any segment but PBPU (self-paying) is covered. A
self-paying member is not covered by the province and stays a candidate: `kesehatan_self_paying`
when active, `kesehatan_arrears` when in arrears. BPJS deactivates (NONAKTIF) a PBPU member
who stops paying, so a PBPU member listed NONAKTIF is taken to be in arrears; where the list
also has a `tunggakan` column (months or Rupiah owed), any amount above 0 counts too.
BPJS Ketenagakerjaan: an active member is covered.
"""

from __future__ import annotations

import pandas as pd

# Segment spellings (normalised: upper case, single spaces) that mean self-paying (PBPU).
SELF_PAYING_SEGMENTS = frozenset({"PBPU", "PBPU MANDIRI", "MANDIRI", "PEKERJA BUKAN PENERIMA UPAH"})
FLAG_COLUMNS = [
    "kesehatan_covered",
    "kesehatan_self_paying",
    "kesehatan_arrears",
    "ketenagakerjaan_active",
]


def _norm(values: pd.Series) -> pd.Series:
    return (
        values.astype("string").str.upper().str.replace(r"[^A-Z0-9]+", " ", regex=True).str.strip()
    )


def _amount_owed(values: pd.Series) -> pd.Series:
    """Arrears as a number (months or Rupiah; thousands dots and `Rp` tolerated); 0 if blank."""
    digits = values.astype("string").str.replace(r"[^0-9]", "", regex=True)
    return pd.to_numeric(digits.where(digits.str.len() > 0), errors="coerce").fillna(0)


def enrolment_flags(lists: pd.DataFrame) -> pd.DataFrame:
    """Per NIK: covered by BPJS Kesehatan, an active self-paying member, a self-paying member
    in arrears, an active BPJS Ketenagakerjaan member."""
    status = _norm(lists["status"])
    segment = _norm(lists["segmen"]).fillna("")
    active = status.eq("AKTIF").fillna(False)
    inactive = status.isin(["NONAKTIF", "NON AKTIF", "TIDAK AKTIF"]).fillna(False)
    kes = lists["program"].eq("kesehatan")
    self_paying = kes & segment.isin(SELF_PAYING_SEGMENTS)
    owes = (
        _amount_owed(lists["tunggakan"]).gt(0)
        if "tunggakan" in lists
        else pd.Series(False, index=lists.index)
    )
    flags = pd.DataFrame(
        {
            "nik": lists["nik"].astype("string"),
            "kesehatan_covered": kes & active & ~self_paying,
            "kesehatan_self_paying": self_paying & active & ~owes,
            "kesehatan_arrears": self_paying & (inactive | owes),
            "ketenagakerjaan_active": lists["program"].eq("ketenagakerjaan") & active,
        }
    )
    flags = flags.groupby("nik", as_index=False)[FLAG_COLUMNS].any()
    # One NIK listed twice (e.g. an old PBPU line and a current PBI line): covered wins.
    flags.loc[flags["kesehatan_covered"], ["kesehatan_self_paying", "kesehatan_arrears"]] = False
    return flags
