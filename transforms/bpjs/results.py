"""BPJS results against persons: NIK to person, the latest result, rejections, bpjs_status.

The latest result wins: results are ordered by the run that read them, then file, sheet and
row. A rejection holds while the person's identity (NIK, name, birth date) is the one BPJS
objected to: `identity_key` at the time the result was first tied to the person.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from transforms.score.enrolment import FLAG_COLUMNS

RESULT_ORDER = ["run_id", "file_name", "sheet", "row_number"]
COVERED_FLAG = {"kesehatan": "kesehatan_covered", "ketenagakerjaan": "ketenagakerjaan_active"}


def nik_index(persons: pd.DataFrame) -> pd.DataFrame:
    """Every NIK a person is known by (the golden NIK and `nik_variants`) -> person_id."""
    if persons.empty:
        return pd.DataFrame(
            {"nik": pd.Series(dtype="string"), "person_id": pd.Series(dtype="Int64")}
        )
    golden = persons[["nik", "person_id"]]
    parts = [golden]
    if "nik_variants" in persons:
        variants = persons[["person_id", "nik_variants"]].dropna()
        variants = variants.assign(nik=variants["nik_variants"].astype(str).str.split(","))
        parts.append(variants.explode("nik")[["nik", "person_id"]])
    index = pd.concat(parts, ignore_index=True).dropna()
    index["nik"] = index["nik"].astype("string").str.strip()
    # A NIK that is golden for one person wins over the same NIK as another's variant.
    return index.drop_duplicates("nik", keep="first").astype({"person_id": "Int64"})


def link_niks(niks: pd.Series, persons: pd.DataFrame) -> pd.Series:
    """person_id per NIK (NA when no person has it)."""
    asked = niks.astype("string")
    index = nik_index(_known_by(persons, asked)).set_index("nik")["person_id"]
    return pd.Series(asked.map(index), index=niks.index, dtype="Int64")


def _known_by(persons: pd.DataFrame, niks: pd.Series) -> pd.DataFrame:
    """The persons known by one of `niks` (golden or variant), in their order: the index of a
    few hundred BPJS results is not built over a province's persons."""
    if persons.empty:
        return persons
    wanted = niks.dropna().unique()
    hit = persons["nik"].astype("string").str.strip().isin(wanted).to_numpy(dtype=bool)
    if "nik_variants" in persons:
        variants = persons["nik_variants"].dropna().astype(str).str.split(",").explode()
        matched = variants.loc[variants.str.strip().isin(wanted).to_numpy(dtype=bool)].index
        hit = hit | persons.index.isin(matched)
    return persons.loc[hit]


def identity_key(persons: pd.DataFrame) -> pd.Series:
    """A stable key of what BPJS checks a person by: NIK, name (upper, single spaces), birth date."""
    parts = pd.DataFrame(
        {
            "nik": persons["nik"].astype("string").fillna(""),
            "nama": persons["nama"]
            .astype("string")
            .fillna("")
            .str.upper()
            .str.replace(r"\s+", " ", regex=True)
            .str.strip(),
            "lahir": pd.to_datetime(persons["tanggal_lahir"]).dt.strftime("%Y-%m-%d").fillna(""),
        }
    )
    hashed = pd.util.hash_pandas_object(parts, index=False).to_numpy(dtype=np.uint64)
    return pd.Series(hashed.astype(str), index=persons.index, dtype="string")


def tie_to_persons(results: pd.DataFrame, persons: pd.DataFrame) -> pd.DataFrame:
    """Results with `person_id` from their NIK and, where not set yet, the person's current
    `identity_key` (the data BPJS answered about)."""
    out = results.copy()
    out["person_id"] = link_niks(out["nik"], persons)
    keys = _keys_of(persons, out["person_id"])
    current = out["person_id"].map(keys).astype("string")
    if "identity_key" not in out:
        out["identity_key"] = pd.Series(pd.NA, index=out.index, dtype="string")
    out["identity_key"] = out["identity_key"].astype("string").fillna(current)
    out.loc[out["person_id"].isna(), "identity_key"] = pd.NA
    return out


