"""Officers' row decisions applied: a stored or new row's status after an `accept` or `reject`
recorded for its content (`row_hash`) in its regency, with the note that says who and why.

Pure: rows and decisions in, statuses, status updates and issues out. An accept only releases
a row held for review (errors are never lifted); a reject rejects a row not already rejected.
The decisions are read and recorded by `flows/review/rows.py`.
"""

from __future__ import annotations

import pandas as pd

from schemas.codes import ROW_CODES, ROW_KEYS
from schemas.rows import fill_message, issue_records
from transforms.link.dedup import golden_records

DECISION_KEYS = ["row_hash", "regency_code"]


def _decision_issues(rows: pd.DataFrame) -> pd.DataFrame:
    """`REVIEW_ACCEPTED` / `REVIEW_REJECTED` issues for rows joined to their decision."""
    frames = []
    for decision, code in (("accept", "REVIEW_ACCEPTED"), ("reject", "REVIEW_REJECTED")):
        part = rows.loc[rows["decision"].eq(decision)]
        if part.empty:
            continue
        spec = ROW_CODES[code]
        when = pd.to_datetime(part["decided_at"]).dt.strftime("%d-%m-%Y")
        detail = (part["officer"].astype(str) + ", " + when).astype("string")
        note = part["note"].astype("string").fillna("-")
        frames.append(
            issue_records(
                part, code, spec.severity.value, spec.column, note,
                fill_message(spec.message, note, detail),
            )
        )  # fmt: skip
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def apply_row_decisions(
    rows: pd.DataFrame, decisions: pd.DataFrame
) -> tuple[pd.Series, pd.DataFrame]:
    """Status per row (keys, `row_hash`, `regency_code`, `status`) after the decisions, and their notes."""
    status = rows["status"].copy()
    if decisions.empty or rows.empty:
        return status, pd.DataFrame()
    joined = rows[[*ROW_KEYS, *DECISION_KEYS, "status"]].merge(
        decisions.drop(columns=ROW_KEYS), on=DECISION_KEYS, how="left", validate="many_to_one"
    )
    joined.index = rows.index
    accept = joined["decision"].eq("accept") & joined["status"].eq("review")
    reject = joined["decision"].eq("reject") & joined["status"].isin(["accepted", "review"])
    # an accepted NIK conflict is accepted at validation and held again by deduplication,
    # where `honour_accepted_conflicts` releases it: it carries the note too
    noted = joined["decision"].eq("accept") & joined["status"].eq("accepted")
    status[accept.to_numpy()] = "accepted"
    status[reject.to_numpy()] = "rejected"
    return status, _decision_issues(joined.loc[accept | reject | noted])


def decide_stored_rows(
    rows: pd.DataFrame, decisions: pd.DataFrame, replaced: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Stored rows to deduplicate (rejected dropped), their status updates and notes; replaced files' rows untouched."""
    if rows.empty or decisions.empty:
        return rows, pd.DataFrame(), pd.DataFrame()
    current = ~rows["file_name"].isin(replaced)
    status, issues = apply_row_decisions(rows.loc[current], decisions)
    before = rows.loc[current, "status"]
    changed = status.ne(before)
    if not changed.any():
        return rows, pd.DataFrame(), pd.DataFrame()
    if len(issues):  # a note only where this run changes the row (earlier runs noted the rest)
        keys = pd.MultiIndex.from_frame(rows.loc[changed[changed].index, ROW_KEYS])
        issues = issues.loc[pd.MultiIndex.from_frame(issues[ROW_KEYS]).isin(keys)]
    updates = rows.loc[changed[changed].index, [*ROW_KEYS, "person_id"]].copy()
    updates["status"] = status[changed].to_numpy()
    updates["person_id"] = (
        updates["person_id"].astype("Int64").mask(updates["status"].eq("rejected"))
    )
    decided = rows.copy()
    decided.loc[status.index, "status"] = status
    decided = decided.loc[decided["status"].ne("rejected")]
    return decided, updates.reset_index(drop=True), issues


def honour_accepted_conflicts(
    linked: pd.DataFrame, persons: pd.DataFrame, decisions: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Accepted rows stay accepted when linking holds them again as a NIK conflict (found afresh every run); persons rebuilt."""
    if decisions.empty or linked.empty or "nik_conflict" not in linked:
        return linked, persons
    accepted = decisions.loc[decisions["decision"].eq("accept"), DECISION_KEYS].drop_duplicates()
    keyed = linked[DECISION_KEYS].merge(accepted.assign(_accepted=True), how="left")
    release = (
        linked["nik_conflict"].to_numpy(dtype=bool)
        & linked["status"].eq("review").to_numpy()
        & keyed["_accepted"].fillna(False).to_numpy(dtype=bool)
    )
    if not release.any():
        return linked, persons
    linked = linked.copy()
    linked.loc[release, "status"] = "accepted"
    return linked, golden_records(linked)


def combine_updates(*frames: pd.DataFrame) -> pd.DataFrame:
    """Status updates from several steps; a later frame wins for the same row."""
    present = [f for f in frames if f is not None and len(f)]
    if not present:
        return pd.DataFrame()
    combined = pd.concat(present, ignore_index=True)
    return combined.drop_duplicates(ROW_KEYS, keep="last", ignore_index=True)
