"""Program decisions: eligibility with reason codes, explainable scores, ranks and quotas.

Pure functions on DataFrames, driven by the rules of `schemas/programs.toml`. Every person
submitted for a program gets a decision (eligible or the reason code of the first condition
failed) and a score whose parts are kept in `score_components`, so an officer can say why
a person is in, out, or ranked where they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from schemas.programs import FEATURES, Condition, Program, ScoreComponent
from transforms.validate.dates import age_at
from transforms.validate.identity import to_float

PENDING_REVIEW = "PENDING_REVIEW"
REMARK_PENDING = "REMARK_PENDING"
HOUSEHOLD_LIMIT = "HOUSEHOLD_LIMIT"
KALTIM_KK_PREFIX = "64"

DECISION_COLUMNS = [
    "program", "person_id", "nik", "no_kk", "regency_code", "tanggal_lahir", "desil",
    "eligible", "reason_code", "score", "score_components",
]  # fmt: skip
VERIFIED_COLUMNS = [
    "program", "person_id", "nik", "regency_code", "eligible", "score", "rank", "within_quota",
]  # fmt: skip
# Priority when scores tie: poorer desil, then older, then the lower (stable) person_id.
PRIORITY_KEYS = ["score", "desil", "tanggal_lahir", "person_id"]
PRIORITY_ASCENDING = [False, True, True, True]
# Score explanations made (and, in the flow, packed) this many decisions at a time: a
# province's explanations of one program are ~1.6 GB, their pieces at once ~0.5 GB more.
JSON_ROWS_PER_CHUNK = 1 << 18


def person_features(persons: pd.DataFrame, enrolled: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """The fields program rules may use, one row per person.

    `enrolled` has one row per NIK with booleans `kesehatan_covered`, `kesehatan_self_paying`,
    `kesehatan_arrears` (optional) and `ketenagakerjaan_active` (see transforms.score.enrolment).
    """
    # copy-on-write: the identity columns are shared with `persons`, not copied (~0.3 GB at
    # 4M rows); the columns assigned below replace or add columns of `f` only
    f = persons[["person_id", "nik", "no_kk", "regency_code", "jenis_kelamin", "tanggal_lahir"]]
    f["tanggal_lahir"] = pd.to_datetime(f["tanggal_lahir"])
    f["age"] = to_float(age_at(f["tanggal_lahir"], as_of))
    f["desil"] = to_float(persons["desil"])
    f["disabilitas"] = persons["disabilitas"].astype("boolean")
    f["jumlah_tanggungan"] = to_float(persons["jumlah_tanggungan"])
    f["penghasilan"] = to_float(persons["penghasilan"])
    f["occupation_group"] = persons["occupation_group"].astype("string").fillna("unknown")
    f["resident"] = persons["no_kk"].astype("string").str.startswith(KALTIM_KK_PREFIX)
    f["resident"] = f["resident"].fillna(False).astype(bool)
    on_list = f[["nik"]].merge(enrolled, on="nik", how="left").set_index(f.index)
    for feature, column in {
        "enrolled_kesehatan": "kesehatan_covered",
        "kesehatan_self_paying": "kesehatan_self_paying",
        "kesehatan_arrears": "kesehatan_arrears",
        "enrolled_ketenagakerjaan": "ketenagakerjaan_active",
    }.items():
        flag = on_list[column] if column in on_list else pd.Series(False, index=f.index)
        f[feature] = flag.astype("boolean").fillna(False).astype(bool)
    f["programs_accepted"] = persons["programs_accepted"].astype("string").fillna("")
    f["programs_submitted"] = persons["programs_submitted"].astype("string").fillna("")
    held = persons["remark_hold"] if "remark_hold" in persons else pd.Series(False, f.index)
    f["remark_hold"] = held.astype("boolean").fillna(False).to_numpy(dtype=bool)
    return f


def condition_holds(features: pd.DataFrame, condition: Condition) -> pd.Series:
    """Whether each person satisfies a condition; a missing value does not satisfy it."""
    values = features[condition.field]
    if condition.equals is not None:
        if FEATURES[condition.field] == "text":
            held = values.astype("string").eq(str(condition.equals))
        else:
            held = values.eq(condition.equals)
    elif condition.in_ is not None:
        held = values.astype("string").isin(condition.in_)
    elif condition.not_in is not None:
        held = ~values.astype("string").isin(condition.not_in)
    else:
        low = -np.inf if condition.min is None else condition.min
        high = np.inf if condition.max is None else condition.max
        held = values.astype("float64").between(low, high)
    return (held & values.notna()).fillna(False).astype(bool)


def component_points(features: pd.DataFrame, component: ScoreComponent) -> pd.Series:
    """Points of one score component per person, before its weight."""
    values = features[component.field]
    if component.when_true is not None:
        flag = values.astype("boolean")
        points = pd.Series(np.where(flag.fillna(False), component.when_true, 0.0), values.index)
    elif component.values is not None:
        points = values.astype("string").map(component.values).astype("float64").fillna(0.0)
    else:
        numbers = values.astype("float64")
        points = pd.Series(np.nan, index=features.index)
        for band in reversed(component.bands or []):
            low = -np.inf if band.min is None else band.min
            high = np.inf if band.max is None else band.max
            points = points.mask(numbers.between(low, high), band.points)
        points = points.fillna(0.0)
    return points.where(values.notna(), component.missing).astype("float64")


def _submitted_pattern(programs: list[str]) -> str:
    return rf"(?:^|,)(?:{'|'.join(map(re.escape, programs))})(?:,|$)"


def decide_program(
    name: str, program: Program, features: pd.DataFrame, as_of: date | None = None
) -> pd.DataFrame:
    """`candidate_decisions` rows for one program: everyone submitted for it, in or out, and why.

    `as_of` is accepted for symmetry with the flow; ages are already in `features`.
    """
    parts = score_program(name, program, features).explained_in_parts(JSON_ROWS_PER_CHUNK)
    return pd.concat(list(parts), ignore_index=True)


@dataclass
class ProgramScores:
    """One program's decisions without their `score_components`, and what explains them
    (features, points and contributions, row for row with the decisions): the explanations
    (~0.5 KB each) are made on demand, a part at a time if need be."""

    program: Program
    decisions: pd.DataFrame
    features: pd.DataFrame
    points: pd.DataFrame
    contributions: pd.DataFrame

    def explained(self, rows: slice = slice(None)) -> pd.DataFrame:
        """The decisions at `rows` (positions) with their `score_components`."""
        explanations = components_json(
            self.features.iloc[rows], self.program, self.points.iloc[rows],
            self.contributions.iloc[rows],
        )  # fmt: skip
        part = self.decisions.iloc[rows]  # row for row with the features (both renumbered)
        return part.assign(score_components=explanations.array)[DECISION_COLUMNS]

    def explained_in_parts(self, n_rows: int) -> Iterator[pd.DataFrame]:
        """`explained()` `n_rows` decisions at a time, in order (one empty part when none)."""
        for start in range(0, max(len(self.decisions), 1), n_rows):
            yield self.explained(slice(start, start + n_rows))


def score_program(name: str, program: Program, features: pd.DataFrame) -> ProgramScores:
    """Everyone submitted for the program, in or out, and why; their score and its parts."""
    pattern = _submitted_pattern(program.candidates_from(name))
    f = features.loc[features["programs_submitted"].str.contains(pattern, regex=True)]
    f["income_to_ump"] = f["penghasilan"] / program.ump_monthly

    reason = pd.Series(pd.NA, index=f.index, dtype="string")
    reason[~f["programs_accepted"].str.contains(pattern, regex=True)] = PENDING_REVIEW
    reason[f["remark_hold"].to_numpy(dtype=bool) & reason.isna().to_numpy()] = REMARK_PENDING
    for condition in program.require:
        failed = ~condition_holds(f, condition) & reason.isna()
        reason[failed] = condition.reason
        if condition.missing_reason:
            reason[failed & f[condition.field].isna()] = condition.missing_reason

    points = pd.DataFrame({c.name: component_points(f, c) for c in program.score}, index=f.index)
    weights = pd.Series({c.name: c.weight for c in program.score}, dtype="float64")
    contributions = (points * weights).round(4) if len(program.score) else points
    score = contributions.sum(axis=1).round(4) if len(program.score) else 0.0
    decisions = pd.DataFrame(
        {
            "program": name,
            "person_id": f["person_id"].astype("int64"),
            "nik": f["nik"],
            "no_kk": f["no_kk"],
            "regency_code": f["regency_code"],
            "tanggal_lahir": f["tanggal_lahir"],
            "desil": f["desil"],
            "eligible": reason.isna(),
            "reason_code": reason,
            "score": score,
        },
        index=f.index,
    )
    if program.one_per_household:
        decisions = one_per_household(decisions)
    return ProgramScores(
        program, decisions.reset_index(drop=True), f.reset_index(drop=True),
        points.reset_index(drop=True), contributions.reset_index(drop=True),
    )  # fmt: skip


def _json_numbers(values: pd.Series | np.ndarray) -> pa.Array:
    """Numbers as JSON text (rounded to 4 decimals; whole numbers without a point; NaN null)."""
    numbers = pa.array(np.asarray(values, dtype="float64"), from_pandas=True)
    return pc.fill_null(pc.cast(pc.round(numbers, 4), pa.string()), "null")


def _json_values(values: pd.Series, kind: str) -> pa.Array:
    """A feature's values as JSON text."""
    if kind == "number":
        return _json_numbers(values.astype("float64"))
    if kind == "bool":
        flags = pa.array(values.astype("boolean").to_numpy(dtype=object, na_value=None))
        return pc.fill_null(pc.if_else(flags, "true", "false"), "null")
    text = pa.array(values.astype("string").to_numpy(dtype=object, na_value=None), pa.string())
    escaped = pc.replace_substring(pc.replace_substring(text, "\\", "\\\\"), '"', '\\"')
    return pc.fill_null(pc.binary_join_element_wise('"', escaped, '"', ""), "null")


