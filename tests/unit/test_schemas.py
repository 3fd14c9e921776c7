"""One passing and one failing frame per schema and per row check, the mapping of failures to
contract codes with Indonesian messages, and the canonical fields' normalisers."""

import datetime as dt
from datetime import date

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pytest

from flows.settings import DEFAULT_PROGRAMS_FILE
from schemas.codes import CHECK_TO_CODE, CODE_DESCRIPTIONS, ROW_CODES
from schemas.programs import load_rules
from schemas.rows import (
    CanonicalRows,
    RawRows,
    RowIssues,
    VerifiedCandidates,
    failing_checks,
    issues_from_checks,
    row_status,
    validate_verified,
)
from transforms.validate.normalise import (
    canonicalise,
    normalise_occupation,
    parse_amount,
    parse_flag,
    parse_small_int,
    row_hash,
    split_place_and_date,
)

AS_OF = date(2026, 11, 27)
GOOD = {
    "nik": "6472015508800003",  # Samarinda, Palaran; woman born 15-08-1980; serial 0003
    "no_kk": "6472010101200001",
    "nama": "Siti Aminah",
    "tanggal_lahir": "15-08-1980",
    "jenis_kelamin": "P",
    "pekerjaan": "Petani",
}


def raw(**columns):
    """Raw rows of one Samarinda file; every column not given holds a good value."""
    n = len(next(iter(columns.values())))
    base = {
        "file_name": ["a.xlsx"] * n,
        "sheet": ["S"] * n,
        "row_number": list(range(2, n + 2)),
        "regency_code": ["6472"] * n,
        "program": ["kesehatan"] * n,
        **{key: [value] * n for key, value in GOOD.items()},
    }
    base.update(columns)
    return pd.DataFrame(base)


def codes_of(frame, occupation_review=None):
    canonical = canonicalise(frame, AS_OF, occupation_review=occupation_review)
    issues = issues_from_checks(canonical, failing_checks(canonical))
    RowIssues.validate(issues)
    by_row = issues.groupby("row_number")["code"].agg(lambda s: sorted(s)).to_dict()
    codes = [by_row.get(r, []) for r in canonical["row_number"]]
    return codes, row_status(canonical, issues).tolist(), issues


# --- the schemas ------------------------------------------------------------------------------


def test_raw_rows_schema():
    RawRows.validate(raw(nama=["x"]))
    with pytest.raises(pa.errors.SchemaErrors):
        RawRows.validate(
            raw(nama=["x", "y"], regency_code=["3578", "6472"], row_number=[1, 1]), lazy=True
        )


def test_canonical_rows_pass():
    frame = canonicalise(raw(nama=["Siti Aminah"]), AS_OF)
    CanonicalRows.validate(frame, lazy=True)
    assert failing_checks(frame).empty


def test_canonical_schema_catches_a_canonicalise_bug():
    frame = canonicalise(raw(nama=["Siti Aminah"]), AS_OF)
    frame["nik"] = pd.array(["6472-0155"], dtype="string[pyarrow]")  # not 16 digits
    with pytest.raises(ValueError, match="sixteen_digits on nik: 1 rows") as raised:
        failing_checks(frame)
    assert "6472-0155" not in str(raised.value)


def test_every_row_code_has_a_check_a_message_and_a_description():
    names = {check.name for check in CanonicalRows.to_schema().checks}
    later = {"NIK_CONFLICT", "REVIEW_ACCEPTED", "REVIEW_REJECTED"}  # dedup and reviews
    assert names | later == set(ROW_CODES)
    for code, spec in ROW_CODES.items():
        assert CHECK_TO_CODE.get(code, code) in CODE_DESCRIPTIONS
        assert spec.message and spec.column


