"""Lists for BPJS beyond the full list: the configured column template, and the changes since
the last list sent (tambah: to register, kurang: to deregister, with the reason), kept as one
batch per run and program in `bpjs_batches` / `bpjs_batch_members` (appended, never rewritten).

Layout: `<export_dir>/bpjs/<program>/perubahan/{tambah,kurang}_<program>_<as-of>_<batch>.xlsx`
(and `.csv`), one file each per program and run, a regency column in each row.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from flows.outputs.bpjs_files import ExportStaging, Table, write_csv, write_xlsx
from flows.outputs.files import BPJS_DIR, CHANGES_DIR
from flows.warehouse.store import connect, read_frame
from schemas.bpjs import REASON_MESSAGES as BPJS_REASONS
from schemas.programs import REASON_MESSAGES, ProgramRules
from schemas.reference import REGENCIES
from transforms.bpjs.changes import KURANG_MESSAGES, active_members, list_changes
from transforms.bpjs.results import blocked_persons, bpjs_status, tie_to_persons
from transforms.publish.exports import export_rows, list_columns

VERIFIED_COLUMNS = ["program", "person_id", "nik", "regency_code", "score", "rank", "within_quota"]
KURANG_COLUMNS = [
    ("nik", "NIK"), ("nama", "Nama"), ("regency_code", "Kode Wilayah"),
    ("kabupaten_kota", "Kabupaten/Kota"), ("reason_code", "Kode Alasan"), ("alasan", "Alasan"),
]  # fmt: skip


@dataclass
class BpjsPlan:
    """What this run sends BPJS and what it records about BPJS's answers."""

    results: pd.DataFrame  # every results row, tied to persons
    blocked: pd.DataFrame  # (program, person_id) not to send again
    to_send: pd.DataFrame  # verified within quota and not blocked
    tambah: pd.DataFrame
    kurang: pd.DataFrame
    verified: pd.DataFrame = field(default_factory=pd.DataFrame)  # with bpjs_status

    def staged(self) -> BpjsPlan:
        """The plan once its files are staged: results and holds only (what to send, add and
        remove is in the staged files and the batch; ~0.5 GB at 4M rows)."""
        return replace(
            self, to_send=self.to_send.iloc[0:0], tambah=self.tambah.iloc[0:0],
            kurang=self.kurang.iloc[0:0], verified=self.verified.iloc[0:0],
        )  # fmt: skip


@dataclass
class StoredBpjs:
    """What earlier runs recorded: BPJS files seen, results rows, batches and their members."""

    files: pd.DataFrame
    results: pd.DataFrame
    members: pd.DataFrame
    batches: dict[str, int]  # batches sent so far per program


def stored_bpjs(db: Path) -> StoredBpjs:
    """BPJS files seen, results rows, batch members and batch counts from earlier runs."""
    with connect(db) as con:
        counts = read_frame(con, "SELECT program, count(*) AS n FROM bpjs_batches GROUP BY ALL")
        return StoredBpjs(
            files=read_frame(con, "SELECT file_name, sha256, status FROM bpjs_files"),
            results=read_frame(con, "SELECT * FROM bpjs_results"),
            members=read_frame(
                con,
                "SELECT run_id, program, regency_code, person_id, nik, action "
                "FROM bpjs_batch_members",
            ),
            batches=dict(zip(counts["program"], counts["n"].astype(int), strict=True)),
        )


def plan_bpjs(
    results: pd.DataFrame,
    members: pd.DataFrame,
    persons: pd.DataFrame,
    decisions: pd.DataFrame,
    verified: pd.DataFrame,
    scope: np.ndarray | None = None,
) -> BpjsPlan:
    """Tie results to persons, hold back who BPJS rejected, and work out tambah and kurang.

    `scope`: in a run that changed only some persons (BPJS's files as in the last run), the
    persons on the lists ranked again; tambah and kurang are worked out for them alone. After
    every completed run the persons active at BPJS are those its lists sent, so the others
    have nothing to add or remove."""
    tied = tie_to_persons(results, persons) if len(results) else results
    blocked = (
        blocked_persons(tied, persons)
        if len(tied)
        else pd.DataFrame({"program": [], "person_id": []})
    )
    chosen = verified.loc[verified["within_quota"].astype(bool)] if len(verified) else verified
    keys = ["program", "person_id"]
    if len(blocked) and len(chosen):
        hit = pd.MultiIndex.from_frame(chosen[keys].astype({"person_id": "Int64"})).isin(
            pd.MultiIndex.from_frame(blocked[keys].astype({"person_id": "Int64"}))
        )
        chosen = chosen.loc[~hit]
    to_send = (
        chosen[[*keys, "regency_code", "nik"]]
        if len(chosen)
        else pd.DataFrame(columns=[*keys, "regency_code", "nik"])
    )
    answered, sending = tied, to_send
    if scope is not None:  # what was sent, answered and is to be sent, of them alone
        members = members.loc[members["person_id"].isin(scope).to_numpy(dtype=bool)]
        if len(tied):
            answered = tied.loc[tied["person_id"].isin(scope).to_numpy(dtype=bool)]
        sending = to_send.loc[to_send["person_id"].isin(scope).to_numpy(dtype=bool)]
    active = active_members(members, answered)
    tambah, kurang = list_changes(sending, active, decisions, verified)
    if len(verified):
        verified = verified.assign(bpjs_status=bpjs_status(verified, tied, blocked, to_send))
    return BpjsPlan(tied, blocked, to_send, tambah, kurang, verified)


