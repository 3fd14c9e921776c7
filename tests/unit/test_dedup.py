import numpy as np
import pandas as pd

from transforms.link import matching
from transforms.link.dedup import (
    CONFLICT_HOUSEHOLD,
    conflict_issues,
    current_person_ids,
    deduplicate,
    enrolment_by_person,
    probable_persons,
)


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
        "kecamatan": ["Palaran"] * n,
        "regency_code": ["6472"] * n,
        "program": ["kesehatan"] * n,
        "order_key": list(range(1, n + 1)),
    }
    base.update(columns)
    frame = pd.DataFrame(base)
    frame["tanggal_lahir"] = pd.to_datetime(frame["tanggal_lahir"])
    return frame


EMPTY_REGISTRY = pd.DataFrame(
    {"person_key": pd.Series(dtype=str), "person_id": pd.Series(dtype="int64")}
)


def registry_after(*results):
    """The registry as the warehouse holds it after the given runs (upserts applied)."""
    frames = [r.registry_changes for r in results]
    return pd.concat(frames, ignore_index=True).drop_duplicates("person_key", keep="last")


def reviews(*decisions):
    """`pair_reviews` rows: (key_a, key_b, decision)."""
    return pd.DataFrame(
        {
            "person_key_a": [d[0] for d in decisions],
            "person_key_b": [d[1] for d in decisions],
            "decision": [d[2] for d in decisions],
            "officer": "Rina",
            "decided_at": pd.Timestamp("2026-11-01"),
        }
    )


def test_same_nik_is_one_person_across_programs():
    result = deduplicate(rows(program=["kesehatan", "ketenagakerjaan"]), EMPTY_REGISTRY)
    assert result.rows["person_id"].nunique() == 1
    assert result.persons["programs_submitted"].iloc[0] == "kesehatan,ketenagakerjaan"
    assert len(result.registry_changes) == 1


def test_clearly_different_person_with_same_nik_is_held_as_conflict():
    result = deduplicate(
        rows(nama_key=["SITI AMINAH", "BUDI SANTOSO", "SITI AMINA"],
             tanggal_lahir=["1980-08-15", "1991-01-02", "1980-08-16"]),
        EMPTY_REGISTRY,
    )  # fmt: skip
    linked = result.rows
    assert linked["nik_conflict"].tolist() == [False, True, False]
    assert linked["status"].tolist() == ["accepted", "review", "accepted"]
    assert linked["person_id"].nunique() == 2


def test_twin_given_the_siblings_nik_is_held_not_merged():
    result = deduplicate(
        rows(nama_key=["RINA WATI", "DEWI LESTARI"], tanggal_lahir=["2010-03-04"] * 2),
        EMPTY_REGISTRY,
    )
    assert result.rows["nik_conflict"].tolist() == [False, True]
    assert result.rows["conflict_detail"].iloc[1] == CONFLICT_HOUSEHOLD
    assert result.rows["person_id"].nunique() == 2


def test_ids_are_stable_across_runs():
    names = {"6472015508800003": "SITI", "6472015508800004": "RINA", "6472015508800099": "DEWI"}
    first = rows(nik=["6472015508800003", "6472015508800004"])
    first = deduplicate(first.assign(nama_key=first["nik"].map(names)), EMPTY_REGISTRY)
    later = rows(nik=["6472015508800099", "6472015508800004", "6472015508800003"])
    later = later.assign(nama_key=later["nik"].map(names))
    second = deduplicate(later, first.registry_changes)
    ids_before = dict(zip(first.rows["nik"], first.rows["person_id"], strict=True))
    ids_after = dict(zip(second.rows["nik"], second.rows["person_id"], strict=True))
    assert ids_after["6472015508800003"] == ids_before["6472015508800003"]
    assert ids_after["6472015508800004"] == ids_before["6472015508800004"]
    assert ids_after["6472015508800099"] == 3 and len(second.registry_changes) == 1


