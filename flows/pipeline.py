"""The `pipeline` flow: ingest -> validate -> deduplicate -> score -> publish, one warehouse write per run."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.outputs.bpjs_files import PARALLEL_MIN_ROWS, ExportStaging, stage_bpjs_exports
from flows.outputs.bpjs_lists import BpjsPlan, StoredBpjs, plan_bpjs, stored_bpjs, write_changes
from flows.outputs.feedback import RunOutcomes, write_feedback_for_run
from flows.outputs.files import PendingFile, StaleFile, recorded_exports, recover_exports
from flows.outputs.run_report import publish_run_report
from flows.outputs.writing import writing_pool, writing_workers
from flows.review.occupations import files_to_read_again, read_occupation_mappings
from flows.review.queue import apply_queue_at_run_start
from flows.review.rows import read_row_decisions
from flows.runtime.faults import fault_point
from flows.runtime.lock import run_lock
from flows.runtime.memory import release_memory, use_returning_allocators
from flows.runtime.progress import (
    install_log_masking,
    masked_failures,
    masking_failures,
    run_progress,
    stage,
    track,
)
from flows.settings import Settings
from flows.sources.bpjs import BpjsRead, read_bpjs_dir
from flows.sources.ingest import (
    IngestedFile,
    ingest_with,
    keep_first_of_identical,
    reading_pool,
    unexpected_reason,
    unreadable,
)
from flows.sources.limits import still_being_written
from flows.sources.read import list_submissions, sha256_of
from flows.sources.reference_lists import load_reference_lists
from flows.warehouse.affected import (
    AffectedPersons,
    affected_persons,
    moved_persons,
    stored_outside,
)
from flows.warehouse.commit import commit_run, remove_leftovers
from flows.warehouse.packed import PackedColumns, PackedFrame
from flows.warehouse.state import (
    InputFingerprint,
    PreviousRun,
    ReferenceLists,
    fingerprint_task,
    nothing_new,
    record_unchanged_run,
    stored_reference,
)
from flows.warehouse.store import (
    BpjsWrite,
    RunWrite,
    connect,
    owner_only_files,
    read_arrow_frame,
    read_frame,
)
from flows.warehouse.views import program_table
from schemas.codes import ROW_KEYS, file_reason
from schemas.programs import ProgramRules, load_rules
from schemas.rows import (
    RawRows,
    failing_checks,
    issues_from_checks,
    row_status,
    validate_verified,
)
from transforms.bpjs.results import current_rejections, with_covered
from transforms.link.alignment import (
    align_new_rows,
    number_new_rows,
    row_order,
    stored_order_kept,
    stored_row_changes,
)
from transforms.link.dedup import (
    conflict_issues,
    current_person_ids,
    deduplicate,
    enrolment_by_person,
    probable_persons,
)
from transforms.link.matching import PROFILE_FIELDS
from transforms.publish.outcomes import DECISION_COLUMNS_READ
from transforms.publish.summary import RunSummary, summarise
from transforms.score.scoring import (
    DECISION_COLUMNS,
    JSON_ROWS_PER_CHUNK,
    VERIFIED_COLUMNS,
    person_features,
    rank_verified,
    score_program,
)
from transforms.validate.decisions import (
    apply_row_decisions,
    combine_updates,
    decide_stored_rows,
    honour_accepted_conflicts,
)
from transforms.validate.normalise import canonicalise
from transforms.validate.occupations import Mappings
from transforms.validate.remarks import persons_held_by_remarks

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
    "keterangan",
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
        try:
            sha = sha256_of(path)
        except OSError as error:  # unreadable (no permission, vanished): only this file
            plan.records.append(
                {
                    "file_name": name,
                    "sha256": None,
                    "status": "rejected",
                    "reason_code": "FILE_UNREADABLE",
                    "reason": file_reason(
                        "FILE_UNREADABLE",
                        f"berkas tidak dapat dibuka ({error.strerror or type(error).__name__})",
                    ),
                    "n_rows": 0,
                    "n_skipped": 0,
                    "n_sheets": 0,
                }
            )
            continue
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


@task(name="ingest-file", cache_policy=NO_CACHE, persist_result=False, retries=2, retry_delay_seconds=1,
      retry_condition_fn=lambda task, run, state: isinstance(state.result(raise_on_failure=False), PermissionError | BlockingIOError))  # fmt: skip
@masking_failures
def ingest_file_task(
    path: Path, raw_dir: Path, sha256: str, settings: Settings, pool: Executor | None = None
) -> IngestedFile:
    """Read one file into raw rows, in a reading process when given (retried only when locked)."""
    return ingest_with(pool, path, raw_dir, sha256, settings)


def validate_rows(
    raw_rows: pd.DataFrame,
    as_of: date,
    row_decisions: pd.DataFrame | None = None,
    rules: ProgramRules | None = None,
    occupation_mappings: Mappings | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Canonical rows with their status, and their row issues (pandera, lazily); officers'
    occupation mappings and review decisions applied to rows with the same content."""
    if raw_rows.empty:
        return pd.DataFrame(columns=ROW_COLUMNS), pd.DataFrame()
    RawRows.validate(raw_rows[[*ROW_KEYS, "regency_code", "program"]], lazy=True)
    review = rules.occupation_review() if rules is not None else None
    canonical = canonicalise(raw_rows, as_of, occupation_mappings, review)
    issues = issues_from_checks(canonical, failing_checks(canonical))
    canonical["status"] = row_status(canonical, issues)
    if row_decisions is not None and len(row_decisions):
        canonical["status"], decided = apply_row_decisions(canonical, row_decisions)
        issues = pd.concat([issues, decided], ignore_index=True)
    return canonical, issues


