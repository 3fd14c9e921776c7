"""What a run's results depend on besides the submission files, so a run with nothing new can stop early.

A run recomputes persons, decisions and verified lists when any input changed: new or changed
submission files (the file plan shows that), the BPJS reference lists, the program rules,
the as-of date, the export folder, or officers' review decisions. The fingerprint of those
inputs is stored in the `runs` table; the next run compares against the last completed run.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb
import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from flows.runtime.progress import masking_failures
from flows.settings import Settings
from flows.sources.read import list_submissions, sha256_of
from flows.warehouse.store import connect, read_arrow_frame, read_frame
from schemas.occupations import OCCUPATIONS_FILE
from schemas.programs import ProgramRules
from transforms.score.enrolment import FLAG_COLUMNS

# Officers' decisions (written by `tepat review`): a new or changed decision means recompute.
REVIEW_TABLES = ("row_reviews", "pair_reviews", "occupation_mappings")
# Raised when a release changes what the same inputs give (2: remarks of earlier files'
# rejected rows hold their persons), so the first run after it recomputes every person.
RESULTS_VERSION = 2


def _sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def reference_fingerprint(reference_dir: Path) -> str:
    """Hash of every reference list's relative name and content (`absent` without the folder)."""
    if not reference_dir.exists():
        return "absent"
    listing = [
        f"{path.relative_to(reference_dir).as_posix()}\t{sha256_of(path)}"
        for path in list_submissions(reference_dir)
    ]
    return _sha256_text("\n".join(listing))


def rules_fingerprint(rules: ProgramRules) -> str:
    """Hash of the validated rules (comments and layout of the TOML do not count) and of the
    occupation list the rows are grouped by."""
    occupations = OCCUPATIONS_FILE.read_text(encoding="utf-8")
    return _sha256_text(rules.model_dump_json(by_alias=True) + "\n" + occupations)


def reviews_fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """Hash of the officers' review decisions, whatever their columns (`none` before any exist)."""
    present = {
        row[0]
        for row in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'"
        ).fetchall()
    }
    parts = []
    for table in REVIEW_TABLES:
        if table not in present:
            continue
        count, digest = con.execute(
            f"SELECT count(*), md5(coalesce(string_agg(t::VARCHAR, '\n' ORDER BY t::VARCHAR), '')) "
            f"FROM {table} AS t"
        ).fetchone()
        parts.append(f"{table}:{count}:{digest}")
    return _sha256_text("\n".join(parts)) if parts else "none"


@dataclass(frozen=True)
class InputFingerprint:
    """Hashes of a run's inputs other than the submission files; stored in `runs`."""

    reference_sha256: str
    rules_sha256: str
    reviews_sha256: str
    inputs_sha256: str

    def columns(self) -> dict[str, str]:
        """The `runs` columns this fingerprint fills."""
        return asdict(self)


@dataclass(frozen=True)
class PreviousRun:
    """The last completed run and the verified counts it left in the warehouse."""

    run_id: str
    inputs_sha256: str | None
    n_persons: int
    verified: dict[str, int]
    within_quota: dict[str, int]


def input_fingerprint(
    settings: Settings, rules: ProgramRules, con: duckdb.DuckDBPyConnection
) -> InputFingerprint:
    """Fingerprint of the reference lists, rules, review decisions, as-of date, export folder
    and the version of the results' logic."""
    reference = reference_fingerprint(settings.reference_dir)
    rules_sha = rules_fingerprint(rules)
    reviews = reviews_fingerprint(con)
    combined = json.dumps(
        {
            "reference": reference,
            "bpjs": reference_fingerprint(settings.bpjs_dir),  # results and bills from BPJS
            "rules": rules_sha,
            "reviews": reviews,
            "as_of": settings.as_of.isoformat(),
            "export_dir": str(settings.export_dir.resolve()),
            "results_version": RESULTS_VERSION,
        },
        sort_keys=True,
    )
    return InputFingerprint(reference, rules_sha, reviews, _sha256_text(combined))