def test_golden_record_prefers_latest_accepted_row():
    result = deduplicate(
        rows(nama=["Siti", "Siti Aminah", "SITI AMINAH (rev)"], status=["accepted", "accepted", "review"]),
        EMPTY_REGISTRY,
    )  # fmt: skip
    persons = result.persons
    assert persons["nama"].iloc[0] == "Siti Aminah"
    assert persons["n_rows_accepted"].iloc[0] == 2 and persons["n_rows_review"].iloc[0] == 1
    assert (persons["source_file"].iloc[0], persons["source_row"].iloc[0]) == ("f1.xlsx", 2)


def person_pair(nik_b, nama_key_b="SITI AMINAH", **other_b):
    """Two rows: a person, and a second row that may or may not be them."""
    frame = rows(
        nik=["6472015508800003", nik_b],
        nama_key=["SITI AMINAH", nama_key_b],
        nama=["Siti Aminah", nama_key_b.title()],
    )
    for column, value in other_b.items():
        frame.loc[1, column] = value
    frame["tanggal_lahir"] = pd.to_datetime(frame["tanggal_lahir"])
    return frame


def test_nik_typo_one_digit_is_merged():
    result = deduplicate(person_pair("6472015508800008"), EMPTY_REGISTRY)
    assert result.rows["person_id"].nunique() == 1
    pair = result.match_candidates.iloc[0]
    assert (pair["status"], pair["decided_by"], pair["edits_between_niks"]) == (
        "merged",
        "otomatis",
        1,
    )
    # the NIK most rows carry is the person's; the other is kept as a variant
    assert result.persons["nik_variants"].iloc[0] in ("6472015508800003", "6472015508800008")


def test_swapped_adjacent_digits_and_lost_last_digit_are_merged():
    swapped = deduplicate(person_pair("6472015508800030"), EMPTY_REGISTRY)
    assert swapped.rows["person_id"].nunique() == 1
    excel = deduplicate(person_pair("6472015508800000"), EMPTY_REGISTRY)
    assert excel.rows["person_id"].nunique() == 1


def test_titles_and_spelling_variants_count_as_the_same_name():
    frame = rows(
        nik=["6472010508800003", "6472010508800004"],
        nama_key=["MUHAMMAD RIZKI", "MUHAMMAD RIZKI"],  # from "M. Rizki" and "H. Muhamad Rizki"
        jenis_kelamin=["L", "L"],
        tanggal_lahir=["1980-08-05"] * 2,
    )
    assert deduplicate(frame, EMPTY_REGISTRY).rows["person_id"].nunique() == 1


def test_twins_with_consecutive_serials_are_never_merged():
    # same KK, birth date, sex; NIKs one digit apart exactly like a typo; names differ
    for other in ("DEWI LESTARI", "SITI AISYAH"):
        result = deduplicate(person_pair("6472015508800004", other), EMPTY_REGISTRY)
        assert result.rows["person_id"].nunique() == 2
        assert result.match_candidates.empty


def test_twins_sharing_a_first_name_are_not_merged():
    frame = rows(
        nik=["6472010508100003", "6472010508100004"],
        nama_key=["MUHAMMAD RIZKI", "MUHAMMAD FAJAR"],
        jenis_kelamin=["L", "L"],
        tanggal_lahir=["2010-08-05"] * 2,
    )
    result = deduplicate(frame, EMPTY_REGISTRY)
    assert result.rows["person_id"].nunique() == 2


def test_father_and_son_with_one_name_are_not_merged():
    # same name and KK; the NIKs differ only in the birth year (one digit), serials equal
    frame = rows(
        nik=["6472011203750003", "6472011203050003"],
        nama_key=["AHMAD YANI"] * 2,
        jenis_kelamin=["L", "L"],
        tanggal_lahir=["1975-03-12", "2005-03-12"],
    )
    result = deduplicate(frame, EMPTY_REGISTRY)
    assert result.rows["person_id"].nunique() == 2
    assert result.match_candidates.empty


def test_same_name_and_birth_date_in_another_regency_is_not_merged():
    result = deduplicate(
        person_pair(
            "6471035508800003", no_kk="6471030101200009", regency_code="6471", kecamatan="Kota"
        ),
        EMPTY_REGISTRY,
    )
    assert result.rows["person_id"].nunique() == 2
    assert result.match_candidates.empty