@task(name="validate", cache_policy=NO_CACHE, persist_result=False)
@masking_failures
def validate_isolated(
    ingested: Ingested,
    as_of: date,
    row_decisions: pd.DataFrame | None = None,
    rules: ProgramRules | None = None,
    occupation_mappings: Mappings | None = None,
) -> tuple[Ingested, pd.DataFrame, pd.DataFrame]:
    """`validate_rows` on every file at once; when that fails unexpectedly, file by file, so a
    file whose rows break validation is rejected (`FILE_UNREADABLE`) and the others go on."""
    context = (as_of, row_decisions, rules, occupation_mappings)
    try:
        return ingested, *validate_rows(ingested.raw_rows, *context)
    except Exception:  # noqa: BLE001 - find the file, never stop the province
        pass
    raw = ingested.raw_rows
    parts, failed = [], {}
    for name, at in raw.groupby("file_name", sort=False).indices.items():
        try:
            parts.append(validate_rows(raw.iloc[at], *context))
        except Exception as exc:  # noqa: BLE001
            failed[name] = unexpected_reason("memvalidasi baris", exc)
    files = ingested.files.copy()
    for name, detail in failed.items():
        at = files["file_name"].eq(name)
        files.loc[at, ["status", "reason_code", "n_rows"]] = ["rejected", "FILE_UNREADABLE", 0]
        files.loc[at, "reason"] = file_reason("FILE_UNREADABLE", detail)
    kept = raw.loc[~raw["file_name"].isin(list(failed))]
    ingested = replace(ingested, files=files, raw_rows=kept)
    if not parts:
        return ingested, pd.DataFrame(columns=ROW_COLUMNS), pd.DataFrame()
    canonical = pd.concat([c for c, _ in parts], ignore_index=True)
    issues = pd.concat([i for _, i in parts], ignore_index=True)
    return ingested, canonical, issues


@task(name="reference-lists", cache_policy=NO_CACHE, persist_result=False)
@masking_failures
def reference_task(reference_dir: Path, db: Path, reference_sha256: str) -> ReferenceLists:
    """Who is already enrolled at BPJS, per NIK: as an earlier run stored them from lists with
    the same content, else read from the files (and stored by this run's write)."""
    stored = stored_reference(db, reference_sha256)
    if stored is not None:
        return stored
    return ReferenceLists(*load_reference_lists(reference_dir))


@task(name="score", cache_policy=NO_CACHE, persist_result=False)
@masking_failures
def score_task(
    persons: pd.DataFrame, enrolled: pd.DataFrame, rules: ProgramRules, as_of: date
) -> tuple[pd.DataFrame, pd.DataFrame, PackedColumns | None]:
    """Decisions for every person and program they were submitted for; ranked verified lists;
    the decisions' `score_components`, packed a program at a time (~0.5 KB per person and
    program: 1.5 GB at 4M rows, were they held at once)."""
    if persons.empty:
        return pd.DataFrame(), pd.DataFrame(), None
    decisions, explanations = PackedColumns.set_aside_each(
        decisions_per_program(persons, enrolled, rules, as_of), EXPLANATION_KEYS, EXPLANATIONS
    )
    return decisions, rank_all(decisions, rules), explanations


def decisions_per_program(
    persons: pd.DataFrame, enrolled: pd.DataFrame, rules: ProgramRules, as_of: date
) -> Iterator[pd.DataFrame]:
    """Each program's decisions, one program at a time, for the persons submitted for it."""
    features = person_features(persons, enrolled, as_of)
    for name, program in rules.programs.items():
        # explained a part at a time: a province's explanations are ~1.6 GB per program
        yield from score_program(name, program, features).explained_in_parts(JSON_ROWS_PER_CHUNK)


def decide_all(
    persons: pd.DataFrame, enrolled: pd.DataFrame, rules: ProgramRules, as_of: date
) -> pd.DataFrame:
    """Every person's decision for each program they were submitted for."""
    return pd.concat(
        list(decisions_per_program(persons, enrolled, rules, as_of)), ignore_index=True
    )


def rank_all(decisions: pd.DataFrame, rules: ProgramRules) -> pd.DataFrame:
    """The verified lists: eligible decisions ranked per program and regency, quota applied."""
    plain = decisions[[c for c in decisions.columns if c != "score_components"]]  # not copied
    verified = pd.concat(
        [
            rank_verified(plain.loc[plain["program"].eq(name)], program)
            for name, program in rules.programs.items()
        ],
        ignore_index=True,
    )
    validate_verified(verified)
    return verified


@task(name="score-affected", cache_policy=NO_CACHE, persist_result=False)
@masking_failures
def score_affected_task(
    db: Path, linked: Linked, affected: AffectedPersons, rules: ProgramRules, as_of: date
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, PersonChanges]:
    """Decide the persons this run changed; rank again only the lists they were or are on; the
    other persons, decisions and lists as stored (all of them, for the exports)."""
    changed = (
        decide_all(linked.persons, linked.enrolled, rules, as_of)
        if len(linked.persons)
        else pd.DataFrame(columns=DECISION_COLUMNS)
    )
    with connect(db, read_only=True) as con:
        # persons linked again to the same record and decisions change no list
        moved = moved_persons(con, affected.person_ids, linked.persons, changed)
        lists_now = changed.loc[
            changed["eligible"].astype(bool).to_numpy(dtype=bool)
            & changed["person_id"].isin(moved).to_numpy(dtype=bool),
            ["program", "regency_code"],
        ]
        stored = stored_outside(
            con, affected.person_ids, lists_now.drop_duplicates(), DECISION_COLUMNS,
            VERIFIED_COLUMNS, moved,
        )  # fmt: skip
    plain = changed.drop(columns="score_components")
    reranked = rank_all(_concat(stored.ranked_with, _on_lists(plain, stored.lists)), rules)
    verified = _concat(stored.verified, reranked)
    decisions = _concat(stored.decisions, plain)
    persons = _concat(stored.persons, linked.persons)
    replaced = np.union1d(affected.person_ids, linked.persons["person_id"].to_numpy(dtype=np.int64))
    on_lists = stored.ranked_with["person_id"].to_numpy(dtype=np.int64)
    changes = PersonChanges(
        replaced, linked.persons, changed, len(affected.person_ids), np.union1d(replaced, on_lists),
        stored.lists,
    )  # fmt: skip
    return decisions, verified, persons, changes


