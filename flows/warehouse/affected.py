"""The stored persons a run's files can change, found in SQL on the warehouse's own tables.

A run whose only news is new or replaced submission files (same rules, reference lists, BPJS
files, reviews and as-of date) links its rows to the persons they and the replaced files'
rows can touch, and leaves every other person as stored. Deduplication is exact on that part when it holds, for each block a
person is found through, every stored row of it:

- a NIK of a new row, or of a row already taken: every row with that NIK (the first claimant
  decides a NIK conflict);
- a KK, or a name key and birth date: every row of that block, unless the block already had
  more than `MAX_BLOCK` stored profiles (no pairs before, none after: such values are handed
  to linking as `unpaired`, so that the part at hand is not paired either);
- a KK: every person whose golden KK it is (one member per household is chosen among them);
- and every row of each person so taken (clusters, golden records and ids are per person).

Taken to a fixed point: what is outside is linked to nothing inside, keeps its persons, its
decisions and, when none of its regency's list changed, its ranks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from flows.warehouse.store import read_arrow_frame, table_columns
from transforms.link.matching import BLOCKS, MAX_BLOCK, Unpaired

# The stored rows a full recompute would deduplicate: accepted and review rows, not of a file
# this run replaces (`_replaced`, registered for the duration).
USABLE = "status IN ('accepted', 'review') AND file_name NOT IN (SELECT file_name FROM _replaced)"
SEED_COLUMNS = ["nik", "no_kk", "nama_key", "tanggal_lahir"]
NAME_BIRTH = ("nama_key", "tanggal_lahir")
# Fewer distinct (NIK, name key, birth date) than profiles, never more: a lower bound of a
# block's size, so a block counted oversized by it is oversized.
PROFILE_LOWER_BOUND = "count(DISTINCT (nik, nama_key, tanggal_lahir))"


@dataclass
class AffectedPersons:
    """The stored persons a run's rows can change, and what linking them on their own needs."""

    person_ids: np.ndarray  # their ids before this run
    rows: pd.DataFrame  # their accepted and review rows, in order-key order
    unpaired: Unpaired = field(default_factory=dict)
    next_order_key: int = 1  # the first order key of this run's rows


def _values(con: duckdb.DuckDBPyConnection, table: str, select: str) -> None:
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS {select}")


def affected_persons(
    con: duckdb.DuckDBPyConnection,
    seeds: pd.DataFrame,
    columns: list[str],
    replaced: list[str] | None = None,
) -> AffectedPersons:
    """The closure of `seeds` (this run's rows, rejected ones included: their probable person
    is looked for among the stored persons) and of the files this run replaces (their rows'
    persons, the persons their remarks held, their NIKs and blocks) over NIKs, blocks, golden
    KKs and persons; the rows come back with `columns`."""
    frame = seeds.reindex(columns=SEED_COLUMNS).copy()
    frame["tanggal_lahir"] = pd.to_datetime(frame["tanggal_lahir"]).dt.normalize()
    con.register("_seeds", frame.astype({c: "string" for c in SEED_COLUMNS[:3]}))
    con.register("_replaced", pd.DataFrame({"file_name": list(replaced or [])}, dtype=object))
    try:
        return _closure(con, columns)
    finally:
        con.unregister("_seeds")
        con.unregister("_replaced")