def test_nik_typo_with_a_name_variant_goes_to_review():
    result = deduplicate(person_pair("6472015508800008", "SITI AMINA"), EMPTY_REGISTRY)
    assert result.rows["person_id"].nunique() == 2
    pair = result.match_candidates.iloc[0]
    assert pair["status"] == "open" and pair["name_level"] == "dekat"
    assert {pair["person_id_a"], pair["person_id_b"]} == {1, 2}


def test_same_identity_under_two_unrelated_niks_goes_to_review():
    result = deduplicate(person_pair("6472011508800917"), EMPTY_REGISTRY)
    assert result.rows["person_id"].nunique() == 2
    assert result.match_candidates["rule"].tolist() == ["identitas_sama_nik_beda"]


def test_officer_decisions_are_honoured_on_later_runs():
    frame = person_pair("6472015508800008", "SITI AMINA")
    first = deduplicate(frame, EMPTY_REGISTRY)
    key_a, key_b = "N:6472015508800003", "N:6472015508800008"
    merged = deduplicate(frame, registry_after(first), reviews((key_a, key_b, "merge")))
    assert merged.rows["person_id"].tolist() == [1, 1]  # the smallest existing id is kept
    assert merged.match_candidates["status"].tolist() == ["merged"]
    assert merged.match_candidates["decided_by"].tolist() == ["Rina"]
    # the registry maps both keys to the kept id
    assert set(merged.registry_changes["person_id"]) == {1}
    # a later decision wins: distinct splits them again and never reopens, even with new rows
    later = pd.concat([frame, frame.assign(file_name="new.xlsx", order_key=[3, 4])])
    decided = reviews((key_a, key_b, "merge")).assign(decided_at=pd.Timestamp("2026-10-01"))
    decided = pd.concat([decided, reviews((key_b, key_a, "distinct"))])
    split = deduplicate(later, registry_after(first, merged), decided)
    assert split.match_candidates["status"].tolist() == ["distinct"]
    ids = split.rows.groupby("nik")["person_id"].first()
    assert ids.to_dict() == {"6472015508800003": 1, "6472015508800008": 2}  # own id back


def test_distinct_decision_blocks_an_automatic_merge():
    frame = person_pair("6472015508800008")
    keys = ("N:6472015508800003", "N:6472015508800008", "distinct")
    result = deduplicate(frame, EMPTY_REGISTRY, reviews(keys))
    assert result.rows["person_id"].nunique() == 2
    assert result.match_candidates["status"].tolist() == ["distinct"]


def test_merged_persons_keep_the_smallest_existing_id():
    # run 1: the typo row arrives alone and gets its own id; run 2 brings the true NIK
    first = deduplicate(person_pair("6472015508800008").iloc[[1]], EMPTY_REGISTRY)
    second_rows = rows(nik=["6472019999990001"], nama_key=["BUDI"], order_key=[5])
    both = pd.concat([person_pair("6472015508800008"), second_rows], ignore_index=True)
    second = deduplicate(both, first.registry_changes)
    # every key owns an id (the true NIK's, 2, is kept for it should the two be split)
    assert second.rows["person_id"].tolist() == [1, 1, 3]
    changes = second.registry_changes.set_index("person_key")
    assert changes.to_dict("index") == {
        "N:6472015508800003": {"person_id": 1, "first_person_id": 2},
        "N:6472019999990001": {"person_id": 3, "first_person_id": 3},
    }


def test_automatic_links_never_chain_clearly_different_names():
    # officer merged B with C (a nickname); A-B is a typo pair; A and C have clearly
    # different names, so the automatic A-B link goes to review instead
    frame = rows(
        nik=["6472015508800003", "6472015508800008", "6472015508809999"],
        nama_key=["SITI AMINAH", "SITI AMINAH", "UCI"],
    )
    decided = reviews(("N:6472015508800008", "N:6472015508809999", "merge"))
    result = deduplicate(frame, EMPTY_REGISTRY, decided)
    ids = result.rows["person_id"].tolist()
    assert ids[1] == ids[2] and ids[0] != ids[1]
    statuses = dict(
        zip(result.match_candidates["person_key_a"], result.match_candidates["status"], strict=True)
    )
    assert statuses == {"N:6472015508800003": "open", "N:6472015508800008": "merged"}