def previous_run(con: duckdb.DuckDBPyConnection) -> PreviousRun | None:
    """The most recent completed run, or None on a fresh warehouse."""
    last = read_frame(
        con,
        "SELECT run_id, inputs_sha256, n_persons FROM runs WHERE status = 'completed' "
        "ORDER BY started_at DESC, run_id DESC LIMIT 1",
    )
    if last.empty:
        return None
    counts = read_frame(
        con,
        "SELECT program, count(*) AS n, count(*) FILTER (WHERE within_quota) AS n_quota "
        "FROM verified_candidates GROUP BY program",
    )
    row = last.iloc[0]
    return PreviousRun(
        run_id=str(row["run_id"]),
        inputs_sha256=None if pd.isna(row["inputs_sha256"]) else str(row["inputs_sha256"]),
        n_persons=0 if pd.isna(row["n_persons"]) else int(row["n_persons"]),
        verified={str(p): int(n) for p, n in zip(counts["program"], counts["n"], strict=True)},
        within_quota={
            str(p): int(n) for p, n in zip(counts["program"], counts["n_quota"], strict=True)
        },
    )


def nothing_new(no_new_files: bool, inputs: InputFingerprint, previous: PreviousRun | None) -> bool:
    """True when neither files nor any other input changed since the last completed run."""
    return no_new_files and previous is not None and previous.inputs_sha256 == inputs.inputs_sha256


@task(name="fingerprint", cache_policy=NO_CACHE, persist_result=False)
@masking_failures
def fingerprint_task(
    settings: Settings, rules: ProgramRules
) -> tuple[InputFingerprint, PreviousRun | None]:
    """This run's input fingerprint and the last completed run to compare it with."""
    with connect(settings.db) as con:
        return input_fingerprint(settings, rules, con), previous_run(con)


def record_unchanged_run(db: Path, run: dict[str, object]) -> None:
    """Add the `runs` row of a run that found nothing new; nothing else in the warehouse changes."""
    with connect(db) as con:
        con.register("_unchanged_run", pd.DataFrame([run]))
        try:
            columns = [r[0] for r in con.execute("DESCRIBE runs").fetchall() if r[0] in run]
            cols = ", ".join(columns)
            con.execute(f"INSERT INTO runs ({cols}) SELECT {cols} FROM _unchanged_run")
        finally:
            con.unregister("_unchanged_run")


@dataclass
class ReferenceLists:
    """The reference lists' coverage flags per NIK and what the run says of them; `read`: read
    from the files this run (then stored for the next runs), else as an earlier run read them."""

    enrolled: pd.DataFrame
    notes: list[str]
    read: bool = True


def stored_reference(db: Path, reference_sha256: str) -> ReferenceLists | None:
    """The flags and notes an earlier run stored from reference lists with this content hash
    (`reference_enrolment`, `runs.reference_notes`): parsing a province's lists takes seconds,
    their hash a fraction. None when no run stored them (then the files are read)."""
    if not db.exists():
        return None
    with connect(db, read_only=True) as con:
        said = con.execute(
            "SELECT reference_notes FROM runs WHERE reference_sha256 = ? "
            "AND reference_notes IS NOT NULL ORDER BY started_at DESC LIMIT 1",
            [reference_sha256],
        ).fetchall()
        if not said:
            return None
        flags = read_arrow_frame(
            con,
            f"SELECT nik, {', '.join(FLAG_COLUMNS)} FROM reference_enrolment "
            "WHERE reference_sha256 = ? ORDER BY nik",
            [reference_sha256],
        )
    if flags.empty:  # none stored for these lists (or they flag nobody): read them
        return None
    enrolled = flags.astype({"nik": "string", **dict.fromkeys(FLAG_COLUMNS, bool)})
    return ReferenceLists(enrolled, said[0][0].split("\n") if said[0][0] else [], read=False)