def _on_lists(decisions: pd.DataFrame, lists: pd.DataFrame) -> pd.DataFrame:
    """The decisions of the lists (program, regency_code) ranked again: the other lists keep
    their stored ranks, the unchanged persons on them included."""
    keys = ["program", "regency_code"]
    if decisions.empty:
        return decisions
    ranked = pd.MultiIndex.from_frame(lists[keys].astype("string"))
    hit = pd.MultiIndex.from_frame(decisions[keys].astype("string")).isin(ranked)
    return decisions.loc[hit]


def _concat(*frames: pd.DataFrame) -> pd.DataFrame:
    """Frames one after the other (an empty one adds nothing, nor its dtypes)."""
    present = [f for f in frames if len(f)]
    if not present:
        return frames[0].iloc[0:0]
    return present[0] if len(present) == 1 else pd.concat(present, ignore_index=True)


@dataclass
class PersonChanges:
    """What a run that changed only some persons writes of them: the ids whose persons and
    decisions it replaces, and their persons and decisions as they are now."""

    person_ids: np.ndarray
    persons: pd.DataFrame
    decisions: pd.DataFrame
    stored_relinked: int = 0  # of them, persons stored before this run
    # they and the others on the lists ranked again: whose rows' outcomes may have changed
    outcome_persons: np.ndarray | None = None
    # (program, regency_code) of the lists ranked again: the other lists are as stored
    lists: pd.DataFrame | None = None


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
    # the cells of `new_rows` other than ROW_COLUMNS_READ, held packed until the feedback and
    # the warehouse write
    row_cells: PackedColumns | None = None


@dataclass
class HandedOver:
    """A frame handed to a task that lets go of it midway: a task's arguments stay referenced
    until it returns. Linking packs the run's rows' cells away; publishing holds the rows and
    decisions packed while the BPJS files are written."""

    frame: pd.DataFrame | None

    def take(self) -> pd.DataFrame:
        frame, self.frame = self.frame, None
        if frame is None:
            raise PipelineError("the frame handed over was already taken")
        return frame


@dataclass
class WarehouseState:
    """What earlier runs left that this run builds on."""

    files: pd.DataFrame
    rows: pd.DataFrame
    registry: pd.DataFrame
    conflicts: pd.DataFrame
    pair_reviews: pd.DataFrame = field(default_factory=pd.DataFrame)
    row_decisions: pd.DataFrame = field(default_factory=pd.DataFrame)  # officers' row reviews
    occupation_mappings: Mappings = field(default_factory=dict)  # officers' spelling decisions
    read_again: list[str] = field(default_factory=list)  # stored files a new mapping reaches
    # stored rejected rows with a remark, and the person each probably is (they hold that person)
    rejected_remarks: pd.DataFrame = field(default_factory=pd.DataFrame)


@task(name="read-files", cache_policy=NO_CACHE, persist_result=False)
@masking_failures
def read_files_task(db: Path) -> pd.DataFrame:
    """Files loaded by earlier runs: all a run needs to know whether anything is new."""
    with connect(db) as con:
        return read_frame(con, "SELECT file_name, sha256, status FROM source_files")


@task(name="read-warehouse", cache_policy=NO_CACHE, persist_result=False)
@masking_failures
def read_state_task(db: Path, files: pd.DataFrame) -> WarehouseState:
    """Person ids and officers' decisions from earlier runs (read only when the run recomputes);
    the stored rows come later (`read_rows_task`), once this run's rows say which are needed."""
    with connect(db) as con:
        mappings = read_occupation_mappings(con)
        return WarehouseState(
            files=files,
            occupation_mappings=mappings,
            read_again=files_to_read_again(con, mappings),
            rows=pd.DataFrame(columns=ROW_COLUMNS),
            registry=read_arrow_frame(
                con, "SELECT person_key, person_id, first_person_id FROM person_registry"
            ),
            conflicts=read_frame(
                con,
                "SELECT DISTINCT file_name, sheet, row_number FROM row_issues "
                "WHERE code = 'NIK_CONFLICT'",
            ),
            pair_reviews=read_frame(con, "SELECT * FROM pair_reviews"),
            row_decisions=read_row_decisions(con),
            rejected_remarks=read_arrow_frame(
                con,
                "SELECT file_name, keterangan, probable_person_id AS person_id FROM submission_rows "
                "WHERE status = 'rejected' AND keterangan IS NOT NULL "
                "AND probable_person_id IS NOT NULL",
            ),
        )