# One failing row per check: (overrides of the good row, expected codes, expected status).
FAILING = {
    "NIK_MISSING": ({"nik": None}, ["NIK_MISSING"], "rejected"),
    "NIK_FORMAT": ({"nik": "64720155088"}, ["NIK_FORMAT"], "rejected"),
    "NIK_TRUNCATED": ({"nik": "6.47201E+15"}, ["NIK_TRUNCATED"], "rejected"),
    "NIK_TRUNCATED_SUSPECT": ({"nik": 6472015508800010.0}, ["NIK_TRUNCATED"], "review"),
    "NIK_PROVINCE": ({"nik": "0072015508800003"}, ["NIK_PROVINCE"], "rejected"),
    "NIK_DATE": ({"nik": "6472019908800003"}, ["NIK_DATE"], "rejected"),
    "NIK_SERIAL": ({"nik": "6472015508800000"}, ["NIK_SERIAL"], "rejected"),
    "NIK_KECAMATAN_UNKNOWN": ({"nik": "6472995508800003"}, ["NIK_KECAMATAN_UNKNOWN"], "accepted"),
    "NIK_DOB_MISMATCH": ({"tanggal_lahir": "16-08-1980"}, ["NIK_DOB_MISMATCH"], "review"),
    "NIK_SEX_MISMATCH": ({"jenis_kelamin": "Laki-laki"}, ["NIK_SEX_MISMATCH"], "review"),
    "KK_MISSING": ({"no_kk": None}, ["KK_MISSING"], "rejected"),
    "KK_FORMAT": ({"no_kk": "6472-0101"}, ["KK_FORMAT"], "rejected"),
    "KK_TRUNCATED": ({"no_kk": 6472010101200000.0}, ["KK_TRUNCATED"], "accepted"),
    "KK_REGION": ({"no_kk": "6402010101200001"}, ["KK_REGION"], "review"),
    "NAME_MISSING": ({"nama": "   "}, ["NAME_MISSING"], "rejected"),
    "NAME_INVALID": ({"nama": "Siti 2"}, ["NAME_INVALID"], "rejected"),
    "NAME_INVALID_FORMULA": (
        {"nama": '=HYPERLINK("http://x","Siti")'},
        ["NAME_INVALID"],
        "rejected",
    ),
    "NAME_INVALID_MARKUP": ({"nama": "<b>Siti Aminah</b>"}, ["NAME_INVALID"], "rejected"),
    "NAME_INVALID_FULLWIDTH_EQUALS": ({"nama": "＝Siti Aminah"}, ["NAME_INVALID"], "rejected"),
    "NAME_INVALID_DIGITS_ONLY": ({"nama": "123456"}, ["NAME_INVALID"], "rejected"),
    "DOB_MISSING": ({"tanggal_lahir": None}, ["DOB_MISSING"], "rejected"),
    "DOB_INVALID": ({"tanggal_lahir": "kemarin"}, ["DOB_INVALID"], "rejected"),
    "SEX_INVALID": (
        {"nik": None, "jenis_kelamin": "X"},
        ["NIK_MISSING", "SEX_INVALID"],
        "rejected",
    ),
    "SEX_DERIVED": ({"jenis_kelamin": None}, ["SEX_DERIVED"], "accepted"),
    "OCCUPATION_UNKNOWN_NOTE": ({"pekerjaan": "Serabutan"}, ["OCCUPATION_UNKNOWN"], "accepted"),
    "REMARK_DECEASED": ({"keterangan": "MENINGGAL DUNIA"}, ["REMARK_DECEASED"], "review"),
    "REMARK_MOVED": ({"keterangan": "Pindah domisili ke Balikpapan"}, ["REMARK_MOVED"], "review"),
    "REMARK_DUPLICATE": ({"keterangan": "DOUBLE"}, ["REMARK_DUPLICATE"], "review"),
    "REMARK_COVERED": ({"keterangan": "SUDAH PBI APBN"}, ["REMARK_COVERED"], "review"),
    "INCOME_UNREADABLE": ({"penghasilan": "sedikit"}, ["VALUE_UNREADABLE"], "accepted"),
    "DESIL_UNREADABLE": ({"desil": "miskin"}, ["VALUE_UNREADABLE"], "accepted"),
    "DISABILITY_UNREADABLE": ({"disabilitas": "belum tahu"}, ["VALUE_UNREADABLE"], "accepted"),
    "DEPENDENTS_UNREADABLE": ({"jumlah_tanggungan": "banyak"}, ["VALUE_UNREADABLE"], "accepted"),
}


