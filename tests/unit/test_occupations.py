"""The occupation list as data, the word matcher, and which groups the program rules hold."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.settings import DEFAULT_PROGRAMS_FILE
from schemas.occupations import (
    OccupationListError,
    occupation_key,
    occupation_list,
    parse_occupations,
)
from schemas.programs import load_rules, parse_rules
from transforms.validate.occupations import match_occupation, normalise_occupation

KNOWN = occupation_list()


def test_the_siak_list_is_complete_with_the_groups_of_domain_md():
    siak = {o.code: o for o in KNOWN.occupations.values() if o.code is not None}
    assert sorted(siak) == list(range(1, 90))
    groups = {
        "not_working": [1, 2, 3, 4],
        "wage_or_state": [5, 6, 7, 15, 16, 17, *range(48, 64), 85, 86],
        "contract_staff": [18],
        "state_or_private": [64, 65, 72, 73, 74],
        "unknown": [89],
    }
    for group, codes in groups.items():
        assert {c for c, o in siak.items() if o.group == group} == set(codes), group
    others = set(siak) - {c for codes in groups.values() for c in codes}
    assert {siak[c].group for c in others} == {"informal"}


@pytest.mark.parametrize(
    ("written", "occupation", "group"),
    [
        ("Anggota POLRI", "Kepolisian RI", "wage_or_state"),
        ("ANGGOTA TNI AD", "Tentara Nasional Indonesia", "wage_or_state"),
        ("PNS GURU", "Pegawai Negeri Sipil", "wage_or_state"),
        ("P.N.S", "Pegawai Negeri Sipil", "wage_or_state"),
        ("Pegawai Negeri Sipil (PNS)", "Pegawai Negeri Sipil", "wage_or_state"),
        ("HONORER DINAS PU", "Karyawan Honorer", "contract_staff"),
        ("Guru Honorer", "Karyawan Honorer", "contract_staff"),
        ("KRY SWASTA", "Karyawan Swasta", "wage_or_state"),
        ("WIRAUSAHA", "Wiraswasta", "informal"),
        ("IRT", "Mengurus Rumah Tangga", "not_working"),
        ("BHL", "Buruh Harian Lepas", "informal"),
        ("Buruh Bangunan", "Buruh Harian Lepas", "informal"),
        ("Ojek", "Tukang Ojek", "informal"),
        ("Ojol", "Tukang Ojek", "informal"),
        ("Ojek Online", "Tukang Ojek", "informal"),
        ("Montir", "Mekanik", "informal"),
        ("Pemulung", "Pemulung", "informal"),
        ("Penjahit", "Tukang Jahit", "informal"),
        ("Pedagang Kaki Lima", "Pedagang", "informal"),
        ("PKL", "Pedagang", "informal"),
        ("Belum Sekolah", "Belum/Tidak Bekerja", "not_working"),
        ("PENSIUNAN PNS", "Pensiunan", "not_working"),
        ("Mantan TNI", "Pensiunan", "not_working"),
        ("Dokter PNS", "Pegawai Negeri Sipil", "wage_or_state"),
        ("Petani Sawit", "Petani/Pekebun", "informal"),
        ("petani / pekebun", "Petani/Pekebun", "informal"),
        ("Guru SD", "Guru", "state_or_private"),
        ("Lainnya", "Lainnya", "unknown"),
        ("ＰＮＳ", "Pegawai Negeri Sipil", "wage_or_state"),  # full-width letters
    ],
)
def test_spellings_prefixes_and_abbreviations(written, occupation, group):
    assert match_occupation(written) == (occupation, group)


@pytest.mark.parametrize("written", ["Serabutan", "Kerja serabutan", "Satpam", "Petani / Guru"])
def test_what_is_not_recognised_is_not_guessed(written):
    assert match_occupation(written) is None


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        # a word mistyped by one letter in a spelling of several words still matches
        ("Tukang Btu", "Tukang Batu"),
        ("Tukang Batuu", "Tukang Batu"),
        ("TUKANG BAUT", "Tukang Batu"),  # two letters swapped
        ("Petani Pekebn", "Petani/Pekebun"),
        ("Buruh Tanii", "Buruh Tani/Perkebunan"),
        ("Tukang", "Tukang Batu"),  # alone, the list's own spelling
        ("Tukang Kayu", "Tukang Kayu"),
        ("Karyawan Toko", "Karyawan Swasta"),
        ("Karyawan Honorer", "Karyawan Honorer"),
        # the word that tells occupations of one beginning apart differs: none of them
        ("Tukang Becak", None),  # not on the Dukcapil list: OCCUPATION_UNKNOWN
        ("TUKANG BECAK MOTOR", None),
        ("Tukang Parkir", None),
        ("Tukang Sayur", None),
        ("Tukang Cuci", None),
        ("Buruh Becak", None),
        # short words are not corrected: one letter changes them into another word
        ("Tukang Lap", None),
    ],
)
def test_a_typo_matches_but_another_distinguishing_word_does_not(written, expected):
    found = match_occupation(written)
    assert (found[0] if found else None) == expected


_TINY = """
[groups.unknown]
[groups.informal]
[[occupations]]
name = "Tukang Batu"
group = "informal"
spellings = ["TUKANG"]
[[occupations]]
name = "Tukang Kayu"
group = "informal"
[[occupations]]
name = "Nelayan Tambak"
group = "informal"
[[occupations]]
name = "Tukang Baju"
group = "informal"
"""


def test_a_word_beginning_several_names_decides_only_when_nothing_follows_it():
    known = parse_occupations(_TINY)
    assert match_occupation("tukang", known=known) == ("Tukang Batu", "informal")
    assert match_occupation("bekas tukang", known=known) == ("Tukang Batu", "informal")
    assert match_occupation("tukang sayur", known=known) is None
    assert match_occupation("tukang kayu jati", known=known) == ("Tukang Kayu", "informal")


def test_one_mistyped_word_matches_only_when_one_occupation_is_that_near():
    known = parse_occupations(_TINY)
    assert match_occupation("nelayan tambk", known=known) == ("Nelayan Tambak", "informal")
    assert match_occupation("nelayn tambak", known=known) == ("Nelayan Tambak", "informal")
    assert match_occupation("nelayn tambk", known=known) is None  # two words wrong
    assert match_occupation("tambak", known=known) is None  # one word: no correction
    assert match_occupation("tukang kyu", known=known) == ("Tukang Kayu", "informal")
    # TUKANG BATU and TUKANG BAJU are both one letter from it: not guessed
    assert match_occupation("tukang baku", known=known) is None


def test_an_officer_mapping_wins_for_every_spelling_with_its_key():
    mappings = {occupation_key("Serabutan"): ("Buruh Harian Lepas", "informal")}
    out = normalise_occupation(
        pd.Series(["SERABUTAN", "serabutan.", "Serabutan", "Kerja serabutan", None, "-"]),
        mappings,
    )
    assert out["pekerjaan"].tolist()[:4] == ["Buruh Harian Lepas"] * 3 + ["Kerja serabutan"]
    assert out["occupation_group"].tolist()[:4] == ["informal"] * 3 + ["unknown"]
    assert out["occupation_group"].isna().tolist()[4:] == [True, True]  # nothing written


_SPELLINGS = sorted(KNOWN.spellings)


def _dress(key: str, separators: list[str], cases: list[int]) -> str:
    """A known spelling written with other separators and case, as regencies do."""
    words = key.split()
    out = words[0]
    for i, word in enumerate(words[1:]):
        out += separators[i % len(separators)] + word
    styles = (str.upper, str.lower, str.title)
    return "  " + styles[cases[0] % 3](out) + " "


@settings(max_examples=300, deadline=None)
@given(
    key=st.sampled_from(_SPELLINGS),
    separators=st.lists(st.sampled_from([" ", " / ", "/", "-", " - ", ".  ", ", "]), min_size=1),
    cases=st.lists(st.integers(0, 2), min_size=1),
)
def test_case_punctuation_and_slashes_never_change_the_occupation(key, separators, cases):
    written = _dress(key, separators, cases)
    name = KNOWN.spellings[key]
    assert match_occupation(written) == (name, KNOWN.occupations[name].group)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_any_text_is_matched_or_left_unknown_never_an_error(text):
    found = match_occupation(text)
    assert found is None or found[0] in KNOWN.occupations
    group = normalise_occupation(pd.Series([text]))["occupation_group"].iloc[0]
    assert pd.isna(group) or group in KNOWN.groups


def test_a_broken_list_names_the_entry():
    bad = """