def components_json(
    features: pd.DataFrame, program: Program, points: pd.DataFrame, contributions: pd.DataFrame
) -> pd.Series:
    """Per person, `{"desil": {"value": 2, "points": 9, "weight": 4, "contribution": 36}, ...}`.

    In the order of the rules file; the contributions add up to the score. Built with
    Arrow string kernels, column by column (for a part of a program's persons at a time:
    `ProgramScores.explained_in_parts`).
    """
    parts: list[pa.Array | str] = []
    for i, component in enumerate(program.score):
        parts += [
            f'{", " if i else ""}"{component.name}": {{"value": ',
            _json_values(features[component.field], FEATURES[component.field]),
            ', "points": ',
            _json_numbers(points[component.name]),
            f', "weight": {_json_weight(component.weight)}, "contribution": ',
            _json_numbers(contributions[component.name]),
            "}",
        ]
    if not parts or not len(features):
        return pd.Series("{}", index=features.index, dtype=object)
    joined = pc.binary_join_element_wise("{", *parts, "}", "")
    # Arrow-backed text: the joined buffer as is, not copied into a Python string per person
    return pd.Series(pd.arrays.ArrowStringArray(joined), index=features.index)


def _json_weight(weight: float) -> str:
    return str(int(weight)) if float(weight).is_integer() else repr(round(weight, 4))


