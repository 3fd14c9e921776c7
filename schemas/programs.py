"""Program rules: eligibility conditions with reason codes, score components, premium and quota.

Rules are data (TOML), validated on load: a typo is an error naming the file, the line
and the entry (`programs.toml:57: programs.ketenagakerjaan.require[3] ...`), never a
silent default.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from schemas.codes import PROGRAMS
from schemas.occupations import UNKNOWN_GROUP, occupation_list
from schemas.reference import REGENCIES

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
    "kesehatan_arrears": "bool",
    "resident": "bool",
    "jenis_kelamin": "text",
    "regency_code": "text",
}

# The values a text feature can take: a rule naming any other value is a typo.
TEXT_VALUES: dict[str, frozenset[str]] = {
    "occupation_group": frozenset(occupation_list().groups),
    "jenis_kelamin": frozenset({"L", "P"}),
    "regency_code": frozenset(REGENCIES),
}

# Programs regencies submit files for (CONTRACT.md); a rule's candidates come from these.

# Reason codes the engine itself gives, and the usual rule codes, with the Indonesian
# explanation a regency officer reads. A rule may use another code with its own `message`.
REASON_MESSAGES: dict[str, str] = {
    "PENDING_REVIEW": "Belum ada baris yang diterima untuk program ini (masih ditinjau)",
    "REMARK_PENDING": "Keterangan pada baris lain menyebut orang ini meninggal, pindah atau sudah "
    "ditanggung; menunggu keputusan petugas provinsi",
    "HOUSEHOLD_LIMIT": "Anggota lain dari KK yang sama sudah dipilih (satu orang per KK)",
    "ALREADY_ENROLLED": "Sudah terdaftar aktif sebagai peserta BPJS",
    "AGE_OUT_OF_RANGE": "Usia di luar batas program",
    "OCCUPATION_EXCLUDED": "Pekerjaan tidak termasuk sasaran program",
    "NOT_RESIDENT": "Kartu Keluarga tidak diterbitkan di Kalimantan Timur",
    "DESIL_ABOVE_LIMIT": "Desil DTSEN di atas batas program",
    "DESIL_UNKNOWN": "Desil DTSEN tidak diisi",
    "INCOME_ABOVE_LIMIT": "Penghasilan di atas batas program",
}

# Fields a BPJS export column may take (besides a fixed `value`): the person's identity as
# submitted, where they live, the program's fixed layout values, and the rank and score.
EXPORT_FIELDS: frozenset[str] = frozenset({
    "rank", "nik", "no_kk", "nama", "tempat_lahir", "tanggal_lahir", "jenis_kelamin",
    "hubungan_keluarga", "alamat", "rt_rw", "desa", "kecamatan", "kabupaten_kota",
    "regency_code", "no_hp", "fktp", "pekerjaan", "score", "kelas_rawat", "program_bpu",
})  # fmt: skip

ReasonCode = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]+$")]
ProgramName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _check_field(field: str) -> str:
    if field not in FEATURES:
        raise ValueError(f"unknown field '{field}'; known: {', '.join(FEATURES)}")
    return FEATURES[field]


def _check_text_values(field: str, values: list[str]) -> None:
    allowed = TEXT_VALUES.get(field)
    unknown = sorted(set(values) - allowed) if allowed is not None else []
    if unknown:
        raise ValueError(
            f"'{field}' has no value {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(sorted(allowed or ()))}"
        )


class Condition(_Strict):
    """A person must satisfy this to be eligible; `reason` is the code when they don't.

    A missing value never satisfies a condition; it gives `missing_reason` if set, else
    `reason`. Conditions are checked in file order and the first one failed is reported.
    """

    reason: ReasonCode
    missing_reason: ReasonCode | None = None
    message: str | None = None  # Indonesian explanation for a code not in REASON_MESSAGES
    field: str
    equals: bool | float | str | None = None
    in_: list[str] | None = Field(default=None, alias="in")
    not_in: list[str] | None = None
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        kind = _check_field(self.field)
        tests = {
            "equals": self.equals is not None,
            "in": self.in_ is not None,
            "not_in": self.not_in is not None,
            "min/max": self.min is not None or self.max is not None,
        }
        given = [name for name, present in tests.items() if present]
        if len(given) != 1:
            raise ValueError("give exactly one of: equals, in, not_in, min/max")
        allowed = {
            "bool": {"equals"},
            "number": {"equals", "min/max"},
            "text": {"equals", "in", "not_in"},
        }[kind]
        if given[0] not in allowed:
            raise ValueError(
                f"'{self.field}' is a {kind} field; use {' or '.join(sorted(allowed))}"
            )
        if self.equals is not None:
            expected = {"bool": bool, "number": float, "text": str}[kind]
            if not isinstance(self.equals, expected) or (
                kind == "number" and isinstance(self.equals, bool)
            ):
                raise ValueError(f"'{self.field}' is a {kind} field; equals = {self.equals!r}")
        if kind == "text":
            values = self.in_ or self.not_in or [str(self.equals)]
            _check_text_values(self.field, values)
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min:g} is above max {self.max:g}")
        return self

    @property
    def explanation(self) -> str:
        """The Indonesian message for this condition's reason code."""
        return self.message or REASON_MESSAGES.get(self.reason, self.reason)