@task(name="read-stored-rows", cache_policy=NO_CACHE, persist_result=False)
@masking_failures
def read_rows_task(
    db: Path, seeds: pd.DataFrame | None, replaced: list[str] | None = None
) -> tuple[pd.DataFrame, AffectedPersons | None]:
    """The stored accepted and review rows, in the dtypes of this run's rows: all of them, or
    with `seeds` (this run's rows) only those of the persons they and the `replaced` files
    can change, found in SQL."""
    with connect(db) as con:
        if seeds is None:
            rows = read_arrow_frame(
                con,
                f"SELECT {', '.join(ROW_COLUMNS)} FROM submission_rows "
                "WHERE status IN ('accepted', 'review') ORDER BY order_key",
            )
            return coerce_row_types(rows), None
        affected = affected_persons(con, seeds, ROW_COLUMNS, replaced)
    rows, affected.rows = coerce_row_types(affected.rows), pd.DataFrame()
    return rows, affected


def links_only_what_files_change(
    settings: Settings, inputs: InputFingerprint, previous: PreviousRun | None
) -> bool:
    """Whether this run may link and score only the persons its new and replaced files can
    change: nothing but submission files changed since the last completed run (rules,
    reference lists, BPJS files, reviews, as-of date and export folder as they were)."""
    return (
        settings.incremental
        and previous is not None
        and previous.inputs_sha256 == inputs.inputs_sha256
    )


def read_again(plan: FilePlan, raw_dir: Path, state: WarehouseState) -> FilePlan:
    """The plan with the stored files an officer's occupation mapping reaches read again (as
    replaced: their rows are validated afresh with the mapping); a file no longer under the
    raw dir, or changed since (already planned), is left as it is."""
    planned = {path.relative_to(raw_dir).as_posix() for path, _ in plan.to_ingest}
    loaded = state.files.loc[state.files["status"].eq("loaded")]
    known = dict(zip(loaded["file_name"], loaded["sha256"], strict=True))
    extra = [
        (raw_dir / name, known[name])
        for name in state.read_again
        if name in known and name not in planned and (raw_dir / name).is_file()
    ]
    if not extra:
        return plan
    return replace(
        plan,
        to_ingest=[*plan.to_ingest, *extra],
        replaced=[*plan.replaced, *(path.relative_to(raw_dir).as_posix() for path, _ in extra)],
        unchanged=plan.unchanged - len(extra),
    )


def ingest(settings: Settings, state: WarehouseState, plan: FilePlan) -> Ingested:
    """Plan the files, then read each new one in its own task, on all cores; a file whose task
    failed even after retries is recorded as unreadable, and the others go on."""
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


@task(name="deduplicate", cache_policy=NO_CACHE, persist_result=False)
@masking_failures
def deduplicate_task(
    run_rows: HandedOver,
    state: WarehouseState,
    replaced: list[str],
    enrolled: pd.DataFrame | None = None,
    affected: AffectedPersons | None = None,
) -> Linked:
    """Persons with stable ids from every accepted and review row, earlier runs' and this run's
    (with `affected`: the stored rows of the persons this run's rows can change); reference
    flags matched on all of a person's NIKs; rejected rows' probable person. The run's rows
    come back with only ROW_COLUMNS_READ, their other cells packed (`Linked.row_cells`)."""
    old_rows = state.rows
    if replaced and len(old_rows):
        old_rows = old_rows.loc[~old_rows["file_name"].isin(replaced)]
    unpaired = affected.unpaired if affected is not None else None
    first_key = affected.next_order_key if affected is not None else None
    new_rows, next_order = number_new_rows(run_rows.take(), old_rows, first_key)
    usable = new_rows["status"].isin(["accepted", "review"]).to_numpy(dtype=bool)
    rejected = new_rows["status"].eq("rejected").to_numpy(dtype=bool)
    # Only the columns deduplication needs, each part in the common dtypes before the concat
    # (an empty or differently typed part would turn the text columns into Python objects).
    old_typed = coerce_row_types(old_rows[ROW_COLUMNS])
    # whom they probably are, and their remarks
    rejected_rows = new_rows.loc[rejected, [c for c in REJECTED_COLUMNS_READ if c in new_rows]]
    # what linking and the stages after it read of the run's rows; the other cells packed
    read, row_cells = _pack_row_cells(new_rows)
    # nor is the rest read again until the persons are made: held packed meanwhile
    held_rows = PackedColumns.whole(read)
    del read
    # packed: the cells move into the candidates, so the run's rows are never held twice
    fresh = coerce_row_types(_moved_rows(new_rows, usable))
    del new_rows
    release_memory()
    parts = [old_typed.assign(is_new=False)] if len(old_typed) else []
    candidates = pd.concat([*parts, fresh.assign(is_new=True)], ignore_index=True)
    del parts, fresh
    if candidates.empty:
        empty = pd.DataFrame(columns=PERSON_COLUMNS)
        return Linked(
            held_rows.unpacked(), pd.DataFrame(), empty, state.registry.iloc[0:0], pd.DataFrame(),
            enrolled=enrolled, row_cells=row_cells,
        )  # fmt: skip
    result = deduplicate(candidates, state.registry, state.pair_reviews, unpaired)
    del candidates
    linked, persons = honour_accepted_conflicts(result.rows, result.persons, state.row_decisions)
    # persons are made: the linked rows keep only what the steps below read (~1 GB at 4M rows)
    linked = linked[[c for c in linked.columns if c in LINKED_COLUMNS_READ]]
    result.rows = linked
    release_memory()
    probable = probable_persons(rejected_rows, linked, unpaired)
    new_rows = held_rows.unpacked()
    del held_rows
    new_rows["probable_person_id"] = probable.reindex(new_rows.index).astype("Int64")
    # a remark saying the person died, moved or is covered holds them, even on a rejected row,
    # of this run's files or of any stored one (the person it was tied to, as that person is now)
    remarked = pd.DataFrame({"keterangan": rejected_rows["keterangan"], "person_id": probable})
    del rejected_rows
    stored_remarks = state.rejected_remarks
    if len(stored_remarks):
        stored_remarks = stored_remarks.loc[~stored_remarks["file_name"].isin(replaced)]
        stored_remarks = stored_remarks.assign(
            person_id=current_person_ids(
                stored_remarks["person_id"], state.registry, result.registry_changes
            )
        )[["keterangan", "person_id"]]
        remarked = pd.concat([remarked, stored_remarks], ignore_index=True)
    remark_held = np.union1d(
        persons_held_by_remarks(linked), persons_held_by_remarks(remarked.assign(status="review"))
    )
    persons["remark_hold"] = persons["person_id"].isin(remark_held)

    issues = conflict_issues(linked, state.conflicts)

    if not stored_order_kept(linked, old_typed):
        raise PipelineError("deduplication changed the order of the stored rows")
    new_rows = align_new_rows(new_rows, linked, next_order)
    changed = stored_row_changes(linked, old_typed)
    return Linked(
        new_rows, issues, persons, result.registry_changes, changed,
        match_candidates=result.match_candidates,
        enrolled=None if enrolled is None else enrolment_by_person(enrolled, linked, persons),
        row_cells=row_cells,
    )  # fmt: skip


