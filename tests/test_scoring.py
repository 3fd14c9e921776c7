import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from schemas.programs import RulesError, parse_rules
from transforms.enrolment import enrolment_flags
from transforms.scoring import decide_program, person_features, rank_verified

AS_OF = date(2026, 11, 27)
DEFAULT_RULES = parse_rules((Path(__file__).parent.parent / "schemas" / "programs.toml").read_text())


def persons(n=4, **columns):
    base = {
        "person_id": list(range(1, n + 1)),
        "nik": [f"647201550880{i:04d}" for i in range(1, n + 1)],
        "no_kk": ["6472010101200001"] * n,
        "regency_code": ["6472"] * n,
        "jenis_kelamin": ["P"] * n,
        "tanggal_lahir": pd.to_datetime(["1980-08-15"] * n),
        "desil": [1] * n,
        "disabilitas": [False] * n,
        "jumlah_tanggungan": [0] * n,
        "penghasilan": [1_000_000.0] * n,
        "occupation_group": ["informal"] * n,
        "programs_accepted": ["kesehatan,ketenagakerjaan"] * n,
        "programs_submitted": ["kesehatan,ketenagakerjaan"] * n,
    }
    base.update(columns)
    frame = pd.DataFrame(base)
    frame["tanggal_lahir"] = pd.to_datetime(frame["tanggal_lahir"])
    return frame


NO_LISTS = enrolment_flags(pd.DataFrame(columns=["program", "nik", "segmen", "status"]))


def decide(frame, program, enrolled=NO_LISTS, rules=DEFAULT_RULES):
    features = person_features(frame, enrolled, AS_OF)
    return decide_program(program, rules.programs[program], features, AS_OF)


def test_exclusions_give_their_reason_codes():
    frame = persons(
        5,
        occupation_group=["informal", "wage_or_state", "not_working", "informal", "informal"],
        tanggal_lahir=["1980-08-15", "1980-08-15", "1980-08-15", "1950-01-01", "1980-08-15"],
        no_kk=["6472010101200001"] * 4 + ["3578010101200001"],
    )
    tk = decide(frame, "ketenagakerjaan")
    assert tk["reason_code"].fillna("").tolist() == [
        "", "OCCUPATION_EXCLUDED", "OCCUPATION_EXCLUDED", "AGE_OUT_OF_RANGE", "NOT_RESIDENT",
    ]  # fmt: skip
    kes = decide(frame, "kesehatan")
    assert kes["reason_code"].fillna("").tolist() == ["", "OCCUPATION_EXCLUDED", "", "", "NOT_RESIDENT"]


def test_already_enrolled_per_reference_lists():
    lists = pd.DataFrame(
        {
            "program": ["kesehatan", "kesehatan", "kesehatan", "ketenagakerjaan"],
            "nik": ["6472015508800001", "6472015508800002", "6472015508800003", "6472015508800001"],
            "segmen": ["PBI APBN", "PBPU", "PPU", None],
            "status": ["AKTIF", "AKTIF", "NONAKTIF", "AKTIF"],
        }
    )
    enrolled = enrolment_flags(lists)
    kes = decide(persons(3), "kesehatan", enrolled)
    assert kes["reason_code"].fillna("").tolist() == ["ALREADY_ENROLLED", "", ""]
    # an active self-paying member is a candidate and gets the self-paying points
    assert json.loads(kes["score_components"].iloc[1])["peserta_mandiri"] == 5
    tk = decide(persons(3), "ketenagakerjaan", enrolled)
    assert tk["reason_code"].fillna("").tolist() == ["ALREADY_ENROLLED", "", ""]


def test_score_arithmetic_components_sum_to_score():
    frame = persons(2, desil=[1, 7], disabilitas=[True, False], jumlah_tanggungan=[5, 0],
                    tanggal_lahir=["1950-01-01", "1990-01-01"], penghasilan=[500_000.0, None])  # fmt: skip
    kes = decide(frame, "kesehatan")
    first = json.loads(kes["score_components"].iloc[0])
    assert first == {"desil": 40, "lansia": 15, "disabilitas": 15, "tanggungan": 10, "penghasilan": 20, "peserta_mandiri": 0}
    assert kes["score"].iloc[0] == sum(first.values())
    second = json.loads(kes["score_components"].iloc[1])
    assert second["desil"] == 6 and second["penghasilan"] == 5  # missing income gets the `missing` points


def test_rank_ties_are_deterministic_and_quota_applies():
    rules = parse_rules(
        (Path(__file__).parent.parent / "schemas" / "programs.toml").read_text().replace(
            'title = "BPJS Kesehatan kelas III (GratisPol)"',
            'title = "BPJS Kesehatan kelas III (GratisPol)"\nquota_per_regency = 2',
        )
    )
    frame = persons(4, desil=[2, 1, 1, 1], tanggal_lahir=["1980-01-01", "1985-01-01", "1970-01-01", "1970-01-01"])
    decided = decide(frame, "kesehatan", rules=rules)
    ranked = rank_verified(decided, rules.programs["kesehatan"]).sort_values("rank")
    assert ranked["person_id"].tolist() == [3, 4, 2, 1]  # score, then older, then lower id
    assert ranked["within_quota"].tolist() == [True, True, False, False]


def test_pending_review_person_is_decided_but_not_verified():
    frame = persons(1, programs_accepted=[""])
    decided = decide(frame, "kesehatan")
    assert decided["reason_code"].tolist() == ["PENDING_REVIEW"]
    assert rank_verified(decided, DEFAULT_RULES.programs["kesehatan"]).empty


def test_rules_file_errors_name_the_entry():
    text = (Path(__file__).parent.parent / "schemas" / "programs.toml").read_text()
    with pytest.raises(RulesError, match=r"require\[3\].*AGE_OUT_OF_RANGE.*unknown field 'umur'"):
        parse_rules(text.replace('field = "age"\nmin = 15', 'field = "umur"\nmin = 15'))
    with pytest.raises(RulesError, match="premium_monthly"):
        parse_rules(text.replace("premium_monthly = 42000", "premium_monthly = -1"))
    with pytest.raises(RulesError, match="Extra inputs"):
        parse_rules(text.replace("premium_monthly = 42000", "premium_montly = 42000"))
