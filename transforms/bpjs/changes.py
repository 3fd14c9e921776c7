"""What changed since the last list sent to BPJS: people to register (tambah), to deregister (kurang).

A person is active at BPJS for a program from the run that sent them in a `tambah` list, or
from BPJS's answer that it registered them, until a `kurang` list, or until BPJS answered
(in a later run) that it did not register them.
"""

from __future__ import annotations

import pandas as pd

KEYS = ["program", "person_id"]
# Reasons a previously sent person leaves the list, besides the decision's own reason code.
OUTSIDE_QUOTA = "OUTSIDE_QUOTA"
NOT_SUBMITTED = "NOT_SUBMITTED"
KURANG_MESSAGES: dict[str, str] = {
    OUTSIDE_QUOTA: "Di luar kuota atau anggaran tahun ini",
    NOT_SUBMITTED: "Tidak lagi diusulkan (baris dicabut atau dikeluarkan petugas)",
}


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype({"program": "string", "person_id": "Int64"})


def active_members(members: pd.DataFrame, results: pd.DataFrame) -> pd.DataFrame:
    """(program, person_id, regency_code, nik) on BPJS's side now: the latest event is a
    `tambah` sent or a `registered` result, not a `kurang` or a rejection. Results read in a
    run answer lists of earlier runs, so they come before that run's own lists."""
    columns = [*KEYS, "regency_code", "nik", "run_id"]
    events = []
    if len(members):
        events.append(members.assign(order=1)[[*columns, "action", "order"]])
    if len(results):
        answered = results.loc[results["person_id"].notna()]
        events.append(
            answered.assign(
                regency_code=pd.NA,
                action=answered["outcome"].map({"registered": "registered"}).fillna("void"),
                order=0,
            )[[*columns, "action", "order"]]
        )
    if not events:
        return pd.DataFrame(columns=columns).pipe(_typed)
    ordered = _typed(pd.concat(events, ignore_index=True)).sort_values(
        ["run_id", "order"], kind="stable"
    )
    last = ordered.drop_duplicates(KEYS, keep="last")
    active = last.loc[last["action"].isin(["tambah", "registered"]), columns]
    return active.reset_index(drop=True)


def list_changes(
    to_send: pd.DataFrame,
    active: pd.DataFrame,
    decisions: pd.DataFrame,
    verified: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`tambah`: in this run's list and not active; `kurang`: active and no longer in the list,
    with the reason (the decision's reason code, OUTSIDE_QUOTA or NOT_SUBMITTED)."""
    to_send = _typed(to_send)
    active = _typed(active)
    sending = pd.MultiIndex.from_frame(to_send[KEYS])
    was = pd.MultiIndex.from_frame(active[KEYS])
    tambah = to_send.loc[~sending.isin(was)].reset_index(drop=True)
    kurang = active.loc[~was.isin(sending), [*KEYS, "regency_code", "nik"]].reset_index(drop=True)
    if kurang.empty:
        return tambah, kurang.assign(reason_code=pd.Series(dtype="string"))
    decided = _typed(decisions[[*KEYS, "eligible", "reason_code"]]) if len(decisions) else None
    if decided is None:
        kurang["reason_code"] = NOT_SUBMITTED
        return tambah, kurang
    kurang = kurang.merge(decided, on=KEYS, how="left")
    in_verified = pd.MultiIndex.from_frame(kurang[KEYS]).isin(
        pd.MultiIndex.from_frame(_typed(verified[KEYS]))
        if len(verified)
        else pd.MultiIndex.from_tuples([], names=KEYS)
    )
    reason = kurang["reason_code"].astype("string")
    reason = reason.where(kurang["eligible"].eq(False).fillna(False), pd.NA)
    reason = reason.fillna(pd.Series(OUTSIDE_QUOTA, index=kurang.index).where(in_verified))
    kurang["reason_code"] = reason.fillna(NOT_SUBMITTED)
    return tambah, kurang.drop(columns="eligible")
