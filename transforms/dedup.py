"""Rows to persons: one stable `person_id` per person, NIK conflicts held, golden records chosen."""

from __future__ import annotations

import numpy as np
import pandas as pd
from rapidfuzz.distance import JaroWinkler
from rapidfuzz.process import cpdist

# Two names are "clearly different" below this Jaro-Winkler similarity (unless one is a
# prefix of the other, as with a dropped last name).
DIFFERENT_NAME_BELOW = 0.7
GOLDEN_FIELDS = (
    "nik",
    "no_kk",
    "nama",
    "tanggal_lahir",
    "jenis_kelamin",
    "alamat",
    "desa",
    "kecamatan",
    "pekerjaan",
)


def name_similarity(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Jaro-Winkler similarity of aligned name keys (0 where either is missing)."""
    left = a.fillna("").astype(str).tolist()
    right = b.fillna("").astype(str).tolist()
    if not left:
        return np.zeros(0)
    return cpdist(left, right, scorer=JaroWinkler.normalized_similarity, workers=1)


def clearly_different_names(a: pd.Series, b: pd.Series) -> pd.Series:
    """Names that cannot be spellings of one another: low similarity and neither a prefix."""
    both = a.notna() & b.notna() & a.ne(b).fillna(False)
    low = pd.Series(False, index=a.index)
    if both.any():
        sim = name_similarity(a[both], b[both])
        low[both] = sim < DIFFERENT_NAME_BELOW
    if low.any():
        x, y = a[low].astype(str), b[low].astype(str)
        prefix = [p.startswith(q) or q.startswith(p) for p, q in zip(x, y, strict=True)]
        low[low] = ~np.array(prefix, dtype=bool)
    return low


def find_nik_conflicts(rows: pd.DataFrame) -> pd.Series:
    """Rows whose NIK was first claimed (by `order_key`) by a clearly different person.

    Clearly different = name clearly different AND birth date different; a typo in one of
    them is the same person.
    """
    ordered = rows.sort_values("order_key", kind="stable")
    first = ordered.groupby("nik", sort=False)[["nama_key", "tanggal_lahir"]].transform("first")
    first = first.reindex(rows.index)
    different_name = clearly_different_names(rows["nama_key"], first["nama_key"])
    different_dob = rows["tanggal_lahir"].ne(first["tanggal_lahir"]) & rows["tanggal_lahir"].notna()
    return (different_name & different_dob).fillna(False).astype(bool)


def person_keys(rows: pd.DataFrame, conflict: pd.Series) -> pd.Series:
    """Registry key per row: the NIK, or NIK+name+birth date for a conflicting claimant."""
    dob = rows["tanggal_lahir"].dt.strftime("%Y-%m-%d").fillna("")
    normal = "N:" + rows["nik"].astype(str)
    other = (
        "C:" + rows["nik"].astype(str) + "|" + rows["nama_key"].fillna("").astype(str) + "|" + dob
    )
    return normal.where(~conflict, other)


def assign_person_ids(
    keys: pd.Series, order: pd.Series, registry: pd.DataFrame
) -> tuple[pd.Series, pd.DataFrame]:
    """Map keys to ids, reusing the registry's ids and numbering new keys in order of first sight."""
    known = dict(zip(registry["person_key"], registry["person_id"], strict=True))
    first_seen = (
        pd.DataFrame({"key": keys, "order": order})
        .sort_values("order", kind="stable")
        .drop_duplicates("key")
    )
    new_keys = first_seen.loc[~first_seen["key"].isin(known.keys()), "key"]
    start = int(registry["person_id"].max()) + 1 if len(registry) else 1
    added = pd.DataFrame(
        {"person_key": new_keys.to_numpy(), "person_id": np.arange(start, start + len(new_keys))}
    )
    mapping = pd.concat([registry[["person_key", "person_id"]], added], ignore_index=True)
    ids = keys.map(dict(zip(mapping["person_key"], mapping["person_id"], strict=True)))
    return ids.astype("int64"), added


def _program_list(rows: pd.DataFrame) -> pd.Series:
    """Comma-separated sorted programs per person (vectorised over the few program names)."""
    present = rows.groupby(["person_id", "program"]).size().unstack(fill_value=0) > 0
    joined = pd.Series("", index=present.index, dtype=object)
    for program in sorted(present.columns):
        joined = joined.where(~present[program], joined + "," + program)
    return joined.str.lstrip(",")


def golden_records(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per person: attributes from the most recent, most complete accepted row.

    Also records where those attributes came from (file, sheet, row) and the person's
    programs and row counts per status.
    """
    present = [c for c in GOLDEN_FIELDS if c in rows]
    completeness = rows[present].notna().sum(axis=1)
    ranked = rows.assign(
        _accepted=rows["status"].eq("accepted"), _complete=completeness
    ).sort_values(
        ["person_id", "_accepted", "_complete", "order_key"], ascending=[True, False, False, False]
    )
    golden = ranked.drop_duplicates("person_id").drop(columns=["_accepted", "_complete"])
    golden = golden.rename(
        columns={"file_name": "source_file", "sheet": "source_sheet", "row_number": "source_row"}
    )
    counts = (
        rows.groupby(["person_id", "status"])
        .size()
        .unstack(fill_value=0)
        .reindex(columns=["accepted", "review"], fill_value=0)
        .rename(columns={"accepted": "n_rows_accepted", "review": "n_rows_review"})
    )
    golden = golden.set_index("person_id").join(counts)
    golden["programs_accepted"] = _program_list(rows.loc[rows["status"].eq("accepted")])
    golden["programs_accepted"] = golden["programs_accepted"].fillna("")
    golden["programs_submitted"] = _program_list(rows)
    return golden.reset_index().drop(columns=["status", "order_key"], errors="ignore")


def deduplicate(
    rows: pd.DataFrame, registry: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Exact-NIK deduplication of accepted and review rows.

    Returns (rows with `person_id` and `nik_conflict`, persons, registry rows added).
    """
    rows = rows.copy()
    conflict = find_nik_conflicts(rows)
    rows["nik_conflict"] = conflict
    keys = person_keys(rows, conflict)
    rows["person_id"], added = assign_person_ids(keys, rows["order_key"], registry)
    # A conflicting claimant is held for review until a person decides.
    rows.loc[conflict & rows["status"].eq("accepted"), "status"] = "review"
    persons = golden_records(rows)
    return rows, persons, added