def _closure(con: duckdb.DuckDBPyConnection, columns: list[str]) -> AffectedPersons:
    """`affected_persons` once its seeds and replaced files are registered."""
    gone = (
        "SELECT {what} FROM submission_rows "
        "WHERE file_name IN (SELECT file_name FROM _replaced) AND {present}"
    )
    _values(
        con,
        "_f_nik",
        "SELECT DISTINCT nik FROM _seeds WHERE nik IS NOT NULL UNION "
        + gone.format(what="nik", present="nik IS NOT NULL"),
    )
    _values(
        con,
        "_f_kk",
        "SELECT DISTINCT no_kk FROM _seeds WHERE no_kk IS NOT NULL UNION "
        + gone.format(what="no_kk", present="no_kk IS NOT NULL"),
    )
    _values(
        con,
        "_f_nd",
        "SELECT DISTINCT nama_key, CAST(tanggal_lahir AS DATE) AS tanggal_lahir FROM _seeds "
        "WHERE nama_key IS NOT NULL AND tanggal_lahir IS NOT NULL UNION "
        + gone.format(
            what="nama_key, tanggal_lahir",
            present="nama_key IS NOT NULL AND tanggal_lahir IS NOT NULL",
        ),
    )
    # the persons on a replaced file's rows, and those its rejected rows' remarks held
    _values(
        con,
        "_seed_persons",
        gone.format(what="person_id", present="person_id IS NOT NULL")
        + " UNION "
        + gone.format(what="probable_person_id", present="probable_person_id IS NOT NULL"),
    )
    # the keys of the usable stored rows, read once: the closure's rounds scan this, not the
    # warehouse's widest table (19 rounds at 4M rows for a file of new persons)
    _values(
        con,
        "_usable",
        "SELECT nik, no_kk, nama_key, tanggal_lahir, person_id FROM submission_rows "
        f"WHERE {USABLE}",
    )
    for table in ("_s_nik", "_s_kk", "_s_nd", "_big_kk", "_big_nd"):
        like = {"_s_nik": "_f_nik", "_s_kk": "_f_kk", "_big_kk": "_f_kk"}.get(table, "_f_nd")
        _values(con, table, f"SELECT * FROM {like} LIMIT 0")
    _values(con, "_taken", "SELECT CAST(NULL AS BIGINT) AS person_id LIMIT 0")
    while True:
        _classify_blocks(con)
        _values(
            con,
            "_new",
            """
            SELECT DISTINCT person_id FROM (
                SELECT person_id FROM _usable WHERE nik IN (SELECT nik FROM _f_nik)
                UNION ALL
                SELECT person_id FROM _usable
                WHERE no_kk IN (SELECT no_kk FROM _f_kk EXCEPT SELECT no_kk FROM _big_kk)
                UNION ALL
                SELECT r.person_id FROM _usable AS r
                SEMI JOIN (SELECT * FROM _f_nd EXCEPT SELECT * FROM _big_nd) AS f
                    ON r.nama_key = f.nama_key AND r.tanggal_lahir = f.tanggal_lahir
                UNION ALL
                SELECT person_id FROM persons WHERE no_kk IN (SELECT no_kk FROM _f_kk)
                UNION ALL
                SELECT person_id FROM _seed_persons
            )
            WHERE person_id IS NOT NULL AND person_id NOT IN (SELECT person_id FROM _taken)
            """,
        )
        if con.execute("SELECT count(*) FROM _new").fetchall()[0][0] == 0:
            break
        con.execute("INSERT INTO _taken SELECT person_id FROM _new")
        for seen, new in (("_s_nik", "_f_nik"), ("_s_kk", "_f_kk"), ("_s_nd", "_f_nd")):
            con.execute(f"INSERT INTO {seen} SELECT * FROM {new}")
        of_new = "FROM _usable WHERE person_id IN (SELECT person_id FROM _new)"
        _values(
            con,
            "_f_nik",
            f"SELECT DISTINCT nik {of_new} AND nik IS NOT NULL EXCEPT SELECT nik FROM _s_nik",
        )
        _values(
            con,
            "_f_kk",
            f"SELECT DISTINCT no_kk {of_new} AND no_kk IS NOT NULL EXCEPT SELECT no_kk FROM _s_kk",
        )
        _values(
            con,
            "_f_nd",
            f"SELECT DISTINCT nama_key, tanggal_lahir {of_new} AND nama_key IS NOT NULL "
            "AND tanggal_lahir IS NOT NULL EXCEPT SELECT * FROM _s_nd",
        )  # fmt: skip
    rows = read_arrow_frame(
        con,
        f"SELECT {', '.join(columns)} FROM submission_rows WHERE {USABLE} "
        "AND person_id IN (SELECT person_id FROM _taken) ORDER BY order_key",
    )
    ids = con.execute("SELECT person_id FROM _taken ORDER BY 1").fetchnumpy()["person_id"]
    unpaired = {
        ("no_kk",): read_arrow_frame(con, "SELECT no_kk FROM _big_kk"),
        NAME_BIRTH: read_arrow_frame(con, "SELECT nama_key, tanggal_lahir FROM _big_nd"),
    }
    assert set(unpaired) == set(BLOCKS)
    (next_key,) = con.execute(
        f"SELECT coalesce(max(order_key), 0) + 1 FROM submission_rows WHERE {USABLE}"
    ).fetchall()[0]
    for table in ("_f_nik", "_f_kk", "_f_nd", "_s_nik", "_s_kk", "_s_nd", "_big_kk", "_big_nd",
                  "_taken", "_new", "_seed_persons", "_usable"):  # fmt: skip
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return AffectedPersons(np.asarray(ids, dtype=np.int64), rows, unpaired, int(next_key))


def _classify_blocks(con: duckdb.DuckDBPyConnection) -> None:
    """Of the blocks met for the first time, those with more than MAX_BLOCK stored profiles."""
    con.execute(
        f"""
        INSERT INTO _big_kk SELECT no_kk FROM _usable
        WHERE no_kk IN (SELECT no_kk FROM _f_kk)
        GROUP BY no_kk HAVING {PROFILE_LOWER_BOUND} > {MAX_BLOCK}
        """
    )
    con.execute(
        f"""
        INSERT INTO _big_nd SELECT r.nama_key, r.tanggal_lahir FROM _usable AS r
        SEMI JOIN _f_nd AS f ON r.nama_key = f.nama_key AND r.tanggal_lahir = f.tanggal_lahir
        GROUP BY r.nama_key, r.tanggal_lahir HAVING {PROFILE_LOWER_BOUND} > {MAX_BLOCK}
        """
    )


# Columns candidate_decisions stores itself; the others of a decision are its person's.
DECISION_OWN = ("program", "person_id", "eligible", "reason_code", "score", "score_components")