@dataclass
class BpjsRun:
    """What BPJS sent back (this run's files and every stored result) and what this run sends."""

    read: BpjsRead
    stored: StoredBpjs  # results, batches and members of earlier runs
    plan: BpjsPlan

    def sendable(self, verified: pd.DataFrame) -> pd.DataFrame:
        """The verified lists without the persons BPJS rejected whose data has not changed."""
        if self.plan.blocked.empty or verified.empty:
            return verified
        keys = ["program", "person_id"]
        held = pd.MultiIndex.from_frame(verified[keys].astype({"person_id": "Int64"})).isin(
            pd.MultiIndex.from_frame(self.plan.blocked[keys].astype({"person_id": "Int64"}))
        )
        return verified.loc[~held]

    def stage(
        self,
        settings: Settings,
        verified: pd.DataFrame,
        persons: pd.DataFrame,
        run_id: str,
        rules: ProgramRules,
        staging: ExportStaging,
    ) -> BpjsWrite:
        """Stage the tambah/kurang files; everything BPJS-related the run's transaction writes."""
        n_full = self.plan.to_send.groupby("program").size().to_dict()
        batches, members = write_changes(
            self.plan, verified, persons, settings.export_dir, settings.as_of, run_id, rules,
            n_full, staging, self.stored.batches,
        )  # fmt: skip
        results = self.plan.results
        write = BpjsWrite(
            files=self.read.files,
            replaced=self.read.replaced,
            results=results if len(results) else None,
            bill_lines=self.read.bill_lines,
            batches=batches,
            members=members,
        )
        return write


@task(name="bpjs-returns", cache_policy=NO_CACHE, persist_result=False)
@masking_failures
def bpjs_returns_task(settings: Settings, run_id: str) -> tuple[BpjsRead, pd.DataFrame, StoredBpjs]:
    """BPJS files new since the last run, every results row (stored and new), earlier batches."""
    stored = stored_bpjs(settings.db)
    read = read_bpjs_dir(settings, stored.files, run_id)
    earlier = stored.results
    if read.replaced and len(earlier):
        earlier = earlier.loc[~earlier["file_name"].isin(read.replaced)]
    new = read.results.assign(run_id=run_id)
    parts = [frame for frame in (earlier, new) if len(frame)]
    results = pd.concat(parts, ignore_index=True) if parts else new
    return read, results, stored


