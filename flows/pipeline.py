"""The `pipeline` flow: ingest -> validate -> deduplicate -> score -> publish, one transaction per run."""

from __future__ import annotations

import contextlib
import ctypes
import uuid
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.analyst import program_table
from flows.faults import fault_point
from flows.feedback import write_feedback_for_run
from flows.fingerprint import PreviousRun, fingerprint_task, nothing_new, record_unchanged_run
from flows.ingest import (
    IngestedFile,
    ingest_with,
    keep_first_of_identical,
    reading_pool,
    unreadable,
)
from flows.limits import still_being_written
from flows.locking import run_lock
from flows.progress import install_log_masking, run_progress, stage, track
from flows.publish import PendingFile, recover_exports, write_bpjs_exports
from flows.read import list_submissions, sha256_of
from flows.reference import load_reference_lists
from flows.report import publish_run_report
from flows.review_rows import (
    apply_row_decisions,
    combine_updates,
    decide_stored_rows,
    honour_accepted_conflicts,
    read_row_decisions,
)
from flows.settings import Settings
from flows.warehouse import (
    RunWrite,
    connect,
    owner_only_files,
    read_arrow_frame,
    read_frame,
)
from flows.warehouse.commit import commit_run, remove_leftovers
from schemas.codes import ROW_CODES, file_reason
from schemas.programs import ProgramRules, load_rules
from schemas.rows import (
    RawRows,
    failing_checks,
    issues_from_checks,
    row_status,
    validate_verified,
)
from transforms.dedup import deduplicate, enrolment_by_person, probable_persons
from transforms.normalise import canonicalise
from transforms.scoring import decide_program, person_features, rank_verified

ROW_KEYS = ["file_name", "sheet", "row_number"]
PERSON_COLUMNS = [
    "person_id", "nik", "no_kk", "nama", "tanggal_lahir", "jenis_kelamin", "regency_code",
    "tempat_lahir", "alamat", "rt_rw", "desa", "kecamatan", "no_hp", "fktp", "pekerjaan",
    "occupation_group", "penghasilan", "desil", "disabilitas", "jumlah_tanggungan",
    "programs_submitted", "programs_accepted", "n_rows_accepted", "n_rows_review",
    "source_file", "source_sheet", "source_row",
]  # fmt: skip
ROW_COLUMNS = [
    "file_name", "sheet", "row_number", "status", "nik", "person_id", "regency_code", "program",
    "order_key", "row_hash", "nik_raw", "no_kk", "nama", "nama_key", "tempat_lahir",
    "tanggal_lahir", "jenis_kelamin", "alamat", "rt_rw", "desa", "kecamatan", "no_hp", "fktp",
    "pekerjaan", "occupation_group", "penghasilan", "desil", "disabilitas", "jumlah_tanggungan",
]  # fmt: skip


ROW_DTYPES = {
    "row_number": "int64", "person_id": "Int64", "order_key": "int64", "penghasilan": "float64",
    "desil": "Int64", "jumlah_tanggungan": "Int64", "disabilitas": "boolean",
}  # fmt: skip


def coerce_row_types(rows: pd.DataFrame) -> pd.DataFrame:
    """One dtype per column whether a row came from this run's files or from the warehouse;
    columns already in their dtype are shared, not copied (copy-on-write)."""
    rows = rows.copy(deep=False)
    rows["tanggal_lahir"] = pd.to_datetime(rows["tanggal_lahir"])
    for column, dtype in ROW_DTYPES.items():
        if rows[column].dtype == dtype:
            continue
        if dtype in ("Int64", "int64", "float64"):
            rows[column] = pd.to_numeric(rows[column], errors="coerce").astype(dtype)
        else:
            rows[column] = rows[column].astype(dtype)
    for column in ROW_COLUMNS:
        if column not in ROW_DTYPES and column != "tanggal_lahir":
            rows[column] = rows[column].astype("string")  # Arrow-backed: no copy when it is
    return rows


class PipelineError(RuntimeError):
    """The run could not finish; the warehouse is left as it was."""