# Occupation checks that depend on the program rules: (overrides, codes, status).
SHIPPED_REVIEW = load_rules(DEFAULT_PROGRAMS_FILE).occupation_review()
FAILING_UNDER_RULES = {
    "OCCUPATION_UNKNOWN": ({"pekerjaan": "Serabutan"}, ["OCCUPATION_UNKNOWN"], "review"),
    "OCCUPATION_AMBIGUOUS": ({"pekerjaan": "Guru SD"}, ["OCCUPATION_AMBIGUOUS"], "review"),
}


@pytest.mark.parametrize("program", ["kesehatan", "ketenagakerjaan"])
@pytest.mark.parametrize("check", sorted(FAILING_UNDER_RULES))
def test_occupation_checks_hold_the_row_where_the_rules_test_occupation(check, program):
    overrides, expected, status = FAILING_UNDER_RULES[check]
    columns = {key: [GOOD.get(key), value] for key, value in overrides.items()}
    frame = raw(**columns, program=[program, program])
    codes, statuses, issues = codes_of(frame, SHIPPED_REVIEW)
    assert codes == [[], expected] and statuses == ["accepted", status]
    assert "ditahan" in issues["message"].iloc[0]
    # a program whose rules never test occupation: an unknown spelling is only a note
    codes, statuses, _ = codes_of(frame, {"other": frozenset({"unknown"})})
    assert statuses == ["accepted", "accepted"]
    assert codes[1] == (["OCCUPATION_UNKNOWN"] if check == "OCCUPATION_UNKNOWN" else [])


def test_a_good_remark_or_occupation_holds_nothing():
    frame = raw(
        keterangan=["Janda, suami meninggal", "anak yatim", "belum terdaftar BPJS", None],
        pekerjaan=["Anggota POLRI", "PNS GURU", "Ojek Online", "-"],
    )
    codes, statuses, _ = codes_of(frame, SHIPPED_REVIEW)
    assert codes == [[], [], [], []] and statuses == ["accepted"] * 4


@pytest.mark.parametrize("check", sorted(FAILING))
def test_each_check_fails_its_row_and_passes_the_good_row(check):
    overrides, expected, status = FAILING[check]
    frame = raw(**{key: [GOOD.get(key), value] for key, value in overrides.items()})
    codes, statuses, _ = codes_of(frame)
    assert codes == [[], expected]
    assert statuses == ["accepted", status]


def test_messages_name_the_column_show_the_value_and_say_how_to_fix():
    frame = raw(
        nik=["64720155088", "6472015508800003", "6472015508800003", "6472015508800003"],
        tanggal_lahir=["15-08-1980", "15-08-2031", "15-08-1890", "16-08-1980"],
        no_kk=["6472010101200001", "6472010101200001", "6472010101200001", "6.47201E+15"],
    )
    _, _, issues = codes_of(frame)
    message = dict(
        zip(issues["code"] + "@" + issues["row_number"].astype(str), issues["message"], strict=True)
    )
    assert message["NIK_FORMAT@2"].startswith(
        "NIK harus 16 digit angka; tertulis 64720155088 (11 digit)"
    )
    assert "di masa depan" in message["DOB_INVALID@3"]
    assert "lebih dari 120 tahun" in message["DOB_INVALID@4"]
    assert "notasi ilmiah" in message["KK_FORMAT@5"]
    assert (
        "15-08-1980" in message["NIK_DOB_MISMATCH@5"]
        and "16-08-1980" in message["NIK_DOB_MISMATCH@5"]
    )
    columns = dict(zip(issues["code"], issues["column_name"], strict=True))
    assert columns["NIK_FORMAT"] == "nik" and columns["NIK_DOB_MISMATCH"] == "tanggal_lahir"


