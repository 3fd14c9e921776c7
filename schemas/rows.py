"""pandera schemas for submission rows (raw as read, canonical with the row rules) and the outputs.

Every dataframe check on `CanonicalRows` is a row rule named by its row code (see
`schemas/codes.py`) and passes where the row is fine for that code. `failing_checks` runs the
schema lazily and reads, from each failed check, the rows it failed; `issues_from_checks`
turns those into `row_issues` records with the code's severity and an Indonesian message that
names the column, shows the value as written and says how to fix it.

Speed: pandera copies every failing row of the validated frame into its failure cases and
formats them into a message, once per check. That costs more than the rules themselves on a
million rows, so the rules return their verdict on row positions (`_verdict`), which pandera
does not align with the frame and so takes no failure cases from; the failing rows are read
from each error's boolean `check_output` instead. The frame validated is narrowed to the
columns the rules read.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pyarrow
import pyarrow.compute as pc
from pandera.typing import Series

from schemas.codes import PROGRAMS, ROW_CODES, ROW_KEYS, Severity, issue_code
from schemas.reference import REGENCIES
from schemas.text import arrow_text, lookup, only_digits

STATUS_ORDER = {"accepted": 0, "review": 1, "rejected": 2}
SEVERITY_STATUS = {Severity.ERROR: "rejected", Severity.REVIEW: "review"}
SEVERITY_RANK = {"error": 2, "review": 1, "warning": 0}
TEXT = pd.StringDtype("pyarrow")
STR = pd.Series(dtype=str).dtype  # what `astype(str)` gives (Arrow-backed text, NaN missing)

# Keyword arguments of every row-rule check: no NA shortcut (the rules handle NA themselves)
# and one failure case at most (the failing rows come from `check_output`; see `_verdict`).
RULE = {"ignore_na": False, "n_failure_cases": 1}


class RawRows(pa.DataFrameModel):
    """Rows as read from a sheet: where they came from, cell values untouched."""

    file_name: Series[str]
    sheet: Series[str]
    row_number: Series[int] = pa.Field(ge=1)
    regency_code: Series[str] = pa.Field(str_matches=r"^64[0-9]{2}$")
    program: Series[str] = pa.Field(isin=list(PROGRAMS))

    class Config:
        strict = False
        unique = ["file_name", "sheet", "row_number"]


def _verdict(ok: pd.Series) -> pd.Series:
    """A rule's verdict on row positions 1..n, not on the frame's index: pandera then skips
    copying the failing rows into failure cases; `failing_checks` reads `check_output`."""
    values = np.asarray(ok, dtype=bool)
    return pd.Series(values, index=pd.RangeIndex(1, len(values) + 1), copy=False)


def _flag(df: pd.DataFrame, column: str) -> np.ndarray:
    """A boolean row flag; all False when the frame has no such column (made elsewhere)."""
    if column not in df:
        return np.zeros(len(df), dtype=bool)
    return df[column].fillna(False).to_numpy(dtype=bool)


def _unknown_occupation(df: pd.DataFrame) -> np.ndarray:
    return df["occupation_group"].eq("unknown").fillna(False).to_numpy(dtype=bool)


def _eq_or_absent(a: pd.Series, b: pd.Series) -> pd.Series:
    return (a.isna() | b.isna() | a.eq(b)).fillna(True).astype(bool)


class CanonicalRows(pa.DataFrameModel):
    """Typed rows; each dataframe check is a row rule named by its code (True = fine).

    `*_written` flags say a cell held something (before any parsing); the rules read them,
    the typed fields and the decoded NIK flags made by `transforms.validate.normalise.canonicalise`.
    """

    regency_code: Series[str]
    nik: Series[TEXT] = pa.Field(nullable=True)
    no_kk: Series[TEXT] = pa.Field(nullable=True)
    jenis_kelamin: Series[TEXT] = pa.Field(nullable=True, isin=["L", "P"])
    tanggal_lahir: Series[pa.DateTime] = pa.Field(nullable=True)
    desil: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=1, le=10)
    jumlah_tanggungan: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0, le=30)

    class Config:
        strict = False

    @pa.check("nik", "no_kk", name="sixteen_digits")
    def sixteen_digits(cls, values: pd.Series) -> pd.Series:
        """A cleaned NIK/KK is 16 ASCII digits (or absent): a canonicalise bug otherwise."""
        text = arrow_text(values)
        ok = only_digits(text, 16) | ~pc.is_valid(text).to_numpy(zero_copy_only=False)
        return pd.Series(ok, index=values.index)

    @pa.dataframe_check(name="NIK_MISSING", **RULE)
    def nik_present(cls, df: pd.DataFrame) -> pd.Series:
        return _verdict(df["nik_written"])

    @pa.dataframe_check(name="NIK_TRUNCATED", **RULE)
    def nik_not_scientific(cls, df: pd.DataFrame) -> pd.Series:
        return _verdict(~df["nik_scientific"])

    @pa.dataframe_check(name="NIK_FORMAT", **RULE)
    def nik_sixteen_digits(cls, df: pd.DataFrame) -> pd.Series:
        return _verdict(~df["nik_written"] | df["nik_scientific"] | df["nik"].notna())

    @pa.dataframe_check(name="NIK_TRUNCATED_SUSPECT", **RULE)
    def nik_not_rounded(cls, df: pd.DataFrame) -> pd.Series:
        return _verdict(~df["nik_truncation_suspect"])

    @pa.dataframe_check(name="NIK_PROVINCE", **RULE)
    def nik_province_known(cls, df: pd.DataFrame) -> pd.Series:
        return _verdict(df["nik_province_ok"])

    @pa.dataframe_check(name="NIK_DATE", **RULE)
    def nik_date_possible(cls, df: pd.DataFrame) -> pd.Series:
        return _verdict(df["nik_date_ok"])

    @pa.dataframe_check(name="NIK_SERIAL", **RULE)
    def nik_serial_nonzero(cls, df: pd.DataFrame) -> pd.Series:
        return _verdict(df["nik_serial_ok"])

    @pa.dataframe_check(name="NIK_KECAMATAN_UNKNOWN", **RULE)
    def nik_district_known(cls, df: pd.DataFrame) -> pd.Series:
        return _verdict(df["nik_district_known"] | ~df["nik_province_ok"])

    @pa.dataframe_check(name="NIK_DOB_MISMATCH", **RULE)
    def nik_date_matches_column(cls, df: pd.DataFrame) -> pd.Series:
        """Day, month and two-digit year agree (the NIK's century is only inferred)."""
        a, b = df["nik_dob"], df["tanggal_lahir"]
        comparable = a.notna() & b.notna() & df["nik_date_ok"]
        same = (
            (a.dt.day == b.dt.day)
            & (a.dt.month == b.dt.month)
            & (a.dt.year % 100 == b.dt.year % 100)
        )
        return _verdict(~comparable | same)

    @pa.dataframe_check(name="NIK_SEX_MISMATCH", **RULE)
    def nik_sex_matches_column(cls, df: pd.DataFrame) -> pd.Series:
        comparable = df["nik_date_ok"]
        return _verdict(~comparable | _eq_or_absent(df["jenis_kelamin_stated"], df["nik_sex"]))

    @pa.dataframe_check(name="KK_MISSING", **RULE)
    def kk_present(cls, df: pd.DataFrame) -> pd.Series:
        return _verdict(df["kk_written"])

    @pa.dataframe_check(name="KK_FORMAT", **RULE)
    def kk_sixteen_digits(cls, df: pd.DataFrame) -> pd.Series:
        return _verdict(~df["kk_written"] | df["no_kk"].notna())

    @pa.dataframe_check(name="KK_TRUNCATED", **RULE)
    def kk_not_rounded(cls, df: pd.DataFrame) -> pd.Series:
        return _verdict(~df["kk_truncation_suspect"])

    @pa.dataframe_check(name="KK_REGION", **RULE)
    def kk_from_submitting_regency(cls, df: pd.DataFrame) -> pd.Series:
        return _verdict(_eq_or_absent(df["no_kk"].str.slice(0, 4), df["regency_code"]))

    @pa.dataframe_check(name="NAME_MISSING", **RULE)
    def name_present(cls, df: pd.DataFrame) -> pd.Series:
        return _verdict(df["nama_written"])

    @pa.dataframe_check(name="NAME_INVALID", **RULE)
    def name_readable(cls, df: pd.DataFrame) -> pd.Series:
        return _verdict(~df["nama_invalid"])

    @pa.dataframe_check(name="DOB_MISSING", **RULE)
    def dob_present(cls, df: pd.DataFrame) -> pd.Series:
        return _verdict(df["tanggal_lahir_written"])

    @pa.dataframe_check(name="DOB_INVALID", **RULE)
    def dob_plausible(cls, df: pd.DataFrame) -> pd.Series:
        age = df["age"]
        ok = df["tanggal_lahir"].notna() & age.between(0, 120).fillna(False)
        return _verdict((~df["tanggal_lahir_written"] | ok).astype(bool))

    @pa.dataframe_check(name="SEX_INVALID", **RULE)
    def sex_known(cls, df: pd.DataFrame) -> pd.Series:
        return _verdict(df["jenis_kelamin"].notna())

    @pa.dataframe_check(name="SEX_DERIVED", **RULE)
    def sex_stated(cls, df: pd.DataFrame) -> pd.Series:
        return _verdict(df["jenis_kelamin_stated"].notna() | df["jenis_kelamin"].isna())

    @pa.dataframe_check(name="OCCUPATION_UNKNOWN", **RULE)
    def occupation_known(cls, df: pd.DataFrame) -> pd.Series:
        """Not recognised where the row's program tests occupation: held for review."""
        return _verdict(~(_unknown_occupation(df) & _flag(df, "occupation_held")))

    @pa.dataframe_check(name="OCCUPATION_UNKNOWN_NOTE", **RULE)
    def occupation_known_note(cls, df: pd.DataFrame) -> pd.Series:
        """Not recognised where no rule tests occupation: a note."""
        return _verdict(~(_unknown_occupation(df) & ~_flag(df, "occupation_held")))

    @pa.dataframe_check(name="OCCUPATION_AMBIGUOUS", **RULE)
    def occupation_unambiguous(cls, df: pd.DataFrame) -> pd.Series:
        """Recognised, but in a group the program's occupation rule cannot decide on."""
        return _verdict(~(~_unknown_occupation(df) & _flag(df, "occupation_held")))

    @pa.dataframe_check(name="REMARK_DECEASED", **RULE)
    def remark_not_deceased(cls, df: pd.DataFrame) -> pd.Series:
        return _verdict(~_flag(df, "remark_deceased"))

    @pa.dataframe_check(name="REMARK_MOVED", **RULE)
    def remark_not_moved(cls, df: pd.DataFrame) -> pd.Series:
        return _verdict(~_flag(df, "remark_moved"))

    @pa.dataframe_check(name="REMARK_DUPLICATE", **RULE)
    def remark_not_duplicate(cls, df: pd.DataFrame) -> pd.Series:
        return _verdict(~_flag(df, "remark_duplicate"))

    @pa.dataframe_check(name="REMARK_COVERED", **RULE)
    def remark_not_covered(cls, df: pd.DataFrame) -> pd.Series:
        return _verdict(~_flag(df, "remark_covered"))

    @pa.dataframe_check(name="INCOME_UNREADABLE", **RULE)
    def income_readable(cls, df: pd.DataFrame) -> pd.Series:
        return _verdict(~df["penghasilan_unreadable"])

    @pa.dataframe_check(name="DESIL_UNREADABLE", **RULE)
    def desil_readable(cls, df: pd.DataFrame) -> pd.Series:
        return _verdict(~df["desil_unreadable"])

    @pa.dataframe_check(name="DISABILITY_UNREADABLE", **RULE)
    def disability_readable(cls, df: pd.DataFrame) -> pd.Series:
        return _verdict(~df["disabilitas_unreadable"])

    @pa.dataframe_check(name="DEPENDENTS_UNREADABLE", **RULE)
    def dependents_readable(cls, df: pd.DataFrame) -> pd.Series:
        return _verdict(~df["jumlah_tanggungan_unreadable"])


class RowIssues(pa.DataFrameModel):
    """The `row_issues` table: zero or more findings per submission row."""

    file_name: Series[str]
    sheet: Series[str]
    row_number: Series[int] = pa.Field(ge=1)
    code: Series[str] = pa.Field(isin=sorted({issue_code(c) for c in ROW_CODES}))
    severity: Series[str] = pa.Field(isin=[s.value for s in Severity])
    column_name: Series[str]
    value: Series[str] = pa.Field(nullable=True)
    message: Series[str]

    class Config:
        strict = True


class VerifiedCandidates(pa.DataFrameModel):
    """The `verified_candidates` table as written: one row per program and person, ranked."""

    program: Series[str]
    person_id: Series[int] = pa.Field(ge=1)
    nik: Series[str] = pa.Field(str_matches=r"^[0-9]{16}$")
    regency_code: Series[str] = pa.Field(str_matches=r"^64[0-9]{2}$")
    eligible: Series[bool] = pa.Field(isin=[True])
    score: Series[float]
    rank: Series[int] = pa.Field(ge=1)
    within_quota: Series[bool]

    class Config:
        strict = False
        coerce = False
        unique = ["program", "person_id"]

    @pa.dataframe_check(name="RANK_UNIQUE_PER_REGENCY")
    def rank_unique(cls, df: pd.DataFrame) -> pd.Series:
        return ~df.duplicated(["program", "regency_code", "rank"], keep=False)

    @pa.dataframe_check(name="QUOTA_IS_A_PREFIX")
    def quota_prefix(cls, df: pd.DataFrame) -> pd.Series:
        """Within a program and regency, everyone within quota ranks above everyone outside it."""
        keys = [df["program"], df["regency_code"]]
        last_in = df["rank"].where(df["within_quota"]).groupby(keys).transform("max")
        return (df["within_quota"] | ~(df["rank"] < last_in)).fillna(True).astype(bool)


# Columns the rules read. pandera copies every column of a failing row once per failed check,
# so the frame validated holds only these (presence flags instead of the written text).
CHECK_COLUMNS = [
    "regency_code", "nik", "nik_written", "nik_scientific", "nik_truncation_suspect",
    "nik_province_ok", "nik_date_ok", "nik_serial_ok", "nik_district_known", "nik_dob",
    "nik_sex", "no_kk", "kk_written", "kk_truncation_suspect", "nama_written", "nama_invalid",
    "tanggal_lahir", "tanggal_lahir_written", "age", "jenis_kelamin", "jenis_kelamin_stated",
    "occupation_group", "occupation_held", "remark_deceased", "remark_moved",
    "remark_duplicate", "remark_covered", "penghasilan_unreadable", "desil", "desil_unreadable",
    "disabilitas_unreadable", "jumlah_tanggungan", "jumlah_tanggungan_unreadable",
]  # fmt: skip
RULE_NAMES = [c.name for c in CanonicalRows.to_schema().checks]

# Which check suppresses which: one root cause gives one message, not a cascade.
_SUPERSEDED_BY = {
    "NIK_FORMAT": ["NIK_MISSING", "NIK_TRUNCATED"],
    "NIK_DOB_MISMATCH": ["DOB_INVALID"],
}


def failing_checks(canonical: pd.DataFrame) -> pd.DataFrame:
    """Run `CanonicalRows` lazily; return the (row index, check name) pairs that failed.

    Raises ValueError when the canonical frame breaks the schema itself (a wrong type, a
    malformed NIK that passed cleaning): that is a bug in `canonicalise`, not a row finding.
    """
    frame = canonical[[c for c in CHECK_COLUMNS if c in canonical]]
    frame = frame.set_axis(pd.RangeIndex(len(frame)))  # never aligned with a `_verdict`
    found = [_empty_failures()]
    try:
        CanonicalRows.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        unexpected = []
        for error in errors.schema_errors:
            name = getattr(error.check, "name", None)
            if name in ROW_CODES and error.check_output is not None:
                failed = ~error.check_output.to_numpy(dtype=bool)
                found.append(pd.DataFrame({"index": canonical.index[failed], "check": name}))
            else:
                unexpected.append(_describe(error))
        if unexpected:
            raise ValueError(f"canonical rows break the schema: {unexpected[:5]}") from None
    cases = pd.concat(found, ignore_index=True)
    return cases.astype({"index": "int64", "check": "str"})


def _describe(error: pa.errors.SchemaError) -> str:
    """Which check failed on which column, and how often: never the values (NIKs, names)."""
    check = getattr(error.check, "name", None) or str(error.reason_code)
    column = getattr(error.schema, "name", None) or "frame"
    output = error.check_output
    count = int((~output.to_numpy(dtype=bool)).sum()) if output is not None else "?"
    return f"{check} on {column}: {count} rows"


def validate_verified(verified: pd.DataFrame) -> None:
    """Validate the verified lists before they are written; the error names checks and counts,
    never NIKs (it ends up in logs)."""
    try:
        VerifiedCandidates.validate(verified, lazy=True)
    except pa.errors.SchemaErrors as errors:
        found = [_describe(error) for error in errors.schema_errors]
        raise ValueError(f"verified lists break the schema: {found[:5]}") from None


def _empty_failures() -> pd.DataFrame:
    return pd.DataFrame({"index": pd.Series(dtype="int64"), "check": pd.Series(dtype="str")})


def _digit_count(digits: pd.Series) -> pd.Series:
    count = digits.str.count(r"[0-9]").astype("Int64").astype(TEXT) + " digit"
    other = digits.str.contains(r"[^0-9]", regex=True).fillna(False)
    return count.where(~other, count + ", berisi huruf atau tanda lain").fillna("")


_REGION_LABELS = {code: f"{code} ({r.full_name})" for code, r in REGENCIES.items()}


def _region_label(codes: pd.Series) -> pd.Series:
    """`6472 (Kota Samarinda)` for a known regency code, the code as is otherwise."""
    text = arrow_text(codes.astype(TEXT))
    labels = pc.coalesce(lookup(text, _REGION_LABELS, pyarrow.large_string()), text)
    return pd.Series(pd.arrays.ArrowStringArray(labels), index=codes.index, copy=False)


def _detail(code: str, rows: pd.DataFrame) -> pd.Series:
    """Per-row detail for the message (`{detail}`)."""
    empty = pd.Series("", index=rows.index, dtype=TEXT)
    if code == "NIK_FORMAT":
        return _digit_count(rows["nik_digits"])
    if code == "KK_FORMAT":
        scientific = rows["kk_scientific"].to_numpy(dtype=bool)
        return _digit_count(rows["kk_digits"]).where(
            ~scientific, "notasi ilmiah, digit sudah hilang"
        )
    if code in ("NIK_TRUNCATED_SUSPECT", "KK_TRUNCATED"):
        digits = rows["nik" if code == "NIK_TRUNCATED_SUSPECT" else "no_kk"]
        ends0 = digits.str.endswith("0").fillna(False).to_numpy(dtype=bool)
        return pd.Series(
            np.where(ends0, " dan berakhiran 0", " melebihi ketelitian angka Excel"),
            index=rows.index,
            dtype=TEXT,
        )
    if code == "NIK_PROVINCE":
        return rows["nik"].str.slice(0, 2).fillna("")
    if code == "NIK_DATE":
        return rows["nik"].str.slice(6, 12).fillna("")
    if code == "NIK_KECAMATAN_UNKNOWN":
        return rows["nik"].str.slice(0, 6).fillna("")
    if code == "NIK_DOB_MISMATCH":
        return rows["nik_dob"].dt.strftime("%d-%m-%Y").astype(TEXT).fillna("")
    if code in ("NIK_SEX_MISMATCH", "SEX_DERIVED"):
        column = "nik_sex" if code == "NIK_SEX_MISMATCH" else "jenis_kelamin"
        labels = {"L": "laki-laki (L)", "P": "perempuan (P)"}
        return rows[column].map(labels, na_action="ignore").astype(TEXT).fillna("")
    if code == "KK_REGION":
        return _region_label(rows["no_kk"].str.slice(0, 4)).fillna("")
    if code == "NAME_INVALID":
        return rows["nama_problem"].astype(TEXT).fillna("")
    if code == "OCCUPATION_AMBIGUOUS":
        return rows["pekerjaan"].astype(TEXT).fillna("")
    if code == "DOB_INVALID":
        age = rows["age"]
        text = np.where(
            rows["tanggal_lahir"].isna().to_numpy(),
            "tidak dapat dibaca sebagai tanggal",
            np.where(
                age.lt(0).fillna(False).to_numpy(dtype=bool),
                "ada di masa depan",
                "berarti umur lebih dari 120 tahun",
            ),
        )
        return pd.Series(text, index=rows.index, dtype=TEXT)
    return empty


RAW_SOURCE = {
    "nik": "nik_raw",
    "no_kk": "kk_raw",
    "tanggal_lahir": "tanggal_lahir_raw",
    "jenis_kelamin": "jenis_kelamin_raw",
    "pekerjaan": "pekerjaan_raw",
    "keterangan": "keterangan",
    "penghasilan": "penghasilan_raw",
    "desil": "desil_raw",
    "disabilitas": "disabilitas_raw",
    "jumlah_tanggungan": "jumlah_tanggungan_raw",
}


def _value(code: str, rows: pd.DataFrame) -> pd.Series:
    """The cell as the regency wrote it, for the column the code blames."""
    column = ROW_CODES[code].column
    source = RAW_SOURCE.get(column, column)
    if source not in rows:
        return pd.Series(pd.NA, index=rows.index, dtype=TEXT)
    return rows[source].astype(TEXT)


# Columns `issues_from_checks` reads per code besides the row keys and the value shown.
DETAIL_COLUMNS = {
    "NIK_FORMAT": ["nik_digits"],
    "KK_FORMAT": ["kk_digits", "kk_scientific"],
    "NIK_TRUNCATED_SUSPECT": ["nik"],
    "KK_TRUNCATED": ["no_kk"],
    "NIK_PROVINCE": ["nik"],
    "NIK_DATE": ["nik"],
    "NIK_KECAMATAN_UNKNOWN": ["nik"],
    "NIK_DOB_MISMATCH": ["nik_dob"],
    "NIK_SEX_MISMATCH": ["nik_sex"],
    "SEX_DERIVED": ["jenis_kelamin"],
    "KK_REGION": ["no_kk"],
    "NAME_INVALID": ["nama_problem"],
    "OCCUPATION_AMBIGUOUS": ["pekerjaan"],
    "DOB_INVALID": ["tanggal_lahir", "age"],
}


def issues_from_checks(canonical: pd.DataFrame, failed: pd.DataFrame) -> pd.DataFrame:
    """Failure cases to `row_issues` records with severities and Indonesian messages.

    The result is indexed like the canonical rows it describes (one label per issue), in
    row order, then code.
    """
    frames = []
    positions = failed.assign(position=canonical.index.get_indexer(failed["index"]))
    for check, group in positions.groupby("check", sort=True):
        idx = group["index"]
        superseders = _SUPERSEDED_BY.get(check, [])
        if superseders:
            idx = idx[~idx.isin(failed.loc[failed["check"].isin(superseders), "index"])]
        if not len(idx):
            continue
        spec = ROW_CODES[check]
        source = RAW_SOURCE.get(spec.column, spec.column)
        wanted = [*ROW_KEYS, source, *DETAIL_COLUMNS.get(check, [])]
        wanted = list(dict.fromkeys(c for c in wanted if c in canonical))
        rows = canonical[wanted].take(group.loc[idx.index, "position"].to_numpy())
        value = _value(check, rows)
        frames.append(
            issue_records(
                rows, issue_code(check), spec.severity.value, spec.column, value,
                fill_message(spec.message, value, _detail(check, rows)),
            )
        )  # fmt: skip
    if not frames:
        return empty_issues()
    issues = pd.concat(frames)
    order = np.lexsort((issues["code"].to_numpy(), canonical.index.get_indexer(issues.index)))
    return issues.take(order)


def issue_records(
    rows: pd.DataFrame,
    code: str,
    severity: str,
    column: str,
    value: pd.Series,
    message: pd.Series,
) -> pd.DataFrame:
    """`row_issues` records for `rows` (which carry the row keys) with one code, on their index."""
    n = len(rows)
    return pd.DataFrame(
        {
            "file_name": rows["file_name"].array,
            "sheet": rows["sheet"].array,
            "row_number": rows["row_number"].astype("int64").to_numpy(),
            "code": _repeated(code, n),
            "severity": _repeated(severity, n),
            "column_name": _repeated(column, n),
            "value": value.astype(TEXT).array,
            "message": message.array,
        },
        index=rows.index,
    )


def _repeated(text: str, n: int) -> pd.api.extensions.ExtensionArray:
    """`text` n times as a `str` column (built in Arrow, not one Python string per row)."""
    return pd.array(pyarrow.repeat(pyarrow.scalar(text, pyarrow.large_string()), n), dtype=STR)


def fill_message(template: str, value: pd.Series, detail: pd.Series) -> pd.Series:
    """The code's message with `{value}` (the cell as written) and `{detail}` filled per row."""
    fillers = {
        "{value}": value.astype(TEXT).fillna("(kosong)"),
        "{detail}": detail.astype(TEXT).fillna(""),
    }
    pieces: list[object] = [template]
    for token, filler in fillers.items():
        expanded: list[object] = []
        for piece in pieces:
            if isinstance(piece, str) and token in piece:
                head, tail = piece.split(token, 1)
                expanded += [head, pyarrow.array(filler.array).cast(pyarrow.string()), tail]
            else:
                expanded.append(piece)
        pieces = expanded
    if len(pieces) == 1:
        return pd.Series(template, index=value.index, dtype=str)
    text = pc.binary_join_element_wise(*pieces, "")
    return pd.Series(pd.arrays.ArrowStringArray(text), index=value.index, copy=False).astype(str)


def empty_issues() -> pd.DataFrame:
    """An empty `row_issues` frame with the contract's columns."""
    return pd.DataFrame(
        {
            "file_name": pd.Series(dtype=str),
            "sheet": pd.Series(dtype=str),
            "row_number": pd.Series(dtype="int64"),
            "code": pd.Series(dtype=str),
            "severity": pd.Series(dtype=str),
            "column_name": pd.Series(dtype=str),
            "value": pd.Series(dtype=TEXT),
            "message": pd.Series(dtype=str),
        }
    )


def row_status(canonical: pd.DataFrame, issues: pd.DataFrame) -> pd.Series:
    """accepted / review / rejected per canonical row from the severities of its issues."""
    rank = issues["severity"].map(SEVERITY_RANK).to_numpy(dtype="int64")
    worst = np.full(len(canonical), -1, dtype="int64")
    positions = canonical.index.get_indexer(issues.index)
    aligned = (positions >= 0).all() and (
        canonical["row_number"].to_numpy()[positions] == issues["row_number"].to_numpy()
    ).all()
    if aligned:  # issues from `issues_from_checks` carry their canonical row's index label
        np.maximum.at(worst, positions, rank)
    else:
        keyed = canonical[ROW_KEYS].merge(
            issues[ROW_KEYS].assign(rank=rank).groupby(ROW_KEYS)["rank"].max().reset_index(),
            on=ROW_KEYS, how="left", validate="one_to_one",
        )  # fmt: skip
        worst = keyed["rank"].fillna(-1).to_numpy(dtype="int64")
    labels = np.array(["accepted", "accepted", "review", "rejected"], dtype=object)
    return pd.Series(labels[worst + 1], index=canonical.index, dtype=str)
