"""Kill `tepat run` at many points of a run, run again, and compare with a run never killed.

A workload is generated (demo/generator.py) and split in two deliveries: the first is loaded
by a clean run; the second adds files, a revision and a changed file. The clean reference runs
both deliveries without interruption. Each scenario copies the state after the first delivery,
starts `tepat run` on the second and kills it with SIGKILL, either at a named point
(`TEPAT_FAULT_AT`, flows/runtime/faults.py: between tasks, inside the warehouse transaction, between
the commit and moving the exports into place, ...) or after t seconds; then runs `tepat run`
again and compares the warehouse and the export folder with the clean reference:

- the same source files, submission rows (status, NIK, person id), row issues, persons,
  person registry, decisions, verified lists and match candidates (run ids and times aside);
- no orphan rows (issues without their row, rows of unknown files, verified persons missing);
- right after the kill, every file under its final name is complete: the content of the
  first or of the second delivery, never a partial file;
- DuckDB really out of memory while the run is written (`warehouse-out-of-memory`): once, the
  run writes again on a fresh copy and completes; every time (`warehouse-out-of-memory:*`), the
  run fails (exit 1, one line) and leaves the warehouse folder byte
  for byte as it was: the same file, no WAL, no copy, no spill folder; a run killed before its
  commit leaves the warehouse file itself as it was (its copy is removed by the next run);
- after the recovery run: no temporary file left, every export recorded by the last run on
  disk with the recorded sha256, and the same files with the same content as the clean run
  (`flows.outputs.files.content_digest`: an xlsx's creation-time stamp aside).

Run by hand (the full set; a temporary Prefect API is started once and shared):

    .venv/bin/python tests/faults/harness.py --rows 3000 --points all --times 2,4,6,8,10,12

tests/test_faults.py runs a few kill points on a small workload.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from flows.outputs.files import content_digest  # noqa: E402
from flows.runtime.faults import FAULT_ENV, FAULT_POINTS  # noqa: E402
from flows.runtime.lock import lock_path  # noqa: E402

AS_OF = "2026-11-27"
# Fault points where the run fails instead of being killed: exit status 1, and the CLI's last
# line on stderr says why (Prefect's log of the failed flow comes before it).
FAILING_POINTS = {"warehouse-out-of-memory:*": "memori DuckDB tidak cukup"}
TEPAT = Path(sys.executable).parent / "tepat"
# Columns that differ between two runs of the same input: when and by which run.
VOLATILE = {"run_id", "loaded_at", "decided_at", "started_at", "finished_at"}
TABLES = {
    "source_files": ["file_name"],
    "submission_rows": ["file_name", "sheet", "row_number"],
    "row_issues": ["file_name", "sheet", "row_number", "code", "column_name"],
    "persons": ["person_id"],
    "person_registry": ["person_key"],
    "candidate_decisions": ["program", "person_id"],
    "verified_candidates": ["program", "person_id"],
    "match_candidates": ["person_key_a", "person_key_b"],
}
ORPHANS = {
    "issue without its row": """
        SELECT count(*) FROM row_issues i ANTI JOIN submission_rows s
        USING (file_name, sheet, row_number)""",
    "row of a file not loaded": """
        SELECT count(*) FROM submission_rows s ANTI JOIN
        (SELECT file_name FROM source_files WHERE status = 'loaded') f USING (file_name)""",
    "row linked to a missing person": """
        SELECT count(*) FROM submission_rows s WHERE person_id IS NOT NULL
        AND person_id NOT IN (SELECT person_id FROM persons)""",
    "verified person missing": """
        SELECT count(*) FROM verified_candidates v ANTI JOIN persons p USING (person_id)""",
    "decision for a missing person": """
        SELECT count(*) FROM candidate_decisions d ANTI JOIN persons p USING (person_id)""",
}


@dataclass
class Workload:
    """Two deliveries of regency files and the reference lists, generated once."""

    first: Path  # raw dir of the first delivery
    second: Path  # raw dir of the second delivery (first + more)
    reference: Path


def build_workload(where: Path, rows: int, seed: int = 7) -> Workload:
    """Generated submissions split in two deliveries; the second adds files, keeps the revisions
    ("revisi") for it, and changes one file of the first delivery (a row dropped)."""
    from demo.generator import generate_demo_data

    source, reference = where / "generated", where / "reference"
    generate_demo_data(rows=rows, out_dir=source, seed=seed, reference_dir=reference)
    files = sorted(
        p.relative_to(source) for p in source.rglob("*") if p.is_file() and "_truth" not in p.parts
    )
    later = [f for i, f in enumerate(files) if i % 3 == 2 or "revisi" in f.name.lower()]
    first, second = where / "delivery1", where / "delivery2"
    for name in files:
        for target in (first, second) if name not in later else (second,):
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / name, target / name)
    changed = next(f for f in files if f.suffix == ".csv" and f not in later)
    lines = (second / changed).read_bytes().splitlines(keepends=True)
    (second / changed).write_bytes(b"".join(lines[:-1]))  # the regency sent it again, shorter
    return Workload(first, second, reference)


@dataclass
class Place:
    """Where one scenario keeps its warehouse and exports (absolute paths)."""

    root: Path

    @property
    def db(self) -> Path:
        return self.root / "warehouse" / "tepat.duckdb"

    @property
    def exports(self) -> Path:
        return self.root / "exports"


def tepat_run(
    place: Place,
    raw: Path,
    reference: Path,
    api_url: str | None,
    fault: str | None = None,
    kill_after: float | None = None,
) -> int:
    """`tepat run` in a child process; killed at `fault` (TEPAT_FAULT_AT) or after `kill_after`
    seconds. Returns its exit status (-9 when killed)."""
    env = {k: v for k, v in os.environ.items() if k != FAULT_ENV and not k.startswith("TEPAT_")}
    env.update(PREFECT_LOGGING_LEVEL="ERROR", PREFECT_SERVER_ANALYTICS_ENABLED="false")
    if api_url:
        env["PREFECT_API_URL"] = api_url
    if fault:
        env[FAULT_ENV] = fault
    command = [
        str(TEPAT), "run", "--raw-dir", str(raw), "--reference-dir", str(reference),
        "--db", str(place.db), "--export-dir", str(place.exports), "--as-of", AS_OF,
    ]  # fmt: skip
    child = subprocess.Popen(
        command, env=env, cwd=place.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        _, stderr = child.communicate(timeout=kill_after if kill_after is not None else 900)
    except subprocess.TimeoutExpired:
        child.send_signal(signal.SIGKILL)
        child.communicate()
        return -9
    said = stderr.decode(errors="replace").strip().splitlines()
    expected = FAILING_POINTS.get(fault or "")
    last = said[-1] if said else ""
    if (
        child.returncode == 1
        and expected
        and last.startswith("tepat run gagal: ")
        and expected in last
    ):
        return 1
    if child.returncode not in (0, -9):
        raise RuntimeError(f"tepat run failed ({child.returncode}): {' | '.join(said[-3:])}")
    return child.returncode


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def warehouse_files(place: Place) -> dict[str, int]:
    """Size of every file in the warehouse's folder (WAL, copies, spill files included), the
    run lock aside (its bytes say who held it)."""
    return {
        p.relative_to(place.db.parent).as_posix(): p.stat().st_size
        for p in sorted(place.db.parent.rglob("*"))
        if p.is_file() and p != lock_path(place.db)
    }


def untouched_warehouse(
    place: Place, files: dict[str, int], tables: dict[str, pd.DataFrame], whole: bool
) -> list[str]:
    """What a run that did not commit changed: the tables, the warehouse file's size (dead
    blocks) or, `whole` (a run that failed and cleaned up), any file in the folder (a WAL, a
    copy, spill files). The bytes may differ: each connection refreshes the schema's views."""
    after = warehouse_files(place)
    if not whole:
        files, after = (
            {place.db.name: files.get(place.db.name)},
            {place.db.name: after.get(place.db.name)},
        )
    found = [
        f"warehouse folder changed by a run that did not commit: {name}"
        for name in sorted(files.keys() | after.keys())
        if files.get(name) != after.get(name)
    ]
    now = snapshot(place).tables
    found.extend(
        f"{t} changed by a run that did not commit" for t in tables if not tables[t].equals(now[t])
    )
    return found


