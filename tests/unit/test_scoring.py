"""Decisions, explainable scores, ranks, quotas and the household limit on tiny frames."""

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from schemas.programs import parse_rules
from transforms.score import scoring
from transforms.score.enrolment import enrolment_flags
from transforms.score.scoring import decide_program, person_features, rank_verified

AS_OF = date(2026, 11, 27)
ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TEXT = (ROOT / "schemas" / "programs.toml").read_text(encoding="utf-8")
JOSPOL_TEXT = (ROOT / "examples" / "jospol4.toml").read_text(encoding="utf-8")
DEFAULT_RULES = parse_rules(DEFAULT_TEXT)
NO_LISTS = enrolment_flags(pd.DataFrame(columns=["program", "nik", "segmen", "status"]))


def persons(n=4, **columns):
    base = {
        "person_id": list(range(1, n + 1)),
        "nik": [f"647201550880{i:04d}" for i in range(1, n + 1)],
        "no_kk": [f"64720101012{i:05d}" for i in range(1, n + 1)],
        "regency_code": ["6472"] * n,
        "jenis_kelamin": ["P"] * n,
        "tanggal_lahir": ["1980-08-15"] * n,
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


def decide(frame, program, enrolled=NO_LISTS, rules=DEFAULT_RULES):
    features = person_features(frame, enrolled, AS_OF)
    return decide_program(program, rules.programs[program], features, AS_OF)


def reasons(decisions):
    return decisions["reason_code"].fillna("").tolist()


def with_setting(program: str, line: str, text: str = DEFAULT_TEXT):
    """The default rules with one more setting in `[programs.<program>]`."""
    header = f"[programs.{program}]\n"
    return parse_rules(text.replace(header, header + line + "\n"))


def test_exclusions_give_their_reason_codes():
    frame = persons(
        5,
        occupation_group=["informal", "wage_or_state", "not_working", "informal", "informal"],
        tanggal_lahir=["1980-08-15", "1980-08-15", "1980-08-15", "1950-01-01", "1980-08-15"],
        no_kk=["6472010101200001"] * 4 + ["3578010101200001"],
    )
    tk = decide(frame, "ketenagakerjaan")
    assert reasons(tk) == [
        "", "OCCUPATION_EXCLUDED", "OCCUPATION_EXCLUDED", "AGE_OUT_OF_RANGE", "NOT_RESIDENT",
    ]  # fmt: skip
    assert tk["eligible"].tolist() == [True, False, False, False, False]
    kes = decide(frame, "kesehatan")
    assert reasons(kes) == ["", "OCCUPATION_EXCLUDED", "", "", "NOT_RESIDENT"]


def test_age_limits_are_inclusive_and_a_missing_value_fails():
    births = ["2011-11-27", "2011-11-28", "1961-11-28", "1960-11-27", None]  # 15, 14, 65, 66, ?
    tk = decide(persons(5, tanggal_lahir=births), "ketenagakerjaan")
    assert reasons(tk) == ["", "AGE_OUT_OF_RANGE", "", "AGE_OUT_OF_RANGE", "AGE_OUT_OF_RANGE"]


def test_first_failed_condition_is_reported():
    frame = persons(1, no_kk=["3578010101200001"], occupation_group=["wage_or_state"])
    assert reasons(decide(frame, "ketenagakerjaan")) == ["NOT_RESIDENT"]  # listed before occupation


def test_missing_family_card_is_not_resident():
    assert reasons(decide(persons(1, no_kk=[None]), "kesehatan")) == ["NOT_RESIDENT"]


def test_enrolment_flags_from_reference_lists():
    lists = pd.DataFrame(
        {
            "program": ["kesehatan"] * 6 + ["ketenagakerjaan", "ketenagakerjaan"],
            "nik": ["A", "B", "C", "D", "E", "E", "A", "F"],
            "segmen": ["PBI APBN", "PBPU", "PBPU", "PPU", "Mandiri", "PBI APBD", None, None],
            "status": [
                "AKTIF",
                "aktif",
                "NONAKTIF",
                "NONAKTIF",
                "Non Aktif",
                "AKTIF",
                "AKTIF",
                "NONAKTIF",
            ],  # fmt: skip
        }
    )
    flags = enrolment_flags(lists).set_index("nik")
    assert flags["kesehatan_covered"].to_dict() == {
        "A": True, "B": False, "C": False, "D": False, "E": True, "F": False,
    }  # fmt: skip
    assert flags["kesehatan_self_paying"].to_dict()["B"]
    assert flags["kesehatan_arrears"][flags["kesehatan_arrears"]].index.tolist() == ["C"]
    # E is PBPU in arrears on one line but covered by PBI APBD on another: covered wins
    assert flags["ketenagakerjaan_active"][flags["ketenagakerjaan_active"]].index.tolist() == ["A"]


def test_arrears_column_marks_an_active_self_paying_member_in_arrears():
    lists = pd.DataFrame(
        {
            "program": ["kesehatan"] * 3,
            "nik": ["A", "B", "C"],
            "segmen": ["PBPU", "PBPU", "PBI APBN"],
            "status": ["AKTIF", "AKTIF", "AKTIF"],
            "tunggakan": ["Rp 1.260.000", "0", "3"],
        }
    )
    flags = enrolment_flags(lists).set_index("nik")
    assert flags["kesehatan_arrears"].to_dict() == {"A": True, "B": False, "C": False}
    assert flags["kesehatan_self_paying"].to_dict() == {"A": False, "B": True, "C": False}


def test_already_enrolled_per_reference_lists_and_self_paying_points():
    lists = pd.DataFrame(
        {
            "program": ["kesehatan"] * 4 + ["ketenagakerjaan"],
            "nik": [f"647201550880{i:04d}" for i in (1, 2, 3, 4, 1)],
            "segmen": ["PBI APBN", "PBPU", "PPU", "PBPU", None],
            "status": ["AKTIF", "AKTIF", "NONAKTIF", "NONAKTIF", "AKTIF"],
        }
    )
    enrolled = enrolment_flags(lists)
    kes = decide(persons(4), "kesehatan", enrolled)
    assert reasons(kes) == ["ALREADY_ENROLLED", "", "", ""]
    parts = [json.loads(s) for s in kes["score_components"]]
    assert parts[1]["mandiri_aktif"] == {
        "value": True,
        "points": 10,
        "weight": 0.5,
        "contribution": 5,
    }
    assert parts[3]["mandiri_menunggak"]["contribution"] == 10  # self-paying, in arrears
    assert kes["score"].iloc[3] - kes["score"].iloc[2] == 10
    tk = decide(persons(4), "ketenagakerjaan", enrolled)
    assert reasons(tk) == ["ALREADY_ENROLLED", "", "", ""]


def test_score_components_explain_the_score():
    frame = persons(2, desil=[1, 7], disabilitas=[True, False], jumlah_tanggungan=[5, 0],
                    tanggal_lahir=["1950-01-01", "1990-01-01"], penghasilan=[500_000.0, None])  # fmt: skip
    kes = decide(frame, "kesehatan")
    first = json.loads(kes["score_components"].iloc[0])
    assert list(first) == [
        "desil",
        "kelompok_usia",
        "disabilitas",
        "tanggungan",
        "penghasilan",
        "mandiri_menunggak",
        "mandiri_aktif",
    ]  # fmt: skip  (the order of the rules file)
    assert first["desil"] == {"value": 1, "points": 10, "weight": 4, "contribution": 40}
    assert first["kelompok_usia"] == {"value": 76, "points": 10, "weight": 1.5, "contribution": 15}
    assert first["disabilitas"] == {"value": True, "points": 10, "weight": 1.5, "contribution": 15}
    assert first["tanggungan"]["contribution"] == 10
    assert first["penghasilan"] == {"value": 0.1397, "points": 10, "weight": 2, "contribution": 20}
    assert kes["score"].iloc[0] == 100 == sum(c["contribution"] for c in first.values())
    second = json.loads(kes["score_components"].iloc[1])
    assert second["desil"] == {"value": 7, "points": 1.5, "weight": 4, "contribution": 6}
    # a missing income gets the component's `missing` points (2.5), times the weight
    assert second["penghasilan"] == {"value": None, "points": 2.5, "weight": 2, "contribution": 5}
    assert kes["score"].iloc[1] == 11


def test_score_components_made_a_few_persons_at_a_time_are_the_same(monkeypatch):
    frame = persons(5, desil=[1, 7, None, 3, 10], occupation_group=["informal", None, "x", "y", "z"],
                    penghasilan=[500_000.0, None, 0.0, 2e6, 1.5e6])  # fmt: skip
    whole = decide(frame, "kesehatan")
    monkeypatch.setattr(scoring, "JSON_ROWS_PER_CHUNK", 2)
    chunked = decide(frame, "kesehatan")
    assert chunked["score_components"].tolist() == whole["score_components"].tolist()
    assert [json.loads(s)["desil"]["value"] for s in chunked["score_components"]] == [
        1, 7, None, 3, 10,
    ]  # fmt: skip
    pd.testing.assert_frame_equal(chunked, whole)
    # and the flow's parts, two decisions at a time, are the whole program's decisions
    features = person_features(frame, NO_LISTS, AS_OF)
    scores = scoring.score_program("kesehatan", DEFAULT_RULES.programs["kesehatan"], features)
    parts = list(scores.explained_in_parts(2))
    assert [len(part) for part in parts] == [2, 2, 1]
    pd.testing.assert_frame_equal(pd.concat(parts, ignore_index=True), whole)


def test_text_component_values_and_unlisted_value():
    frame = persons(3, occupation_group=["informal", "contract_staff", None])
    tk = decide(frame, "ketenagakerjaan")
    parts = [json.loads(s)["kelompok_pekerjaan"] for s in tk["score_components"]]
    assert [p["value"] for p in parts] == ["informal", "contract_staff", "unknown"]
    assert [p["contribution"] for p in parts] == [10, 4, 2]


def test_rank_ties_are_deterministic():
    frame = persons(
        5,
        desil=[2, 1, 1, 1, None],
        tanggal_lahir=["1980-01-01", "1985-01-01", "1970-01-01", "1970-01-01", "1970-01-01"],
        penghasilan=[1_000_000.0] * 4 + [375_000.0],
        disabilitas=[False] * 4 + [True],
        jumlah_tanggungan=[0] * 4 + [5],
    )
    decided = decide(frame, "kesehatan")
    ranked = rank_verified(decided, DEFAULT_RULES.programs["kesehatan"]).sort_values("rank")
    scores = dict(zip(decided["person_id"], decided["score"], strict=True))
    # desil 1: 40 + income 0.28 UMP: 15; person 5: desil unknown 10 + 20 + 15 + 10
    assert scores == {1: 51, 2: 55, 3: 55, 4: 55, 5: 55}
    # equal scores: poorer desil first (unknown last), then older, then the lower person_id
    assert ranked["person_id"].tolist() == [3, 4, 2, 5, 1]
    assert ranked["rank"].tolist() == [1, 2, 3, 4, 5]
    shuffled = decide(frame.sample(frac=1, random_state=7), "kesehatan")
    again = rank_verified(shuffled, DEFAULT_RULES.programs["kesehatan"])
    assert again.sort_values("person_id")["rank"].tolist() == (
        ranked.sort_values("person_id")["rank"].tolist()
    )


def test_missing_desil_ranks_after_known_desil_at_equal_score():
    rules = parse_rules(DEFAULT_TEXT.replace("missing = 2.5\nbands = [\n  { max = 1, points = 10 }",
                                             "missing = 10\nbands = [\n  { max = 1, points = 10 }"))  # fmt: skip
    frame = persons(2, desil=[None, 1])
    ranked = rank_verified(decide(frame, "kesehatan", rules=rules), rules.programs["kesehatan"])
    assert ranked.sort_values("rank")["person_id"].tolist() == [2, 1]


def test_quota_per_regency_applies_within_each_regency():
    rules = with_setting("kesehatan", "quota_per_regency = 2")
    frame = persons(5, desil=[1, 2, 3, 1, 2], regency_code=["6472", "6472", "6472", "6401", "6401"])
    ranked = rank_verified(decide(frame, "kesehatan", rules=rules), rules.programs["kesehatan"])
    got = ranked.set_index("person_id")[["regency_code", "rank", "within_quota"]]
    assert got.loc[[1, 2, 3], "rank"].tolist() == [1, 2, 3]
    assert got.loc[[1, 2, 3], "within_quota"].tolist() == [True, True, False]
    assert got.loc[[4, 5], "within_quota"].tolist() == [True, True]


def test_yearly_budget_gives_the_quota():
    # Rp 403,200 a year pays two places at Rp 16,800 a month
    rules = with_setting("ketenagakerjaan", "budget_yearly_per_regency = 403200")
    assert rules.programs["ketenagakerjaan"].quota == 2
    decided = decide(persons(3, desil=[3, 2, 1]), "ketenagakerjaan", rules=rules)
    ranked = rank_verified(decided, rules.programs["ketenagakerjaan"]).sort_values("rank")
    assert ranked["person_id"].tolist() == [3, 2, 1]
    assert ranked["within_quota"].tolist() == [True, True, False]


def test_no_quota_means_everyone_verified_is_within():
    ranked = rank_verified(decide(persons(3), "kesehatan"), DEFAULT_RULES.programs["kesehatan"])
    assert ranked["within_quota"].all() and ranked["eligible"].all()


def test_one_per_household_keeps_the_highest_priority_member():
    rules = with_setting("kesehatan", "one_per_household = true")
    frame = persons(
        4,
        no_kk=["6472010101200001"] * 3 + ["6472010101200002"],
        desil=[3, 1, 1, 2],
        occupation_group=["informal", "informal", "wage_or_state", "informal"],
    )
    decided = decide(frame, "kesehatan", rules=rules)
    # person 3 is as poor but ineligible, so does not take the household's place
    assert reasons(decided) == ["HOUSEHOLD_LIMIT", "", "OCCUPATION_EXCLUDED", ""]
    ranked = rank_verified(decided, rules.programs["kesehatan"])
    assert sorted(ranked["person_id"]) == [2, 4]


def test_persons_without_family_card_number_are_not_one_household():
    rules = parse_rules(
        '[programs.kesehatan]\ntitle = "t"\npremium_monthly = 1\none_per_household = true\n'
    )
    decided = decide(persons(3, no_kk=[None, None, "6472010101200001"]), "kesehatan", rules=rules)
    assert decided["eligible"].all()


def test_pending_review_person_is_decided_but_not_verified():
    frame = persons(2, programs_accepted=["", "kesehatan"],
                    programs_submitted=["kesehatan", "kesehatan,ketenagakerjaan"])  # fmt: skip
    decided = decide(frame, "kesehatan")
    assert reasons(decided) == ["PENDING_REVIEW", ""]
    ranked = rank_verified(decided, DEFAULT_RULES.programs["kesehatan"])
    assert ranked["person_id"].tolist() == [2]
    tk = decide(frame, "ketenagakerjaan")  # only person 2 was submitted for it, by a held row
    assert tk["person_id"].tolist() == [2] and reasons(tk) == ["PENDING_REVIEW"]


@pytest.fixture(scope="module")
def jospol_rules():
    return parse_rules(DEFAULT_TEXT + "\n" + JOSPOL_TEXT, "rules.toml")


def test_jospol4_example_runs_on_the_same_persons(jospol_rules):
    frame = persons(
        6,
        no_kk=["6472010101200001", "6472010101200001", "6472010101200002",
               "6472010101200003", "6472010101200004", "6472010101200005"],
        desil=[2, 1, 5, None, 1, 3],
        occupation_group=["informal", "not_working", "informal", "informal", "wage_or_state",
                          "informal"],
        tanggal_lahir=["1980-01-01", "1985-01-01", "1990-01-01", "1990-01-01", "1990-01-01",
                       "1950-01-01"],
        programs_submitted=["kesehatan", "ketenagakerjaan", "kesehatan,ketenagakerjaan",
                            "kesehatan", "ketenagakerjaan", "kesehatan"],
        programs_accepted=["kesehatan", "ketenagakerjaan", "kesehatan,ketenagakerjaan",
                           "kesehatan", "ketenagakerjaan", "kesehatan"],
    )  # fmt: skip
    decided = decide(frame, "jospol4", rules=jospol_rules)
    assert decided["person_id"].tolist() == [1, 2, 3, 4, 5, 6]  # submitted for either program
    assert reasons(decided) == [
        "HOUSEHOLD_LIMIT", "", "DESIL_ABOVE_LIMIT", "DESIL_UNKNOWN", "OCCUPATION_EXCLUDED",
        "AGE_OUT_OF_RANGE",
    ]  # fmt: skip
    components = json.loads(decided["score_components"].iloc[1])
    assert components["desil"]["contribution"] == 100  # the poorest first
    ranked = rank_verified(decided, jospol_rules.programs["jospol4"])
    assert ranked["person_id"].tolist() == [2] and ranked["program"].tolist() == ["jospol4"]
    # the BPJS programs decide on the same persons independently
    kes = decide(frame, "kesehatan", rules=jospol_rules)
    assert kes["person_id"].tolist() == [1, 3, 4, 6]


def test_jospol4_quota_of_150_per_regency(jospol_rules):
    n = 320
    frame = persons(
        n,
        regency_code=["6472"] * 160 + ["6401"] * 160,
        no_kk=[f"64720101{i:08d}" for i in range(n)],
        desil=[(i % 4) + 1 for i in range(n)],
    )
    ranked = rank_verified(
        decide(frame, "jospol4", rules=jospol_rules), jospol_rules.programs["jospol4"]
    )
    within = ranked.loc[ranked["within_quota"]].groupby("regency_code").size()
    assert within.to_dict() == {"6401": 150, "6472": 150}
    # every place inside the quota goes to a poorer-or-equal desil than any place outside it
    desil = frame.set_index("person_id")["desil"]
    inside = desil[ranked.loc[ranked["within_quota"], "person_id"]]
    outside = desil[ranked.loc[~ranked["within_quota"], "person_id"]]
    assert inside.max() <= outside.min()
