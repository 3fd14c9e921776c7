"""pandera schemas for submission rows: raw as read, canonical (typed, row codes), and the issue list.

Every check on `CanonicalRows` is named by its contract row code; `find_row_issues` runs the
schema lazily and maps each failure case to a `row_issues` record with an Indonesian message.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas.codes import CHECK_TO_CODE, ROW_CODES, Severity

STATUS_ORDER = {"accepted": 0, "review": 1, "rejected": 2}
SEVERITY_STATUS = {Severity.ERROR: "rejected", Severity.REVIEW: "review"}


class RawRows(pa.DataFrameModel):
    """Rows as read from a sheet: where they came from, cell values untouched."""

    file_name: Series[str]
    sheet: Series[str]
    row_number: Series[int] = pa.Field(ge=1)
    regency_code: Series[str] = pa.Field(str_matches=r"^64\d{2}$")
    program: Series[str] = pa.Field(isin=["kesehatan", "ketenagakerjaan"])

    class Config:
        strict = False
        unique = ["file_name", "sheet", "row_number"]


def _present(s: pd.Series) -> pd.Series:
    return s.notna()


class CanonicalRows(pa.DataFrameModel):
    """Typed rows; each dataframe check passes where the row is fine for that row code."""

    file_name: Series[str]
    sheet: Series[str]
    row_number: Series[int] = pa.Field(ge=1)
    regency_code: Series[str] = pa.Field(str_matches=r"^\d{4}$")
    nik: Series[pd.StringDtype] = pa.Field(nullable=True, str_matches=r"^\d{16}$")
    no_kk: Series[pd.StringDtype] = pa.Field(nullable=True)
    jenis_kelamin: Series[pd.StringDtype] = pa.Field(nullable=True, isin=["L", "P"])
    tanggal_lahir: Series[pa.DateTime] = pa.Field(nullable=True)
    desil: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=1, le=10)

    class Config:
        strict = False
        unique = ["file_name", "sheet", "row_number"]

    @pa.dataframe_check(name="NIK_MISSING")
    def nik_present(cls, df: pd.DataFrame) -> pd.Series:
        return _present(df["nik_raw"])

    @pa.dataframe_check(name="NIK_TRUNCATED")
    def nik_not_scientific(cls, df: pd.DataFrame) -> pd.Series:
        return ~df["nik_scientific"]

    @pa.dataframe_check(name="NIK_FORMAT")
    def nik_sixteen_digits(cls, df: pd.DataFrame) -> pd.Series:
        return df["nik_raw"].isna() | df["nik_scientific"] | df["nik"].notna()

    @pa.dataframe_check(name="NIK_TRUNCATED_SUSPECT")
    def nik_not_rounded(cls, df: pd.DataFrame) -> pd.Series:
        return ~df["nik_truncation_suspect"]

    @pa.dataframe_check(name="NIK_PROVINCE")
    def nik_province_known(cls, df: pd.DataFrame) -> pd.Series:
        return df["nik_province_ok"]

    @pa.dataframe_check(name="NIK_DATE")
    def nik_date_possible(cls, df: pd.DataFrame) -> pd.Series:
        return df["nik_date_ok"]

    @pa.dataframe_check(name="NIK_SERIAL")
    def nik_serial_nonzero(cls, df: pd.DataFrame) -> pd.Series:
        return df["nik_serial_ok"]

    @pa.dataframe_check(name="NIK_KECAMATAN_UNKNOWN")
    def nik_district_known(cls, df: pd.DataFrame) -> pd.Series:
        return df["nik_district_known"] | ~df["nik_province_ok"]

    @pa.dataframe_check(name="NIK_DOB_MISMATCH")
    def nik_date_matches_column(cls, df: pd.DataFrame) -> pd.Series:
        a, b = df["nik_dob"], df["tanggal_lahir"]
        comparable = a.notna() & b.notna() & df["nik_date_ok"]
        same = (
            (a.dt.day == b.dt.day)
            & (a.dt.month == b.dt.month)
            & (a.dt.year % 100 == b.dt.year % 100)
        )
        return ~comparable | same

    @pa.dataframe_check(name="NIK_SEX_MISMATCH")
    def nik_sex_matches_column(cls, df: pd.DataFrame) -> pd.Series:
        stated, embedded = df["jenis_kelamin_stated"], df["nik_sex"]
        comparable = stated.notna() & embedded.notna() & df["nik_date_ok"]
        return (~comparable | stated.eq(embedded)).fillna(True).astype(bool)

    @pa.dataframe_check(name="KK_MISSING")
    def kk_present(cls, df: pd.DataFrame) -> pd.Series:
        return _present(df["kk_raw"])

    @pa.dataframe_check(name="KK_FORMAT")
    def kk_sixteen_digits(cls, df: pd.DataFrame) -> pd.Series:
        return df["kk_raw"].isna() | df["no_kk"].notna()

    @pa.dataframe_check(name="KK_REGION")
    def kk_from_submitting_regency(cls, df: pd.DataFrame) -> pd.Series:
        same = df["no_kk"].str[:4].eq(df["regency_code"])
        return (df["no_kk"].isna() | same).fillna(True).astype(bool)

    @pa.dataframe_check(name="NAME_MISSING")
    def name_present(cls, df: pd.DataFrame) -> pd.Series:
        return _present(df["nama"])

    @pa.dataframe_check(name="NAME_INVALID")
    def name_readable(cls, df: pd.DataFrame) -> pd.Series:
        return ~df["nama_invalid"]

    @pa.dataframe_check(name="DOB_MISSING")
    def dob_present(cls, df: pd.DataFrame) -> pd.Series:
        return _present(df["tanggal_lahir_raw"])

    @pa.dataframe_check(name="DOB_INVALID")
    def dob_plausible(cls, df: pd.DataFrame) -> pd.Series:
        age = df["age"]
        ok = df["tanggal_lahir"].notna() & age.between(0, 120).fillna(False)
        return (df["tanggal_lahir_raw"].isna() | ok).astype(bool)

    @pa.dataframe_check(name="SEX_INVALID")
    def sex_known(cls, df: pd.DataFrame) -> pd.Series:
        return _present(df["jenis_kelamin"])

    @pa.dataframe_check(name="SEX_DERIVED")
    def sex_stated(cls, df: pd.DataFrame) -> pd.Series:
        return df["jenis_kelamin_stated"].notna() | df["jenis_kelamin"].isna()

    @pa.dataframe_check(name="OCCUPATION_UNKNOWN")
    def occupation_known(cls, df: pd.DataFrame) -> pd.Series:
        return df["occupation_group"].ne("unknown").fillna(True).astype(bool)

    @pa.dataframe_check(name="VALUE_UNREADABLE")
    def income_readable(cls, df: pd.DataFrame) -> pd.Series:
        return ~df["penghasilan_unreadable"]


class RowIssues(pa.DataFrameModel):
    """The `row_issues` table: zero or more findings per submission row."""

    file_name: Series[str]
    sheet: Series[str]
    row_number: Series[int] = pa.Field(ge=1)
    code: Series[str] = pa.Field(isin=sorted({CHECK_TO_CODE.get(c, c) for c in ROW_CODES}))
    severity: Series[str] = pa.Field(isin=[s.value for s in Severity])
    column_name: Series[str]
    value: Series[str] = pa.Field(nullable=True)
    message: Series[str]

    class Config:
        strict = True


# Columns the checks read; validating only these keeps failure cases small.
CHECK_COLUMNS = [
    "file_name",
    "sheet",
    "row_number",
    "regency_code",
    "nik",
    "nik_raw",
    "nik_scientific",
    "nik_truncation_suspect",
    "nik_province_ok",
    "nik_date_ok",
    "nik_serial_ok",
    "nik_district_known",
    "nik_dob",
    "nik_sex",
    "no_kk",
    "kk_raw",
    "nama",
    "nama_invalid",
    "tanggal_lahir",
    "tanggal_lahir_raw",
    "age",
    "jenis_kelamin",
    "jenis_kelamin_stated",
    "occupation_group",
    "penghasilan_unreadable",
    "desil",
]

# Which check suppresses which: one root cause gives one message, not a cascade.
_SUPERSEDED_BY = {
    "NIK_FORMAT": ["NIK_MISSING", "NIK_TRUNCATED"],
    "NIK_DOB_MISMATCH": ["DOB_INVALID"],
}


def failing_checks(canonical: pd.DataFrame) -> pd.DataFrame:
    """Run `CanonicalRows` lazily; return unique (row index, check name) pairs that failed."""
    frame = canonical.loc[:, [c for c in CHECK_COLUMNS if c in canonical]]
    try:
        CanonicalRows.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
        cases = cases.loc[cases["check"].isin(ROW_CODES.keys()), ["index", "check"]]
        unknown = errors.failure_cases.loc[~errors.failure_cases["check"].isin(ROW_CODES.keys())]
        if len(unknown):
            raise ValueError(
                f"canonical rows break the schema: {unknown.head(5).to_dict()}"
            ) from errors
        return cases.drop_duplicates().astype({"index": "int64"}).reset_index(drop=True)
    return pd.DataFrame({"index": pd.Series(dtype="int64"), "check": pd.Series(dtype="str")})


def _detail(code: str, rows: pd.DataFrame) -> pd.Series:
    """Per-row detail for the message ({detail})."""
    empty = pd.Series("", index=rows.index, dtype="string")
    if code in ("NIK_FORMAT", "KK_FORMAT"):
        digits = rows["nik_digits" if code == "NIK_FORMAT" else "kk_digits"].astype("string")
        n = digits.str.count(r"\d").astype("Int64").astype("string")
        return (n + " digit").fillna("")
    if code == "NIK_PROVINCE":
        return rows["nik"].str[:2].fillna("")
    if code == "NIK_DATE":
        return rows["nik"].str[6:12].fillna("")
    if code == "NIK_KECAMATAN_UNKNOWN":
        return rows["nik"].str[:6].fillna("")
    if code == "NIK_DOB_MISMATCH":
        return rows["nik_dob"].dt.strftime("%d-%m-%Y").astype("string").fillna("")
    if code == "NIK_SEX_MISMATCH":
        return rows["nik_sex"].map({"L": "laki-laki", "P": "perempuan"}).astype("string")
    if code == "KK_REGION":
        return rows["no_kk"].str[:4].fillna("")
    if code == "SEX_DERIVED":
        return rows["jenis_kelamin"].fillna("")
    if code == "VALUE_UNREADABLE":
        return pd.Series("penghasilan", index=rows.index, dtype="string")
    return empty


def _value(code: str, rows: pd.DataFrame) -> pd.Series:
    column = ROW_CODES[code].column
    source = {
        "nik": "nik_raw",
        "no_kk": "kk_raw",
        "tanggal_lahir": "tanggal_lahir_raw",
        "jenis_kelamin": "jenis_kelamin_raw",
        "penghasilan": "penghasilan_raw",
    }.get(column, column)
    return rows[source].astype("string") if source in rows else pd.Series(pd.NA, index=rows.index)


def issues_from_checks(canonical: pd.DataFrame, failed: pd.DataFrame) -> pd.DataFrame:
    """Failure cases to `row_issues` records with severities and Indonesian messages."""
    frames = []
    for check, group in failed.groupby("check", sort=True):
        idx = group["index"]
        superseders = _SUPERSEDED_BY.get(check, [])
        if superseders:
            idx = idx[~idx.isin(failed.loc[failed["check"].isin(superseders), "index"])]
        if not len(idx):
            continue
        rows = canonical.loc[idx]
        spec = ROW_CODES[check]
        value = _value(check, rows)
        detail = _detail(check, rows)
        message = _fill(spec.message, value, detail)
        frames.append(
            pd.DataFrame(
                {
                    "file_name": rows["file_name"].astype(str),
                    "sheet": rows["sheet"].astype(str),
                    "row_number": rows["row_number"].astype("int64"),
                    "code": CHECK_TO_CODE.get(check, check),
                    "severity": spec.severity.value,
                    "column_name": spec.column,
                    "value": value.astype("string"),
                    "message": message.astype(str),
                }
            )
        )
    if not frames:
        return empty_issues()
    issues = pd.concat(frames, ignore_index=True)
    return issues.sort_values(["file_name", "sheet", "row_number", "code"], ignore_index=True)


def _fill(template: str, value: pd.Series, detail: pd.Series) -> pd.Series:
    text = pd.Series(template, index=value.index, dtype="string")
    for token, filler in (("{value}", value.fillna("(kosong)")), ("{detail}", detail.fillna(""))):
        if token in template:
            parts = text.str.split(token, n=1, expand=True, regex=False)
            text = parts[0] + filler.astype("string") + parts[1]
    return text


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
            "value": pd.Series(dtype="string"),
            "message": pd.Series(dtype=str),
        }
    )


def row_status(canonical: pd.DataFrame, issues: pd.DataFrame) -> pd.Series:
    """accepted / review / rejected per canonical row from the severities of its issues."""
    keys = ["file_name", "sheet", "row_number"]
    rank = issues["severity"].map({"error": 2, "review": 1, "warning": 0})
    worst = issues.assign(rank=rank).groupby(keys)["rank"].max()
    joined = canonical[keys].merge(
        worst.rename("rank").reset_index(), on=keys, how="left", validate="one_to_one"
    )
    status = joined["rank"].map({2: "rejected", 1: "review"}).fillna("accepted")
    status.index = canonical.index
    return status.astype(str)