def write_changes(
    plan: BpjsPlan,
    verified: pd.DataFrame,
    persons: pd.DataFrame,
    export_dir: Path,
    as_of: date,
    run_id: str,
    rules: ProgramRules,
    n_full: dict[str, int],
    staging: ExportStaging,
    earlier_batches: dict[str, int] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per program: the tambah and kurang files (staged, written with the other BPJS files),
    the run's batch and its members. Files are named by the as-of date and the batch number
    (not the run id), so a run killed before its commit and run again writes the same files."""
    batches, members = [], []
    now = datetime.now()
    if verified.empty:  # no verified list this run (e.g. nothing accepted yet)
        verified = pd.DataFrame(columns=VERIFIED_COLUMNS).astype({"within_quota": bool})
    programs = sorted(
        set(verified["program"].dropna().unique()) | set(plan.kurang["program"].dropna().unique())
    )
    for program in programs:
        settings = rules.programs.get(program)
        layout = settings.layout(program) if settings else "identity"
        folder = export_dir / BPJS_DIR / program / CHANGES_DIR
        folder.mkdir(parents=True, exist_ok=True)
        number = (earlier_batches or {}).get(program, 0) + 1
        stem = f"{program}_{as_of.isoformat()}_{number:04d}"
        add = plan.tambah.loc[plan.tambah["program"].eq(program)]
        chosen = verified.loc[
            verified["program"].eq(program) & verified["person_id"].isin(add["person_id"])
        ]
        rows = export_rows(chosen, persons, program, layout)
        rows, columns = list_columns(settings, layout, rows, persons)
        drop = plan.kurang.loc[plan.kurang["program"].eq(program)].copy()
        # the persons removed only (not the province's, indexed for a few names)
        dropped = persons.loc[persons["person_id"].isin(drop["person_id"]).to_numpy(dtype=bool)]
        names = dropped.set_index("person_id")["nama"] if len(persons) else pd.Series(dtype=str)
        drop["nama"] = drop["person_id"].map(names)
        if len(persons):  # a person known only from a BPJS result: their regency now
            where = dropped.set_index("person_id")["regency_code"]
            drop["regency_code"] = drop["regency_code"].fillna(drop["person_id"].map(where))
        drop["kabupaten_kota"] = drop["regency_code"].map(
            {c: r.full_name for c, r in REGENCIES.items()}
        )
        drop["alasan"] = (
            drop["reason_code"]
            .map({**REASON_MESSAGES, **BPJS_REASONS, **KURANG_MESSAGES})
            .fillna(drop["reason_code"])
        )
        files = []
        for kind, table in (("tambah", Table("Tambah", columns, rows)),
                            ("kurang", Table("Kurang", KURANG_COLUMNS, drop))):  # fmt: skip
            final = folder / f"{kind}_{stem}.xlsx"
            key = (program, None, f"bpjs_{kind}", len(table.frame))
            staging.stage(final, key, write_xlsx, [table], as_of)
            staging.stage(final.with_suffix(".csv"), key, write_csv, table)
            files.extend(path.as_posix() for path in (final, final.with_suffix(".csv")))
        batches.append({"run_id": run_id, "program": program, "created_at": now,
                        "n_full": n_full.get(program, 0), "n_tambah": len(add),
                        "n_kurang": len(drop), "files": "\n".join(files)})  # fmt: skip
        members.append(add.assign(run_id=run_id, action="tambah", reason_code=pd.NA))
        members.append(drop[["program", "person_id", "regency_code", "nik", "reason_code"]]
                       .assign(run_id=run_id, action="kurang"))  # fmt: skip
    member_frame = pd.concat(members, ignore_index=True) if members else pd.DataFrame()
    return pd.DataFrame(batches), member_frame