def export_files(place: Place) -> dict[str, str]:
    """What every final export file under the export dir says (`content_digest`: an xlsx's
    creation-time stamp aside), by path; reports aside (they carry their run id and time)."""
    if not place.exports.exists():
        return {}
    return {
        p.relative_to(place.exports).as_posix(): content_digest(p)
        for p in sorted(place.exports.rglob("*"))
        if p.is_file() and not p.name.endswith(".tmp") and "laporan" not in p.parts
    }


@dataclass
class Snapshot:
    """What a warehouse and its export dir hold, comparable across runs."""

    tables: dict[str, pd.DataFrame]
    files: dict[str, str]
    exports: pd.DataFrame
    problems: list[str] = field(default_factory=list)


def snapshot(place: Place) -> Snapshot:
    """The warehouse tables without run ids and times, the export files, and every integrity
    problem found (orphans, temporary files, recorded exports missing or different)."""
    problems = []
    with duckdb.connect(str(place.db), read_only=True) as con:
        tables = {}
        for table, keys in TABLES.items():
            frame = con.execute(f"SELECT * FROM {table}").df()
            frame = frame.drop(columns=[c for c in frame.columns if c in VOLATILE])
            tables[table] = _canonical(frame, keys)
        for what, sql in ORPHANS.items():
            n = con.execute(sql).fetchone()[0]
            if n:
                problems.append(f"{n} {what}")
        exports = con.execute(
            "SELECT e.* FROM exports e JOIN runs r USING (run_id) "
            "QUALIFY row_number() OVER (PARTITION BY path ORDER BY r.finished_at DESC) = 1"
        ).df()
        last = con.execute(
            "SELECT e.path, e.sha256 FROM exports e WHERE run_id = (SELECT e2.run_id FROM "
            "exports e2 JOIN runs r USING (run_id) ORDER BY r.finished_at DESC LIMIT 1)"
        ).fetchall()
    for path, sha in last:
        if not Path(path).exists():
            problems.append(f"export missing: {Path(path).name}")
        elif _sha256(Path(path)) != sha:
            problems.append(f"export differs from its record: {Path(path).name}")
    temps = [p for p in place.exports.rglob("*.tmp")] if place.exports.exists() else []
    problems.extend(f"temporary file left: {p.name}" for p in temps)
    exports["path"] = exports["path"].map(lambda p: Path(p).relative_to(place.exports).as_posix())
    # sha256 is checked against the bytes in place above; which bytes (the creation-time stamp
    # of an xlsx) differs between two runs that write the same content
    exports = _canonical(exports.drop(columns=["run_id", "sha256"]), ["path"])
    return Snapshot(tables, export_files(place), exports, problems)