@dataclass
class FilePlan:
    """What to do with the files under the raw dir this run."""

    to_ingest: list[tuple[Path, str]] = field(default_factory=list)  # (path, sha256)
    records: list[dict[str, object]] = field(default_factory=list)  # duplicates found now
    replaced: list[str] = field(default_factory=list)  # names whose content changed
    unchanged: int = 0
    busy: list[str] = field(default_factory=list)  # still being written: left for the next run

    @property
    def no_new_files(self) -> bool:
        """True when every file under the raw dir was seen before with the same content."""
        return not (self.to_ingest or self.records or self.replaced)


@dataclass
class RunSummary:
    run_id: str
    files_seen: int
    files_loaded: int
    files_rejected: int
    files_duplicate: int
    files_unchanged: int
    rows: dict[str, int]
    persons: int
    verified: dict[str, int]
    within_quota: dict[str, int]
    export_dir: Path
    exports: int
    notes: list[str]
    rejected_files: list[tuple[str, str]]

    def run_counts(self) -> dict[str, object]:
        """Counts for the `runs` table."""
        return {
            "n_files_seen": self.files_seen,
            "n_files_loaded": self.files_loaded,
            "n_files_rejected": self.files_rejected,
            "n_files_duplicate": self.files_duplicate,
            "n_rows": sum(self.rows.values()),
            "n_accepted": self.rows.get("accepted", 0),
            "n_review": self.rows.get("review", 0),
            "n_rejected": self.rows.get("rejected", 0),
            "n_persons": self.persons,
            "n_verified_kesehatan": self.verified.get("kesehatan", 0),
            "n_verified_ketenagakerjaan": self.verified.get("ketenagakerjaan", 0),
        }

    def text(self) -> str:
        """A short summary a person can read at the end of `tepat run`."""
        lines = [
            f"Run {self.run_id} selesai.",
            f"  Berkas : {self.files_seen} ditemukan, {self.files_loaded} dimuat, "
            f"{self.files_rejected} ditolak, {self.files_duplicate} duplikat, "
            f"{self.files_unchanged} tidak berubah",
            f"  Baris  : {self.rows.get('accepted', 0)} diterima, {self.rows.get('review', 0)} "
            f"perlu ditinjau, {self.rows.get('rejected', 0)} ditolak",
            f"  Orang  : {self.persons}",
        ]
        for program, n in sorted(self.verified.items()):
            lines.append(
                f"  Terverifikasi {program}: {n} (dalam kuota {self.within_quota.get(program, 0)})"
            )
        lines.append(f"  Ekspor : {self.exports} berkas di {self.export_dir}")
        for name, reason in self.rejected_files[:10]:
            lines.append(f"  ! {name}: {reason}")
        lines.extend(f"  - {note}" for note in self.notes)
        return "\n".join(lines)


def plan_files(
    raw_dir: Path, known: pd.DataFrame, recent_seconds: float = 0.0, settle_seconds: float = 0.0
) -> FilePlan:
    """Hash every file; decide which to ingest, which are byte-identical duplicates, which are
    unchanged; a file still being written (modified within `recent_seconds` and changing over
    `settle_seconds`) is left for the next run, so a partial copy is never loaded."""
    plan = FilePlan()
    by_name = dict(zip(known["file_name"], known["sha256"], strict=True))
    loaded = known.loc[known["status"].eq("loaded")]
    loaded_sha = dict(zip(loaded["sha256"], loaded["file_name"], strict=True))
    paths = list_submissions(raw_dir)
    busy = {b.path for b in still_being_written(paths, recent_seconds, settle_seconds)}
    for path in paths:
        name = path.relative_to(raw_dir).as_posix()
        if path in busy:
            plan.busy.append(name)
            continue
        sha = sha256_of(path)
        if by_name.get(name) == sha:
            plan.unchanged += 1
            continue
        if name in by_name:
            plan.replaced.append(name)
        original = loaded_sha.get(sha)
        if original is not None and original != name:
            plan.records.append(
                {
                    "file_name": name,
                    "sha256": sha,
                    "status": "duplicate",
                    "reason_code": "DUPLICATE_FILE",
                    "reason": file_reason("DUPLICATE_FILE", original),
                    "n_rows": 0,
                    "n_skipped": 0,
                    "n_sheets": 0,
                }
            )
            continue
        # Identical files new in this run are all read: their names may give different
        # regencies or programs. `keep_first_of_identical` settles them after reading.
        plan.to_ingest.append((path, sha))
    return plan


