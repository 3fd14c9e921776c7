"""The true outcome of every submission row, as the feedback workbooks tell it (`Kode hasil`, `Hasil`).

Pure: the rows, the warehouse's decisions and verified lists (and what BPJS rejected) in, one
outcome per row out. A person on several accepted rows of one program gets the outcome on one
of them (the first by `order_key`, else by file, sheet and row) and `DUPLIKAT` on the others,
naming that row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from schemas.codes import OUTCOMES, ROW_KEYS
from schemas.programs import REASON_MESSAGES

OUTCOME_COLUMNS = [*ROW_KEYS, "kode_hasil", "hasil"]
PENDING_REVIEW = "PENDING_REVIEW"  # transforms.score.scoring: no accepted row for the program yet


def _sentence(code: str, **fields: pd.Series) -> pd.Series | str:
    """The `Hasil` sentence of an outcome, its `{field}`s filled per row (vectorised)."""
    template = OUTCOMES[code].sentence
    if not fields:
        return template
    parts = pd.Series(template.split("{"))
    out = None
    for i, part in enumerate(parts):
        if i == 0:
            text: pd.Series | str = part
        else:
            name, _, rest = part.partition("}")
            text = fields[name].astype("string") + rest
        out = text if out is None else out + text
    return out


def _where(file_name: pd.Series, sheet: pd.Series) -> pd.Series:
    """`lembar 'X' berkas Y` (`berkas Y` for a CSV file, which has no sheets)."""
    named = sheet.astype("string").fillna("").ne("")
    sheet_part = ("lembar '" + sheet.astype("string") + "' ").where(named, "")
    return sheet_part + "berkas " + file_name.astype("string")


# What the outcomes read of the decisions.
DECISION_COLUMNS_READ = ["program", "person_id", "eligible", "reason_code"]


def _with_columns(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The frame, or an empty one with these columns when a run decided nothing (no persons)."""
    return frame if set(columns) <= set(frame.columns) else pd.DataFrame(columns=columns)


