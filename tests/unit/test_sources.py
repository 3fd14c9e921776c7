import pytest

from transforms.ingest.sources import attribute_file


@pytest.mark.parametrize(
    ("path", "regency", "program"),
    [
        ("KOTA SAMARINDA/Usulan PBI JKN Samarinda 2025.xlsx", "6472", "kesehatan"),
        ("KUKAR/calon_peserta_BPU_rentan_kukar.csv", "6402", "ketenagakerjaan"),
        ("6407 Kutai Barat/BPJS TK Kubar revisi 2.xlsx", "6407", "ketenagakerjaan"),
        ("Penajam Paser Utara/jkn.xlsx", "6409", "kesehatan"),
        ("x/64.72 BPJSTK.xlsx", "6472", "ketenagakerjaan"),
        ("Kab. Kutai Timur/KIS.xlsx", "6408", "kesehatan"),
    ],
)
def test_regency_and_program_from_names(path, regency, program):
    found = attribute_file(path)
    assert (found.regency_code, found.program) == (regency, program)


def test_folder_wins_over_file_name_and_title_is_last_resort():
    assert attribute_file("Bontang/Data Samarinda kesehatan.xlsx").regency_code == "6474"
    assert attribute_file("data.xlsx", "USULAN BPJS KESEHATAN KAB. BERAU").regency_code == "6403"


def test_ambiguous_and_unknown():
    both = attribute_file("Kota Balikpapan/KIS dan BPU.xlsx")
    assert both.program is None and "lebih dari satu" in both.program_problem
    nothing = attribute_file("data.xlsx")
    assert nothing.regency_code is None and nothing.program is None
