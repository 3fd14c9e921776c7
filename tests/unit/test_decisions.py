"""Officers' row decisions on tiny frames: statuses, notes, stored-row updates, accepted conflicts."""

from __future__ import annotations

import pandas as pd

from transforms.validate.decisions import (
    apply_row_decisions,
    combine_updates,
    decide_stored_rows,
    honour_accepted_conflicts,
)


def _rows(statuses: list[str], hashes: list[str] | None = None) -> pd.DataFrame:
    n = len(statuses)
    return pd.DataFrame(
        {
            "file_name": ["a.csv"] * n,
            "sheet": [""] * n,
            "row_number": list(range(2, n + 2)),
            "row_hash": hashes or [f"h{i}" for i in range(n)],
            "regency_code": ["6472"] * n,
            "status": statuses,
        }
    )


def _decisions(hashes: list[str], verdicts: list[str], regency: str = "6472") -> pd.DataFrame:
    n = len(hashes)
    return pd.DataFrame(
        {
            "row_hash": hashes, "regency_code": [regency] * n, "file_name": ["x.csv"] * n,
            "sheet": [""] * n, "row_number": [9] * n, "decision": verdicts,
            "officer": ["Rina"] * n, "note": [None] * n, "codes": [""] * n,
            "decided_at": [pd.Timestamp("2026-11-20 09:30")] * n,
        }
    )  # fmt: skip


def test_accept_releases_review_only_and_reject_rejects_what_is_not_rejected():
    rows = _rows(["review", "rejected", "review", "accepted", "rejected"])
    decisions = _decisions(["h0", "h1", "h2", "h4"], ["accept", "accept", "reject", "reject"])
    status, issues = apply_row_decisions(rows, decisions)
    assert status.tolist() == ["accepted", "rejected", "rejected", "accepted", "rejected"]
    assert issues[["row_number", "code"]].values.tolist() == [
        [2, "REVIEW_ACCEPTED"],
        [4, "REVIEW_REJECTED"],
    ]
    assert issues["value"].tolist() == ["-", "-"]  # no note written: a dash
    assert "(Rina, 20-11-2026)" in issues["message"].iloc[0]


def test_a_decision_in_another_regency_does_not_apply():
    status, issues = apply_row_decisions(_rows(["review"]), _decisions(["h0"], ["accept"], "6471"))
    assert status.tolist() == ["review"] and issues.empty


def test_stored_rows_of_a_replaced_file_are_left_to_validation():
    rows = pd.concat(
        [_rows(["review", "review"]), _rows(["review"], ["h1"]).assign(file_name="b.csv")],
        ignore_index=True,
    ).assign(person_id=[1, 2, 3])
    kept, updates, issues = decide_stored_rows(
        rows, _decisions(["h0", "h1"], ["accept", "reject"]), replaced=["b.csv"]
    )
    assert kept[["file_name", "status"]].values.tolist() == [
        ["a.csv", "accepted"],
        ["b.csv", "review"],
    ]
    assert updates[["file_name", "row_number", "status"]].values.tolist() == [
        ["a.csv", 2, "accepted"],
        ["a.csv", 3, "rejected"],
    ]
    assert updates["person_id"].tolist() == [1, pd.NA]
    assert issues["code"].tolist() == ["REVIEW_ACCEPTED", "REVIEW_REJECTED"]


def test_an_accepted_conflict_is_released_and_its_person_rebuilt():
    linked = _rows(["review", "review"]).assign(
        person_id=[1, 2], order_key=[1, 2], nik_conflict=[True, True], program="kesehatan",
        nik="6472015508800003", nama=["Siti", "Andi"], jenis_kelamin=["P", "L"],
        tanggal_lahir=pd.to_datetime(["1980-08-15", "2001-01-01"]),
    )  # fmt: skip
    persons = pd.DataFrame({"person_id": [1, 2], "n_rows_accepted": [0, 0]})
    released, rebuilt = honour_accepted_conflicts(linked, persons, _decisions(["h1"], ["accept"]))
    assert released["status"].tolist() == ["review", "accepted"]
    assert rebuilt.set_index("person_id")["n_rows_accepted"].to_dict() == {1: 0, 2: 1}
    rejected = _decisions(["h1"], ["reject"])
    assert honour_accepted_conflicts(linked, persons, rejected)[1] is persons


def test_combined_updates_keep_the_latest_per_row():
    keys = {"file_name": ["a.csv", "a.csv"], "sheet": ["", ""], "row_number": [2, 3]}
    first = pd.DataFrame({**keys, "status": ["accepted", "rejected"]})
    later = pd.DataFrame({**keys, "status": ["review", "review"]}).iloc[1:]
    combined = combine_updates(first, None, pd.DataFrame(), later)
    assert combined[["row_number", "status"]].values.tolist() == [[2, "accepted"], [3, "review"]]
    assert combine_updates(None, pd.DataFrame()).empty