def row_outcomes(
    rows: pd.DataFrame,
    decisions: pd.DataFrame,
    verified: pd.DataFrame,
    bpjs_rejections: pd.DataFrame | None = None,
    reason_messages: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Per row (in the order given): `kode_hasil` and `hasil` for the person on it in the row's
    program.

    `rows`: file_name, sheet, row_number, status, person_id, program (optional order_key);
    `decisions`: program, person_id, eligible, reason_code; `verified`: program, person_id,
    rank, within_quota; `bpjs_rejections`: program, person_id, reason_code, bpjs_text;
    `reason_messages`: the explanation per not-eligible reason (default: the shipped ones).
    """
    messages = {**REASON_MESSAGES, **(reason_messages or {})}
    decisions = _with_columns(decisions, DECISION_COLUMNS_READ)
    verified = _with_columns(verified, ["program", "person_id", "rank", "within_quota"])
    n = len(rows)
    frame = rows[ROW_KEYS].reset_index(drop=True).copy()
    status = rows["status"].astype("string").to_numpy(dtype=object)
    person = (
        pd.to_numeric(rows["person_id"], errors="coerce").astype("Int64").reset_index(drop=True)
    )
    program = rows["program"].astype("string").fillna("").reset_index(drop=True)
    code = pd.Series(pd.NA, index=frame.index, dtype="string")
    text = pd.Series(pd.NA, index=frame.index, dtype="string")

    code[status == "rejected"] = "DITOLAK"
    code[status == "review"] = "MENUNGGU_TINJAUAN"
    accepted = (status == "accepted") & person.notna().to_numpy(dtype=bool)
    code[(status == "accepted") & ~accepted] = "MENUNGGU_TINJAUAN"

    # The row carrying a person's outcome in a program: the first accepted row.
    order = (
        ["order_key", *ROW_KEYS]
        if "order_key" in rows and rows["order_key"].notna().all()
        else ROW_KEYS
    )
    keyed = frame.assign(
        person_id=person, program=program, _pos=np.arange(n),
        **({"order_key": rows["order_key"].to_numpy()} if order[0] == "order_key" else {}),
    ).loc[accepted]  # fmt: skip
    keyed = keyed.sort_values(order, kind="stable")
    first = keyed.drop_duplicates(["person_id", "program"])[["person_id", "program", "_pos"]]
    # positions only: a province's file names are not copied for every row that repeats one
    carrier = keyed[["person_id", "program", "_pos"]].merge(
        first.rename(columns={"_pos": "_first_pos"}),
        on=["person_id", "program"],
        how="left",
    )
    duplicate = carrier.loc[~carrier["_pos"].isin(first["_pos"])]
    at = duplicate["_pos"].to_numpy()
    carried_by = frame.iloc[duplicate["_first_pos"].to_numpy(dtype=np.int64)].reset_index(drop=True)
    del carrier, keyed
    code.iloc[at] = "DUPLIKAT"
    text.iloc[at] = _sentence(
        "DUPLIKAT",
        row=carried_by["row_number"].astype("Int64"),
        where=_where(carried_by["file_name"], carried_by["sheet"]),
    ).to_numpy()

    # The carriers: the decision, then the verified list, then what BPJS said. Only the
    # carriers' decisions and ranks are looked at (a run that changed some persons decides
    # the outcomes of their rows, not of the province's).
    carriers = first["person_id"].to_numpy(dtype=np.int64)
    decisions = decisions.loc[decisions["person_id"].isin(carriers).to_numpy(dtype=bool)]
    verified = verified.loc[verified["person_id"].isin(carriers).to_numpy(dtype=bool)]
    decided = first.merge(
        decisions[["program", "person_id", "eligible", "reason_code"]].astype(
            {"person_id": "Int64", "program": "string"}
        ),
        on=["program", "person_id"],
        how="left",
    )
    decided = decided.merge(
        verified[["program", "person_id", "rank", "within_quota"]].astype(
            {"person_id": "Int64", "program": "string"}
        ),
        on=["program", "person_id"],
        how="left",
    )
    if bpjs_rejections is not None and len(bpjs_rejections):
        said = (
            bpjs_rejections[["program", "person_id", "bpjs_text"]]
            .astype({"person_id": "Int64", "program": "string"})
            .drop_duplicates(["program", "person_id"], keep="last")
        )
        decided = decided.merge(said, on=["program", "person_id"], how="left")
    else:
        decided["bpjs_text"] = pd.NA
    reason = decided["reason_code"].astype("string")
    eligible = decided["eligible"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    listed = decided["rank"].notna().to_numpy(dtype=bool)
    in_quota = decided["within_quota"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    rejected_by_bpjs = decided["bpjs_text"].notna().to_numpy(dtype=bool)
    pos = decided["_pos"].to_numpy()
    rank = decided["rank"].astype("Int64")

    def put(mask: np.ndarray, kode: pd.Series | str, hasil: pd.Series | str) -> None:
        code.iloc[pos[mask]] = kode if isinstance(kode, str) else kode[mask].to_numpy()
        text.iloc[pos[mask]] = hasil if isinstance(hasil, str) else hasil[mask].to_numpy()

    held = (~eligible & reason.eq(PENDING_REVIEW).fillna(False).to_numpy(dtype=bool)) | (
        eligible & ~listed & ~rejected_by_bpjs
    )
    undecided = decided["eligible"].isna().to_numpy(dtype=bool)
    put(held | undecided, "MENUNGGU_TINJAUAN", _sentence("MENUNGGU_TINJAUAN"))
    not_eligible = ~eligible & ~undecided & ~held
    explained = reason.map(messages).astype("string").fillna(reason)
    lowered = explained.str[:1].str.lower() + explained.str[1:]  # mid-sentence
    put(not_eligible, reason, _sentence("NOT_ELIGIBLE", reason=lowered))
    bpjs = eligible & rejected_by_bpjs
    bpjs_text = decided["bpjs_text"].astype("string").fillna("")
    put(bpjs, "DITOLAK_BPJS", _sentence("DITOLAK_BPJS", bpjs_text=bpjs_text))
    proposed = eligible & listed & ~rejected_by_bpjs
    put(proposed & in_quota, "DIUSULKAN", _sentence("DIUSULKAN", rank=rank))
    put(proposed & ~in_quota, "DI_LUAR_KUOTA", _sentence("DI_LUAR_KUOTA", rank=rank))

    plain = text.isna() & code.notna()
    text[plain] = code[plain].map({c: o.sentence for c, o in OUTCOMES.items()})
    return frame.assign(kode_hasil=code, hasil=text)[OUTCOME_COLUMNS]