class Band(_Strict):
    """A numeric range (inclusive bounds; either may be open) and the points it gives."""

    min: float | None = None
    max: float | None = None
    points: float

    @model_validator(mode="after")
    def _ordered(self) -> Band:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min:g} is above max {self.max:g}")
        return self


class ScoreComponent(_Strict):
    """One aspect of need: points from the person's value, times `weight`.

    Number fields use `bands` (the first matching band wins; no band: 0 points), text
    fields `values` (an unlisted value: 0), bool fields `when_true` (false: 0). A missing
    value gets `missing` points (before the weight).
    """

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    field: str
    weight: float = 1.0
    bands: list[Band] | None = None
    values: dict[str, float] | None = None
    when_true: float | None = None
    missing: float = 0

    @model_validator(mode="after")
    def _one_kind(self) -> ScoreComponent:
        kind = _check_field(self.field)
        expected = {"number": "bands", "text": "values", "bool": "when_true"}[kind]
        given = [
            name
            for name, value in (
                ("bands", self.bands),
                ("values", self.values),
                ("when_true", self.when_true),
            )
            if value is not None
        ]
        if given != [expected]:
            raise ValueError(f"'{self.field}' is a {kind} field: give {expected} (only)")
        if self.bands is not None and not self.bands:
            raise ValueError("bands is empty")
        if self.values is not None:
            _check_text_values(self.field, list(self.values))
        return self


class ExportColumn(_Strict):
    """One column of a BPJS file: its header, and either a person's `field` or a fixed `value`."""

    header: str = Field(min_length=1, max_length=100)
    field: str | None = None
    value: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> ExportColumn:
        if (self.field is None) == (self.value is None):
            raise ValueError("give exactly one of: field, value")
        if self.field is not None and self.field not in EXPORT_FIELDS:
            raise ValueError(
                f"unknown export field '{self.field}'; known: {', '.join(sorted(EXPORT_FIELDS))}"
            )
        return self


