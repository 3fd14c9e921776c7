"""The `pipeline` flow: ingest -> validate -> deduplicate -> score -> publish, one transaction per run."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.ingest import IngestedFile, ingest_file
from flows.publish import PendingFile, write_bpjs_exports
from flows.read import list_submissions, sha256_of
from flows.reference import load_reference_lists
from flows.settings import Settings
from flows.warehouse import RunWrite, connect, read_frame, write_run
from schemas.codes import ROW_CODES, file_reason
from schemas.programs import ProgramRules, parse_rules
from schemas.rows import failing_checks, issues_from_checks, row_status
from transforms.dedup import deduplicate
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


class PipelineError(RuntimeError):
    """The run could not finish; the warehouse is left as it was."""


@dataclass
class FilePlan:
    """What to do with the files under the raw dir this run."""

    to_ingest: list[tuple[Path, str]] = field(default_factory=list)  # (path, sha256)
    records: list[dict[str, object]] = field(default_factory=list)  # duplicates found now
    replaced: list[str] = field(default_factory=list)  # names whose content changed
    unchanged: int = 0


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


def plan_files(raw_dir: Path, known: pd.DataFrame) -> FilePlan:
    """Hash every file; decide which to ingest, which are byte-identical duplicates, which are unchanged."""
    plan = FilePlan()
    by_name = dict(zip(known["file_name"], known["sha256"], strict=True))
    loaded = known.loc[known["status"].eq("loaded")]
    loaded_sha = dict(zip(loaded["sha256"], loaded["file_name"], strict=True))
    for path in list_submissions(raw_dir):
        name = path.relative_to(raw_dir).as_posix()
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
        loaded_sha[sha] = name  # a second identical file in this run is a duplicate of this one
        plan.to_ingest.append((path, sha))
    return plan


@task(name="ingest-file", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=1,
      retry_condition_fn=lambda task, run, state: isinstance(state.result(raise_on_failure=False), PermissionError | BlockingIOError))  # fmt: skip
def ingest_file_task(path: Path, raw_dir: Path, sha256: str, settings: Settings) -> IngestedFile:
    """Read one file into raw rows (retried only when the file is locked)."""
    return ingest_file(path, raw_dir, sha256, settings.max_rows_per_sheet, settings.header_search_rows)


@task(name="validate", cache_policy=NO_CACHE)
def validate_rows(raw_rows: pd.DataFrame, as_of: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Canonical rows with their status, and their row issues (pandera, lazily)."""
    if raw_rows.empty:
        return pd.DataFrame(columns=ROW_COLUMNS), pd.DataFrame()
    canonical = canonicalise(raw_rows, as_of)
    issues = issues_from_checks(canonical, failing_checks(canonical))
    canonical["status"] = row_status(canonical, issues)
    return canonical, issues


@task(name="reference-lists", cache_policy=NO_CACHE)
def reference_task(reference_dir: Path) -> tuple[pd.DataFrame, list[str]]:
    """Who is already enrolled at BPJS, per NIK."""
    return load_reference_lists(reference_dir)


