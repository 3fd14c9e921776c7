"""Reference-list rows (program, NIK, segment, status) to coverage flags per NIK."""

from __future__ import annotations

import pandas as pd

SELF_PAYING_SEGMENTS = {"PBPU"}


def _norm(values: pd.Series) -> pd.Series:
    return (
        values.astype("string").str.upper().str.replace(r"[^A-Z0-9]+", " ", regex=True).str.strip()
    )


def enrolment_flags(lists: pd.DataFrame) -> pd.DataFrame:
    """Per NIK: covered by BPJS Kesehatan (active, any segment but self-paying PBPU),
    an active self-paying Kesehatan member, an active BPJS Ketenagakerjaan member."""
    status = _norm(lists["status"])
    segment = _norm(lists["segmen"]).fillna("")
    active = status.eq("AKTIF").fillna(False)
    kes = lists["program"].eq("kesehatan")
    self_paying = segment.isin(SELF_PAYING_SEGMENTS)
    flags = pd.DataFrame(
        {
            "nik": lists["nik"].astype("string"),
            "kesehatan_covered": kes & active & ~self_paying,
            "kesehatan_self_paying": kes & active & self_paying,
            "ketenagakerjaan_active": lists["program"].eq("ketenagakerjaan") & active,
        }
    )
    return flags.groupby("nik", as_index=False).any()
