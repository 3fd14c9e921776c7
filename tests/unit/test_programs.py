"""Program rules files: the shipped defaults load, and every mistake names its line."""

from pathlib import Path

import pytest

from schemas.programs import RulesError, load_rules, parse_rules, toml_locations

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TEXT = (ROOT / "schemas" / "programs.toml").read_text(encoding="utf-8")
JOSPOL_TEXT = (ROOT / "examples" / "jospol4.toml").read_text(encoding="utf-8")


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the n-th line containing `needle`."""
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    return hits[occurrence - 1]


def error_of(text: str, source: str = "rules.toml") -> str:
    with pytest.raises(RulesError) as caught:
        parse_rules(text, source)
    return str(caught.value)


def test_shipped_rules_and_example_load():
    rules = parse_rules(DEFAULT_TEXT)
    assert list(rules.programs) == ["kesehatan", "ketenagakerjaan"]
    assert rules.programs["kesehatan"].premium_monthly == 42_000
    assert rules.programs["ketenagakerjaan"].premium_monthly == 16_800
    assert rules.programs["kesehatan"].quota is None  # no quota: everyone verified is in
    combined = parse_rules(DEFAULT_TEXT + "\n" + JOSPOL_TEXT)
    jospol = combined.programs["jospol4"]
    assert jospol.quota == 150 and jospol.one_per_household
    assert jospol.candidates_from("jospol4") == ["kesehatan", "ketenagakerjaan"]
    assert jospol.layout("jospol4") == "identity"
    assert combined.programs["kesehatan"].layout("kesehatan") == "kesehatan"
    messages = jospol.reason_messages()  # Indonesian, for the regency officer
    assert messages["DESIL_UNKNOWN"] == "Desil DTSEN tidak diisi"
    assert set(messages) == {
        "PENDING_REVIEW", "REMARK_PENDING", "HOUSEHOLD_LIMIT", "NOT_RESIDENT",
        "AGE_OUT_OF_RANGE", "OCCUPATION_EXCLUDED", "DESIL_ABOVE_LIMIT", "DESIL_UNKNOWN",
    }  # fmt: skip


def test_unknown_field_names_the_line_of_its_entry():
    text = DEFAULT_TEXT.replace('field = "age"\nmin = 15', 'field = "umur"\nmin = 15')
    message = error_of(text)
    header = line_of(text, "[[programs.ketenagakerjaan.require]]", occurrence=3)
    assert message.startswith(f"rules.toml:{header}: programs.ketenagakerjaan.require[3]")
    assert "AGE_OUT_OF_RANGE" in message and "unknown field 'umur'" in message


def test_misspelt_key_names_its_own_line():
    text = DEFAULT_TEXT.replace("premium_monthly = 16800", "premium_montly = 16800")
    message = error_of(text)
    assert f"rules.toml:{line_of(text, 'premium_montly')}: " in message
    assert "programs.ketenagakerjaan.premium_montly" in message and "unknown key" in message
    assert "'premium_monthly' is required" in message  # the program header's line
    assert f"rules.toml:{line_of(text, '[programs.ketenagakerjaan]')}: " in message


def test_error_inside_an_inline_band_names_the_band_line():
    text = DEFAULT_TEXT.replace("{ min = 70, points = 10 }", '{ min = 70, points = "x" }')
    message = error_of(text)
    assert message.startswith(f"rules.toml:{line_of(text, 'min = 70')}: ")
    assert "programs.kesehatan.score[2].bands[1].points (name = 'kelompok_usia')" in message


def test_multi_line_array_element_line():
    text = DEFAULT_TEXT.replace("{ max = 6, points = 3 }", "{ max = 6, pionts = 3 }", 1)
    message = error_of(text)
    assert message.startswith(f"rules.toml:{line_of(text, 'pionts')}: ")
    assert "bands[6].pionts" in message


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('not_in = ["wage_or_state"]', 'not_in = ["wage_or_stat"]', "has no value 'wage_or_stat'"),
        ("equals = false", 'equals = "no"', "is a bool field"),
        ("when_true = 10", "bands = [{ min = 1, points = 2 }]", "give when_true (only)"),
        ("premium_monthly = 42000", "premium_monthly = -1", "greater than or equal to 0"),
        ("min = 15\nmax = 65", "min = 65\nmax = 15", "min 65 is above max 15"),
        ('reason = "NOT_RESIDENT"', 'reason = "not resident"', "should match pattern"),
        ('field = "resident"\nequals = true', 'field = "resident"\nin = ["x"]', "bool field"),
        (
            "premium_monthly = 42000",
            "premium_monthly = 42000\nquota_per_regency = 1\nbudget_yearly_per_regency = 1000000",
            "not both",
        ),  # fmt: skip
        ('name = "tanggungan"', 'name = "desil"', "names repeated: desil"),
    ],
)
def test_rule_mistakes_are_errors_not_defaults(old, new, expected):
    text = DEFAULT_TEXT.replace(old, new, 1)
    assert text != DEFAULT_TEXT
    message = error_of(text)
    assert expected in message
    assert message.startswith("rules.toml:")
    assert message.split(":")[1].isdigit()  # a line number


def test_program_level_mistakes():
    text = DEFAULT_TEXT + '\n[programs.jospol]\ntitle = "x"\npremium_monthly = 0\n'
    message = error_of(text)
    assert message.startswith(f"rules.toml:{line_of(text, '[programs.jospol]')}: ")
    assert "programs.jospol: program 'jospol' is not one regencies submit for" in message
    text = DEFAULT_TEXT.replace("[programs.kesehatan]", "[programs.Kesehatan]")
    assert "programs.Kesehatan" in error_of(text)
    assert "at least 1 item" in error_of("programs = {}")
    assert "rules.toml: programs: 'programs' is required" in error_of("")
    message = error_of(DEFAULT_TEXT + "\n[programs.x]\ntitle = \"x\"\npremium_monthly = 1\n"
                       "submitted_programs = [\"jkn\"]\n")  # fmt: skip
    assert "jkn not submitted by regencies" in message


def test_invalid_toml_names_the_line():
    message = error_of(DEFAULT_TEXT.replace("premium_monthly = 42000", "premium_monthly = 42 000"))
    assert "invalid TOML" in message and f"line {line_of(DEFAULT_TEXT, '42000')}" in message


def test_budget_gives_the_quota():
    text = DEFAULT_TEXT.replace(
        "premium_monthly = 16800", "premium_monthly = 16800\nbudget_yearly_per_regency = 2016000"
    )
    assert parse_rules(text).programs["ketenagakerjaan"].quota == 10  # 2,016,000 / (16,800 x 12)
    text = text.replace("2016000", "2015999")
    assert parse_rules(text).programs["ketenagakerjaan"].quota == 9  # rounded down
    message = error_of(text.replace("premium_monthly = 16800", "premium_monthly = 0"))
    assert "needs premium_monthly above 0" in message


def test_load_rules_missing_file(tmp_path):
    with pytest.raises(RulesError, match=r"cannot read program rules"):
        load_rules(tmp_path / "nope.toml")
    (tmp_path / "latin1.toml").write_bytes(b'title = "caf\xe9"')
    with pytest.raises(RulesError, match="not UTF-8"):
        load_rules(tmp_path / "latin1.toml")


def test_toml_locations_reads_tricky_text():
    text = "\n".join(
        [
            "# [not.a.table] comment with = and [[brackets]]",
            "[a]",
            'x = "value with # and ] and {"',
            "'quoted key' = 1",
            "[[a.list]]",
            "y = [ # comment",
            "  { p = 1 },",
            "  { p = 2, q = 'z' },",
            "]",
            "[[a.list]]",
            "y = []",
            "[a.list.sub]",
            "k.dotted = true",
            'm = """multi',
            'line"""',
            "n = 5",
        ]
    )
    lines = toml_locations(text)
    assert lines[("a",)] == 2
    assert lines[("a", "x")] == 3
    assert lines[("a", "quoted key")] == 4
    assert lines[("a", "list", 0)] == 5
    assert lines[("a", "list", 0, "y", 0)] == 7
    assert lines[("a", "list", 0, "y", 1, "q")] == 8
    assert lines[("a", "list", 1)] == 10
    assert lines[("a", "list", 1, "sub", "k", "dotted")] == 13
    assert lines[("a", "list", 1, "sub", "n")] == 16
