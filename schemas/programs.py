"""Program rules: eligibility conditions with reason codes, score components, premium and quota.

Rules are data (TOML), validated on load so a typo is an error that names the program and
the entry, never a silent default.
"""

from __future__ import annotations

import tomllib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

# Person features the scoring stage computes; rules may only name these.
FEATURES: dict[str, Literal["number", "bool", "text"]] = {
    "age": "number",
    "desil": "number",
    "disabilitas": "bool",
    "jumlah_tanggungan": "number",
    "penghasilan": "number",
    "income_to_ump": "number",
    "occupation_group": "text",
    "enrolled_kesehatan": "bool",
    "enrolled_ketenagakerjaan": "bool",
    "kesehatan_self_paying": "bool",
    "resident": "bool",
    "jenis_kelamin": "text",
    "regency_code": "text",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(_Strict):
    """A person must satisfy this to be eligible; `reason` is the code when they don't."""

    reason: str = Field(pattern=r"^[A-Z][A-Z0-9_]+$")
    field: str
    equals: bool | str | float | None = None
    in_: list[str] | None = Field(default=None, alias="in")
    not_in: list[str] | None = None
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        if self.field not in FEATURES:
            raise ValueError(f"unknown field '{self.field}'; known: {', '.join(FEATURES)}")
        tests = [
            self.equals is not None,
            self.in_ is not None,
            self.not_in is not None,
            self.min is not None or self.max is not None,
        ]
        if sum(tests) != 1:
            raise ValueError("give exactly one of: equals, in, not_in, min/max")
        return self


class Band(_Strict):
    min: float | None = None
    max: float | None = None
    points: float


class ScoreComponent(_Strict):
    """Points for one aspect of need; the first matching band wins."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    field: str
    bands: list[Band] | None = None
    values: dict[str, float] | None = None
    when_true: float | None = None
    missing: float = 0

    @model_validator(mode="after")
    def _one_kind(self) -> ScoreComponent:
        if self.field not in FEATURES:
            raise ValueError(f"unknown field '{self.field}'; known: {', '.join(FEATURES)}")
        kinds = [self.bands is not None, self.values is not None, self.when_true is not None]
        if sum(kinds) != 1:
            raise ValueError("give exactly one of: bands, values, when_true")
        return self


class Program(_Strict):
    title: str
    premium_monthly: float = Field(ge=0)
    ump_monthly: float = Field(default=3_579_313, gt=0)
    quota_per_regency: int | None = Field(default=None, ge=0)
    budget_yearly_per_regency: float | None = Field(default=None, ge=0)
    one_per_household: bool = False
    submitted_programs: list[str] | None = None  # None: persons submitted for this program
    require: list[Condition] = []
    score: list[ScoreComponent] = []

    @property
    def quota(self) -> int | None:
        """Places per regency: the quota, or what the yearly budget pays for."""
        if self.quota_per_regency is not None:
            return self.quota_per_regency
        if self.budget_yearly_per_regency is not None and self.premium_monthly > 0:
            return int(self.budget_yearly_per_regency // (self.premium_monthly * 12))
        return None


class ProgramRules(_Strict):
    programs: dict[str, Program]


class RulesError(ValueError):
    """A rules file that does not validate; the message names the file and the entry."""


def parse_rules(text: str, source: str = "programs.toml") -> ProgramRules:
    """Parse and validate program rules from TOML text."""
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{source}: {exc}") from exc
    try:
        return ProgramRules.model_validate(data)
    except ValidationError as exc:
        problems = [f"{_describe_location(data, e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise RulesError(f"{source}: " + "; ".join(problems)) from exc


def _describe_location(data: dict[str, Any], loc: tuple[Any, ...]) -> str:
    """`programs.kesehatan.require[2] (reason = "X")` from a pydantic error location."""
    parts: list[str] = []
    node: Any = data
    for step in loc:
        if isinstance(step, int):
            parts[-1] = f"{parts[-1]}[{step + 1}]"
        else:
            parts.append(str(step))
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            break
    hint = ""
    if isinstance(node, dict) and ("reason" in node or "name" in node):
        hint = f" ({'reason' if 'reason' in node else 'name'} = {node.get('reason', node.get('name'))!r})"
    return ".".join(parts) + hint