@dataclass
class StoredOutside:
    """What a run that changes only some persons keeps of the stored state, to publish whole."""

    persons: pd.DataFrame  # persons not affected
    decisions: pd.DataFrame  # their decisions (without the score explanations)
    verified: pd.DataFrame  # the lists no affected person was or is on, as ranked
    ranked_with: (
        pd.DataFrame
    )  # their eligible decisions in the lists an affected person was or is on
    # (program, regency_code) of those lists: ranked again; the other lists are as stored
    lists: pd.DataFrame = field(default_factory=pd.DataFrame)


# What a decision is ranked by besides its person's fields (the decision's own columns).
DECISION_RANKED = ["program", "person_id", "eligible", "reason_code", "score"]


def moved_persons(
    con: duckdb.DuckDBPyConnection,
    person_ids: np.ndarray,
    persons: pd.DataFrame,
    decisions: pd.DataFrame,
) -> np.ndarray:
    """Of the stored persons `person_ids` and the `persons` (with their `decisions`) this run
    made of them and of its new rows: the ids whose person record (every stored column) or
    decisions (DECISION_RANKED) differ from the stored ones, new and gone ones included. A
    person linked again to the same record and decisions changes no list, rank or file."""
    present = set(persons.columns)
    person_columns = [c for c in table_columns(con, "persons") if c != "run_id" and c in present]
    con.register("_affected", pd.DataFrame({"person_id": np.asarray(person_ids, dtype=np.int64)}))
    con.register("_made_persons", persons[person_columns])
    con.register("_made_decisions", decisions[DECISION_RANKED])
    try:
        differing = []
        for table, made, columns in (
            ("persons", "_made_persons", person_columns),
            ("candidate_decisions", "_made_decisions", DECISION_RANKED),
        ):
            listed = ", ".join(columns)
            stored = (
                f"SELECT {listed} FROM {table} WHERE person_id IN (SELECT person_id FROM _affected)"
            )
            differing.append(f"SELECT person_id FROM (SELECT {listed} FROM {made} EXCEPT {stored})")
            differing.append(f"SELECT person_id FROM ({stored} EXCEPT SELECT {listed} FROM {made})")
        query = " UNION ".join(differing) + " ORDER BY 1"
        ids = con.execute(query).fetchnumpy()["person_id"]
    finally:
        for view in ("_affected", "_made_persons", "_made_decisions"):
            con.unregister(view)
    return np.asarray(ids, dtype=np.int64)


def stored_outside(
    con: duckdb.DuckDBPyConnection,
    person_ids: np.ndarray,
    lists_now: pd.DataFrame,
    decision_columns: list[str],
    verified_columns: list[str],
    moved_ids: np.ndarray,
) -> StoredOutside:
    """The stored persons, decisions and lists apart from `person_ids`; `lists_now`: (program,
    regency_code) of the lists the `moved_ids` (`moved_persons`) are on after this run; the
    lists they were or are on are ranked again, the others stay as stored."""
    decision_columns = [c for c in decision_columns if c != "score_components"]
    con.register("_affected", pd.DataFrame({"person_id": np.asarray(person_ids, dtype=np.int64)}))
    con.register("_moved", pd.DataFrame({"person_id": np.asarray(moved_ids, dtype=np.int64)}))
    con.register("_lists_now", lists_now[["program", "regency_code"]].astype("string"))
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _lists AS "
            "SELECT DISTINCT d.program, p.regency_code FROM candidate_decisions AS d "
            "JOIN persons AS p USING (person_id) "
            "WHERE d.eligible AND d.person_id IN (SELECT person_id FROM _moved) "
            "UNION SELECT program, regency_code FROM _lists_now"
        )
        outside = "person_id NOT IN (SELECT person_id FROM _affected)"
        # a decision's person fields are the person's (candidate_decisions keeps only its own)
        fields = [c for c in decision_columns if c not in DECISION_OWN]
        decided = (
            f"SELECT d.{', d.'.join(c for c in decision_columns if c in DECISION_OWN)}, "
            f"p.{', p.'.join(fields)} FROM candidate_decisions AS d JOIN persons AS p "
            "USING (person_id)"
        )
        result = StoredOutside(
            persons=read_arrow_frame(
                con, f"SELECT * EXCLUDE (run_id) FROM persons WHERE {outside}"
            ),
            decisions=read_arrow_frame(con, f"{decided} WHERE d.{outside}"),
            verified=read_arrow_frame(
                con,
                f"SELECT {', '.join(verified_columns)} FROM verified_candidates AS v "
                "ANTI JOIN _lists AS l "
                "ON v.program = l.program AND v.regency_code IS NOT DISTINCT FROM l.regency_code",
            ),
            ranked_with=read_arrow_frame(
                con,
                f"{decided} SEMI JOIN _lists AS l ON d.program = l.program "
                "AND p.regency_code IS NOT DISTINCT FROM l.regency_code "
                f"WHERE d.eligible AND d.{outside}",
            ),
            lists=read_arrow_frame(con, "SELECT program, regency_code FROM _lists"),
        )
        con.execute("DROP TABLE _lists")
    finally:
        con.unregister("_affected")
        con.unregister("_moved")
        con.unregister("_lists_now")
    return result
