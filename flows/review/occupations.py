"""Officers' decisions on occupation spellings: list them, record one, apply them to a run.

A decision maps one written spelling (matched on its key: case, punctuation and slashes
ignored) to an occupation of the Dukcapil list, for every row with that spelling now and
later. It is kept in `occupation_mappings` (the web workspace writes the same table); the
next `tepat run` recomputes (the table is part of the inputs fingerprint) and reads again
the stored files holding a spelling whose mapping they do not yet reflect.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from flows.runtime.lock import run_lock
from flows.warehouse.store import connect, read_frame
from schemas.occupations import occupation_key, occupation_list
from transforms.validate.occupations import Mappings

MAPPING_COLUMNS = [
    "spelling_key", "spelling", "occupation", "occupation_group", "decided_by", "decided_at",
    "reason",
]  # fmt: skip
LOCK_WAIT_SECONDS = 30.0  # a decision waits this long for a running `tepat run` to finish


class OccupationReviewError(ValueError):
    """A mapping that cannot be recorded; the message (Indonesian) says why."""


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}


def read_occupation_mappings(con: duckdb.DuckDBPyConnection) -> Mappings:
    """Every officer's mapping: spelling key -> (occupation, group); empty before any exist."""
    if "occupation_mappings" not in _tables(con):
        return {}
    rows = con.execute(
        "SELECT spelling_key, occupation, occupation_group FROM occupation_mappings"
    ).fetchall()
    return {key: (occupation, group) for key, occupation, group in rows}


def record_occupation_mapping(
    con: duckdb.DuckDBPyConnection,
    spelling: str,
    occupation: str,
    decided_by: str,
    reason: str,
    decided_at: datetime | None = None,
) -> dict[str, object]:
    """Map a spelling to an occupation of the list (its name or a known spelling of it)."""
    key = occupation_key(spelling)
    if not key:
        raise OccupationReviewError("Isian pekerjaan kosong: tulis isian seperti di berkas.")
    found = occupation_list().resolve(occupation)
    if found is None:
        raise OccupationReviewError(
            f"'{occupation}' bukan pekerjaan dalam daftar Dukcapil. Gunakan nama dari daftar, "
            "contoh 'Kepolisian RI', 'Buruh Harian Lepas', 'Petani/Pekebun'."
        )
    if not decided_by.strip():
        raise OccupationReviewError("Nama petugas (--by) wajib diisi.")
    if not reason.strip():
        raise OccupationReviewError("Alasan (--reason) wajib diisi: tuliskan dasar keputusan.")
    record = {
        "spelling_key": key,
        "spelling": spelling.strip(),
        "occupation": found.name,
        "occupation_group": found.group,
        "decided_by": decided_by.strip(),
        "decided_at": decided_at or datetime.now(),
        "reason": reason.strip(),
    }
    con.execute(
        f"INSERT INTO occupation_mappings ({', '.join(MAPPING_COLUMNS)}) "
        f"VALUES ({', '.join('?' for _ in MAPPING_COLUMNS)}) ON CONFLICT (spelling_key) DO UPDATE "
        "SET occupation = excluded.occupation, occupation_group = excluded.occupation_group, "
        "decided_by = excluded.decided_by, decided_at = excluded.decided_at, "
        "reason = excluded.reason",
        [record[c] for c in MAPPING_COLUMNS],
    )
    return record