def _keys_of(persons: pd.DataFrame, person_ids: pd.Series) -> pd.Series:
    """`identity_key` by person_id, worked out only for the persons asked about."""
    if persons.empty:
        return pd.Series(dtype="string")
    asked = persons.loc[persons["person_id"].isin(person_ids.dropna().astype("int64"))]
    return pd.Series(identity_key(asked).to_numpy(), index=asked["person_id"].astype("Int64"))


def latest_results(results: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """The latest result per key (e.g. program and person_id); rows with a missing key dropped."""
    ordered = results.dropna(subset=by).sort_values(RESULT_ORDER, kind="stable")
    return ordered.drop_duplicates(by, keep="last").reset_index(drop=True)


def current_rejections(results: pd.DataFrame) -> pd.DataFrame:
    """Per (program, person_id) whose latest BPJS result is a rejection: the reason code and
    BPJS's own text (what `row_outcomes(..., bpjs_rejections=...)` takes)."""
    columns = ["program", "person_id", "reason_code", "bpjs_text"]
    if results.empty or "person_id" not in results:
        return pd.DataFrame(columns=columns)
    latest = latest_results(results, ["program", "person_id"])
    rejected = latest.loc[latest["outcome"].eq("rejected")]
    return rejected[columns].reset_index(drop=True)


def blocked_persons(results: pd.DataFrame, persons: pd.DataFrame) -> pd.DataFrame:
    """(program, person_id) not to send again: latest result rejected and the person's
    identity still the one BPJS objected to (a new row that changes it lifts the block)."""
    latest = latest_results(results, ["program", "person_id"])
    latest = latest.loc[latest["outcome"].eq("rejected")]
    if latest.empty or persons.empty:
        return pd.DataFrame({"program": pd.Series(dtype="string"),
                             "person_id": pd.Series(dtype="Int64")})  # fmt: skip
    now = _keys_of(persons, latest["person_id"])
    same = (
        latest["person_id"]
        .astype("Int64")
        .map(now)
        .astype("string")
        .eq(latest["identity_key"].astype("string"))
        .fillna(False)
    )
    return latest.loc[same.to_numpy(dtype=bool), ["program", "person_id"]].reset_index(drop=True)


def covered_flags(results: pd.DataFrame) -> pd.DataFrame:
    """Reference-list flags per NIK for NIKs whose latest BPJS result says already covered, in
    the shape `enrolment_flags` gives (so the rules' ALREADY_ENROLLED applies to them)."""
    latest = latest_results(results, ["program", "nik"])
    covered = latest.loc[latest["outcome"].eq("already_covered")]
    flags = pd.DataFrame({"nik": covered["nik"].astype("string")})
    for column in FLAG_COLUMNS:
        flags[column] = False
    for program, column in COVERED_FLAG.items():
        flags.loc[covered["program"].eq(program).to_numpy(), column] = True
    return flags.groupby("nik", as_index=False)[FLAG_COLUMNS].any()


def with_covered(enrolled: pd.DataFrame | None, results: pd.DataFrame) -> pd.DataFrame | None:
    """Reference flags plus the NIKs BPJS found already covered."""
    if results.empty:
        return enrolled
    flags = covered_flags(results)
    if enrolled is None or enrolled.empty:
        return flags
    both = pd.concat([enrolled, flags], ignore_index=True)
    return both.groupby("nik", as_index=False)[FLAG_COLUMNS].any()


def bpjs_status(
    verified: pd.DataFrame, results: pd.DataFrame, blocked: pd.DataFrame, sent: pd.DataFrame
) -> pd.Series:
    """`registered` (latest result), `rejected` (blocked), `sent` (in a list for BPJS), else NA."""
    keys = pd.MultiIndex.from_frame(
        verified[["program", "person_id"]].astype({"person_id": "Int64"})
    )
    status = pd.Series(pd.NA, index=verified.index, dtype="string")

    def member(frame: pd.DataFrame) -> np.ndarray:
        if frame.empty:
            return np.zeros(len(verified), dtype=bool)
        other = pd.MultiIndex.from_frame(
            frame[["program", "person_id"]].astype({"person_id": "Int64"})
        )
        return keys.isin(other)

    latest = latest_results(results, ["program", "person_id"]) if len(results) else results
    registered = latest.loc[latest["outcome"].eq("registered")] if len(latest) else latest
    status[member(sent)] = "sent"
    status[member(registered)] = "registered"
    status[member(blocked)] = "rejected"
    return status
