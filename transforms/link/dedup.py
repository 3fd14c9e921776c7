"""Rows to persons: one stable `person_id` per person, NIK conflicts held, golden records chosen.

1. Exact NIK: rows with one NIK are one *person key* (`N:<nik>`), except a row whose NIK was
   first claimed by a clearly different person (`NIK_CONFLICT`, held for review), which gets
   its own key (`C:<nik>|<name>|<birth date>`).
2. Beyond exact NIK (`transforms.link.matching`): keys whose NIKs differ by a typo are linked
   through name, birth date, sex and KK; uncertain pairs go to `match_candidates` for an
   officer; officers' decisions (`pair_reviews`) are honoured on every run.
3. Ids: the registry maps every key to its person's id; a merged person keeps the smallest
   existing id.
4. Golden record: attributes from the most recent, most complete accepted row, with the
   file, sheet and row they came from; the NIK is the one most of the person's rows carry.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from schemas.codes import ROW_CODES, ROW_KEYS
from transforms.link import matching
from transforms.link.matching import NAME_CLOSE, NAME_DIFFERENT, as_text, name_levels

GOLDEN_FIELDS = (
    "nik",
    "no_kk",
    "nama",
    "tanggal_lahir",
    "jenis_kelamin",
    "alamat",
    "desa",
    "kecamatan",
    "pekerjaan",
)
# Row cells that say nothing of the person (what one row was submitted for, its content key,
# the NIK as typed, remarks, the name's match key): never copied into the golden record.
ROW_ONLY_FIELDS = ("program", "row_hash", "nik_raw", "keterangan", "nama_key", "is_new")
CONFLICT_DIFFERENT = "nama dan tanggal lahir berbeda"
CONFLICT_HOUSEHOLD = "nama berbeda, tanggal lahir dan KK sama: anggota keluarga lain (kembar?)"
MATCH_CANDIDATE_COLUMNS = [
    "person_key_a", "person_key_b", "person_id_a", "person_id_b", "status", "score", "rule",
    "nik_a", "nik_b", "edits_between_niks", "nama_a", "nama_b", "name_similarity", "name_level",
    "tanggal_lahir_a", "tanggal_lahir_b", "dob_level", "jenis_kelamin_a", "jenis_kelamin_b",
    "same_sex", "no_kk_a", "no_kk_b", "same_family_card", "kecamatan_a", "kecamatan_b", "same_kecamatan",
    "regency_code_a", "regency_code_b", "decided_by", "decided_at",
]  # fmt: skip
DOB_LABELS = {
    matching.DOB_SAME: "sama",
    matching.DOB_TYPO: "salah_ketik",
    matching.DOB_DIFFERENT: "beda",
}
OFFICER_AUTOMATIC = "otomatis"


def nik_conflicts(rows: pd.DataFrame) -> pd.Series:
    """Why a row's NIK was first claimed (by `order_key`) by a clearly different person; <NA> if not.

    Clearly different = name clearly different AND birth date different (a typo in one of them
    is the same person), or name clearly different in the same household (same KK and birth
    date: a twin given the sibling's NIK).
    """
    codes, _ = pd.factorize(rows["nik"])
    detail = np.full(len(rows), "", dtype=object)
    if not (codes >= 0).any():
        return pd.Series(pd.NA, index=rows.index, dtype="string")
    by_order = np.lexsort((rows["order_key"].to_numpy(dtype=np.int64), codes))
    present, start = np.unique(codes[by_order], return_index=True)
    first_of_code = np.zeros(present.max() + 1, dtype=np.int64)
    first_of_code[present] = by_order[start]  # the earliest row of each NIK
    first = np.where(codes >= 0, first_of_code[np.maximum(codes, 0)], np.arange(len(rows)))
    names = as_text(rows["nama_key"])
    candidates = np.flatnonzero(names != names[first])
    if len(candidates):
        mine, theirs = candidates, first[candidates]
        level, _ = name_levels(rows["nama_key"].iloc[mine], rows["nama_key"].iloc[theirs])
        named = (level == NAME_DIFFERENT) & (names[mine] != "") & (names[theirs] != "")
        dob = pd.to_datetime(rows["tanggal_lahir"]).to_numpy(dtype="datetime64[D]")
        kk = as_text(rows["no_kk"])
        different_dob = ~np.isnat(dob[mine]) & (dob[mine] != dob[theirs])
        same_household = (kk[mine] == kk[theirs]) & (kk[mine] != "") & (dob[mine] == dob[theirs])
        detail[mine] = np.select(
            [named & different_dob, named & same_household],
            [CONFLICT_DIFFERENT, CONFLICT_HOUSEHOLD],
            "",
        )
    return pd.Series(detail, index=rows.index, dtype="string").replace("", pd.NA)


def person_keys(rows: pd.DataFrame, conflict: pd.Series) -> pd.Series:
    """Registry key per row: the NIK, or NIK+name+birth date for a conflicting claimant."""
    dob = rows["tanggal_lahir"].dt.strftime("%Y-%m-%d").fillna("")
    normal = "N:" + rows["nik"].astype(str)
    other = (
        "C:" + rows["nik"].astype(str) + "|" + rows["nama_key"].fillna("").astype(str) + "|" + dob
    )
    return normal.where(~conflict, other)


def _program_list(person_id: pd.Series, program: pd.Series) -> pd.Series:
    """Comma-separated sorted programs per person: a bit per program, one label per bit set."""
    codes, names = pd.factorize(program.astype("string"), sort=True)  # no Python str per row
    people, index = pd.factorize(person_id)
    bits = np.zeros(len(index), dtype=np.int64)
    present = codes >= 0
    np.bitwise_or.at(bits, people[present], 1 << codes[present])
    labels = [
        ",".join(name for i, name in enumerate(names) if mask & (1 << i))
        for mask in range(1 << len(names))
    ]
    return pd.Series(np.asarray(labels, dtype=object)[bits], index=index)


def _embedded_date_agrees(nik: pd.Series, dob: pd.Series, sex: pd.Series) -> np.ndarray:
    """The NIK's embedded DDMMYY (day + 40 for women) equals the birth date and sex columns."""
    dob = pd.to_datetime(dob)
    day = dob.dt.day + np.where(sex.astype("string").eq("P").fillna(False), 40, 0)
    expected = day * 10000 + dob.dt.month * 100 + dob.dt.year % 100
    embedded = pd.to_numeric(nik.astype("string").str[6:12], errors="coerce")
    return embedded.to_numpy(dtype="float64") == expected.to_numpy(dtype="float64")


def golden_niks(rows: pd.DataFrame) -> pd.DataFrame:
    """Per person: the NIK most of their accepted rows carry (then the one whose embedded date
    matches, then the latest), and the other NIKs they were submitted with."""
    nik_code, niks = pd.factorize(rows["nik"])
    frame = pd.DataFrame(
        {
            "person_id": rows["person_id"].to_numpy(),
            "nik": nik_code,
            "order_key": rows["order_key"].to_numpy(),
        }
    )
    spread = frame.groupby("person_id")["nik"].nunique()
    several = frame["person_id"].isin(spread.index[spread > 1]).to_numpy()
    single = frame.loc[~several].drop_duplicates("person_id").set_index("person_id")["nik"]
    voting = rows.loc[several, ["nik", "status", "tanggal_lahir", "jenis_kelamin"]]
    frame = frame.loc[several].assign(
        accepted=voting["status"].eq("accepted").fillna(False).to_numpy(dtype=bool),
        agrees=_embedded_date_agrees(
            voting["nik"], voting["tanggal_lahir"], voting["jenis_kelamin"]
        ),
    )
    votes = frame.groupby(["person_id", "nik"], sort=False).agg(
        accepted=("accepted", "sum"), agrees=("agrees", "max"), latest=("order_key", "max")
    )
    votes = votes.reset_index().sort_values(
        ["person_id", "accepted", "agrees", "latest"], ascending=[True, False, False, False]
    )
    golden = pd.concat([single, votes.drop_duplicates("person_id").set_index("person_id")["nik"]])
    others = votes.loc[votes.duplicated("person_id")].assign(
        nik=lambda v: np.asarray(niks, dtype=object)[v["nik"].to_numpy()]
    )
    variants = others.sort_values(["person_id", "nik"]).groupby("person_id")["nik"].agg(",".join)
    return pd.DataFrame(
        {
            "nik": np.asarray(niks, dtype=object)[golden.to_numpy()],
            "nik_variants": variants.reindex(golden.index).to_numpy(),
        },
        index=golden.index,
    )


def golden_records(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per person: attributes from the most recent, most complete accepted row.

    Also records where those attributes came from (file, sheet, row), the person's NIK by
    vote and their other NIKs, their programs and row counts per status.
    """
    present = [c for c in GOLDEN_FIELDS if c in rows]
    ranking = pd.DataFrame(
        {
            "person_id": rows["person_id"].to_numpy(),
            "accepted": rows["status"].eq("accepted").fillna(False).to_numpy(dtype=bool),
            "complete": rows[present].notna().sum(axis=1).to_numpy(),
            "order_key": rows["order_key"].to_numpy(),
        }
    ).sort_values(
        ["person_id", "accepted", "complete", "order_key"], ascending=[True, False, False, False]
    )
    person_fields = [c for c in rows.columns if c not in ROW_ONLY_FIELDS]
    golden = rows[person_fields].iloc[ranking.drop_duplicates("person_id").index.to_numpy()]
    golden = golden.rename(
        columns={"file_name": "source_file", "sheet": "source_sheet", "row_number": "source_row"}
    )
    people, index = pd.factorize(rows["person_id"])
    status = rows["status"].astype("string")
    counts = pd.DataFrame(
        {
            f"n_rows_{name}": np.bincount(
                people,
                weights=status.eq(name).fillna(False).to_numpy(dtype=bool),
                minlength=len(index),
            ).astype("int64")
            for name in ("accepted", "review")
        },
        index=index,
    )
    golden = golden.set_index("person_id").join(counts)
    niks = golden_niks(rows)
    golden["nik"] = niks["nik"].reindex(golden.index)
    golden["nik_variants"] = niks["nik_variants"].reindex(golden.index)
    accepted = rows["status"].eq("accepted").fillna(False).to_numpy(dtype=bool)
    golden["programs_accepted"] = _program_list(
        rows.loc[accepted, "person_id"], rows.loc[accepted, "program"]
    ).reindex(golden.index, fill_value="")
    golden["programs_submitted"] = _program_list(rows["person_id"], rows["program"])
    internal = ["status", "order_key", "person_key", "nik_conflict", "conflict_detail"]
    return golden.reset_index().drop(columns=internal, errors="ignore")


@dataclass
class Deduplication:
    """What deduplication produced.

    rows: the input rows with `person_key`, `person_id`, `nik_conflict`, `conflict_detail`
    and their status (a conflicting claimant is held for review); persons: golden records;
    registry_changes: registry rows to upsert (new keys, and keys whose person changed);
    match_candidates: pairs of person keys merged automatically, open for review, or decided
    by an officer, with the evidence per field.
    """

    rows: pd.DataFrame
    persons: pd.DataFrame
    registry_changes: pd.DataFrame
    match_candidates: pd.DataFrame


def _nodes(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Number the person keys in order of first sight: (node per row, keys, first order_key)."""
    codes, keys = pd.factorize(rows["person_key"])
    first = np.full(len(keys), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, codes, rows["order_key"].to_numpy(dtype=np.int64))
    rank = np.empty(len(keys), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(keys))
    order = np.argsort(first, kind="stable")
    return rank[codes], np.asarray(keys, dtype=object)[order], first[order]


def _candidates_frame(
    pairs: pd.DataFrame, profiles: pd.DataFrame, keys: np.ndarray, ids: np.ndarray
) -> pd.DataFrame:
    """`match_candidates` rows: automatic merges, open reviews and officers' decisions."""
    keep = (
        pairs["decision"].isin([matching.MERGE, matching.REVIEW])
        | pairs["decision_officer"].notna()
    )
    pairs = pairs.loc[keep].reset_index(drop=True)
    node_a = pairs["node_a"].to_numpy(dtype=np.int64)
    node_b = pairs["node_b"].to_numpy(dtype=np.int64)
    first_profile = np.zeros(len(keys), dtype=np.int64)
    nodes, first_index = np.unique(profiles["node"].to_numpy(), return_index=True)
    first_profile[nodes] = first_index  # profiles are in order of first sight
    out = pd.DataFrame(
        {
            "person_key_a": keys[node_a],
            "person_key_b": keys[node_b],
            "person_id_a": ids[node_a],
            "person_id_b": ids[node_b],
            "status": pairs["status"].to_numpy(dtype=object),
        }
    )
    shown = {}
    for side, node in (("a", node_a), ("b", node_b)):
        index = pairs[f"profile_{side}"].to_numpy(dtype="float64")
        index = np.where(np.isnan(index), first_profile[node], index).astype(np.int64)
        shown[side] = index
        picked = profiles.iloc[index].reset_index(drop=True)
        for column in (
            "nik", "nama", "tanggal_lahir", "jenis_kelamin", "no_kk", "kecamatan", "regency_code",
        ):  # fmt: skip
            out[f"{column}_{side}"] = picked[column].to_numpy()
    redo = pairs["profile_a"].isna().to_numpy()
    if redo.any():  # officer-only pairs: compare the profiles shown
        compared = matching.compare_pairs(
            profiles, pd.DataFrame({"a": shown["a"][redo], "b": shown["b"][redo]})
        )
        evidence = compared.columns.drop(
            ["node_a", "node_b", "profile_a", "profile_b", "decision", "rule"]
        )
        for column in evidence:
            pairs[column] = pairs[column].astype(object)
            pairs.loc[redo, column] = compared[column].to_numpy()
    out["edits_between_niks"] = pairs["nik_edits"].astype("int64")
    out["name_similarity"] = pairs["name_similarity"].astype("float64")
    out["name_level"] = pairs["name_level"].astype("int64").map(matching.NAME_LABELS)
    out["dob_level"] = pairs["dob_level"].astype("int64").map(DOB_LABELS)
    out["same_family_card"] = pairs["same_kk"].astype(bool)
    for column in ("same_sex", "same_kecamatan"):
        out[column] = pairs[column].astype(bool)
    out["score"] = pairs["score"].astype("float64")
    out["rule"] = pairs["rule"].astype("string").fillna("keputusan_petugas")
    officer = pairs["officer"].astype("string")
    automatic = officer.isna() & out["status"].eq("merged")
    out["decided_by"] = officer.mask(automatic, OFFICER_AUTOMATIC)
    out["decided_at"] = pd.to_datetime(pairs["decided_at"])
    out = out.sort_values(["status", "score"], ascending=[False, False], kind="stable")
    return out[MATCH_CANDIDATE_COLUMNS].reset_index(drop=True)


def link_keys(
    rows: pd.DataFrame,
    registry: pd.DataFrame,
    reviews: pd.DataFrame | None = None,
    unpaired: matching.Unpaired | None = None,
) -> tuple[np.ndarray, pd.DataFrame, pd.DataFrame]:
    """Person id per row from its key: (ids, registry rows to upsert, match candidates)."""
    node, keys, first_order = _nodes(rows)
    profiles = matching.key_profiles(rows.assign(node=node))
    pairs = matching.candidate_pairs(profiles, unpaired)
    scored = matching.scored_key_pairs(profiles, pairs)
    decisions = matching.latest_decisions(reviews, pd.Index(keys, dtype=object))
    labels, final = matching.cluster_keys(len(keys), scored, profiles, decisions)
    ids, changes = matching.assign_ids(keys, first_order, labels, registry)
    candidates = _candidates_frame(final, profiles, keys, ids)
    return ids[node], changes, candidates


def deduplicate(
    rows: pd.DataFrame,
    registry: pd.DataFrame,
    reviews: pd.DataFrame | None = None,
    unpaired: matching.Unpaired | None = None,
) -> Deduplication:
    """Accepted and review rows to persons: exact NIK, then typo'd NIKs linked, decisions honoured.

    `registry`: person_key, person_id (and first_person_id) from earlier runs; `reviews`:
    officers' pair decisions (person_key_a, person_key_b, decision, officer, decided_at);
    `unpaired`: block values larger than `MAX_BLOCK` when `rows` hold only part of the rows.
    """
    rows = rows.copy(deep=False)  # copy-on-write: the caller's frame is never changed
    detail = nik_conflicts(rows)
    conflict = detail.notna().to_numpy(dtype=bool)
    rows["nik_conflict"] = conflict
    rows["conflict_detail"] = detail
    rows["person_key"] = person_keys(rows, pd.Series(conflict, index=rows.index))
    if rows.empty:
        ids = pd.Series(dtype="int64")
        changes = pd.DataFrame(columns=["person_key", "person_id", "first_person_id"])
        candidates = pd.DataFrame(columns=MATCH_CANDIDATE_COLUMNS)
    else:
        ids, changes, candidates = link_keys(rows, registry, reviews, unpaired)
    rows["person_id"] = np.asarray(ids, dtype="int64")
    # A conflicting claimant is held for review until a person decides.
    accepted = rows["status"].eq("accepted").fillna(False).to_numpy(dtype=bool)
    rows.loc[conflict & accepted, "status"] = "review"
    persons = golden_records(rows)
    return Deduplication(rows, persons, changes, candidates)


def probable_persons(
    rejected: pd.DataFrame, linked: pd.DataFrame, unpaired: matching.Unpaired | None = None
) -> pd.Series:
    """For rejected rows (no usable NIK, or another error): the person they probably are.

    A valid NIK held by a person whose name is not clearly different is that person; else a
    person with a close name, the same birth date and sex, and the same KK (or the same
    kecamatan of the same regency) when exactly one person fits. <NA> otherwise.
    """
    result = pd.Series(pd.NA, index=rejected.index, dtype="Int64")
    if rejected.empty or linked.empty:
        return result
    owners = linked.loc[linked["person_key"].str.startswith("N:"), ["nik", "person_id", "nama_key"]]
    owners = owners.drop_duplicates("nik")
    by_nik = rejected[["nik", "nama_key"]].merge(owners, on="nik", how="left", suffixes=("", "_p"))
    by_nik.index = rejected.index
    has = by_nik["person_id"].notna()
    if has.any():
        level, _ = name_levels(
            by_nik.loc[has, "nama_key"].reset_index(drop=True),
            by_nik.loc[has, "nama_key_p"].reset_index(drop=True),
        )
        ok = has.copy()
        ok[has] = level != NAME_DIFFERENT
        result[ok] = by_nik.loc[ok, "person_id"].astype("int64")

    todo = rejected.loc[result.isna() & rejected["nama_key"].notna()]
    if todo.empty:
        return result
    # nodes: rejected rows -1, -2, ...; persons their id
    left = matching.key_profiles(todo.assign(node=-np.arange(1, len(todo) + 1)))
    right = matching.key_profiles(linked.assign(node=linked["person_id"].to_numpy()))
    both = pd.concat([left, right], ignore_index=True)
    node = both["node"].to_numpy(dtype=np.int64)
    pairs = _cross_block_pairs(both, node < 0, unpaired)
    if pairs.empty:
        return result
    a, b = pairs["a"].to_numpy(), pairs["b"].to_numpy()
    level, _ = name_levels(both["nama_key"].iloc[a], both["nama_key"].iloc[b])
    dob = matching.dob_levels(both["tanggal_lahir"].iloc[a], both["tanggal_lahir"].iloc[b])

    def same(column: str) -> np.ndarray:
        values = as_text(both[column])
        return (values[a] == values[b]) & (values[a] != "")

    place = same("no_kk") | (same("kecamatan_key") & same("regency_code"))
    sex_ok = same("jenis_kelamin") | (as_text(both["jenis_kelamin"])[a] == "")
    fits = (level >= NAME_CLOSE) & (dob == matching.DOB_SAME) & sex_ok & place
    found = pd.DataFrame({"row": -node[a][fits] - 1, "person": node[b][fits]}).drop_duplicates()
    unique = found.loc[~found["row"].duplicated(keep=False)]
    result.loc[todo.index[unique["row"].to_numpy()]] = unique["person"].to_numpy()
    return result


def _cross_block_pairs(
    profiles: pd.DataFrame, is_left: np.ndarray, unpaired: matching.Unpaired | None = None
) -> pd.DataFrame:
    """Pairs (left profile, right profile) sharing a KK, or a name key and birth date."""
    parts = []
    for columns in matching.BLOCKS:
        block = profiles[list(columns)]
        present = matching.in_blocks(profiles, columns, unpaired).to_numpy()
        group = block.loc[present].groupby(list(columns), sort=False).ngroup()
        members = pd.DataFrame({"g": group.to_numpy(), "i": group.index.to_numpy()})
        members["left"] = is_left[members["i"].to_numpy()]
        left, right = members.loc[members["left"]], members.loc[~members["left"]]
        size = right.groupby("g").size()
        right = right.loc[right["g"].map(size).le(matching.MAX_BLOCK)]
        joined = left.merge(right, on="g")
        parts.append(pd.DataFrame({"a": joined["i_x"], "b": joined["i_y"]}))
    return pd.concat(parts, ignore_index=True).drop_duplicates(ignore_index=True)


def current_person_ids(ids: pd.Series, registry: pd.DataFrame, changes: pd.DataFrame) -> pd.Series:
    """Person ids an earlier run recorded, as they are after this run: the id of a person since
    merged into another (who keeps the smaller id) becomes that person's; others unchanged."""
    parts = [f for f in (registry, changes) if len(f) and "person_key" in f]
    if not parts or ids.empty:
        return ids
    keys = pd.concat(parts, ignore_index=True).drop_duplicates("person_key", keep="last")
    own = keys["person_id"].astype("float64")
    if "first_person_id" in keys:
        own = keys["first_person_id"].astype("float64").fillna(own)
    now = pd.Series(keys["person_id"].to_numpy(dtype="int64"), index=own.to_numpy("int64"))
    now = now[~now.index.duplicated()]
    mapped = pd.Series(ids.astype("Int64").map(now), index=ids.index)
    return mapped.fillna(ids.astype("Int64")).astype("Int64")


def enrolment_by_person(
    enrolled: pd.DataFrame, rows: pd.DataFrame, persons: pd.DataFrame
) -> pd.DataFrame:
    """Reference-list flags per person NIK, OR-ed over every NIK of the person's rows.

    A merged person whose typo'd NIK became the golden one is still found on the list by the
    NIK of their other rows. One row per NIK, the shape `enrolment_flags` gives.
    """
    if enrolled.empty or persons.empty:
        return enrolled
    flags = [c for c in enrolled.columns if c != "nik"]
    held = rows[["person_id", "nik"]].drop_duplicates().merge(enrolled, on="nik")
    per_person = held.groupby("person_id")[flags].any()
    golden = persons[["person_id", "nik"]].merge(per_person, left_on="person_id", right_index=True)
    combined = pd.concat([enrolled, golden.drop(columns="person_id")], ignore_index=True)
    return combined.groupby("nik", as_index=False)[flags].any()


def conflict_issues(linked: pd.DataFrame, known: pd.DataFrame) -> pd.DataFrame:
    """`NIK_CONFLICT` issues for the linked rows held as a conflict, but not those `known` already."""
    held = linked.loc[linked["nik_conflict"].to_numpy(dtype=bool)]
    rows = held.loc[~held.set_index(ROW_KEYS).index.isin(known.set_index(ROW_KEYS).index)]
    spec = ROW_CODES["NIK_CONFLICT"]
    head, _, rest = spec.message.partition("{value}")
    middle, _, tail = rest.partition("{detail}")
    detail = rows["conflict_detail"].astype("string").fillna(CONFLICT_DIFFERENT)
    return pd.DataFrame(
        {
            "file_name": rows["file_name"],
            "sheet": rows["sheet"],
            "row_number": rows["row_number"],
            "code": "NIK_CONFLICT",
            "severity": spec.severity.value,
            "column_name": spec.column,
            "value": rows["nik"],
            "message": head + rows["nik"].astype(str) + middle + detail + tail,
        }
    )