def priority_order(frame: pd.DataFrame) -> pd.DataFrame:
    """Deterministic priority: score, then poorer desil, then older, then lower person_id."""
    return frame.sort_values(
        PRIORITY_KEYS, ascending=PRIORITY_ASCENDING, na_position="last", kind="stable"
    )


def one_per_household(decisions: pd.DataFrame) -> pd.DataFrame:
    """Keep the highest-priority eligible member per family card; the rest get HOUSEHOLD_LIMIT."""
    eligible = priority_order(decisions.loc[decisions["eligible"]])
    later = eligible.duplicated("no_kk", keep="first") & eligible["no_kk"].notna()
    out = decisions.copy(deep=False)  # copy-on-write: only the columns changed are copied
    out.loc[later[later].index, "reason_code"] = HOUSEHOLD_LIMIT
    out["eligible"] = out["reason_code"].isna()
    return out


def rank_verified(decisions: pd.DataFrame, program: Program) -> pd.DataFrame:
    """`verified_candidates`: eligible persons ranked within program and regency, quota applied."""
    eligible = priority_order(decisions.loc[decisions["eligible"]])
    eligible = eligible.assign(rank=eligible.groupby(["program", "regency_code"]).cumcount() + 1)
    quota = program.quota
    eligible["within_quota"] = True if quota is None else eligible["rank"].le(quota)
    eligible["eligible"] = True
    return eligible[VERIFIED_COLUMNS].reset_index(drop=True)
