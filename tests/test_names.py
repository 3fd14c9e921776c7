import pandas as pd

from transforms.names import clean_display_name, name_invalid, name_key


def test_titles_and_spellings_fold_for_matching_only():
    display = clean_display_name(
        pd.Series(["  H. Muhamad  Rizki, S.Pd", "Drs. M. RIZKI, M.Si", "MOCHAMMAD rizki", "Hj. Siti Nur Djanah"])
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