@task(name="ingest-file", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=1,
      retry_condition_fn=lambda task, run, state: isinstance(state.result(raise_on_failure=False), PermissionError | BlockingIOError))  # fmt: skip
def ingest_file_task(
    path: Path, raw_dir: Path, sha256: str, settings: Settings, pool: Executor | None = None
) -> IngestedFile:
    """Read one file into raw rows, in a reading process when given (retried only when locked)."""
    return ingest_with(pool, path, raw_dir, sha256, settings)


@task(name="validate", cache_policy=NO_CACHE)
def validate_rows(
    raw_rows: pd.DataFrame, as_of: date, row_decisions: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Canonical rows with their status, and their row issues (pandera, lazily); officers'
    review decisions applied to rows with the same content."""
    if raw_rows.empty:
        return pd.DataFrame(columns=ROW_COLUMNS), pd.DataFrame()
    RawRows.validate(raw_rows[[*ROW_KEYS, "regency_code", "program"]], lazy=True)
    canonical = canonicalise(raw_rows, as_of)
    issues = issues_from_checks(canonical, failing_checks(canonical))
    canonical["status"] = row_status(canonical, issues)
    if row_decisions is not None and len(row_decisions):
        canonical["status"], decided = apply_row_decisions(canonical, row_decisions)
        issues = pd.concat([issues, decided], ignore_index=True)
    return canonical, issues


@task(name="reference-lists", cache_policy=NO_CACHE)
def reference_task(reference_dir: Path) -> tuple[pd.DataFrame, list[str]]:
    """Who is already enrolled at BPJS, per NIK."""
    return load_reference_lists(reference_dir)


@task(name="score", cache_policy=NO_CACHE)
def score_task(
    persons: pd.DataFrame, enrolled: pd.DataFrame, rules: ProgramRules, as_of: date
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Decisions for every person and program they were submitted for; ranked verified lists."""
    if persons.empty:
        return pd.DataFrame(), pd.DataFrame()
    features = person_features(persons, enrolled, as_of)
    decisions, verified = [], []
    for name, program in rules.programs.items():
        decided = decide_program(name, program, features, as_of)
        decisions.append(decided)
        verified.append(rank_verified(decided, program))
    verified = pd.concat(verified, ignore_index=True)
    validate_verified(verified)
    return pd.concat(decisions, ignore_index=True), verified


def _conflict_issues(rows: pd.DataFrame) -> pd.DataFrame:
    spec = ROW_CODES["NIK_CONFLICT"]
    head, _, rest = spec.message.partition("{value}")
    middle, _, tail = rest.partition("{detail}")
    detail = rows["conflict_detail"].astype("string").fillna("nama dan tanggal lahir berbeda")
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


@dataclass
class Ingested:
    """This run's files: the plan, one `source_files` record each, and their raw rows."""

    plan: FilePlan
    files: pd.DataFrame
    raw_rows: pd.DataFrame


@dataclass
class Linked:
    """Rows tied to persons: new rows with ids, issues found by linking, persons, old-row updates."""

    new_rows: pd.DataFrame
    issues: pd.DataFrame
    persons: pd.DataFrame
    registry_added: pd.DataFrame
    old_row_updates: pd.DataFrame
    match_candidates: pd.DataFrame = field(default_factory=pd.DataFrame)
    enrolled: pd.DataFrame | None = None  # reference flags matched on every NIK of a person


@dataclass
class WarehouseState:
    """What earlier runs left that this run builds on."""

    files: pd.DataFrame
    rows: pd.DataFrame
    registry: pd.DataFrame
    conflicts: pd.DataFrame
    pair_reviews: pd.DataFrame = field(default_factory=pd.DataFrame)
    row_decisions: pd.DataFrame = field(default_factory=pd.DataFrame)  # officers' row reviews


@task(name="read-files", cache_policy=NO_CACHE)
def read_files_task(db: Path) -> pd.DataFrame:
    """Files loaded by earlier runs: all a run needs to know whether anything is new."""
    with connect(db) as con:
        return read_frame(con, "SELECT file_name, sha256, status FROM source_files")


@task(name="read-warehouse", cache_policy=NO_CACHE)
def read_state_task(db: Path, files: pd.DataFrame) -> WarehouseState:
    """Rows and person ids from earlier runs (read only when the run recomputes: at 1M rows
    they take seconds), stored rows in the dtypes of this run's rows."""
    with connect(db) as con:
        return WarehouseState(
            files=files,
            rows=coerce_row_types(
                read_arrow_frame(
                    con,
                    f"SELECT {', '.join(ROW_COLUMNS)} FROM submission_rows "
                    "WHERE status IN ('accepted', 'review') ORDER BY order_key",
                )
            ),
            registry=read_frame(
                con, "SELECT person_key, person_id, first_person_id FROM person_registry"
            ),
            conflicts=read_frame(
                con,
                "SELECT DISTINCT file_name, sheet, row_number FROM row_issues "
                "WHERE code = 'NIK_CONFLICT'",
            ),
            pair_reviews=read_frame(con, "SELECT * FROM pair_reviews"),
            row_decisions=read_row_decisions(con),
        )


def ingest(settings: Settings, state: WarehouseState, plan: FilePlan | None = None) -> Ingested:
    """Plan the files, then read each new one in its own task, on all cores; a file whose task
    failed even after retries is recorded as unreadable, and the others go on."""
    if plan is None:
        plan = plan_files(settings.raw_dir, state.files)
    with reading_pool(settings, [path for path, _ in plan.to_ingest]) as pool:
        futures = [
            ingest_file_task.submit(path, settings.raw_dir, sha, settings, pool)
            for path, sha in plan.to_ingest
        ]
        results = []
        jobs = list(zip(futures, plan.to_ingest, strict=True))
        for future, (path, sha) in track(jobs, "Berkas dibaca"):
            try:
                results.append(future.result())
            except Exception as error:  # noqa: BLE001 - locked after retries, worker lost
                results.append(unreadable(path, settings.raw_dir, sha, error))
    results = keep_first_of_identical(results)
    files = pd.DataFrame([r.record for r in results] + plan.records)
    frames = [r.rows for r in results if not r.rows.empty]
    raw_rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return Ingested(plan=plan, files=files, raw_rows=raw_rows)


def release_memory() -> None:
    """Hand memory freed by a finished stage back to the system: Arrow's allocator and glibc
    keep freed pages for reuse, so without this the process stays at its highest point."""
    pa.default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError):  # malloc_trim: glibc only
        ctypes.CDLL(None).malloc_trim(0)