[groups.unknown]
[groups.informal]
[[occupations]]
name = "Petani"
group = "informal"
spellings = ["TANI"]
[[occupations]]
name = "Nelayan"
group = "nowhere"
[[occupations]]
name = "Peternak"
group = "informal"
spellings = ["tani"]
"""
    with pytest.raises(OccupationListError) as raised:
        parse_occupations(bad, "x.toml")
    message = str(raised.value)
    assert "occupations[2] ('Nelayan')" in message
    assert "'tani' is already a spelling of Petani" in message


def test_groups_held_for_review_follow_the_rules():
    shipped = load_rules(DEFAULT_PROGRAMS_FILE).occupation_review()
    held = frozenset({"unknown", "state_or_private"})
    assert shipped == {"kesehatan": held, "ketenagakerjaan": held}
    base = """
[programs.kesehatan]
title = "x"
premium_monthly = 1
[[programs.kesehatan.require]]
reason = "ALREADY_ENROLLED"
field = "enrolled_kesehatan"
equals = false
"""
    assert parse_rules(base).occupation_review() == {}
    # a rule that treats every group a Guru may be alike: only unknown spellings are held
    alike = (
        base + '[[programs.kesehatan.require]]\nreason = "OCCUPATION_EXCLUDED"\n'
        'field = "occupation_group"\nnot_in = ["not_working"]\n'
    )
    assert parse_rules(alike).occupation_review() == {"kesehatan": frozenset({"unknown"})}
