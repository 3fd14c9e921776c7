"""One passing and one failing frame per schema, and the mapping of failures to row codes."""

import datetime as dt
from datetime import date

import pandas as pd
import pandera.pandas as pa
import pytest

from schemas.rows import (
    CanonicalRows,
    RawRows,
    RowIssues,
    failing_checks,
    issues_from_checks,
    row_status,
)
from transforms.normalise import canonicalise

AS_OF = date(2026, 11, 27)


def raw(**columns):
    n = len(next(iter(columns.values())))
    base = {
        "file_name": ["a.xlsx"] * n,
        "sheet": ["S"] * n,
        "row_number": list(range(2, n + 2)),
        "regency_code": ["6472"] * n,
        "program": ["kesehatan"] * n,
        "nik": ["6472015508800003"] * n,
        "no_kk": ["6472010101200001"] * n,
        "nama": ["Siti Aminah"] * n,
        "tanggal_lahir": ["15-08-1980"] * n,
        "jenis_kelamin": ["P"] * n,
        "pekerjaan": ["Petani"] * n,
    }
    base.update(columns)
    return pd.DataFrame(base)


def codes_of(frame):
    canonical = canonicalise(frame, AS_OF)
    issues = issues_from_checks(canonical, failing_checks(canonical))
    RowIssues.validate(issues)
    by_row = issues.groupby("row_number")["code"].agg(lambda s: sorted(s)).to_dict()
    return [by_row.get(r, []) for r in canonical["row_number"]], row_status(canonical, issues).tolist(), issues


def test_raw_rows_schema():
    RawRows.validate(raw(nama=["x"]))
    with pytest.raises(pa.errors.SchemaErrors):
        RawRows.validate(raw(nama=["x", "y"], regency_code=["3578", "6472"], row_number=[1, 1]), lazy=True)


def test_canonical_rows_pass():
    frame = canonicalise(raw(nama=["Siti Aminah"]), AS_OF)
    CanonicalRows.validate(frame, lazy=True)
    assert failing_checks(frame).empty


def test_canonical_rows_fail_maps_to_codes_and_indonesian_messages():
    frame = raw(
        nik=["64720155088", None, "6.47201E+15", "0072015508800003", "6472019908800003", "6472015508800000"],
    )
    codes, status, issues = codes_of(frame)
    assert codes == [["NIK_FORMAT"], ["NIK_MISSING"], ["NIK_TRUNCATED"], ["NIK_PROVINCE"], ["NIK_DATE"], ["NIK_SERIAL"]]
    assert status == ["rejected"] * 6
    message = issues.loc[issues["code"].eq("NIK_FORMAT"), "message"].iloc[0]
    assert message.startswith("NIK harus 16 digit angka; tertulis 64720155088 (11 digit)")


def test_review_and_warning_rows():
    frame = raw(
        nik=[6472015508800010.0, "6472015508800003", "6472015508800003", "6472015508800003", "6472015508800003"],
        no_kk=["6472010101200001", "6402010101200001", "6472010101200001", "6472010101200001", "6472010101200001"],
        tanggal_lahir=["15-08-1980", "15-08-1980", "16-08-1980", "15-08-1980", dt.date(1980, 8, 15)],
        jenis_kelamin=["P", "P", "P", "L", None],
    )
    codes, status, _ = codes_of(frame)
    assert codes == [["NIK_TRUNCATED"], ["KK_REGION"], ["NIK_DOB_MISMATCH"], ["NIK_SEX_MISMATCH"], ["SEX_DERIVED"]]
    assert status == ["review", "review", "review", "review", "accepted"]


def test_other_row_errors():
    frame = raw(
        no_kk=[None, "123", "6472010101200001", "6472010101200001", "6472010101200001", "6472010101200001"],
        nama=["Siti", "Siti", None, "A", "Siti", "Siti"],
        tanggal_lahir=["15-08-1980", "15-08-1980", "15-08-1980", "15-08-1980", None, "2030-01-01"],
    )
    codes, status, _ = codes_of(frame)
    assert codes == [["KK_MISSING"], ["KK_FORMAT"], ["NAME_MISSING"], ["NAME_INVALID"], ["DOB_MISSING"], ["DOB_INVALID"]]
    assert set(status) == {"rejected"}


def test_sex_invalid_only_when_not_derivable():
    codes, _, _ = codes_of(raw(nik=["12", "6472015508800003"], jenis_kelamin=["X", "X"]))
    assert "SEX_INVALID" in codes[0] and codes[1] == ["SEX_DERIVED"]


def test_row_issues_schema_rejects_unknown_codes():
    bad = pd.DataFrame(
        {"file_name": ["a"], "sheet": [""], "row_number": [2], "code": ["NOPE"], "severity": ["error"],
         "column_name": ["nik"], "value": ["1"], "message": ["x"]}
    )  # fmt: skip
    with pytest.raises(pa.errors.SchemaError):
        RowIssues.validate(bad)
