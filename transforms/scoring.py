"""Program decisions: eligibility with reason codes, explainable scores, ranks and quotas."""

from __future__ import annotations

import json
import re
from datetime import date

import numpy as np
import pandas as pd

from schemas.programs import Condition, Program, ScoreComponent
from transforms.dates import age_at
from transforms.identity import to_float

PENDING_REVIEW = "PENDING_REVIEW"
HOUSEHOLD_LIMIT = "HOUSEHOLD_LIMIT"


def person_features(persons: pd.DataFrame, enrolled: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """The fields program rules may use, one row per person.

    `enrolled` has one row per NIK with booleans `kesehatan_covered`,
    `kesehatan_self_paying`, `ketenagakerjaan_active`.
    """
    f = persons[
        ["person_id", "nik", "no_kk", "regency_code", "jenis_kelamin", "tanggal_lahir"]
    ].copy()
    f["age"] = to_float(age_at(persons["tanggal_lahir"], as_of))
    f["desil"] = to_float(persons["desil"])
    f["disabilitas"] = persons["disabilitas"].astype("boolean")
    f["jumlah_tanggungan"] = to_float(persons["jumlah_tanggungan"])
    f["penghasilan"] = to_float(persons["penghasilan"])
    f["occupation_group"] = persons["occupation_group"].fillna("unknown").astype(str)
    f["resident"] = persons["no_kk"].str[:2].eq("64").fillna(False).astype(bool)
    on_list = f[["nik"]].merge(enrolled, on="nik", how="left").set_index(f.index)
    f["enrolled_kesehatan"] = on_list["kesehatan_covered"].fillna(False).astype(bool)
    f["kesehatan_self_paying"] = on_list["kesehatan_self_paying"].fillna(False).astype(bool)
    f["enrolled_ketenagakerjaan"] = on_list["ketenagakerjaan_active"].fillna(False).astype(bool)
    f["programs_accepted"] = persons["programs_accepted"].fillna("")
    f["programs_submitted"] = persons["programs_submitted"].fillna("")
    return f


def condition_holds(features: pd.DataFrame, condition: Condition) -> pd.Series:
    """Whether each person satisfies a condition; a missing value does not satisfy it."""
    values = features[condition.field]
    if condition.equals is not None:
        held = values.eq(condition.equals)
    elif condition.in_ is not None:
        held = values.astype("string").isin(condition.in_)
    elif condition.not_in is not None:
        held = ~values.astype("string").isin(condition.not_in) & values.notna()
    else:
        low = -np.inf if condition.min is None else condition.min
        high = np.inf if condition.max is None else condition.max
        held = values.astype("float64").between(low, high)
    return held.fillna(False).astype(bool)


def component_points(features: pd.DataFrame, component: ScoreComponent) -> pd.Series:
    """Points of one score component per person."""
    values = features[component.field]
    points = pd.Series(np.nan, index=features.index)
    if component.when_true is not None:
        flag = values.astype("boolean")
        points = pd.Series(
            np.where(flag.fillna(False), component.when_true, 0.0), index=values.index
        )
        points[flag.isna()] = np.nan
    elif component.values is not None:
        points = values.astype("string").map(component.values).astype("float64")
        points[values.notna() & points.isna()] = 0.0
    else:
        numbers = values.astype("float64")
        for band in reversed(component.bands or []):
            low = -np.inf if band.min is None else band.min
            high = np.inf if band.max is None else band.max
            points = points.mask(numbers.between(low, high), band.points)
        points[numbers.notna() & points.isna()] = 0.0
    return points.fillna(component.missing)


def decide_program(
    name: str, program: Program, features: pd.DataFrame, as_of: date
) -> pd.DataFrame:
    """`candidate_decisions` rows for one program: everyone submitted for it, in or out, and why."""
    submitted_for = program.submitted_programs or [name]
    pattern = rf"(?:^|,)(?:{'|'.join(map(re.escape, submitted_for))})(?:,|$)"
    submitted = features["programs_submitted"].str.contains(pattern, regex=True)
    f = features.loc[submitted].copy()
    f["income_to_ump"] = f["penghasilan"] / program.ump_monthly
    reason = pd.Series(pd.NA, index=f.index, dtype="string")
    has_accepted = f["programs_accepted"].str.contains(pattern, regex=True)
    reason[~has_accepted] = PENDING_REVIEW
    for condition in program.require:
        failed = ~condition_holds(f, condition) & reason.isna()
        reason[failed] = condition.reason

    contributions = pd.DataFrame(
        {c.name: component_points(f, c) for c in program.score}, index=f.index
    )
    score = contributions.sum(axis=1) if len(program.score) else pd.Series(0.0, index=f.index)
    decisions = pd.DataFrame(
        {
            "program": name,
            "person_id": f["person_id"].astype("int64"),
            "nik": f["nik"],
            "no_kk": f["no_kk"],
            "regency_code": f["regency_code"],
            "tanggal_lahir": f["tanggal_lahir"],
            "desil": f["desil"],
            "reason_code": reason,
            "score": score.round(4),
            "score_components": _components_json(contributions),
        },
        index=f.index,
    )
    decisions["eligible"] = decisions["reason_code"].isna()
    if program.one_per_household:
        decisions = _one_per_household(decisions)
    return decisions.reset_index(drop=True)


def _components_json(contributions: pd.DataFrame) -> pd.Series:
    if contributions.empty:
        return pd.Series("{}", index=contributions.index)
    records = contributions.round(4).to_dict(orient="records")
    return pd.Series([json.dumps(r, sort_keys=True) for r in records], index=contributions.index)


def _priority_order(frame: pd.DataFrame) -> pd.DataFrame:
    """Deterministic priority: score, then poorer desil, then older, then lower person_id."""
    return frame.sort_values(
        ["score", "desil", "tanggal_lahir", "person_id"],
        ascending=[False, True, True, True],
        na_position="last",
        kind="stable",
    )


def _one_per_household(decisions: pd.DataFrame) -> pd.DataFrame:
    """Keep the highest-priority eligible member per family card; the rest get HOUSEHOLD_LIMIT."""
    eligible = _priority_order(decisions.loc[decisions["eligible"]])
    later = eligible.duplicated("no_kk", keep="first") & eligible["no_kk"].notna()
    out = decisions.copy()
    out.loc[later[later].index, "reason_code"] = HOUSEHOLD_LIMIT
    out["eligible"] = out["reason_code"].isna()
    return out


def rank_verified(decisions: pd.DataFrame, program: Program) -> pd.DataFrame:
    """`verified_candidates`: eligible persons ranked within program and regency, quota applied."""
    eligible = _priority_order(decisions.loc[decisions["eligible"]])
    eligible = eligible.assign(rank=eligible.groupby(["program", "regency_code"]).cumcount() + 1)
    quota = program.quota
    eligible["within_quota"] = True if quota is None else eligible["rank"] <= quota
    return eligible[
        ["program", "person_id", "nik", "regency_code", "eligible", "score", "rank", "within_quota"]
    ].reset_index(drop=True)