class Program(_Strict):
    """One program: who is eligible, how they are ranked, what a place costs, how many places."""

    title: str
    premium_monthly: float = Field(ge=0)
    ump_monthly: float = Field(default=3_579_313, gt=0)
    quota_per_regency: int | None = Field(default=None, ge=0)
    budget_yearly_per_regency: float | None = Field(default=None, ge=0)
    one_per_household: bool = False
    # Programs whose submitted persons are this program's candidates; default: its own name.
    submitted_programs: list[ProgramName] | None = Field(default=None, min_length=1)
    # Columns of the verified-list export: the BPJS layouts, or identity columns only.
    export_layout: Literal["kesehatan", "ketenagakerjaan", "identity"] | None = None
    # The columns of the files for BPJS, in order (BPJS changes its templates); default: the
    # layout's columns.
    export_columns: list[ExportColumn] | None = Field(default=None, min_length=1)
    require: list[Condition] = []
    score: list[ScoreComponent] = []

    @model_validator(mode="after")
    def _consistent(self) -> Program:
        if self.quota_per_regency is not None and self.budget_yearly_per_regency is not None:
            raise ValueError("give quota_per_regency or budget_yearly_per_regency, not both")
        if self.budget_yearly_per_regency is not None and self.premium_monthly == 0:
            raise ValueError("budget_yearly_per_regency needs premium_monthly above 0")
        headers = [c.header for c in self.export_columns or []]
        repeated = sorted({h for h in headers if headers.count(h) > 1})
        if repeated:
            raise ValueError(f"export column headers repeated: {', '.join(repeated)}")
        names = [c.name for c in self.score]
        doubled = sorted({n for n in names if names.count(n) > 1})
        if doubled:
            raise ValueError(f"score component names repeated: {', '.join(doubled)}")
        if self.submitted_programs is not None:
            unknown = sorted(set(self.submitted_programs) - set(PROGRAMS))
            if unknown:
                raise ValueError(
                    f"submitted_programs: {', '.join(unknown)} not submitted by regencies; "
                    f"known: {', '.join(PROGRAMS)}"
                )
        return self

    @property
    def quota(self) -> int | None:
        """Places per regency: the quota, or what the yearly budget pays for."""
        if self.quota_per_regency is not None:
            return self.quota_per_regency
        if self.budget_yearly_per_regency is not None:
            return int(self.budget_yearly_per_regency // (self.premium_monthly * 12))
        return None

    def candidates_from(self, name: str) -> list[str]:
        """The submission programs whose persons this program decides on."""
        return list(self.submitted_programs or [name])

    def layout(self, name: str) -> str:
        """The export layout: as configured, else the program's own name if it is a BPJS one."""
        if self.export_layout is not None:
            return self.export_layout
        return name if name in PROGRAMS else "identity"

    def reason_messages(self) -> dict[str, str]:
        """Indonesian explanation per reason code this program can give."""
        messages = {
            code: REASON_MESSAGES[code]
            for code in ("PENDING_REVIEW", "REMARK_PENDING", "HOUSEHOLD_LIMIT")
        }
        for condition in self.require:
            messages.setdefault(condition.reason, condition.explanation)
            if condition.missing_reason:
                messages.setdefault(
                    condition.missing_reason,
                    REASON_MESSAGES.get(condition.missing_reason, condition.explanation),
                )
        return messages


class ProgramRules(_Strict):
    programs: dict[ProgramName, Program] = Field(min_length=1)

    def occupation_review(self) -> dict[str, frozenset[str]]:
        """Per submission program, the occupation groups that hold a row for review: `unknown`
        where some program deciding on its persons tests occupation, and an ambiguous group
        (`may_be`) where that test would decide differently between the groups it could be."""
        held: dict[str, set[str]] = {}
        may_be = occupation_list().may_be
        for name, program in self.programs.items():
            tests = [c for c in program.require if c.field == "occupation_group"]
            if not tests:
                continue
            groups = {UNKNOWN_GROUP} | {
                group
                for group, options in may_be.items()
                if len({all(_text_test(c, option) for c in tests) for option in options}) > 1
            }
            for submitted in program.candidates_from(name):
                held.setdefault(submitted, set()).update(groups)
        return {program: frozenset(groups) for program, groups in held.items()}


def _text_test(condition: Condition, value: str) -> bool:
    """Whether a text value satisfies a condition (equals, in, not_in)."""
    if condition.in_ is not None:
        return value in condition.in_
    if condition.not_in is not None:
        return value not in condition.not_in
    return value == str(condition.equals)


def rule_problems(rules: ProgramRules) -> list[tuple[tuple[Any, ...], str]]:
    """Problems across fields that pydantic cannot place: (location, message) pairs."""
    problems: list[tuple[tuple[Any, ...], str]] = []
    for name, program in rules.programs.items():
        if program.submitted_programs is None and name not in PROGRAMS:
            problems.append(
                (
                    ("programs", name),
                    f"program '{name}' is not one regencies submit for: set "
                    'submitted_programs (e.g. ["kesehatan", "ketenagakerjaan"])',
                )
            )
    return problems


class RulesError(ValueError):
    """A rules file that does not validate; the message names the file, line and entry."""


def load_rules(path: Path) -> ProgramRules:
    """Read and validate a rules file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesError(f"{path}: cannot read program rules ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise RulesError(f"{path}: program rules are not UTF-8 text") from exc
    return parse_rules(text, str(path))


def parse_rules(text: str, source: str = "programs.toml") -> ProgramRules:
    """Parse and validate program rules from TOML text; every problem on one line."""
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{source}: invalid TOML: {exc}") from exc
    try:
        rules = ProgramRules.model_validate(data)
    except ValidationError as exc:
        problems = [(tuple(e["loc"]), _message(e)) for e in exc.errors()]
    else:
        problems = rule_problems(rules)
    if not problems:
        return rules
    lines = toml_locations(text)
    described = []
    for loc, message in problems:
        line = _line_of(lines, loc)
        where = f"{source}:{line}" if line else source
        entry = _describe_location(data, loc)
        described.append(f"{where}: {entry}: {message}" if entry else f"{where}: {message}")
    raise RulesError("; ".join(described))


def _message(error: Any) -> str:
    """A pydantic error as a rules author reads it."""
    key = error["loc"][-1] if error["loc"] else ""
    if error["type"] == "extra_forbidden":
        return f"unknown key '{key}' (a typo?)"
    if error["type"] == "missing":
        return f"'{key}' is required"
    return str(error["msg"]).removeprefix("Value error, ")


def _line_of(lines: dict[tuple[Any, ...], int], loc: tuple[Any, ...]) -> int | None:
    """The line of the longest prefix of a pydantic location that the file spells out."""
    for end in range(len(loc), 0, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def _describe_location(data: dict[str, Any], loc: tuple[Any, ...]) -> str:
    """`programs.kesehatan.require[2] (reason = 'X')` from a pydantic error location."""
    parts: list[str] = []
    node: Any = data
    named: Any = None
    for step in loc:
        if not isinstance(node, dict | list):
            break
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            if isinstance(step, str) and step not in ("bool", "float", "str", "[key]"):
                parts.append(step)
            break
        if isinstance(step, int):
            parts[-1] = f"{parts[-1]}[{step + 1}]"
        else:
            parts.append(str(step))
        if isinstance(node, dict) and ("reason" in node or "name" in node):
            named = node
    hint = ""
    if isinstance(named, dict):
        key = "reason" if "reason" in named else "name"
        hint = f" ({key} = {named[key]!r})"
    return ".".join(parts) + hint


# --- where each entry of a TOML text is, for error messages -----------------------------

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


class _Scanner:
    """A lenient reader of TOML text (already known to be valid) that records line numbers.

    `locations` maps a path as pydantic reports it, e.g. ("programs", "kesehatan",
    "require", 2, "field"), to the 1-based line where that entry starts.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.locations: dict[tuple[Any, ...], int] = {}
        self.array_tables: dict[tuple[Any, ...], int] = {}

    def peek(self, n: int = 1) -> str:
        return self.text[self.pos : self.pos + n]

    def advance(self, n: int = 1) -> None:
        self.line += self.text.count("\n", self.pos, self.pos + n)
        self.pos += n

    def skip_space(self, newlines: bool) -> None:
        while self.pos < len(self.text):
            ch = self.peek()
            if ch in " \t\r" or (newlines and ch == "\n"):
                self.advance()
            elif ch == "#":
                end = self.text.find("\n", self.pos)
                self.advance((len(self.text) if end < 0 else end) - self.pos)
            else:
                return

    def key(self) -> list[str]:
        parts = []
        while True:
            self.skip_space(False)
            if self.peek() in ('"', "'"):
                parts.append(self.string())
            else:
                match = _BARE_KEY.match(self.text, self.pos)
                word = match.group(0) if match else ""
                self.advance(len(word))
                parts.append(word)
            self.skip_space(False)
            if self.peek() != ".":
                return parts
            self.advance()

    def string(self) -> str:
        quote = self.peek()
        if self.peek(3) == quote * 3:
            end = self.text.find(quote * 3, self.pos + 3)
            value = self.text[self.pos + 3 : end]
            self.advance(end + 3 - self.pos)
            return value
        start = self.pos + 1
        i = start
        while i < len(self.text) and self.text[i] != quote:
            i += 2 if quote == '"' and self.text[i] == "\\" else 1
        value = self.text[start:i]
        self.advance(i + 1 - self.pos)
        return value if quote == "'" else value.encode().decode("unicode_escape", "replace")

    def value(self, path: tuple[Any, ...]) -> None:
        ch = self.peek()
        if ch in ('"', "'"):
            self.string()
        elif ch == "[":
            self.advance()
            index = 0
            while True:
                self.skip_space(True)
                if self.peek() in ("]", ""):
                    self.advance()
                    return
                self.locations.setdefault((*path, index), self.line)
                self.value((*path, index))
                index += 1
                self.skip_space(True)
                if self.peek() == ",":
                    self.advance()
        elif ch == "{":
            self.advance()
            while True:
                self.skip_space(True)
                if self.peek() in ("}", ""):
                    self.advance()
                    return
                self.key_value(path)
                self.skip_space(True)
                if self.peek() == ",":
                    self.advance()
        else:
            match = re.compile(r"[^,\]}\s#]+").match(self.text, self.pos)
            self.advance(len(match.group(0)) if match else 1)

    def key_value(self, table: tuple[Any, ...]) -> None:
        line = self.line
        path = (*table, *self.key())
        self.locations.setdefault(path, line)
        self.skip_space(False)
        if self.peek() == "=":
            self.advance()
        self.skip_space(False)
        self.value(path)

    def header(self) -> tuple[Any, ...]:
        array = self.peek(2) == "[["
        self.advance(2 if array else 1)
        parts = self.key()
        self.advance(2 if array else 1)
        path: tuple[Any, ...] = ()
        for i, part in enumerate(parts):
            path = (*path, part)
            self.locations.setdefault(path, self.line)
            last = i == len(parts) - 1
            if array and last:
                count = self.array_tables.get(path, 0)
                self.array_tables[path] = count + 1
                path = (*path, count)
            elif path in self.array_tables:
                path = (*path, self.array_tables[path] - 1)
        self.locations.setdefault(path, self.line)
        return path

    def scan(self) -> dict[tuple[Any, ...], int]:
        table: tuple[Any, ...] = ()
        while True:
            self.skip_space(True)
            if self.pos >= len(self.text):
                return self.locations
            start = self.pos
            if self.peek() == "[":
                table = self.header()
            else:
                self.key_value(table)
            if self.pos == start:  # never stall on text this reader does not understand
                self.advance()


def toml_locations(text: str) -> dict[tuple[Any, ...], int]:
    """Line number (1-based) of every table, array-of-tables entry, key and array element."""
    return _Scanner(text).scan()