def _canonical(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Rows in key order, every value as text (so dtypes from different runs compare)."""
    text = frame.astype(object).where(frame.notna(), None).astype(str)
    return text.sort_values([*keys, *[c for c in text.columns if c not in keys]]).reset_index(
        drop=True
    )


def differences(clean: Snapshot, other: Snapshot) -> tuple[list[str], int]:
    """What differs from the clean run, and how many submission rows the other lacks."""
    found = list(other.problems)
    for table, frame in clean.tables.items():
        theirs = other.tables[table]
        if not frame.equals(theirs):
            keys = TABLES[table]
            a = set(map(tuple, frame[keys].to_numpy()))
            b = set(map(tuple, theirs[keys].to_numpy()))
            found.append(
                f"{table}: {len(frame)} vs {len(theirs)} rows, {len(a - b)} missing, "
                f"{len(b - a)} extra, {int((~_row_equal(frame, theirs)).sum())} differ"
            )
    if clean.files != other.files:
        changed = {k for k in clean.files.keys() | other.files.keys()}
        changed = {k for k in changed if clean.files.get(k) != other.files.get(k)}
        found.append(f"export files differ: {sorted(changed)[:5]}")
    if not clean.exports.equals(other.exports):
        found.append("exports table differs")
    keys = TABLES["submission_rows"]
    clean_rows = set(map(tuple, clean.tables["submission_rows"][keys].to_numpy()))
    other_rows = set(map(tuple, other.tables["submission_rows"][keys].to_numpy()))
    return found, len(clean_rows - other_rows)


def _row_equal(a: pd.DataFrame, b: pd.DataFrame) -> pd.Series:
    if a.shape != b.shape or list(a.columns) != list(b.columns):
        return pd.Series(False, index=a.index)
    return (a == b).all(axis=1)


def complete_files_only(place: Place, allowed: dict[str, set[str]]) -> list[str]:
    """Files under their final names right after a kill that are neither the first nor the
    second delivery's bytes: a half-written export."""
    return [
        f"half-written or unknown export: {name}"
        for name, sha in export_files(place).items()
        if sha not in allowed.get(name, set())
    ]


@dataclass
class Outcome:
    """One kill and recovery."""

    scenario: str
    exit_code: int
    survived: bool
    rows_lost: int
    problems: list[str]


@dataclass
class Harness:
    """The workload, the clean reference, and the state after the first delivery to copy."""

    work: Path
    workload: Workload
    api_url: str | None
    base: Place
    clean: Place
    reference: Snapshot
    allowed: dict[str, set[str]]

    @classmethod
    def prepare(cls, work: Path, rows: int, api_url: str | None, seed: int = 7) -> Harness:
        workload = build_workload(work / "input", rows, seed)
        base, clean = Place(work / "base"), Place(work / "clean")
        base.root.mkdir(parents=True)
        tepat_run(base, workload.first, workload.reference, api_url)
        first_files = export_files(base)
        shutil.copytree(base.root, clean.root, symlinks=True)
        _rebase_exports(clean, base)
        tepat_run(clean, workload.second, workload.reference, api_url)
        reference = snapshot(clean)
        if reference.problems:
            raise RuntimeError(f"the clean run itself has problems: {reference.problems}")
        allowed: dict[str, set[str]] = {}
        for files in (first_files, reference.files):
            for name, sha in files.items():
                allowed.setdefault(name, set()).add(sha)
        return cls(work, workload, api_url, base, clean, reference, allowed)

    def kill_and_recover(
        self, fault: str | None = None, after: float | None = None, recover: bool = True
    ) -> Outcome:
        """Copy the first delivery's state, kill a run of the second, run again, compare
        (`recover=False` compares right after the kill: the harness must see the damage)."""
        label = fault or f"after {after:g} s"
        place = Place(self.work / "scenarios" / label.replace(":", "_").replace(" ", "_"))
        if place.root.exists():
            shutil.rmtree(place.root)
        shutil.copytree(self.base.root, place.root, symlinks=True)
        _rebase_exports(place, self.base)
        point = (fault or "").partition(":")[0]
        check = point in FAULT_POINTS and _before_commit(point)
        files, tables = (warehouse_files(place), snapshot(place).tables) if check else ({}, {})
        code = tepat_run(
            place, self.workload.second, self.workload.reference, self.api_url, fault, after
        )
        problems = complete_files_only(place, self.allowed)
        if check and code != 0:  # a run that did not finish (`warehouse-out-of-memory` once does)
            problems.extend(untouched_warehouse(place, files, tables, fault in FAILING_POINTS))
        if recover:
            tepat_run(place, self.workload.second, self.workload.reference, self.api_url)
        found, lost = differences(self.reference, snapshot(place))
        problems.extend(found)
        return Outcome(label, code, not problems and lost == 0, lost, problems)


def _before_commit(point: str) -> bool:
    """True for the fault points a run reaches before its warehouse commit."""
    return FAULT_POINTS.index(point) < FAULT_POINTS.index("warehouse-committed")


def _rebase_exports(place: Place, base: Place) -> None:
    """A copied warehouse records the base's export paths: point them at the copy's."""
    with duckdb.connect(str(place.db)) as con:
        con.execute(
            "UPDATE exports SET path = replace(path, ?, ?)",
            [str(base.exports), str(place.exports)],
        )


def report(outcomes: list[Outcome]) -> str:
    lines = [f"{'kill point':32} {'exit':>5} {'rows lost':>9}  result"]
    for o in outcomes:
        result = "survived" if o.survived else "; ".join(o.problems)[:200]
        lines.append(f"{o.scenario:32} {o.exit_code:>5} {o.rows_lost:>9}  {result}")
    killed = [o for o in outcomes if o.exit_code == -9]
    failed = [o for o in outcomes if o.exit_code == 1]
    lines.append(
        f"{sum(o.survived for o in killed)} of {len(killed)} kill points survived; "
        f"{sum(o.survived for o in failed)} of {len(failed)} failed runs survived; "
        f"rows lost: {sum(o.rows_lost for o in outcomes)}; "
        f"{len(outcomes) - len(killed) - len(failed)} runs completed (a memory fault once, "
        "or the point not reached in time)"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--points", default="all", help="comma list of fault points, all or none")
    parser.add_argument("--times", default="", help="comma list of seconds to kill after")
    parser.add_argument("--work", type=Path, default=Path("/tmp/tepat_fault_harness"))
    args = parser.parse_args()
    points = (
        list(FAULT_POINTS)
        if args.points == "all"
        else [p for p in args.points.split(",") if p and p != "none"]
    )
    if "export-moved" in points:  # after the first, a middle and a late file
        points[points.index("export-moved") : points.index("export-moved") + 1] = [
            "export-moved:1", "export-moved:5", "export-moved:20",
        ]  # fmt: skip
    times = [float(t) for t in args.times.split(",") if t]
    if args.work.exists():
        shutil.rmtree(args.work)
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    started = time.perf_counter()
    with prefect_test_harness(server_startup_timeout=180):
        harness = Harness.prepare(args.work, args.rows, PREFECT_API_URL.value(), args.seed)
        outcomes = [harness.kill_and_recover(fault=p) for p in points]
        outcomes += [harness.kill_and_recover(after=t) for t in times]
    print(report(outcomes))
    print(f"({args.rows} generated rows, {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