@task(name="deduplicate", cache_policy=NO_CACHE)
def deduplicate_task(rows: pd.DataFrame, registry: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Persons with stable ids from every accepted and review row, old and new."""
    if rows.empty:
        return rows.assign(person_id=pd.Series(dtype="int64"), nik_conflict=False), pd.DataFrame(columns=PERSON_COLUMNS), registry.iloc[0:0]
    return deduplicate(rows, registry)


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
    return pd.concat(decisions, ignore_index=True), pd.concat(verified, ignore_index=True)


def _read_state(settings: Settings) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    with connect(settings.db) as con:
        known = read_frame(con, "SELECT file_name, sha256, status FROM source_files")
        rows = read_frame(
            con,
            f"SELECT {', '.join(c for c in ROW_COLUMNS)} FROM submission_rows "
            "WHERE status IN ('accepted', 'review')",
        )
        registry = read_frame(con, "SELECT person_key, person_id FROM person_registry")
        conflicts = read_frame(
            con, "SELECT DISTINCT file_name, sheet, row_number FROM row_issues WHERE code = 'NIK_CONFLICT'"
        )
    return known, rows, registry, conflicts


def _conflict_issues(rows: pd.DataFrame, run_id: str) -> pd.DataFrame:
    spec = ROW_CODES["NIK_CONFLICT"]
    message = spec.message.replace("{detail}", "nama dan tanggal lahir berbeda")
    return pd.DataFrame(
        {
            "file_name": rows["file_name"],
            "sheet": rows["sheet"],
            "row_number": rows["row_number"],
            "code": "NIK_CONFLICT",
            "severity": spec.severity.value,
            "column_name": spec.column,
            "value": rows["nik"],
            "message": [message.replace("{value}", str(n)) for n in rows["nik"]],
            "run_id": run_id,
        }
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
    logger = get_run_logger()
    settings = Settings(
        raw_dir=raw_dir, reference_dir=reference_dir, db=db, export_dir=export_dir,
        as_of=as_of or date.today(), programs_file=programs_file,
    )  # fmt: skip
    if not settings.raw_dir.is_dir():
        raise PipelineError(f"raw dir {settings.raw_dir} does not exist")
    run_id = datetime.now().strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    started = datetime.now()
    rules = parse_rules(settings.programs_path.read_text(encoding="utf-8"), str(settings.programs_path))

    # ingest
    known, old_rows, registry, old_conflicts = _read_state(settings)
    plan = plan_files(settings.raw_dir, known)
    futures = [ingest_file_task.submit(p, settings.raw_dir, sha, settings) for p, sha in plan.to_ingest]
    ingested = [f.result() for f in futures]
    logger.info("%d new or changed files read, %d unchanged", len(ingested), plan.unchanged)
    file_records = pd.DataFrame([i.record for i in ingested] + plan.records)
    raw_rows = pd.concat([i.rows for i in ingested if not i.rows.empty], ignore_index=True) if any(
        not i.rows.empty for i in ingested
    ) else pd.DataFrame()

    # validate
    canonical, issues = validate_rows(raw_rows, settings.as_of)
    enrolled, reference_notes = reference_task(settings.reference_dir)

    # deduplicate
    old_rows = old_rows.loc[~old_rows["file_name"].isin(plan.replaced)]
    next_order = int(old_rows["order_key"].max()) + 1 if len(old_rows) else 1
    canonical = canonical.sort_values(ROW_KEYS, kind="stable").reset_index(drop=True)
    canonical["order_key"] = range(next_order, next_order + len(canonical))
    canonical["is_new"] = True
    candidates = pd.concat(
        [old_rows.assign(is_new=False), canonical.loc[canonical["status"].isin(["accepted", "review"])]],
        ignore_index=True,
    )[[*ROW_COLUMNS, "is_new"]]
    candidates["tanggal_lahir"] = pd.to_datetime(candidates["tanggal_lahir"])
    linked, persons, registry_added = deduplicate_task(candidates, registry)
    registry_added = registry_added.assign(run_id=run_id)

    known_conflict = linked.set_index(ROW_KEYS).index.isin(old_conflicts.set_index(ROW_KEYS).index)
    new_conflicts = linked.loc[linked["nik_conflict"] & ~known_conflict]
    issues = pd.concat([issues.assign(run_id=run_id), _conflict_issues(new_conflicts, run_id)], ignore_index=True)
    new_linked = linked.loc[linked["is_new"], [*ROW_KEYS, "person_id", "status"]]
    canonical = canonical.drop(columns=["person_id"], errors="ignore").merge(
        new_linked.rename(columns={"status": "linked_status"}), on=ROW_KEYS, how="left"
    )
    canonical["status"] = canonical["linked_status"].fillna(canonical["status"])
    old_linked = linked.loc[~linked["is_new"]]
    before = old_rows.set_index(ROW_KEYS)[["status", "person_id"]]
    after = old_linked.set_index(ROW_KEYS)[["status", "person_id"]]
    changed = after.loc[(after["status"] != before.loc[after.index, "status"]) | (after["person_id"] != before.loc[after.index, "person_id"])]

    # score
    decisions, verified = score_task(persons, enrolled, rules, settings.as_of)

    # publish
    export_records, pending = (pd.DataFrame(), [])
    if not verified.empty:
        export_records, pending = write_bpjs_exports(verified, persons, settings.export_dir, settings.as_of, run_id)
    n_status = canonical["status"].value_counts().to_dict() if len(canonical) else {}
    loaded = file_records.loc[file_records["status"].eq("loaded")] if len(file_records) else file_records
    summary = RunSummary(
        run_id=run_id,
        files_seen=len(file_records) + plan.unchanged,
        files_loaded=len(loaded),
        files_rejected=int(file_records["status"].eq("rejected").sum()) if len(file_records) else 0,
        files_duplicate=len(plan.records),
        files_unchanged=plan.unchanged,
        rows={k: int(v) for k, v in n_status.items()},
        persons=len(persons),
        verified=verified.groupby("program").size().to_dict() if len(verified) else {},
        within_quota=verified.loc[verified["within_quota"]].groupby("program").size().to_dict() if len(verified) else {},
        export_dir=settings.export_dir,
        exports=len(pending),
        notes=reference_notes,
        rejected_files=[
            (r["file_name"], r["reason"]) for r in file_records.to_dict("records") if r["status"] == "rejected"
        ] if len(file_records) else [],
    )
    finished = datetime.now()
    if len(file_records):
        file_records = file_records.assign(run_id=run_id, loaded_at=finished)
    run_record = {
        "run_id": run_id, "started_at": started, "finished_at": finished, "status": "completed",
        "as_of": settings.as_of, "n_files_seen": summary.files_seen,
        "n_files_loaded": summary.files_loaded, "n_files_rejected": summary.files_rejected,
        "n_files_duplicate": summary.files_duplicate, "n_rows": len(canonical),
        "n_accepted": summary.rows.get("accepted", 0), "n_review": summary.rows.get("review", 0),
        "n_rejected": summary.rows.get("rejected", 0), "n_persons": summary.persons,
        "n_verified_kesehatan": summary.verified.get("kesehatan", 0),
        "n_verified_ketenagakerjaan": summary.verified.get("ketenagakerjaan", 0),
        "message": None,
    }  # fmt: skip
    write = RunWrite(
        run=run_record,
        source_files=file_records,
        replaced_files=plan.replaced,
        submission_rows=canonical.assign(run_id=run_id, nik=canonical.get("nik")),
        row_issues=issues,
        registry_added=registry_added,
        persons=persons.assign(run_id=run_id),
        candidate_decisions=decisions.assign(run_id=run_id) if len(decisions) else decisions,
        verified_candidates=verified.assign(run_id=run_id) if len(verified) else verified,
        exports=export_records,
        row_status_updates=changed.reset_index(),
    )
    _commit(settings, write, pending)
    logger.info(summary.text())
    return summary


def _commit(settings: Settings, write: RunWrite, pending: list[PendingFile]) -> None:
    """Write the warehouse in one transaction, then move the exports into place."""
    try:
        with connect(settings.db) as con:
            write_run(con, write)
    except BaseException:
        for file in pending:
            file.discard()
        raise
    for file in pending:
        file.commit()