def test_probable_person_of_a_rejected_row_without_nik():
    linked = deduplicate(
        rows(
            nik=["6472015508800003", "6472015508100004", "6472011203750003"],
            nama_key=["SITI AMINAH", "DEWI LESTARI", "AHMAD YANI"],
            jenis_kelamin=["P", "P", "L"],
            tanggal_lahir=["1980-08-15", "2010-08-15", "1975-03-12"],
        ),
        EMPTY_REGISTRY,
    ).rows
    rejected = rows(
        nik=[None, None, None, "6472015508800003"],
        nama_key=["SITI AMINA", "AHMAD YANI", "DEWI LESTARI", "SITI AMINAH"],
        jenis_kelamin=["P", "L", "P", None],
        tanggal_lahir=["1980-08-15", "2005-03-12", "2010-08-15", None],
        status=["rejected"] * 4,
    )
    # the son of the same name (another birth date) is nobody known; a valid NIK is enough
    assert probable_persons(rejected, linked).tolist() == [1, pd.NA, 2, 1]


def test_enrolment_found_through_any_nik_of_a_merged_person():
    result = deduplicate(person_pair("6472015508800008"), EMPTY_REGISTRY)
    golden = result.persons["nik"].iloc[0]
    other = result.persons["nik_variants"].iloc[0]
    enrolled = pd.DataFrame({"nik": [other], "kesehatan_covered": [True]})
    flags = enrolment_by_person(enrolled, result.rows, result.persons)
    assert flags.set_index("nik").loc[golden, "kesehatan_covered"]


def test_nik_edits_counts_a_substitution_and_a_swap_as_one():
    a = np.array(["6472015508800003"] * 4 + ["", "6472015508800003"], dtype=object)
    b = np.array(
        ["6472015508800003", "6472015508800009", "6472015508800030", "6472015508801234",
         "6472015508800003", "647201"],
        dtype=object,
    )  # fmt: skip
    assert matching.nik_edits(a, b).tolist() == [0, 1, 1, 4, matching.NIK_FAR, matching.NIK_FAR]


def test_components_join_chains():
    labels = matching.components(6, np.array([4, 2, 1]), np.array([5, 1, 0]))
    assert labels.tolist() == [0, 0, 0, 3, 4, 4]


def test_splitting_an_automatic_merge_gives_each_key_its_own_id():
    frame = person_pair("6472015508800008")
    first = deduplicate(frame, EMPTY_REGISTRY)
    assert first.rows["person_id"].tolist() == [1, 1]
    keys = ("N:6472015508800008", "N:6472015508800003", "distinct")
    split = deduplicate(frame, first.registry_changes, reviews(keys))
    assert split.rows["person_id"].tolist() == [1, 2]
    assert split.match_candidates["status"].tolist() == ["distinct"]


def _typo_pair(written_a: str, written_b: str, **columns):
    """Two rows of one family card and birth date, NIKs one digit apart, names as written."""
    from transforms.validate.names import name_key

    names = pd.Series([written_a, written_b])
    base = {
        "nik": ["6472015508800003", "6472015508800008"],
        "nama": names.tolist(),
        "nama_key": name_key(names).tolist(),
        "tanggal_lahir": ["1980-08-15"] * 2,
    }
    return rows(**{**base, **columns})


def test_typo_nik_with_an_indonesian_name_variant_is_merged():
    for a, b in [
        ("ST. AMINAH", "SITI AMINAH"),
        ("FATIMAH BINTI SALEH", "FATIMAH"),
        ("NOOR HASANAH", "NUR HASANAH"),
        ("SOEJATMI", "SUYATMI"),  # old spelling OE and J for Y
        ("ABD. ROHIM", "ABDUL ROHIM"),
    ]:
        result = deduplicate(_typo_pair(a, b), EMPTY_REGISTRY)
        assert result.rows["person_id"].nunique() == 1, (a, b)


