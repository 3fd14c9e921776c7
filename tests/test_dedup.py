import pandas as pd

from transforms.dedup import deduplicate


def rows(**columns):
    n = len(next(iter(columns.values())))
    base = {
        "file_name": [f"f{i}.xlsx" for i in range(n)],
        "sheet": [""] * n,
        "row_number": [2] * n,
        "status": ["accepted"] * n,
        "nik": ["6472015508800003"] * n,
        "no_kk": ["6472010101200001"] * n,
        "nama": ["Siti"] * n,
        "nama_key": ["SITI"] * n,
        "tanggal_lahir": pd.to_datetime(["1980-08-15"] * n),
        "jenis_kelamin": ["P"] * n,
        "regency_code": ["6472"] * n,
        "program": ["kesehatan"] * n,
        "order_key": list(range(1, n + 1)),
    }
    base.update(columns)
    frame = pd.DataFrame(base)
    frame["tanggal_lahir"] = pd.to_datetime(frame["tanggal_lahir"])
    return frame


EMPTY_REGISTRY = pd.DataFrame({"person_key": pd.Series(dtype=str), "person_id": pd.Series(dtype="int64")})


def test_same_nik_is_one_person_across_programs():
    linked, persons, added = deduplicate(rows(program=["kesehatan", "ketenagakerjaan"]), EMPTY_REGISTRY)
    assert linked["person_id"].nunique() == 1
    assert persons["programs_submitted"].iloc[0] == "kesehatan,ketenagakerjaan"
    assert len(added) == 1


def test_clearly_different_person_with_same_nik_is_held_as_conflict():
    linked, persons, _ = deduplicate(
        rows(nama_key=["SITI AMINAH", "BUDI SANTOSO", "SITI AMINA"],
             tanggal_lahir=["1980-08-15", "1991-01-02", "1980-08-16"]),
        EMPTY_REGISTRY,
    )  # fmt: skip
    assert linked["nik_conflict"].tolist() == [False, True, False]
    assert linked["status"].tolist() == ["accepted", "review", "accepted"]
    assert linked["person_id"].nunique() == 2


def test_ids_are_stable_across_runs():
    first, _, added = deduplicate(rows(nik=["6472015508800003", "6472015508800004"]), EMPTY_REGISTRY)
    later = rows(nik=["6472015508800099", "6472015508800004", "6472015508800003"])
    second, _, more = deduplicate(later, added)
    ids_before = dict(zip(first["nik"], first["person_id"], strict=True))
    ids_after = dict(zip(second["nik"], second["person_id"], strict=True))
    assert ids_after["6472015508800003"] == ids_before["6472015508800003"]
    assert ids_after["6472015508800004"] == ids_before["6472015508800004"]
    assert ids_after["6472015508800099"] == 3 and len(more) == 1


def test_golden_record_prefers_latest_accepted_row():
    linked, persons, _ = deduplicate(
        rows(nama=["Siti", "Siti Aminah", "SITI AMINAH (rev)"], status=["accepted", "accepted", "review"]),
        EMPTY_REGISTRY,
    )
    assert persons["nama"].iloc[0] == "Siti Aminah"
    assert persons["n_rows_accepted"].iloc[0] == 2 and persons["n_rows_review"].iloc[0] == 1