def test_one_root_cause_one_message():
    codes, _, _ = codes_of(raw(nik=["6.47201E+15"], tanggal_lahir=["31-02-2031"]))
    assert codes == [["DOB_INVALID", "NIK_TRUNCATED"]]  # no NIK_FORMAT, no NIK_DOB_MISMATCH


def test_kaltim_district_unknown_is_only_a_warning_and_only_for_kaltim():
    codes, status, _ = codes_of(raw(nik=["6404015508800003", "3578015508800003"]))
    assert codes[0] == ["NIK_KECAMATAN_UNKNOWN"] and status[0] == "accepted"  # old code 6404
    assert codes[1] == []  # a Java NIK: the kecamatan list is Kaltim's only


def test_two_digit_birth_year_and_the_nik_century():
    # NIK year 26 with a December birthday: 1926 (2026-12 is after the as-of date)
    codes, status, _ = codes_of(
        raw(nik=["6472015512260003"], tanggal_lahir=["15-12-26"], jenis_kelamin=["P"])
    )
    assert codes == [[]] and status == ["accepted"]


def test_row_status_matches_the_slow_path():
    frame = raw(nik=[None, "6472015508800003", 6472015508800010.0])
    canonical = canonicalise(frame, AS_OF)
    issues = issues_from_checks(canonical, failing_checks(canonical))
    fast = row_status(canonical, issues)
    slow = row_status(canonical, issues.reset_index(drop=True).iloc[::-1])
    assert fast.tolist() == slow.tolist() == ["rejected", "accepted", "review"]


def test_row_issues_schema_rejects_unknown_codes():
    bad = pd.DataFrame(
        {"file_name": ["a"], "sheet": [""], "row_number": [2], "code": ["NOPE"], "severity": ["error"],
         "column_name": ["nik"], "value": ["1"], "message": ["x"]}
    )  # fmt: skip
    with pytest.raises(pa.errors.SchemaError):
        RowIssues.validate(bad)


def verified(**columns):
    base = {
        "program": ["kesehatan"] * 3,
        "person_id": [1, 2, 3],
        "nik": ["6472015508800003", "6472015508800011", "6472015508800029"],
        "regency_code": ["6472"] * 3,
        "eligible": [True] * 3,
        "score": [3.0, 2.0, 1.0],
        "rank": [1, 2, 3],
        "within_quota": [True, True, False],
    }
    base.update(columns)
    return pd.DataFrame(base)


def test_verified_candidates_pass():
    VerifiedCandidates.validate(verified(), lazy=True)


@pytest.mark.parametrize(
    "columns",
    [
        {"person_id": [1, 1, 3]},  # a person twice in one program
        {"rank": [1, 1, 2]},  # a rank twice in one regency
        {"within_quota": [True, False, True]},  # quota not a prefix of the ranking
        {"eligible": [True, False, True]},
        {"nik": ["6472015508800003", "647201", "6472015508800029"]},
        {"regency_code": ["6472", "3578", "6472"]},
    ],
)
def test_verified_candidates_fail(columns):
    with pytest.raises(pa.errors.SchemaErrors):
        VerifiedCandidates.validate(verified(**columns), lazy=True)
    with pytest.raises(ValueError, match="verified lists break the schema") as raised:
        validate_verified(verified(**columns))
    assert "6472015508800" not in str(raised.value)  # no NIK in a message bound for the logs


# --- canonical fields ---------------------------------------------------------------------------