def test_typo_nik_with_a_name_variant_but_another_birth_date_is_not_merged():
    result = deduplicate(
        _typo_pair("ST. AMINAH", "SITI AMINAH", tanggal_lahir=["1980-08-15", "1981-08-15"]),
        EMPTY_REGISTRY,
    )
    assert result.rows["person_id"].nunique() == 2


def test_twins_whose_names_differ_in_more_than_j_and_y_stay_apart():
    result = deduplicate(_typo_pair("JUNAIDI", "YUNITA"), EMPTY_REGISTRY)
    assert result.rows["person_id"].nunique() == 2


def test_conflict_issues_name_the_nik_and_skip_conflicts_already_recorded():
    linked = rows(
        row_number=[2, 3, 4], nik_conflict=[True, True, False],
        conflict_detail=[CONFLICT_HOUSEHOLD, None, None],
    )  # fmt: skip
    known = linked.iloc[[0], :3]
    issues = conflict_issues(linked, known)
    assert issues[["file_name", "row_number", "code", "value"]].values.tolist() == [
        ["f1.xlsx", 3, "NIK_CONFLICT", "6472015508800003"]
    ]
    assert "nama dan tanggal lahir berbeda" in issues["message"].iloc[0]
    assert "kembar" in conflict_issues(linked, known.iloc[0:0])["message"].iloc[0]


def test_an_earlier_runs_person_id_follows_its_person_into_a_merge():
    registry = pd.DataFrame(
        {"person_key": ["N:1", "N:2", "N:3"], "person_id": [1, 2, 3], "first_person_id": [1, 2, 3]}
    )
    changes = pd.DataFrame({"person_key": ["N:3"], "person_id": [2], "first_person_id": [3]})
    ids = pd.Series([3, 1, 7, pd.NA], dtype="Int64")

    now = current_person_ids(ids, registry, changes)

    # 3 merged into 2; 1 unchanged; 7 is nobody's key any more and stays as recorded
    assert now.tolist() == [2, 1, 7, pd.NA]


def test_a_block_known_to_be_oversized_is_not_paired_from_the_part_at_hand():
    profiles = pd.DataFrame(
        {
            "node": [0, 1, 2],
            "nik": ["6472015508800003", "6472015508800004", "6472015508800005"],
            "no_kk": ["6472010101200001"] * 3,
            "nama_key": ["SITI", "SITI", "SITI"],
            "tanggal_lahir": pd.to_datetime(["1980-08-15", "1981-01-01", "1982-02-02"]),
        }
    )
    assert len(matching.candidate_pairs(profiles)) == 3  # the KK pairs them all

    oversized = {("no_kk",): pd.DataFrame({"no_kk": ["6472010101200001"]})}
    assert matching.candidate_pairs(profiles, oversized).empty

    by_name = {
        ("nama_key", "tanggal_lahir"): pd.DataFrame(
            {"nama_key": ["SITI"], "tanggal_lahir": pd.to_datetime(["1980-08-15"])}
        )
    }
    assert len(matching.candidate_pairs(profiles, by_name)) == 3  # another block: still paired


def test_pairs_compared_a_chunk_at_a_time_give_the_same_key_pairs():
    kk, other_kk = "6472010101200001", "6472010101200002"
    profiles = matching.key_profiles(
        rows(
            node=[0, 1, 1, 2, 3, 4],
            nik=[
                "6472015508800003",
                "6472015508800008",  # one digit from node 0: merged with it ...
                "6472015508800008",  # ... but also written for a clearly different person
                "6472015508800009",
                "6472011203750001",
                "6472015508800004",
            ],
            nama_key=["SITI AMINAH", "SITI AMINAH", "RINA", "SITI AMINA", "BUDI", "SITI AMINAH"],
            no_kk=[kk, kk, kk, kk, kk, other_kk],
        )
    )
    pairs = matching.candidate_pairs(profiles)
    whole = matching.key_pairs(matching.compare_pairs(profiles, pairs))
    for chunk in (1, 2, 3):
        chunked = matching.scored_key_pairs(profiles, pairs, chunk=chunk)
        pd.testing.assert_frame_equal(chunked, whole)
    linked = set(zip(whole["node_a"], whole["node_b"], strict=True))
    assert (0, 2) in linked and (0, 1) not in linked  # a pair never to be linked is dropped