@task(name="publish", cache_policy=NO_CACHE, persist_result=False)
@masking_failures
def publish_task(
    settings: Settings,
    run: dict[str, object],
    ingested: Ingested,
    run_rows: HandedOver,
    issues: pd.DataFrame,
    linked: Linked,
    run_decisions: HandedOver,
    verified: pd.DataFrame,
    notes: list[str],
    rules: ProgramRules | None = None,
    bpjs: BpjsRun | None = None,
    explanations: PackedColumns | None = None,
    changes: PersonChanges | None = None,
    row_cells: PackedColumns | None = None,
    reference: pd.DataFrame | None = None,
) -> RunSummary:
    """Write the BPJS files under temporary names, commit the warehouse, then move the files in
    place; `explanations`: the `score_components` of the decisions written, packed until the
    commit; `changes`: only these persons and decisions are written (else all of them);
    `row_cells`: the cells of the run's rows, packed until the feedback and the commit;
    `reference`: the reference lists' flags read from their files this run, to store."""
    run_id = str(run["run_id"])
    all_issues = (
        issues if linked.issues.empty else pd.concat([issues, linked.issues], ignore_index=True)
    )
    rejections = None if bpjs is None else current_rejections(bpjs.plan.results)
    decisions = run_decisions.take()
    outcome_inputs = RunOutcomes(
        _columns_copied(decisions, DECISION_COLUMNS_READ), verified, ingested.files,
        _reason_messages(rules), rejections,
        scope=None if changes is None else changes.outcome_persons,
    )  # fmt: skip
    # The run's rows and the decisions to write wait packed while the BPJS files are staged and
    # written (~1 GB at 4M rows): the rows until the feedback, the decisions until the commit.
    waiting_rows = PackedFrame.of(run_rows.take())
    waiting_decisions = PackedFrame.of(decisions) if changes is None else None
    del decisions
    release_memory(cycles=False)
    sendable = verified if bpjs is None else bpjs.sendable(verified)
    staging = ExportStaging(run_id, recorded_exports(settings.db))
    if not sendable.empty:
        stage_bpjs_exports(
            staging, sendable, linked.persons, settings.export_dir, settings.as_of, rules,
            changed_lists=None if changes is None else changes.lists,
        )  # fmt: skip
    del sendable  # a copy of the verified lists when BPJS blocks anyone: staged, not needed again
    bpjs_write = None
    if bpjs is not None and rules is not None:
        bpjs_write = bpjs.stage(settings, verified, linked.persons, run_id, rules, staging)
    if bpjs is not None:  # staged: the lists to send and the changes are not read again
        bpjs.plan = bpjs.plan.staged()
    # Persons are needed again only by the commit: held compressed while the files are written.
    persons_written = linked.persons if changes is None else changes.persons
    packed_persons = None
    if len(persons_written):
        persons_written, packed_persons = PackedColumns.set_aside(
            persons_written, ["person_id"], [c for c in persons_written if c != "person_id"]
        )
    # the exports had the whole province; what is left is only counted
    linked.persons = persons_written if changes is None else linked.persons[["person_id"]]
    release_memory()  # the digests' buffers and the persons, before the writers take theirs
    feedback_files: list[PendingFile] = []
    # BPJS lists, budget summaries and tambah/kurang lists in one pass over the writers; every
    # row's outcome and the feedback workbooks with writers of their own: after them (a worker
    # that wrote a province's list would keep that memory through the workbooks), or, in a
    # run that changed some persons, meanwhile.
    with bpjs_files_written(staging, 2 * len(verified), alongside=changes is not None) as written:
        del staging
        new_rows = waiting_rows.unpacked()
        with export_pool(len(new_rows)) as pool:
            feedback, outcomes = write_feedback_for_run(
                settings, new_rows, all_issues, linked.old_row_updates, ingested.plan.replaced,
                run_id, feedback_files, outcome_inputs, pool=pool, cells=row_cells,
            )  # fmt: skip
        try:
            export_records, pending = written()
        except BaseException:  # the BPJS files could not be written: nor are the workbooks kept
            for file in feedback_files:
                file.discard()
            raise
    del outcome_inputs  # its copy of four columns of the decisions is not read again
    pending.extend(feedback_files)
    export_records = pd.concat([export_records, feedback], ignore_index=True)
    summary = summarise(
        run_id, ingested.files, ingested.plan.unchanged, new_rows, linked.persons, verified,
        settings.export_dir, **export_counts(pending),
    )  # fmt: skip
    summary.references = notes
    summary.bpjs_files = bpjs_notes(bpjs.read) if bpjs is not None else []
    finished = datetime.now()
    files = (
        ingested.files.assign(run_id=run_id, loaded_at=finished)
        if len(ingested.files)
        else ingested.files
    )
    relinked = None if changes is None else changes.stored_relinked
    write = RunWrite(
        run={
            **run,
            **summary.run_counts(),
            "finished_at": finished,
            "status": "completed",
            "persons_relinked": relinked,
        },  # fmt: skip
        source_files=files,
        replaced_files=ingested.plan.replaced,
        submission_rows=new_rows.assign(run_id=run_id),
        submission_row_columns=row_cells,
        row_issues=all_issues.assign(run_id=run_id),
        registry_added=linked.registry_added.assign(run_id=run_id),
        persons=persons_written.assign(run_id=run_id),
        person_columns=packed_persons,
        candidate_decisions=(
            changes.decisions if waiting_decisions is None else waiting_decisions.unpacked()
        ).assign(run_id=run_id),
        only_persons=None if changes is None else changes.person_ids,
        decision_columns=explanations,
        # a run that changed some persons writes the lists it ranked again
        verified_candidates=(
            verified if changes is None else _on_lists(verified, changes.lists)
        ).assign(run_id=run_id),
        only_lists=None if changes is None else changes.lists,
        exports=export_records,
        row_status_updates=linked.old_row_updates,
        match_candidates=linked.match_candidates.assign(run_id=run_id),
        row_outcomes=outcomes,
        programs=program_table(rules) if rules is not None else pd.DataFrame(),
        bpjs=bpjs_write,
        reference_enrolment=reference,
    )
    fault_point("exports-written")
    release_memory()  # what writing the exports let go, before DuckDB takes its share
    _commit(settings, write, pending)
    return summary