def in_row_order(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows sorted by file, sheet and row number (stable); not copied when already in order."""
    keys = rows[ROW_KEYS].reset_index(drop=True)
    order = keys.sort_values(ROW_KEYS, kind="stable").index.to_numpy()
    if (order == np.arange(len(order))).all():
        return rows.reset_index(drop=True)
    return rows.take(order).reset_index(drop=True)


@task(name="deduplicate", cache_policy=NO_CACHE)
def deduplicate_task(
    canonical: pd.DataFrame,
    state: WarehouseState,
    replaced: list[str],
    enrolled: pd.DataFrame | None = None,
) -> Linked:
    """Persons with stable ids from every accepted and review row, earlier runs' and this run's;
    reference flags matched on all of a person's NIKs; rejected rows' probable person."""
    old_rows = state.rows
    if replaced and len(old_rows):
        old_rows = old_rows.loc[~old_rows["file_name"].isin(replaced)]
    next_order = int(old_rows["order_key"].max()) + 1 if len(old_rows) else 1
    new_rows = in_row_order(canonical)
    new_rows["order_key"] = np.arange(next_order, next_order + len(new_rows), dtype=np.int64)
    usable = new_rows["status"].isin(["accepted", "review"]).to_numpy(dtype=bool)
    # Only the columns deduplication needs, each part in the common dtypes before the concat
    # (an empty or differently typed part would turn the text columns into Python objects).
    old_typed = coerce_row_types(old_rows[ROW_COLUMNS])
    fresh = coerce_row_types(new_rows.reindex(columns=ROW_COLUMNS).loc[usable])
    parts = [old_typed.assign(is_new=False)] if len(old_typed) else []
    candidates = pd.concat([*parts, fresh.assign(is_new=True)], ignore_index=True)
    del parts, fresh
    if candidates.empty:
        empty = pd.DataFrame(columns=PERSON_COLUMNS)
        return Linked(
            new_rows, pd.DataFrame(), empty, state.registry.iloc[0:0], pd.DataFrame(),
            enrolled=enrolled,
        )  # fmt: skip
    result = deduplicate(candidates, state.registry, state.pair_reviews)
    del candidates
    linked, persons = honour_accepted_conflicts(result.rows, result.persons, state.row_decisions)
    rejected = new_rows["status"].eq("rejected")
    new_rows["probable_person_id"] = probable_persons(new_rows.loc[rejected], linked)

    held = linked.loc[linked["nik_conflict"].to_numpy(dtype=bool)]
    known_conflict = held.set_index(ROW_KEYS).index.isin(state.conflicts.set_index(ROW_KEYS).index)
    issues = _conflict_issues(held.loc[~known_conflict])

    # Linked rows are the candidates in their order: the stored rows, then this run's usable
    # rows, which sit in `new_rows` at their order key minus `next_order`.
    is_new = linked["is_new"].to_numpy(dtype=bool)
    order_key = linked["order_key"].to_numpy(dtype=np.int64)
    if not np.array_equal(order_key[~is_new], old_typed["order_key"].to_numpy(dtype=np.int64)):
        raise PipelineError("deduplication changed the order of the stored rows")
    position = order_key[is_new] - next_order
    linked_status = linked.loc[is_new, "status"].set_axis(position).reindex(new_rows.index)
    new_rows["status"] = linked_status.fillna(new_rows["status"])
    ids = linked["person_id"].to_numpy(dtype=np.int64)[is_new]
    if len(position) < len(new_rows):  # NaN where not linked (float64, as a left merge gives)
        ids = pd.Series(ids, index=position, dtype=np.float64).reindex(new_rows.index).to_numpy()
    new_rows["person_id"] = ids

    after = linked.loc[~is_new, [*ROW_KEYS, "status", "person_id"]].reset_index(drop=True)
    before = old_typed[["status", "person_id"]].reset_index(drop=True)
    changed = after.loc[
        (
            (after["status"] != before["status"]) | (after["person_id"] != before["person_id"])
        ).to_numpy(dtype=bool)
    ]
    return Linked(
        new_rows, issues, persons, result.registry_changes, changed.reset_index(drop=True),
        match_candidates=result.match_candidates,
        enrolled=None if enrolled is None else enrolment_by_person(enrolled, linked, persons),
    )  # fmt: skip


@task(name="publish", cache_policy=NO_CACHE)
def publish_task(
    settings: Settings,
    run: dict[str, object],
    ingested: Ingested,
    new_rows: pd.DataFrame,
    issues: pd.DataFrame,
    linked: Linked,
    decisions: pd.DataFrame,
    verified: pd.DataFrame,
    notes: list[str],
    rules: ProgramRules | None = None,
) -> RunSummary:
    """Write the BPJS files under temporary names, commit the warehouse, then move the files in place."""
    run_id = str(run["run_id"])
    export_records, pending = pd.DataFrame(), []
    if not verified.empty:
        export_records, pending = write_bpjs_exports(
            verified, linked.persons, settings.export_dir, settings.as_of, run_id, rules
        )
    all_issues = pd.concat([issues, linked.issues], ignore_index=True)
    feedback = write_feedback_for_run(
        settings, new_rows, all_issues, linked.old_row_updates, ingested.plan.replaced, run_id,
        pending,
    )  # fmt: skip
    export_records = pd.concat([export_records, feedback], ignore_index=True)
    summary = _summarise(
        run_id, ingested, new_rows, linked.persons, verified, settings, notes, len(pending)
    )
    finished = datetime.now()
    files = (
        ingested.files.assign(run_id=run_id, loaded_at=finished)
        if len(ingested.files)
        else ingested.files
    )
    write = RunWrite(
        run={**run, **summary.run_counts(), "finished_at": finished, "status": "completed"},
        source_files=files,
        replaced_files=ingested.plan.replaced,
        submission_rows=new_rows.assign(run_id=run_id),
        row_issues=all_issues.assign(run_id=run_id),
        registry_added=linked.registry_added.assign(run_id=run_id),
        persons=linked.persons.assign(run_id=run_id),
        candidate_decisions=decisions.assign(run_id=run_id),
        verified_candidates=verified.assign(run_id=run_id),
        exports=export_records,
        row_status_updates=linked.old_row_updates,
        match_candidates=linked.match_candidates.assign(run_id=run_id),
        programs=program_table(rules) if rules is not None else pd.DataFrame(),
    )
    fault_point("exports-written")
    release_memory()  # what writing the exports let go, before DuckDB takes its share
    _commit(settings, write, pending)
    return summary


def _summarise(
    run_id: str,
    ingested: Ingested,
    new_rows: pd.DataFrame,
    persons: pd.DataFrame,
    verified: pd.DataFrame,
    settings: Settings,
    notes: list[str],
    n_exports: int,
) -> RunSummary:
    files = ingested.files
    status = files["status"] if len(files) else pd.Series(dtype=str)
    rejected = files.loc[status.eq("rejected")] if len(files) else files
    per_program = verified.groupby("program").size() if len(verified) else pd.Series(dtype=int)
    in_quota = (
        verified.loc[verified["within_quota"]].groupby("program").size()
        if len(verified)
        else pd.Series(dtype=int)
    )
    return RunSummary(
        run_id=run_id,
        files_seen=len(files) + ingested.plan.unchanged,
        files_loaded=int(status.eq("loaded").sum()),
        files_rejected=int(status.eq("rejected").sum()),
        files_duplicate=int(status.eq("duplicate").sum()),
        files_unchanged=ingested.plan.unchanged,
        rows={k: int(v) for k, v in new_rows["status"].value_counts().items()}
        if len(new_rows)
        else {},
        persons=len(persons),
        verified={k: int(v) for k, v in per_program.items()},
        within_quota={k: int(v) for k, v in in_quota.items()},
        export_dir=settings.export_dir,
        exports=n_exports,
        notes=notes,
        rejected_files=list(
            zip(rejected.get("file_name", []), rejected.get("reason", []), strict=True)
        ),
    )


@flow(name="pipeline", log_prints=False)
def pipeline(
    raw_dir: Path = Path("data/raw"),
    reference_dir: Path = Path("data/reference"),
    db: Path = Path("data/processed/tepat.duckdb"),
    export_dir: Path = Path("data/processed/exports"),
    as_of: date | None = None,
    programs_file: Path | None = None,
) -> RunSummary:
    """Verify regency submissions into the warehouse and write the BPJS lists."""
    settings = Settings(
        raw_dir=raw_dir, reference_dir=reference_dir, db=db, export_dir=export_dir,
        as_of=as_of or date.today(), programs_file=programs_file,
    )  # fmt: skip
    if not settings.raw_dir.is_dir():
        raise PipelineError(f"raw dir {settings.raw_dir} does not exist")
    rules = load_rules(settings.programs_path)
    run = {"run_id": new_run_id(), "started_at": datetime.now(), "as_of": settings.as_of}
    install_log_masking()
    logger = get_run_logger()

    with (
        owner_only_files(),
        run_lock(settings.db, settings.lock_wait_seconds),
        run_progress(RUN_STAGES, logger),
    ):
        fault_point("run-locked")
        stage("Memeriksa berkas dan masukan lain")
        recovered = recover_exports(settings.db, settings.export_dir)
        remove_leftovers(settings.db)  # the warehouse copy of a run killed while writing
        known_files = read_files_task(settings.db)
        plan = plan_files(
            settings.raw_dir, known_files, settings.recent_write_seconds, settings.settle_seconds
        )
        fault_point("files-planned")
        inputs, previous = fingerprint_task(settings, rules)
        run.update(inputs.columns())
        if nothing_new(plan.no_new_files, inputs, previous):
            summary = _unchanged_run(settings, run, plan, previous)
        else:
            summary = _recompute(settings, rules, run, plan, known_files)
        stage("Laporan")
        report = publish_run_report(settings, summary.run_id)
        fault_point("report-written")
    summary.notes.extend(recovered)
    summary.notes.extend(f"{name}: {BUSY_NOTE}" for name in plan.busy)
    if report is not None:
        summary.notes.append(f"Laporan: {report}")
    logger.info(summary.text())
    return summary


def _recompute(
    settings: Settings,
    rules: ProgramRules,
    run: dict[str, object],
    plan: FilePlan,
    known_files: pd.DataFrame,
) -> RunSummary:
    """Read the new files, validate, deduplicate, score and publish; every large frame is let
    go as soon as the next stage has what it needs (peak memory at provincial scale)."""
    state = read_state_task(settings.db, known_files)
    stage("Membaca berkas baru")
    ingested = ingest(settings, state, plan)
    fault_point("files-read")
    stage("Validasi baris")
    canonical, issues = validate_rows(ingested.raw_rows, settings.as_of, state.row_decisions)
    ingested = replace(ingested, raw_rows=ingested.raw_rows.iloc[0:0])  # free raw cells
    canonical = in_row_order(canonical)  # the unsorted frame goes before deduplication
    release_memory()
    fault_point("rows-validated")
    stored_rows, stored_updates, stored_issues = decide_stored_rows(
        state.rows, state.row_decisions, ingested.plan.replaced
    )
    state = replace(state, rows=stored_rows)
    del stored_rows
    issues = pd.concat([issues, stored_issues], ignore_index=True)
    enrolled, notes = reference_task(settings.reference_dir)
    stage("Deduplikasi orang")
    linked = deduplicate_task(canonical, state, ingested.plan.replaced, enrolled)
    del canonical, state, enrolled  # `linked.new_rows` holds this run's rows now
    release_memory()
    linked.old_row_updates = combine_updates(stored_updates, linked.old_row_updates)
    fault_point("persons-linked")
    stage("Keputusan dan peringkat")
    decisions, verified = score_task(linked.persons, linked.enrolled, rules, settings.as_of)
    linked.enrolled = None
    release_memory()
    fault_point("candidates-scored")
    stage("Menulis gudang data dan ekspor")
    return publish_task(
        settings, run, ingested, linked.new_rows, issues, linked, decisions, verified, notes,
        rules,
    )  # fmt: skip


RUN_STAGES = 7
BUSY_NOTE = "sedang ditulis atau disalin saat run dimulai; dilewati, dibaca pada run berikutnya"
NOTHING_NEW = (
    "Tidak ada yang baru sejak run {run_id}: berkas, daftar peserta BPJS, aturan program, "
    "tanggal acuan dan keputusan tinjauan sama. Hasil run itu tetap berlaku."
)


def _unchanged_run(
    settings: Settings, run: dict[str, object], plan: FilePlan, previous: PreviousRun
) -> RunSummary:
    """A run with nothing new: only its `runs` row is written; the previous results stand."""
    summary = RunSummary(
        run_id=str(run["run_id"]), files_seen=plan.unchanged, files_loaded=0, files_rejected=0,
        files_duplicate=0, files_unchanged=plan.unchanged, rows={}, persons=previous.n_persons,
        verified=previous.verified, within_quota=previous.within_quota,
        export_dir=settings.export_dir, exports=0,
        notes=[NOTHING_NEW.format(run_id=previous.run_id)], rejected_files=[],
    )  # fmt: skip
    record_unchanged_run(
        settings.db,
        {**run, **summary.run_counts(), "finished_at": datetime.now(), "status": "completed",
         "recomputed": False, "message": "tidak ada yang baru"},
    )  # fmt: skip
    return summary


def new_run_id() -> str:
    """Sortable, unique run id: start time plus a random suffix."""
    return datetime.now().strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]


def _commit(settings: Settings, write: RunWrite, pending: list[PendingFile]) -> None:
    """Write the warehouse in one transaction, then move the exports into place."""
    try:
        commit_run(settings.db, write, settings.warehouse_memory_limit)
    except BaseException:
        for file in pending:
            file.discard()
        raise
    fault_point("warehouse-committed")
    for file in pending:
        file.commit()
        fault_point("export-moved")