def occupation_spellings(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Spellings officers may need to decide (not recognised, or ambiguous) with their row
    counts, and every spelling already mapped; one row per spelling key."""
    tables = _tables(con)
    held = pd.DataFrame(columns=["spelling_key", "spelling", "n_rows", "n_review"])
    if "submission_rows" in tables:
        rows = read_frame(
            con,
            "SELECT coalesce(pekerjaan_raw, pekerjaan) AS spelling, count(*) AS n_rows, "
            "count(*) FILTER (status = 'review') AS n_review FROM submission_rows "
            "WHERE occupation_group IN ('unknown', 'state_or_private') GROUP BY ALL",
        )
        if len(rows):
            rows["spelling_key"] = [occupation_key(s) for s in rows["spelling"]]
            held = rows.groupby("spelling_key", as_index=False).agg(
                spelling=("spelling", "first"), n_rows=("n_rows", "sum"),
                n_review=("n_review", "sum"),
            )  # fmt: skip
    mapped = (
        read_frame(con, f"SELECT {', '.join(MAPPING_COLUMNS)} FROM occupation_mappings")
        if "occupation_mappings" in tables
        else pd.DataFrame(columns=MAPPING_COLUMNS)
    )
    listing = held.merge(mapped, on="spelling_key", how="outer", suffixes=("", "_mapped"))
    listing["spelling"] = listing["spelling"].fillna(listing["spelling_mapped"])
    listing[["n_rows", "n_review"]] = listing[["n_rows", "n_review"]].fillna(0).astype(int)
    listing = listing.drop(columns="spelling_mapped")
    return listing.sort_values(
        ["occupation", "n_rows", "spelling_key"], ascending=[True, False, True], na_position="first"
    ).reset_index(drop=True)


def format_occupation_spellings(listing: pd.DataFrame) -> str:
    """The listing an officer reads in the terminal (Indonesian)."""
    if listing.empty:
        return "Tidak ada isian pekerjaan yang perlu diputuskan."
    open_ = listing.loc[listing["occupation"].isna()]
    done = listing.loc[listing["occupation"].notna()]
    lines = []
    if len(open_):
        lines.append(f"{len(open_)} isian pekerjaan belum dipetakan:")
        for row in open_.itertuples(index=False):
            lines.append(f"  '{row.spelling}': {row.n_rows} baris ({row.n_review} ditahan)")
        lines.append(
            '  Petakan: tepat review map-occupation "ISIAN" "PEKERJAAN" --by NAMA --reason ALASAN'
        )
    if len(done):
        lines.append(f"{len(done)} isian pekerjaan sudah dipetakan:")
        for row in done.itertuples(index=False):
            when = pd.Timestamp(row.decided_at).strftime("%d-%m-%Y")
            waiting = f"; {row.n_rows} baris menunggu run berikutnya" if row.n_rows else ""
            lines.append(
                f"  '{row.spelling}' -> {row.occupation} ({row.occupation_group}), oleh "
                f"{row.decided_by} {when}: {row.reason}{waiting}"
            )
    return "\n".join(lines)


def files_to_read_again(con: duckdb.DuckDBPyConnection, mappings: Mappings) -> list[str]:
    """Stored files with a row whose occupation spelling is mapped to something else than the
    row shows: read again so the mapping reaches those rows too."""
    if not mappings or "submission_rows" not in _tables(con):
        return []
    rows = read_frame(
        con,
        "SELECT DISTINCT file_name, coalesce(pekerjaan_raw, pekerjaan) AS spelling, pekerjaan, "
        "occupation_group FROM submission_rows WHERE pekerjaan IS NOT NULL",
    )
    if rows.empty:
        return []
    spellings = rows["spelling"].drop_duplicates()
    keys = pd.Series([occupation_key(s) for s in spellings], index=spellings.to_numpy())
    mapped = keys.map(lambda k: mappings.get(k, (None, None)))
    wanted = rows["spelling"].map(mapped)
    differs = [
        target[0] is not None and (target[0], target[1]) != (occupation, group)
        for target, occupation, group in zip(
            wanted, rows["pekerjaan"], rows["occupation_group"], strict=True
        )
    ]
    return sorted(set(rows.loc[differs, "file_name"]))


def list_occupation_spellings(db: Path) -> pd.DataFrame:
    """`occupation_spellings` on the warehouse file, read-only."""
    if not db.exists():
        raise OccupationReviewError(f"Gudang data {db} belum ada: jalankan `tepat run` dulu.")
    try:
        with connect(db, read_only=True) as con:
            return occupation_spellings(con)
    except duckdb.IOException as exc:
        raise OccupationReviewError(f"Gudang data {db} sedang dipakai run lain.") from exc


def map_occupation(
    db: Path, spelling: str, occupation: str, decided_by: str, reason: str
) -> dict[str, object]:
    """`record_occupation_mapping` on the warehouse file, holding the run lock while writing."""
    if not db.exists():
        raise OccupationReviewError(f"Gudang data {db} belum ada: jalankan `tepat run` dulu.")
    with (
        run_lock(db, LOCK_WAIT_SECONDS, purpose="tepat review map-occupation"),
        connect(db) as con,
    ):
        return record_occupation_mapping(con, spelling, occupation, decided_by, reason)
