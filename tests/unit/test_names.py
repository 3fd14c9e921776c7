import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.validate.names import clean_display_name, name_invalid, name_key


def test_titles_and_spellings_fold_for_matching_only():
    display = clean_display_name(
        pd.Series(
            [
                "  H. Muhamad  Rizki, S.Pd",
                "Drs. M. RIZKI, M.Si",
                "MOCHAMMAD rizki",
                "Hj. Siti Nur Djanah",
            ]
        )
    )
    assert display.iloc[0] == "H. Muhamad Rizki, S.Pd"  # shown as written, spaces collapsed
    keys = name_key(display).tolist()
    assert keys[:3] == ["MUHAMMAD RIZKI"] * 3
    assert keys[3] == "SITI NUR JANAH"


def test_common_first_names_are_not_titles():
    keys = name_key(pd.Series(["Andi Saputra", "Nur Aini", "Siti"])).tolist()
    assert keys == ["ANDI SAPUTRA", "NUR AINI", "SITI"]


def test_invalid_names():
    out = name_invalid(pd.Series(["A", "Budi 2", "Budi", None, "Ng"]))
    assert out.tolist() == [True, True, False, False, False]


def test_degrees_without_a_comma_and_apostrophes():
    keys = name_key(
        pd.Series(
            ["Rina Wati S.Pd.", "MA'RUF AMIN", "Ma Ruf Amin", "Ir. H. Joko, S.T., M.T.", "Sri H"]
        )
    ).tolist()
    assert keys[0] == "RINA WATI"
    assert keys[1] == "MARUF AMIN" != keys[2]  # the apostrophe joins, a space separates
    assert keys[3] == "JOKO"
    assert keys[4] == "SRI H"  # a trailing initial is part of the name


def test_problems_say_why_in_indonesian():
    from transforms.validate.names import name_problem

    out = name_problem(pd.Series(["Budi 2", "A.", "-", "Budi", None])).tolist()
    assert out == ["berisi angka", "kurang dari dua huruf", "kurang dari dua huruf", pd.NA, pd.NA]


def test_display_keeps_case_and_titles_but_collapses_spaces():
    out = clean_display_name(pd.Series(["  Hj.\u00a0Siti   Aminah , S.Pd ", ""])).tolist()
    assert out == ["Hj. Siti Aminah , S.Pd", pd.NA]


def test_formulas_markup_and_numbers_are_not_names():
    from transforms.validate.names import name_problem

    names = pd.Series(
        ['=HYPERLINK("http://x","Budi")', "<b>Budi</b>", "-Budi", "+Budi", "@Budi", "＝Budi",
         "123456", "Budi &amp; Ani", "Siti Nur'aini", "H. Abd. Rahman, S.Pd"]
    )  # fmt: skip
    problems = name_problem(names).tolist()
    formula = "diawali tanda rumus (= + - @)"
    assert problems[:6] == [formula, "berisi kode/markup", formula, formula, formula, formula]
    assert problems[6] == "berisi angka"
    assert problems[7] == "berisi kode/markup"
    assert pd.isna(problems[8]) and pd.isna(problems[9])


def test_indonesian_name_variants_share_a_key():
    pairs = [
        ("ST. AMINAH", "SITI AMINAH"),
        ("ABD. RAHMAN", "ABDUL RAHMAN"),
        ("Moch. Rizki", "Muhammad Rizki"),
        ("MUH. IQBAL", "MUHAMMAD IQBAL"),
        ("AHMAD BIN SALEH", "AHMAD"),
        ("FATIMAH BINTI ALI", "FATIMAH"),
        ("NOOR HASANAH", "NUR HASANAH"),
        ("DJOKO SUSILO", "JOKO SUSILO"),
        ("SOESILO", "SUSILO"),
        ("CHAIRUL", "KHAIRUL"),
        ("SJAHRIR", "SYAHRIR"),
        ("TJAHYONO", "CAHYONO"),
    ]
    a = name_key(pd.Series([p[0] for p in pairs]))
    b = name_key(pd.Series([p[1] for p in pairs]))
    assert a.tolist() == b.tolist()
    # ST after a name is a degree, not SITI; BINTANG is a name, not BIN
    assert name_key(pd.Series(["Budi, ST", "BINTANG SAPUTRA"])).tolist() == [
        "BUDI", "BINTANG SAPUTRA",
    ]  # fmt: skip


_WORDS = ("SITI", "ABDUL", "MUHAMMAD", "NUR", "JOKO", "CAHYO", "YUSUF", "SYAHRUL", "KHAIRUL",
          "SUSILO", "WAHYUNI", "AMINAH", "RAHMAN", "JUNAIDI", "BUDI")  # fmt: skip
_ABBREVIATED = {"SITI": "ST.", "ABDUL": "ABD.", "MUHAMMAD": "MOH.", "NUR": "NOOR"}
_OLD = (("SY", "SJ"), ("KH", "CH"), ("J", "DJ"), ("C", "TJ"), ("Y", "J"), ("U", "OE"))


@settings(max_examples=300, deadline=None)
@given(
    words=st.lists(st.sampled_from(_WORDS), min_size=1, max_size=3, unique=True),
    kind=st.sampled_from(["abbreviation", "bin", "old"]),
    father=st.sampled_from(["ALI", "SALEH", "HASAN"]),
    old=st.sampled_from(_OLD),
)
def test_an_indonesian_variant_of_a_name_is_the_same_name(words, kind, father, old):
    from transforms.link.matching import NAME_SAME, name_levels

    plain = " ".join(words)
    if kind == "abbreviation":
        # as written: the first name abbreviated (ST. AMINAH, ABD. RAHMAN, MOH. NUR)
        variant = " ".join([_ABBREVIATED.get(words[0], words[0]), *words[1:]])
    elif kind == "bin":
        variant = f"{plain} BIN {father}"
    else:
        variant = plain.replace(old[0], old[1], 1)
    keys = name_key(pd.Series([plain, variant]))
    level, _ = name_levels(keys.iloc[[0]], keys.iloc[[1]])
    assert level[0] == NAME_SAME, (plain, variant, keys.tolist())