def test_occupation_spellings_and_unknown_kept():
    values = pd.Series(
        [
            "petani",
            "PEGAWAI NEGERI SIPIL (PNS)",
            "Kepolisian RI (POLRI)",
            "IRT",
            "Kerja serabutan",
            None,
        ]
    )
    out = normalise_occupation(values)
    assert out["pekerjaan"].tolist()[:5] == [
        "Petani/Pekebun", "Pegawai Negeri Sipil", "Kepolisian RI", "Mengurus Rumah Tangga",
        "Kerja serabutan",
    ]  # fmt: skip
    assert out["occupation_group"].tolist()[:5] == [
        "informal", "wage_or_state", "wage_or_state", "not_working", "unknown",
    ]  # fmt: skip
    assert out["occupation_group"].isna().iloc[5]


def test_amounts():
    values = pd.Series(
        [1500000, 1500000.0, "1.500.000", "Rp 2.000.000,00", "Rp. 750.000,-", "1,5 jt", "500 rb",
         "1.5 juta", "tidak ada", "-", "sedikit", None],
        dtype=object,
    )  # fmt: skip
    out = parse_amount(values).tolist()
    assert out[:9] == [1.5e6, 1.5e6, 1.5e6, 2e6, 7.5e5, 1.5e6, 5e5, 1.5e6, 0.0]
    assert all(np.isnan(v) for v in out[9:])


def test_desil_dependents_and_disability():
    desil = parse_small_int(
        pd.Series([3, "3.0", "Desil 4", "D 5", "11", "0", None], dtype=object), 1, 10
    )
    assert desil.tolist() == [3, 3, 4, 5, pd.NA, pd.NA, pd.NA]
    deps = parse_small_int(
        pd.Series(["2 orang", 0, "3 jiwa", "tidak ada", "-"], dtype=object), 0, 30, words=""
    )
    assert deps.tolist() == [2, 0, 3, 0, pd.NA]
    flags = parse_flag(
        pd.Series(["Ya", "tidak", "Tuna Netra", "non disabilitas", "belum tahu", None])
    )
    assert flags.tolist() == [True, False, True, False, pd.NA, pd.NA]


def test_unreadable_optional_values_are_flagged_not_guessed():
    frame = canonicalise(
        raw(desil=["3", "miskin", "-"], penghasilan=["1.000.000", "sedikit", None]), AS_OF
    )
    assert frame["desil"].tolist() == [3, pd.NA, pd.NA]
    assert frame["desil_unreadable"].tolist() == [False, True, False]  # "-" means blank
    assert frame["penghasilan_unreadable"].tolist() == [False, True, False]
    assert frame["desil_raw"].tolist()[1] == "miskin"  # kept as written


def test_place_and_date_in_one_cell():
    out = split_place_and_date(
        pd.Series(["Samarinda, 12-05-1980", dt.date(1980, 5, 12), "Tenggarong"], dtype=object)
    )
    assert out["tempat_lahir"].tolist()[0] == "Samarinda"
    assert out["tanggal_lahir"].tolist()[:2] == ["12-05-1980", dt.date(1980, 5, 12)]


def test_row_hash_follows_the_identity_content_only():
    frame = canonicalise(
        raw(nama=["Siti Aminah", "Siti Aminah", "Siti Aminah"], pekerjaan=["Petani", "Nelayan", "Petani"],
            tanggal_lahir=["15-08-1980", "15-08-1980", "16-08-1980"]),
        AS_OF,
    )  # fmt: skip
    hashes = frame["row_hash"].tolist()
    assert hashes[0] == hashes[1] != hashes[2]
    assert row_hash(frame).tolist() == hashes  # the same on every call


def test_combined_place_and_date_cell_keeps_both_parts():
    frame = raw(nama=["Siti"]).drop(columns=["tanggal_lahir"])
    frame["tempat_tanggal_lahir"] = ["Samarinda, 15-08-1980"]
    canonical = canonicalise(frame, AS_OF)
    assert canonical["tempat_lahir"].iloc[0] == "Samarinda"
    assert canonical["tanggal_lahir"].iloc[0] == pd.Timestamp("1980-08-15")
