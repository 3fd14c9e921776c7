"""Link exact-NIK groups that are one person: blocking, field comparison, rules, clusters, ids.

Rows are first grouped by exact NIK (`transforms.link.dedup`); each group is a *person key* and a
node here. Two keys become a candidate pair when one of their identity profiles shares a
family card (KK), or a name key and birth date, with a profile of the other. A block larger
than `MAX_BLOCK` profiles is not paired (a dummy KK shared by hundreds would make the pair
count explode) and birth date is never a block on its own. Each pair is compared field by
field and classified by explicit rules, strictest where twins live (same KK, same birth date):

- never linked: both NIKs valid and different and the names clearly different (Jaro-Winkler
  below 0.7 and neither a prefix of the other): twins, other household members;
- merged: NIKs one edit apart (one digit wrong, two adjacent digits swapped, or Excel's lost
  last digit), the same name after normalisation, and the same birth date, sex and KK;
- review (`match_candidates`, status open): close but not certain, e.g. a NIK typo with a
  name variant or from another KK, or the same name, birth date and KK under two NIKs;
- otherwise nothing.

Merged pairs are clustered as connected components of the *filtered* pairs; a component that
would hold two keys an officer marked distinct, or two keys with different NIKs and clearly
different names, keeps only officers' merges and its automatic pairs go to review instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz.distance import JaroWinkler, Prefix
from rapidfuzz.process import cpdist

# Profiles per block above which a block is not paired (see the module docstring).
MAX_BLOCK = 60
# Blocks: a shared family card, or the same name key and birth date (never birth date alone).
BLOCKS: tuple[tuple[str, ...], ...] = (("no_kk",), ("nama_key", "tanggal_lahir"))
# Two names are "clearly different" below this Jaro-Winkler similarity, unless one is a prefix.
DIFFERENT_NAME_BELOW = 0.7
# A name is "close" when every word of the shorter one has a word at least this similar in
# the longer one (a single letter matches a word with that initial) and the whole names are
# at least CLOSE_NAME_FULL similar.
CLOSE_NAME_WORD = 0.88
CLOSE_NAME_FULL = 0.8

# Comparison levels.
NAME_DIFFERENT, NAME_SIMILAR, NAME_CLOSE, NAME_SAME = 0, 1, 2, 3
NAME_LABELS = {
    NAME_DIFFERENT: "beda",
    NAME_SIMILAR: "mirip",
    NAME_CLOSE: "dekat",
    NAME_SAME: "sama",
}
DOB_DIFFERENT, DOB_TYPO, DOB_SAME = 0, 1, 2
NIK_FAR = 9
# Evidence weights (sum 1.0): the score orders pairs for review; the rules decide.
WEIGHTS = {
    "nik_one_edit": 0.35,
    "nik_two_edits": 0.10,
    "name_same": 0.30,
    "name_close": 0.20,
    "name_similar": 0.05,
    "dob_same": 0.20,
    "dob_typo": 0.08,
    "household": 0.10,
    "sex": 0.03,
    "kecamatan": 0.02,
}
MERGE, REVIEW, DISTINCT = "merge", "review", "distinct"

PROFILE_FIELDS = (
    "nik",
    "nama",
    "nama_key",
    "tanggal_lahir",
    "jenis_kelamin",
    "no_kk",
    "kecamatan",
    "regency_code",
)
IDENTITY = [
    "node",
    "nik",
    "nama_key",
    "tanggal_lahir",
    "jenis_kelamin",
    "no_kk",
    "kecamatan_key",
    "regency_code",
]


def as_text(values: pd.Series) -> np.ndarray:
    """Object array of Python strings, '' for missing (for rapidfuzz and numpy comparisons)."""
    return values.astype("string").fillna("").to_numpy(dtype=object)


def _lengths(values: np.ndarray) -> np.ndarray:
    return np.fromiter(map(len, values), dtype=np.int64, count=len(values))


def key_profiles(rows: pd.DataFrame) -> pd.DataFrame:
    """Distinct identity profiles per node (a person key's number; first-seen display name kept)."""
    frame = rows[["node", "order_key"]].copy()
    for field in PROFILE_FIELDS:
        frame[field] = rows.get(field, pd.NA)
    frame["kecamatan_key"] = (
        frame["kecamatan"].astype("string").str.upper().str.replace(r"[^A-Z]+", "", regex=True)
    )
    frame["tanggal_lahir"] = pd.to_datetime(frame["tanggal_lahir"])
    profiles = frame.sort_values("order_key", kind="stable").drop_duplicates(IDENTITY)
    return profiles.reset_index(drop=True)


# Block values known to hold more than MAX_BLOCK profiles although only part of them is at
# hand (a run linking only the persons its new rows can change): per block, a frame of values.
Unpaired = dict[tuple[str, ...], pd.DataFrame]


def in_blocks(
    frame: pd.DataFrame, columns: tuple[str, ...], unpaired: Unpaired | None
) -> pd.Series:
    """Which rows have every column of the block and a value not left unpaired."""
    present = frame[list(columns)].notna().all(axis=1)
    values = (unpaired or {}).get(columns)
    if values is None or values.empty:
        return present
    keys = frame.loc[present, list(columns)]
    if len(columns) == 1:
        known = keys[columns[0]].isin(values[columns[0]])
    else:
        known = pd.MultiIndex.from_frame(keys).isin(
            pd.MultiIndex.from_frame(values[list(columns)].astype(keys.dtypes.to_dict()))
        )
    present.loc[keys.index[known]] = False
    return present


def candidate_pairs(profiles: pd.DataFrame, unpaired: Unpaired | None = None) -> pd.DataFrame:
    """Profile index pairs (a < b) sharing a block, of different nodes and different NIKs;
    `unpaired`: block values too large to pair although fewer of their profiles are here."""
    parts = []
    for columns in BLOCKS:
        block = profiles[list(columns)]
        present = in_blocks(profiles, columns, unpaired)
        group = block.loc[present].groupby(list(columns), sort=False).ngroup()
        size = group.map(group.value_counts())
        group = group.loc[(size >= 2) & (size <= MAX_BLOCK)]
        members = pd.DataFrame({"g": group.to_numpy(), "i": group.index.to_numpy()})
        joined = members.merge(members, on="g")
        parts.append(joined.loc[joined["i_x"] < joined["i_y"], ["i_x", "i_y"]])
    pairs = pd.concat(parts, ignore_index=True).drop_duplicates(ignore_index=True)
    a, b = pairs["i_x"].to_numpy(), pairs["i_y"].to_numpy()
    node = profiles["node"].to_numpy()
    nik = as_text(profiles["nik"])
    keep = (node[a] != node[b]) & (nik[a] != nik[b])
    return pd.DataFrame({"a": a[keep], "b": b[keep]})


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """(n, width) uint8 matrix of the characters of fixed-width strings ('' -> zeros)."""
    fixed = np.asarray(values, dtype=f"S{width}")
    return np.frombuffer(fixed.tobytes(), dtype=np.uint8).reshape(len(values), width)


def _edits(da: np.ndarray, db: np.ndarray, valid: np.ndarray) -> np.ndarray:
    diff = da != db
    hamming = diff.sum(axis=1)
    # two adjacent positions swapped: differ at i and i+1 only, crosswise equal
    crossed = (da[:, :-1] == db[:, 1:]) & (da[:, 1:] == db[:, :-1]) & diff[:, :-1] & diff[:, 1:]
    swap = (hamming == 2) & crossed.any(axis=1)
    return np.where(valid, np.where(swap, 1, hamming), NIK_FAR)


def nik_edits(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Edits between 16-digit NIKs: 0 same, 1 one digit or one adjacent swap, 2, 3.., NIK_FAR."""
    valid = (_lengths(a) == 16) & (_lengths(b) == 16)
    return _edits(_digits(a, 16), _digits(b, 16), valid)


def _days(values: pd.Series) -> np.ndarray:
    return pd.to_datetime(values).to_numpy(dtype="datetime64[D]")


def _dob_levels(da: np.ndarray, db: np.ndarray) -> np.ndarray:
    present = ~(np.isnat(da) | np.isnat(db))

    def ymd(d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        safe = np.where(np.isnat(d), np.datetime64("2000-01-01"), d)
        y = safe.astype("datetime64[Y]").astype(np.int64) + 1970
        m = safe.astype("datetime64[M]").astype(np.int64) % 12 + 1
        day = (safe - safe.astype("datetime64[M]")).astype(np.int64) + 1
        return y, m, day

    ya, ma, dda = ymd(da)
    yb, mb, ddb = ymd(db)
    num_a = ya * 10000 + ma * 100 + dda
    num_b = yb * 10000 + mb * 100 + ddb
    powers = 10 ** np.arange(8)
    digits_differ = ((num_a[:, None] // powers) % 10 != (num_b[:, None] // powers) % 10).sum(axis=1)
    swapped = (ya == yb) & (ma == ddb) & (dda == mb)
    same = present & (da == db)
    typo = present & ~same & ((digits_differ == 1) | swapped)
    return np.select([same, typo], [DOB_SAME, DOB_TYPO], DOB_DIFFERENT)


def dob_levels(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Birth dates: same, a typo of each other (one digit of YYYYMMDD, or day and month swapped),
    or different (also when either is missing)."""
    return _dob_levels(_days(a), _days(b))


def _words_covered(short: np.ndarray, long: np.ndarray) -> np.ndarray:
    """Whether every word of `short[i]` has a close word in `long[i]` (vectorised per word pair)."""
    n = len(short)
    if n == 0:
        return np.zeros(0, dtype=bool)
    left = pd.Series(short, dtype=object).str.split(" ").explode()
    right = pd.Series(long, dtype=object).str.split(" ").explode()
    left = pd.DataFrame({"pair": left.index, "word": left.to_numpy()})
    left["w"] = np.arange(len(left))
    right = pd.DataFrame({"pair": right.index, "other": right.to_numpy()})
    words = left.merge(right, on="pair")
    w, o = words["word"].to_numpy(dtype=object), words["other"].to_numpy(dtype=object)
    sim = cpdist(w, o, scorer=JaroWinkler.normalized_similarity, workers=1)
    initial = (_lengths(w) == 1) & (np.array([x[:1] for x in o], dtype=object) == w)
    words["ok"] = (sim >= CLOSE_NAME_WORD) | initial
    per_word = words.groupby("w")["ok"].any()
    per_pair = pd.Series(per_word.to_numpy(), index=left["pair"].to_numpy()).groupby(level=0).all()
    return per_pair.reindex(range(n), fill_value=False).to_numpy(dtype=bool)


@dataclass
class _Names:
    """Name keys of profiles with what comparisons need, computed once per profile."""

    key: np.ndarray
    length: np.ndarray
    squeezed: np.ndarray
    old_y: np.ndarray  # squeezed, the old spelling's J read as Y (SOEJONO = SUYONO)

    @classmethod
    def of(cls, values: pd.Series) -> _Names:
        key = as_text(values)
        squeezed = pc.replace_substring(pa.array(key, type=pa.string()), " ", "")
        old_y = pc.replace_substring(squeezed, "J", "Y")
        return cls(
            key,
            _lengths(key),
            squeezed.to_numpy(zero_copy_only=False),
            old_y.to_numpy(zero_copy_only=False),
        )


def _name_levels(names: _Names, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ka, kb = names.key[a], names.key[b]
    if len(ka) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    jw = cpdist(ka, kb, scorer=JaroWinkler.normalized_similarity, workers=1)
    common = cpdist(ka, kb, scorer=Prefix.similarity, workers=1)
    la, lb = names.length[a], names.length[b]
    present = (la > 0) & (lb > 0)
    prefix = present & (common == np.minimum(la, lb))
    same = present & ((ka == kb) | (names.squeezed[a] == names.squeezed[b]))
    # J for Y only between two names that differ in nothing else (JUSUF = YUSUF)
    same |= present & (names.old_y[a] == names.old_y[b])
    different = present & ~same & (jw < DIFFERENT_NAME_BELOW) & ~prefix
    level = np.where(same, NAME_SAME, np.where(different | ~present, NAME_DIFFERENT, NAME_SIMILAR))
    maybe = np.flatnonzero((level == NAME_SIMILAR) & (jw >= CLOSE_NAME_FULL))
    if len(maybe):
        words_a = np.array([x.count(" ") for x in ka[maybe]])
        words_b = np.array([x.count(" ") for x in kb[maybe]])
        a_shorter = words_a <= words_b
        short = np.where(a_shorter, ka[maybe], kb[maybe])
        long = np.where(a_shorter, kb[maybe], ka[maybe])
        level[maybe[_words_covered(short, long)]] = NAME_CLOSE
    return level, jw


def name_levels(a: pd.Series, b: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Name keys compared: (level, Jaro-Winkler similarity); missing names are 'different'."""
    both = pd.concat([a.reset_index(drop=True), b.reset_index(drop=True)], ignore_index=True)
    n = len(a)
    return _name_levels(_Names.of(both), np.arange(n), np.arange(n, 2 * n))


def compare_pairs(profiles: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """Field-by-field evidence, score and rule decision of each candidate profile pair."""
    a_all, b_all = pairs["a"].to_numpy(), pairs["b"].to_numpy()
    # work on the profiles that are in some pair, each prepared once
    used, local = np.unique(np.r_[a_all, b_all], return_inverse=True)
    a, b = local[: len(a_all)], local[len(a_all) :]
    shown = profiles.iloc[used]
    nik = as_text(shown["nik"])
    digits, valid = _digits(nik, 16), _lengths(nik) == 16
    edits = _edits(digits[a], digits[b], valid[a] & valid[b])
    name, jw = _name_levels(_Names.of(shown["nama_key"]), a, b)
    days = _days(shown["tanggal_lahir"])
    dob = _dob_levels(days[a], days[b])

    def same(column: str) -> np.ndarray:
        values = as_text(shown[column])
        return (values[a] == values[b]) & (values[a] != "")

    kk, sex, kecamatan = same("no_kk"), same("jenis_kelamin"), same("kecamatan_key")
    score = (
        np.select([edits == 1, edits == 2], [WEIGHTS["nik_one_edit"], WEIGHTS["nik_two_edits"]], 0)
        + np.select(
            [name == NAME_SAME, name == NAME_CLOSE, name == NAME_SIMILAR],
            [WEIGHTS["name_same"], WEIGHTS["name_close"], WEIGHTS["name_similar"]],
            0,
        )
        + np.select(
            [dob == DOB_SAME, dob == DOB_TYPO], [WEIGHTS["dob_same"], WEIGHTS["dob_typo"]], 0
        )
        + kk * WEIGHTS["household"]
        + sex * WEIGHTS["sex"]
        + kecamatan * WEIGHTS["kecamatan"]
    )
    decision, rule = classify(edits, name, dob, kk, sex)
    node = profiles["node"].to_numpy()
    return pd.DataFrame(
        {
            "node_a": node[a_all],
            "node_b": node[b_all],
            "profile_a": a_all,
            "profile_b": b_all,
            "nik_edits": edits,
            "name_level": name,
            "name_similarity": np.round(jw, 4),
            "dob_level": dob,
            "same_kk": kk,
            "same_sex": sex,
            "same_kecamatan": kecamatan,
            "score": np.round(score, 4),
            "decision": decision,
            "rule": rule,
        }
    )


def classify(
    edits: np.ndarray, name: np.ndarray, dob: np.ndarray, kk: np.ndarray, sex: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The rules: (decision merge/review/distinct/'' , rule name) per pair of different NIKs."""
    forbid = name == NAME_DIFFERENT
    nik_typo = edits == 1
    merge = ~forbid & nik_typo & (name == NAME_SAME) & (dob == DOB_SAME) & kk & sex
    nik_close = nik_typo | ((edits == 2) & kk)  # two wrong digits: only within one household
    variant = nik_close & (name >= NAME_CLOSE) & (dob >= DOB_TYPO) & sex
    typo_elsewhere = nik_typo & (name == NAME_SAME) & (dob == DOB_SAME)
    two_niks = (name == NAME_SAME) & (dob == DOB_SAME) & sex & kk
    review = ~forbid & ~merge & (variant | typo_elsewhere | two_niks)
    # labels picked by index from object arrays: 8 bytes a pair, not a fixed-width string each
    decision = np.select([forbid, merge, review], [1, 2, 3], 0)
    rule = np.select(
        [forbid, merge, review & typo_elsewhere, review & two_niks, review], [1, 2, 3, 4, 5], 0
    )
    return DECISION_LABELS[decision], RULE_LABELS[rule]


DECISION_LABELS = np.array(["", DISTINCT, MERGE, REVIEW], dtype=object)
RULE_LABELS = np.array(
    [
        "",
        "nama_jelas_beda",
        "nik_salah_ketik",
        "nik_salah_ketik_data_lain_beda",
        "identitas_sama_nik_beda",
        "nik_dan_nama_mirip",
    ],
    dtype=object,
)


def key_pairs(compared: pd.DataFrame) -> pd.DataFrame:
    """One row per pair of nodes (ordered a < b): the strongest decision and its evidence.

    A pair with any profile pair never to be linked is dropped (it stays unlinked); else
    merge beats review.
    """
    frame = compared.copy()
    swap = frame["node_a"].to_numpy() > frame["node_b"].to_numpy()
    for left, right in (("node_a", "node_b"), ("profile_a", "profile_b")):
        x, y = frame[left].to_numpy(), frame[right].to_numpy()
        frame[left] = np.where(swap, y, x)
        frame[right] = np.where(swap, x, y)
    rank = np.select(
        [frame["decision"].eq(DISTINCT), frame["decision"].eq(MERGE), frame["decision"].eq(REVIEW)],
        [3, 2, 1],
        0,
    )
    frame = frame.assign(_rank=rank).sort_values(
        ["node_a", "node_b", "_rank", "score"], ascending=[True, True, False, False], kind="stable"
    )
    best = frame.drop_duplicates(["node_a", "node_b"]).drop(columns="_rank")
    return best.loc[best["decision"].isin([MERGE, REVIEW])].reset_index(drop=True)


# Candidate pairs compared at a time by `scored_key_pairs`: a province has tens of millions,
# and comparing them at once holds ~150 bytes of evidence per pair.
COMPARE_CHUNK = 1 << 20


def scored_key_pairs(
    profiles: pd.DataFrame, pairs: pd.DataFrame, chunk: int = COMPARE_CHUNK
) -> pd.DataFrame:
    """`key_pairs(compare_pairs(profiles, pairs))`, comparing `chunk` pairs at a time and
    keeping of each chunk only its merge and review pairs and the node pairs never to be
    linked (the evidence of the others is never read)."""
    if len(pairs) <= chunk:
        return key_pairs(compare_pairs(profiles, pairs))
    kept, never = [], []
    for start in range(0, len(pairs), chunk):
        compared = compare_pairs(profiles, pairs.iloc[start : start + chunk])
        decision = compared["decision"]
        kept.append(compared.loc[decision.isin([MERGE, REVIEW]).to_numpy()])
        distinct = compared.loc[decision.eq(DISTINCT).to_numpy(), ["node_a", "node_b"]]
        never.append(_ordered_node_pairs(distinct).drop_duplicates())
        del compared
    best = key_pairs(pd.concat(kept, ignore_index=True))
    apart = pd.concat(never, ignore_index=True).drop_duplicates()
    linked = pd.MultiIndex.from_frame(best[["node_a", "node_b"]])
    ruled_out = linked.isin(pd.MultiIndex.from_frame(apart))
    return best.loc[~ruled_out].reset_index(drop=True)


def _ordered_node_pairs(frame: pd.DataFrame) -> pd.DataFrame:
    """node_a, node_b of `frame` with the smaller node first."""
    a, b = frame["node_a"].to_numpy(), frame["node_b"].to_numpy()
    return pd.DataFrame({"node_a": np.minimum(a, b), "node_b": np.maximum(a, b)})


def latest_decisions(reviews: pd.DataFrame | None, keys: pd.Index) -> pd.DataFrame:
    """Officers' pair decisions on nodes (a < b) of `keys`, the latest per pair of keys."""
    columns = {"node_a": "int64", "node_b": "int64", "decision": object, "officer": object}
    if reviews is None or reviews.empty:
        empty = {c: pd.Series(dtype=t) for c, t in columns.items()}
        return pd.DataFrame({**empty, "decided_at": pd.Series(dtype="datetime64[ns]")})
    a = keys.get_indexer(reviews["person_key_a"].astype(object))
    b = keys.get_indexer(reviews["person_key_b"].astype(object))
    frame = pd.DataFrame(
        {
            "node_a": np.minimum(a, b),
            "node_b": np.maximum(a, b),
            "decision": reviews["decision"].astype(str).to_numpy(dtype=object),
            "officer": reviews["officer"].to_numpy(dtype=object),
            "decided_at": pd.to_datetime(reviews["decided_at"]).to_numpy(),
        }
    )
    frame = frame.loc[(frame["node_a"] >= 0) & (frame["node_a"] != frame["node_b"])]
    frame = frame.sort_values("decided_at", kind="stable")
    return frame.drop_duplicates(["node_a", "node_b"], keep="last").reset_index(drop=True)


def components(n: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Connected components of an undirected graph on 0..n-1: the smallest node of each."""
    parent = np.arange(n)
    u, v = np.asarray(u, dtype=np.int64), np.asarray(v, dtype=np.int64)
    while True:
        while True:
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped
        ru, rv = parent[u], parent[v]
        differ = ru != rv
        if not differ.any():
            return parent
        np.minimum.at(
            parent, np.maximum(ru[differ], rv[differ]), np.minimum(ru[differ], rv[differ])
        )


def _violating_components(
    labels: np.ndarray, profiles: pd.DataFrame, distinct: pd.DataFrame, check_names: bool = True
) -> np.ndarray:
    """Component labels holding two nodes that must stay apart: marked distinct by an officer,
    or (with `check_names`) different NIKs with clearly different names, or a NIK conflict
    that `dedup` split off."""
    bad: set[int] = set()
    if len(distinct):
        a, b = distinct["node_a"].to_numpy(), distinct["node_b"].to_numpy()
        together = labels[a] == labels[b]
        bad.update(labels[a[together]].tolist())
    if not check_names:
        return np.array(sorted(bad), dtype=np.int64)
    size = np.bincount(labels, minlength=len(labels))
    node = profiles["node"].to_numpy()
    in_group = size[labels[node]] > 1
    members = pd.DataFrame({"label": labels[node[in_group]], "profile": np.flatnonzero(in_group)})
    if len(members):
        joined = members.merge(members, on="label")
        joined = joined.loc[joined["profile_x"] < joined["profile_y"]]
        pa_, pb_ = joined["profile_x"].to_numpy(), joined["profile_y"].to_numpy()
        other = node[pa_] != node[pb_]
        pa_, pb_, label = pa_[other], pb_[other], joined["label"].to_numpy()[other]
        used, local = np.unique(np.r_[pa_, pb_], return_inverse=True)
        la, lb = local[: len(pa_)], local[len(pa_) :]
        nik = as_text(profiles["nik"].iloc[used])
        level, _ = _name_levels(_Names.of(profiles["nama_key"].iloc[used]), la, lb)
        split = nik[la] == nik[lb]  # a NIK conflict `dedup` split off stays split
        bad.update(label[(level == NAME_DIFFERENT) | split].tolist())
    return np.array(sorted(bad), dtype=np.int64)


def cluster_keys(
    n: int, pairs: pd.DataFrame, profiles: pd.DataFrame, decisions: pd.DataFrame
) -> tuple[np.ndarray, pd.DataFrame]:
    """Cluster nodes 0..n-1 over merge pairs and officers' merges, never joining nodes that
    must stay apart; returns (cluster label per node, pairs with their final status).

    A component holding two nodes that must stay apart loses its automatic merges (they go
    to review); officers' merges are their call, unless they contradict an officer's
    distinct, in which case those merges are set aside too.
    """
    pairs = pairs.merge(
        decisions, on=["node_a", "node_b"], how="outer", suffixes=("", "_officer")
    ).reset_index(drop=True)
    officer = pairs["decision_officer"]
    is_distinct = officer.eq(DISTINCT).fillna(False).to_numpy(dtype=bool)
    auto = (
        pairs["decision"].eq(MERGE).fillna(False).to_numpy(dtype=bool) & officer.isna().to_numpy()
    )
    by_officer = officer.eq(MERGE).fillna(False).to_numpy(dtype=bool)
    distinct = pairs.loc[is_distinct, ["node_a", "node_b"]]
    u = pairs["node_a"].to_numpy(dtype=np.int64)
    v = pairs["node_b"].to_numpy(dtype=np.int64)
    labels = components(n, u[auto | by_officer], v[auto | by_officer])
    demoted = np.zeros(len(pairs), dtype=bool)
    for edges, check_names in ((auto, True), (by_officer, False)):
        bad = _violating_components(labels, profiles, distinct, check_names)
        if not len(bad):
            continue
        demoted |= np.isin(labels[u], bad) & edges
        keep = (auto | by_officer) & ~demoted
        labels = components(n, u[keep], v[keep])
    linked = labels[u] == labels[v]
    pairs["status"] = np.where(is_distinct, "distinct", np.where(linked, "merged", "open"))
    pairs["demoted"] = demoted
    return labels, pairs


def assign_ids(
    keys: np.ndarray, first_order: np.ndarray, labels: np.ndarray, registry: pd.DataFrame
) -> tuple[np.ndarray, pd.DataFrame]:
    """Person id per key, stable across runs.

    Every key owns one id, given when it is first seen (in order of first sight). A cluster
    keeps the smallest id its keys already have (merged persons keep the smallest); a new
    cluster takes its first key's own id. When two clusters hold one id (an officer split
    them), the one holding the key that owns it keeps it and the other takes back one of its
    keys' own ids.

    `registry`: person_key, person_id, optional first_person_id (the key's own id). Returns
    (id per key; registry rows to upsert: person_key, person_id, first_person_id).
    """
    reg_ids = registry["person_id"].to_numpy(dtype="float64")
    reg_own = reg_ids.copy()
    if "first_person_id" in registry:
        stored = registry["first_person_id"].to_numpy(dtype="float64")
        reg_own = np.where(np.isnan(stored), reg_ids, stored)
    # the registry's keys hashed by Arrow (a province's: millions), not as Python strings
    where = (
        pc.index_in(
            pa.array(np.asarray(keys, dtype=object), type=pa.large_string()),
            value_set=pa.array(registry["person_key"], type=pa.large_string(), from_pandas=True),
        )
        .fill_null(-1)
        .to_numpy(zero_copy_only=False)
        .astype(np.int64)
    )
    known = where >= 0
    current = np.full(len(keys), np.nan)
    own = np.full(len(keys), np.nan)
    current[known], own[known] = reg_ids[where[known]], reg_own[where[known]]
    start = int(np.nanmax(np.r_[reg_ids, reg_own, 0.0])) + 1
    new = np.flatnonzero(~known)
    new = new[np.argsort(first_order[new], kind="stable")]
    own[new] = np.arange(start, start + len(new))

    frame = pd.DataFrame({"cluster": labels, "order": first_order, "current": current, "own": own})
    per = frame.groupby("cluster").agg(claim=("current", "min"), order=("order", "min"))
    owners = frame.loc[frame["own"].to_numpy() == frame["cluster"].map(per["claim"]).to_numpy()]
    per["owner"] = per.index.isin(owners["cluster"].unique())
    per = per.reset_index().sort_values(["claim", "owner", "order"], ascending=[True, False, True])
    lost = per["claim"].notna() & per.duplicated("claim", keep="first")
    per["final"] = per["claim"].where(~lost)
    # clusters without an id (new, or split off): their smallest own id nobody holds
    absent = np.ones(len(registry), dtype=bool)
    absent[where[known]] = False
    taken = set(per["final"].dropna().tolist()) | set(current[known].tolist())
    taken |= set(reg_ids[absent].tolist())
    need = per.loc[per["final"].isna(), "cluster"]
    spare = frame.loc[frame["cluster"].isin(need) & ~frame["own"].isin(taken)]
    spare = spare.sort_values("own").drop_duplicates("cluster")
    per["final"] = per["final"].fillna(per["cluster"].map(spare.set_index("cluster")["own"]))
    left = per.loc[per["final"].isna()].sort_values("order", kind="stable").index
    after = start + len(new)
    per.loc[left, "final"] = np.arange(after, after + len(left), dtype="float64")
    ids = frame["cluster"].map(per.set_index("cluster")["final"]).to_numpy().astype("int64")
    changed = ~known | (current != ids)
    upsert = pd.DataFrame(
        {
            "person_key": np.asarray(keys, dtype=object)[changed],
            "person_id": ids[changed],
            "first_person_id": own.astype("int64")[changed],
        }
    )
    return ids, upsert