def _columns_copied(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Those of `columns` the frame has, copied: a view would keep the frame's blocks alive."""
    return frame[[c for c in columns if c in frame]].copy()


def _reason_messages(rules: ProgramRules | None) -> dict[str, str]:
    """The explanation of every not-eligible reason the run's programs can give."""
    messages: dict[str, str] = {}
    for program in rules.programs.values() if rules is not None else []:
        messages.update(program.reason_messages())
    return messages


@contextlib.contextmanager
def export_pool(n_rows: int) -> Iterator[Executor | None]:
    """Worker processes writing export files when there are enough rows for them to pay off
    (starting them costs ~1 s): one pool for the BPJS files, another for the workbooks."""
    workers = min(writing_workers(), 2)
    if workers < 2 or n_rows < PARALLEL_MIN_ROWS:
        yield None
        return
    with writing_pool(workers) as pool:
        yield pool


@contextlib.contextmanager
def bpjs_files_written(
    staging: ExportStaging, n_rows: int, alongside: bool
) -> Iterator[Callable[[], tuple[pd.DataFrame, list[PendingFile | StaleFile]]]]:
    """Write the staged BPJS files before the block, or `alongside` it (in a thread, with
    writers of their own: the feedback is decided and written meanwhile); yields what returns
    their `exports` records and files once written. Should the block fail, they are discarded."""
    with contextlib.ExitStack() as stack:
        pool = stack.enter_context(export_pool(n_rows))
        if alongside:
            side = stack.enter_context(ThreadPoolExecutor(max_workers=1))
            written = side.submit(staging.write_all, writing_workers(), PARALLEL_MIN_ROWS, pool)
        else:
            written = Future()
            written.set_result(staging.write_all(writing_workers(), PARALLEL_MIN_ROWS, pool))
            stack.close()  # the writers go before the block's own start
        try:
            yield written.result
        except BaseException:
            with contextlib.suppress(BaseException):  # a failed write removed its own files
                for file in written.result()[1]:
                    file.discard()
            raise


def export_counts(pending: list[PendingFile | StaleFile]) -> dict[str, int]:
    """Export files this run writes (changed content), leaves unchanged and removes."""
    return {
        "exports": sum(isinstance(f, PendingFile) and not f.unchanged for f in pending),
        "exports_unchanged": sum(isinstance(f, PendingFile) and f.unchanged for f in pending),
        "exports_removed": sum(isinstance(f, StaleFile) for f in pending),
    }


@flow(name="pipeline", log_prints=False, persist_result=False)
def pipeline(
    raw_dir: Path | None = None,
    reference_dir: Path | None = None,
    db: Path | None = None,
    bpjs_dir: Path | None = None,
    export_dir: Path | None = None,
    as_of: date | None = None,
    programs_file: Path | None = None,
) -> RunSummary:
    """Verify regency submissions into the warehouse and write the BPJS lists; an option left
    out takes its value from the settings (`TEPAT_*`, else the defaults in flows/settings.py)."""
    given = {
        "raw_dir": raw_dir, "reference_dir": reference_dir, "db": db, "bpjs_dir": bpjs_dir,
        "export_dir": export_dir, "as_of": as_of, "programs_file": programs_file,
    }  # fmt: skip
    settings = Settings(**{name: value for name, value in given.items() if value is not None})
    return run_pipeline(settings)


def run_pipeline(settings: Settings) -> RunSummary:
    """The body of a run, inside a flow run (`pipeline`, or the served `scheduled_pipeline`);
    a failure reaches Prefect (state message, events, stored exception) with NIKs masked."""
    use_returning_allocators()
    with masked_failures():
        return _run(settings)


def _run(settings: Settings) -> RunSummary:
    """Plan, then recompute or record that nothing is new; the report comes last."""
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
        queued = apply_queue_at_run_start(settings.db)  # decisions made while a run wrote
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
            incremental = links_only_what_files_change(settings, inputs, previous)
            summary = _recompute(settings, rules, run, plan, known_files, incremental)
        stage("Laporan")
        report = publish_run_report(settings, summary.run_id)
        fault_point("report-written")
    summary.notes.extend(queued)
    summary.notes.extend(recovered)
    summary.notes.extend(f"{name}: {BUSY_NOTE}" for name in plan.busy)
    if report is not None:
        summary.notes.append(f"Laporan: {report}")
    logger.debug(summary.text())  # printed once, by `tepat run`; the UI has it as an artifact
    return summary


def _recompute(
    settings: Settings,
    rules: ProgramRules,
    run: dict[str, object],
    plan: FilePlan,
    known_files: pd.DataFrame,
    incremental: bool = False,
) -> RunSummary:
    """Read the new files, validate, deduplicate, score and publish; every large frame is let
    go as soon as the next stage has what it needs (peak memory at provincial scale). With
    `incremental`, only the persons the new and replaced files can change are linked and
    scored."""
    state = read_state_task(settings.db, known_files)
    plan = read_again(plan, settings.raw_dir, state)
    incremental = incremental and not state.read_again  # a new mapping: every row again
    stage("Membaca berkas baru")
    ingested = ingest(settings, state, plan)
    fault_point("files-read")
    stage("Validasi baris")
    ingested, canonical, issues = validate_isolated(
        ingested, settings.as_of, state.row_decisions, rules, state.occupation_mappings
    )
    ingested = replace(ingested, raw_rows=ingested.raw_rows.iloc[0:0])  # free raw cells
    canonical = _into_row_order(canonical)  # the unsorted frame goes before deduplication
    release_memory()
    fault_point("rows-validated")
    stored_rows, affected = read_rows_task(
        settings.db, canonical if incremental else None, ingested.plan.replaced
    )
    state = replace(state, rows=stored_rows)
    stored_rows, stored_updates, stored_issues = decide_stored_rows(
        state.rows, state.row_decisions, ingested.plan.replaced
    )
    state = replace(state, rows=stored_rows)
    del stored_rows
    issues = pd.concat([issues, stored_issues], ignore_index=True)
    reference = reference_task(settings.reference_dir, settings.db, str(run["reference_sha256"]))
    enrolled, notes = reference.enrolled, reference.notes
    run["reference_notes"] = "\n".join(notes)
    # lists read from their files this run are stored for the next runs
    read_reference = (
        reference.enrolled.assign(reference_sha256=run["reference_sha256"])
        if reference.read
        else None
    )
    del reference
    bpjs_read, bpjs_results, bpjs_stored = bpjs_returns_task(settings, str(run["run_id"]))
    enrolled = with_covered(enrolled, bpjs_results)  # BPJS: already covered -> ALREADY_ENROLLED
    stage("Deduplikasi orang")
    run_rows = HandedOver(canonical)
    del canonical  # linking holds the rows alone, and packs their cells away
    linked = deduplicate_task(run_rows, state, ingested.plan.replaced, enrolled, affected)
    del state, enrolled  # `linked.new_rows` holds this run's rows now
    release_memory()
    linked.old_row_updates = combine_updates(stored_updates, linked.old_row_updates)
    fault_point("persons-linked")
    stage("Keputusan dan peringkat")
    changes = None
    if affected is None:
        decisions, verified, explanations = score_task(
            linked.persons, linked.enrolled, rules, settings.as_of
        )
    else:
        decisions, verified, linked.persons, changes = score_affected_task(
            settings.db, linked, affected, rules, settings.as_of
        )
        changes.decisions, explanations = _pack_explanations(changes.decisions)
    linked.enrolled = None
    release_memory()
    fault_point("candidates-scored")
    bpjs = BpjsRun(
        bpjs_read, bpjs_stored,
        plan_bpjs(
            bpjs_results, bpjs_stored.members, linked.persons, decisions, verified,
            scope=None if changes is None else changes.outcome_persons,
        ),
    )  # fmt: skip
    if len(verified):
        verified = bpjs.plan.verified
    stage("Menulis gudang data dan ekspor")
    # linking's findings joined to validation's here, so that the publish step holds one copy
    issues = pd.concat([issues, linked.issues], ignore_index=True)
    linked.issues = linked.issues.iloc[0:0]
    release_memory()
    # handed over: publishing holds them packed while the BPJS files are written
    run_rows, linked.new_rows = HandedOver(linked.new_rows), linked.new_rows.iloc[0:0]
    run_decisions = HandedOver(decisions)
    del decisions
    return publish_task(
        settings, run, ingested, run_rows, issues, linked, run_decisions, verified, notes,
        rules, bpjs, explanations, changes, linked.row_cells, read_reference,
    )  # fmt: skip


# What deduplicate_task reads of the linked rows once the persons are made: whom rejected rows
# probably are, remarks that hold persons, conflicts, and the run's rows aligned to them.
LINKED_COLUMNS_READ = {*ROW_KEYS, *PROFILE_FIELDS, "status", "person_id", "person_key",
                       "order_key", "is_new", "nik_conflict", "conflict_detail", "keterangan"}  # fmt: skip

# What deduplicate_task reads of the run's rejected rows: whom they probably are, and remarks.
REJECTED_COLUMNS_READ = [*PROFILE_FIELDS, "order_key", "keterangan"]

# What linking (once it has its candidates) and the stages after it read of the run's rows:
# keys, status and person for the outcomes and counts; the other cells come back file by file
# for the feedback workbooks, and a batch at a time for the warehouse.
ROW_COLUMNS_READ = [*ROW_KEYS, "sheet_order", "status", "person_id", "program", "order_key",
                    "regency_code"]  # fmt: skip


def _pack_row_cells(rows: pd.DataFrame) -> tuple[pd.DataFrame, PackedColumns | None]:
    """The run's rows with only `ROW_COLUMNS_READ`, and their other cells held packed (a
    province's rows are ~0.7 GB per million in memory, ~0.1 GB packed)."""
    cells = [c for c in rows.columns if c not in ROW_COLUMNS_READ]
    if rows.empty or not cells:
        return rows, None
    return PackedColumns.set_aside(rows, ROW_KEYS, cells)


def _moved_rows(rows: pd.DataFrame, at: np.ndarray) -> pd.DataFrame:
    """`rows.reindex(columns=ROW_COLUMNS).loc[at]`, moving the columns out of `rows` (left
    without them) one at a time: the rows and what is taken of them are never both held whole
    (~2 GB at 4M rows)."""
    moved = {column: rows.pop(column)[at] for column in ROW_COLUMNS if column in rows}
    taken = pd.DataFrame(moved, copy=False) if moved else pd.DataFrame(index=rows.index[at])
    return taken.reindex(columns=ROW_COLUMNS)


def _into_row_order(rows: pd.DataFrame) -> pd.DataFrame:
    """`in_row_order` of the run's rows, moving them a column at a time out of `rows` (left
    empty): a province's rows are never held twice (~3 GB at 4M rows)."""
    order = row_order(rows)
    if order is None:
        return rows.reset_index(drop=True)
    columns = list(rows.columns)
    moved = {column: rows.pop(column).take(order).reset_index(drop=True) for column in columns}
    return pd.DataFrame(moved, columns=columns)


# A decision's key, and its explanation: held packed from scoring to the warehouse write.
EXPLANATION_KEYS, EXPLANATIONS = ["program", "person_id"], ["score_components"]


def _pack_explanations(decisions: pd.DataFrame) -> tuple[pd.DataFrame, PackedColumns | None]:
    """The decisions to write without their `score_components` (~0.5 KB each), which are held
    packed until the commit."""
    if "score_components" not in decisions:
        return decisions, None
    return PackedColumns.set_aside(decisions, EXPLANATION_KEYS, EXPLANATIONS)


KIND_LABELS = {"results": "hasil pendaftaran", "bill": "tagihan"}


def bpjs_notes(read: BpjsRead) -> list[str]:
    """One line per BPJS file read this run (kind, program, rows, or why it was not read)."""
    notes = []
    for record in read.files.to_dict("records") if len(read.files) else []:
        if record["status"] == "loaded":
            notes.append(f"{record['file_name']}: {KIND_LABELS[record['kind']]} {record['program']}, "
                         f"{record['n_rows']} baris")  # fmt: skip
        else:
            notes.append(f"{record['file_name']}: tidak dibaca ({record['reason']})")
    return notes


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
    """Write the warehouse (a staged copy put in place whole), then move the exports into place."""
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
