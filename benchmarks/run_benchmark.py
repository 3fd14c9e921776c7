"""Provincial-scale benchmark: `tepat run` against the I/O floor and a plain script (run by hand).

    /work/venv/bin/python benchmarks/run_benchmark.py [--sizes 100000,1000000,4000000]
        [--repeat 3] [--seed 1] [--cache /tmp/tepat-bench] [--plain-size 100000]
        [--new-file-rows 20000] [--out results.md]

For each size N (data rows over 20 xlsx files, 10 regencies x 2 programs, made once by
`demo.generator.generate_demo_data` and kept under `--cache`, keyed by N and seed):

- `tepat run` as a subprocess on an empty warehouse, then again with nothing new, then with one
  new regency file of `--new-file-rows` rows whose persons are all new to the warehouse, then
  with one more whose NIKs include other persons' (`one_new_file`). Stage times
  come from the run's own progress lines (`[k/7] ...`, one per stage when not on a terminal),
  so they are the real flow's; Prefect's start-up is the process time outside the flow. Peak
  memory is the largest summed RSS of the run's process tree (the flow, its reading and
  writing processes and Prefect's temporary server), sampled every 0.1 s. The commit's copy of
  the warehouse (flows/warehouse/commit.py) is timed on its own after the runs.
- The I/O floor, in the same sitting: python-calamine alone reading the same files
  (`to_python` of every sheet), plus xlsxwriter alone (constant_memory, one call per cell,
  no formats) writing the cells of every xlsx the run exported (BPJS lists and the regency
  feedback workbooks, read back untimed). Measured on 1 process and on every core (files
  split evenly; the clock runs from a common start to the last process's end).
- A plain baseline on `--plain-size` rows: the same steps written the way a first script
  would (pandas `read_excel` with openpyxl, row-by-row checks over `iterrows` for a faithful
  subset of the rules, a dict for duplicates, openpyxl writes of the lists and feedback).

Each measurement is repeated (`--repeat`, medians reported; `--repeat 3,1` = per size); a
repeat runs all of them in turn, so that on a shared machine they see about the same load.
Prints one Markdown table (stage, seconds, CPU, rows/s, ratio to the floor), the targets of
issue #8 and the machine; `--out` also writes them to a file. Nothing here runs in CI.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

AS_OF = "2026-11-27"  # the generator's default as-of date: ages in the workload are realistic
GB = 1024**3
STAGE_NAMES = {
    "Memeriksa berkas dan masukan lain": "check files and inputs",
    "Membaca berkas baru": "read",
    "Validasi baris": "validate (+ reference lists)",
    "Deduplikasi orang": "deduplicate",
    "Keputusan dan peringkat": "score",
    "Menulis gudang data dan ekspor": "publish (warehouse + exports)",
    "Laporan": "report",
}
LOG_LINE = re.compile(r"^(\d\d):(\d\d):(\d\d)\.(\d{3}) \| \w+\s*\| (.*)$")
STAGE_LINE = re.compile(r"^Flow run '[^']*' - \[(\d+)/(\d+)\] (.*)$")
PACKAGES = [
    "pandas", "pyarrow", "numpy", "duckdb", "prefect", "pandera", "python-calamine",
    "xlsxwriter", "openpyxl", "rapidfuzz",
]  # fmt: skip


def log(message: str) -> None:
    """Progress on stderr, so stdout holds only the results."""
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------- workload


def workload(cache: Path, rows: int, seed: int, nik_serial_offset: int = 0) -> Path:
    """The generated xlsx workload of `rows` rows (raw/ and reference/), made once per size and
    seed (and NIK serial offset: `generate_demo_data`)."""
    offset = f"-nik{nik_serial_offset}" if nik_serial_offset else ""
    folder = cache / f"workload-{rows}-seed{seed}{offset}"
    if (folder / ".complete").exists():
        return folder
    from demo.generator import generate_demo_data

    shutil.rmtree(folder, ignore_errors=True)
    log(f"generating {rows:,} rows under {folder} (once; kept for later runs) ...")
    generate_demo_data(
        rows=rows, out_dir=folder / "raw", seed=seed, reference_dir=folder / "reference",
        formats="xlsx", revised_files=0, nik_serial_offset=nik_serial_offset,
    )  # fmt: skip
    (folder / ".complete").write_text(
        f"{rows} rows, seed {seed}, NIK serials after {nik_serial_offset}\n"
    )
    return folder


def submissions(raw_dir: Path) -> list[Path]:
    """The xlsx files the run reads (the generator's ground truth under `_truth/` is not one)."""
    from flows.sources.read import list_submissions

    return [p for p in list_submissions(raw_dir) if p.suffix.lower() == ".xlsx"]


def warm_page_cache(paths: list[Path]) -> None:
    """Read every file once so that every measurement starts from the same warm cache."""
    for path in paths:
        path.read_bytes()


# ------------------------------------------------------------------------ the tepat run itself


@dataclass
class RunMeasure:
    """One `tepat run` subprocess."""

    wall: float
    cpu: float  # user + system seconds of the whole process tree
    peak_rss: int | None  # bytes, summed over the process tree, sampled
    max_rss: int  # bytes, the largest single process (from wait4)
    flow: float | None  # seconds from "Beginning flow run" to the flow's final state
    stages: dict[str, float] = field(default_factory=dict)
    rows: int = 0
    recomputed: bool | None = None


def _tree_rss(root: int) -> int | None:
    """Summed RSS (bytes) of a process and all its descendants, from /proc (Linux only)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    children: dict[int, list[int]] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0, [root]
    page = os.sysconf("SC_PAGE_SIZE")
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            total += int((proc / str(pid) / "statm").read_text().split()[1]) * page
        except (OSError, IndexError, ValueError):
            continue
    return total


class RssSampler(threading.Thread):
    """Samples the summed RSS of a process tree until stopped; keeps the peak."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak: int | None = None
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            rss = _tree_rss(self.pid)
            if rss is not None:
                self.peak = max(self.peak or 0, rss)
            self.stopped.wait(self.interval)


def tepat_command() -> list[str]:
    """The `tepat` console script beside this interpreter, else the CLI module."""
    script = Path(sys.executable).with_name("tepat")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from flows.cli import app; app()"]


def _seconds_of_day(match: re.Match[str]) -> float:
    h, m, s, ms = (int(match.group(i)) for i in range(1, 5))
    return h * 3600 + m * 60 + s + ms / 1000


def parse_run_log(text: str) -> tuple[float | None, dict[str, float]]:
    """Flow seconds and per-stage seconds from the run's log lines (no terminal: plain lines)."""
    marks: list[tuple[str, float]] = []
    start = end = None
    last = None
    for line in text.splitlines():
        match = LOG_LINE.match(line)
        if not match:
            continue
        t = _seconds_of_day(match)
        if last is not None and t < last - 43200:  # the run passed midnight
            t += 86400
        last = t
        message = match.group(5)
        stage = STAGE_LINE.match(message)
        if " - Beginning flow run" in message and start is None:
            start = t
        elif stage:
            marks.append((STAGE_NAMES.get(stage.group(3), stage.group(3)), t))
        elif message.startswith("Flow run") and "Finished in state" in message:
            end = t
    stages = {}
    for (name, t), (_, following) in zip(marks, [*marks[1:], ("end", end)], strict=True):
        if following is not None:
            stages[name] = stages.get(name, 0.0) + following - t
    flow = end - start if start is not None and end is not None else None
    return flow, stages


def run_tepat(folder: Path, run_dir: Path, env: dict[str, str], label: str) -> RunMeasure:
    """`tepat run` on the workload into `run_dir` (warehouse and exports), measured from outside."""
    run_dir.mkdir(parents=True, exist_ok=True)
    command = [
        *tepat_command(), "run", "--raw-dir", str(folder / "raw"),
        "--reference-dir", str(folder / "reference"), "--db", str(run_dir / "tepat.duckdb"),
        "--export-dir", str(run_dir / "exports"), "--as-of", AS_OF,
    ]  # fmt: skip
    stdout, stderr = run_dir / f"{label}.out", run_dir / f"{label}.log"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        start = time.perf_counter()
        process = subprocess.Popen(
            command, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env
        )
        sampler = RssSampler(process.pid)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        sampler.stopped.set()
        sampler.join()
        process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        tail = stderr.read_text(errors="replace").splitlines()[-15:]
        raise SystemExit(
            f"tepat run failed ({process.returncode}), see {stderr}:\n" + "\n".join(tail)
        )
    flow, stages = parse_run_log(stderr.read_text(errors="replace"))
    measure = RunMeasure(
        wall=wall, cpu=usage.ru_utime + usage.ru_stime, peak_rss=sampler.peak,
        max_rss=usage.ru_maxrss * 1024, flow=flow, stages=stages,
    )  # fmt: skip
    import duckdb

    with duckdb.connect(str(run_dir / "tepat.duckdb"), read_only=True) as con:
        measure.rows = con.execute("SELECT count(*) FROM submission_rows").fetchone()[0]
        columns = {r[0] for r in con.execute("DESCRIBE runs").fetchall()}
        if "recomputed" in columns:
            latest = con.execute("SELECT recomputed FROM runs ORDER BY started_at DESC LIMIT 1")
            measure.recomputed = latest.fetchone()[0]
    return measure


def prefect_env(cache: Path) -> dict[str, str]:
    """The runs' environment: a Prefect home of their own (its database warmed once), no telemetry."""
    env = dict(os.environ)
    env.setdefault("PREFECT_HOME", str(cache / "prefect-home"))
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    env.setdefault("DO_NOT_TRACK", "1")
    return env


# ------------------------------------------------------------- floors and the plain baseline


def split_evenly(paths: list[Path], parts: int) -> list[list[Path]]:
    """Files into `parts` bins of about equal bytes (largest first into the lightest bin)."""
    bins: list[list[Path]] = [[] for _ in range(max(1, parts))]
    loads = [0] * len(bins)
    for path in sorted(paths, key=lambda p: -p.stat().st_size):
        lightest = loads.index(min(loads))
        bins[lightest].append(path)
        loads[lightest] += path.stat().st_size
    return [b for b in bins if b]


def prepare_nothing(paths: list[Path]) -> list[Path]:
    return paths


def calamine_read(paths: list[Path], scratch: Path) -> dict[str, float]:
    """The read floor: python-calamine alone, every sheet of every file to Python values."""
    from python_calamine import CalamineWorkbook

    for path in paths:
        workbook = CalamineWorkbook.from_path(str(path))
        try:
            for name in workbook.sheet_names:
                workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
        finally:
            workbook.close()
    return {}


def load_cells(paths: list[Path]) -> list[tuple[str, list[tuple[str, list[list[object]]]]]]:
    """The cells of exported workbooks (untimed preparation of the write floor)."""
    from python_calamine import CalamineWorkbook

    books = []
    for path in paths:
        workbook = CalamineWorkbook.from_path(str(path))
        sheets = [
            (name, workbook.get_sheet_by_name(name).to_python(skip_empty_area=False))
            for name in workbook.sheet_names
        ]
        workbook.close()
        books.append((path.name, sheets))
    return books


def xlsxwriter_write(books, scratch: Path) -> dict[str, float]:
    """The write floor: xlsxwriter alone (constant_memory), one typed call per non-empty cell."""
    import xlsxwriter

    for i, (_, sheets) in enumerate(books):
        path = scratch / f"floor_{os.getpid()}_{i}.xlsx"
        workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        for name, rows in sheets:
            ws = workbook.add_worksheet(name)
            write_string, write_number, write = ws.write_string, ws.write_number, ws.write
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    if value == "" or value is None:
                        continue
                    if isinstance(value, str):
                        write_string(r, c, value)
                    elif isinstance(value, float | int):
                        write_number(r, c, value)
                    else:
                        write(r, c, value)
        workbook.close()
        path.unlink()
    return {}


def plain_baseline(paths: list[Path], scratch: Path) -> dict[str, float]:
    """The plain way, timed per step; see `benchmarks/plain_script.py`."""
    from benchmarks.plain_script import run_plain

    return run_plain(paths, scratch)


TASKS = {
    "read": (prepare_nothing, calamine_read),
    "write": (load_cells, xlsxwriter_write),
    "plain": (prepare_nothing, plain_baseline),
}


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Timing:
    """One repeat of a measurement: wall seconds, CPU seconds (all processes), seconds per step."""

    wall: float
    cpu: float
    parts: dict[str, float] = field(default_factory=dict)


def _worker(kind: str, paths: list[Path], scratch: Path, repeat: int, barrier, queue) -> None:
    """One measuring process: prepare (untimed), then per repeat wait for the others and time."""
    try:
        prepare, work = TASKS[kind]
        prepared = prepare(paths)
        for _ in range(repeat):
            barrier.wait()
            start, cpu = time.perf_counter(), _cpu_seconds()
            parts = work(prepared, scratch)
            queue.put((start, time.perf_counter(), _cpu_seconds() - cpu, parts))
    except BaseException as error:  # noqa: BLE001 - reported to the parent, which stops
        barrier.abort()
        queue.put(error)


def timed_in_processes(
    kind: str, bins: list[list[Path]], scratch: Path, repeat: int
) -> list[Timing]:
    """Per repeat: seconds from the common start to the last process's end, CPU, step times."""
    context = multiprocessing.get_context("spawn")
    barrier, queue = context.Barrier(len(bins)), context.Queue()
    scratch.mkdir(parents=True, exist_ok=True)
    workers = [
        context.Process(target=_worker, args=(kind, b, scratch, repeat, barrier, queue))
        for b in bins
    ]
    for worker in workers:
        worker.start()
    results = [queue.get() for _ in range(len(bins) * repeat)]
    for worker in workers:
        worker.join()
    errors = [r for r in results if isinstance(r, BaseException)]
    if errors:
        raise SystemExit(f"{kind} measurement failed: {errors[0]!r}")
    # results arrive repeat by repeat (the barrier keeps the processes in step)
    rounds = [results[i * len(bins) : (i + 1) * len(bins)] for i in range(repeat)]
    return [
        Timing(
            wall=max(end for _, end, _, _ in r) - min(start for start, _, _, _ in r),
            cpu=sum(cpu for _, _, cpu, _ in r),
            parts=r[0][3],
        )
        for r in rounds
    ]


# ------------------------------------------------------------------------------------ report


@dataclass
class SizeResult:
    size: int
    rows: int = 0
    first: list[RunMeasure] = field(default_factory=list)
    second: list[RunMeasure] = field(default_factory=list)
    floors: dict[str, list[Timing]] = field(default_factory=dict)  # "read 1", "write n", ...
    plain: list[Timing] = field(default_factory=list)
    load: tuple[float, float] = (0.0, 0.0)  # 1-minute load average before and after
    new_file: list[RunMeasure] = field(default_factory=list)  # one new file with NIK conflicts
    new_file_rows: int = 0
    # one new file whose persons are all new to the warehouse (run before `new_file`)
    new_persons_file: list[RunMeasure] = field(default_factory=list)
    new_persons_file_rows: int = 0
    copies: list[tuple[int, float]] = field(default_factory=list)  # warehouse bytes, copy seconds

    def floor(self, what: str, procs: str, cpu: bool = False) -> float | None:
        """Median wall (or CPU) seconds of the read or write floor, or of both ("total")."""
        if what == "total":
            read, write = self.floor("read", procs, cpu), self.floor("write", procs, cpu)
            return read + write if read is not None and write is not None else None
        return median([t.cpu if cpu else t.wall for t in self.floors.get(f"{what} {procs}", [])])

    def whole(self, cpu: bool = False) -> float | None:
        return median([m.cpu if cpu else m.wall for m in self.first])

    def flow(self) -> float | None:
        return median([m.flow for m in self.first])

    def plain_total(self, cpu: bool = False) -> float | None:
        return median([t.cpu if cpu else t.wall for t in self.plain])


def median(values: list[float | None]) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt_seconds(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.1f}" if value >= 10 else f"{value:,.2f}"


def table(results: list[SizeResult], cores: int) -> list[str]:
    """One Markdown table: stage, seconds (median), CPU, rows/s, ratio to the floor."""
    lines = [
        f"| rows | stage | seconds | CPU s | rows/s | × floor (1 proc) | × floor ({cores} proc) |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        floor1, floorn = result.floor("total", "1"), result.floor("total", "n")

        def row(stage, seconds, cpu=None, result=result, floor1=floor1, floorn=floorn):
            if seconds is None:
                return
            rate = f"{result.rows / seconds:,.0f}" if seconds > 0 else ""
            ratio1 = f"{seconds / floor1:.2f}" if floor1 else ""
            ration = f"{seconds / floorn:.2f}" if floorn else ""
            lines.append(
                f"| {result.rows:,} | {stage} | {fmt_seconds(seconds)} | {fmt_seconds(cpu)} "
                f"| {rate} | {ratio1} | {ration} |"
            )

        for procs, label in (("1", "1 process"), ("n", f"{cores} processes")):
            for what, name in (("read", "calamine read"), ("write", "xlsxwriter write")):
                row(
                    f"floor: {name}, {label}",
                    result.floor(what, procs),
                    result.floor(what, procs, cpu=True),
                )
            row(
                f"**floor: read + write, {label}**",
                result.floor("total", procs),
                result.floor("total", procs, cpu=True),
            )
        if result.first:
            names = list(dict.fromkeys(n for m in result.first for n in m.stages))
            for name in names:
                row(f"tepat run: {name}", median([m.stages.get(name) for m in result.first]))
            row("tepat run: flow", result.flow())
            row(
                "tepat run: Prefect start-up and exit",
                median([m.wall - m.flow for m in result.first if m.flow is not None]),
            )
            row("**tepat run, whole (empty warehouse)**", result.whole(), result.whole(cpu=True))
        if result.second:
            row("second run, nothing new: flow", median([m.flow for m in result.second]))
            row(
                "second run, nothing new: whole",
                median([m.wall for m in result.second]),
                median([m.cpu for m in result.second]),
            )
        for runs, n_rows, what in new_file_runs(result):
            label = f"one new file ({n_rows:,} rows, {what})"
            for name in dict.fromkeys(n for m in runs for n in m.stages):
                row(f"{label}: {name}", median([m.stages.get(name) for m in runs]))
            row(f"**{label}: flow**", median([m.flow for m in runs]))
        if result.plain:
            for step in result.plain[0].parts:
                row(f"plain script: {step}", median([t.parts[step] for t in result.plain]))
            row("**plain script, whole**", result.plain_total(), result.plain_total(cpu=True))
    return lines


def new_file_runs(result: SizeResult) -> list[tuple[list[RunMeasure], int, str]]:
    """The new-file runs measured: (runs, the file's rows, what kind of file)."""
    kinds = [
        (result.new_persons_file, result.new_persons_file_rows, "persons all new"),
        (result.new_file, result.new_file_rows, "with NIK conflicts"),
    ]
    return [kind for kind in kinds if kind[0]]


def memory_lines(results: list[SizeResult]) -> list[str]:
    lines = []
    for result in results:
        if not result.first:
            continue
        peak = max((m.peak_rss or 0) for m in result.first)
        single = max(m.max_rss for m in result.first)
        lines.append(
            f"- {result.rows:,} rows: peak RSS of `tepat run` {peak / GB:.2f} GB (process tree, "
            f"summed; largest single process {single / GB:.2f} GB); 1-minute load average "
            f"{result.load[0]:.1f} before, {result.load[1]:.1f} after"
        )
        for runs, _, what in new_file_runs(result):
            added = max((m.peak_rss or 0) for m in runs)
            lines.append(f"  - one new file ({what}) into it: peak RSS {added / GB:.2f} GB")
        if result.copies:
            size, seconds = result.copies[-1]
            lines.append(
                f"  - the commit's copy of the warehouse ({size / GB:.2f} GB): "
                f"{median([c[1] for c in result.copies]):.1f} s (copy and fsync)"
            )
    return lines


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**not met**"


def target_lines(results: list[SizeResult]) -> list[str]:
    """The targets of issue #8, each with its measured value (wall clock, and CPU where it helps)."""
    measured = [r for r in results if r.first]
    if not measured:
        return []
    big, small = measured[-1], measured[0]
    whole, flow = big.whole(), big.flow()
    lines = []
    for procs, label in (("1", "on 1 process"), ("n", "on every core")):
        floor = big.floor("total", procs)
        if floor:
            lines.append(
                f"- whole run on {big.rows:,} rows at most 1.5x the I/O floor ({label}): "
                f"{whole / floor:.2f}x (flow alone {flow / floor:.2f}x), {verdict(whole / floor <= 1.5)}"
            )
    floor_cpu = big.floor("total", "1", cpu=True)
    if floor_cpu:
        lines.append(
            f"  - in CPU seconds (less sensitive to a busy machine): whole run "
            f"{big.whole(cpu=True) / floor_cpu:.2f}x the floor's CPU"
        )
    plain = next((r for r in results if r.plain), None)
    if plain is not None:
        speedup = (big.rows / whole) / (plain.rows / plain.plain_total())
        cpu_speedup = (big.rows / big.whole(cpu=True)) / (plain.rows / plain.plain_total(cpu=True))
        lines.append(
            f"- at least 5x faster than the plain script per row ({big.rows:,}-row run vs the plain "
            f"script on {plain.rows:,}): {speedup:.1f}x ({cpu_speedup:.1f}x in CPU seconds), "
            f"{verdict(speedup >= 5)}"
        )
    if big is not small:
        size_ratio = big.rows / small.rows
        for label, a, b in (("flow", flow, small.flow()), ("whole run", whole, small.whole())):
            if a and b:
                lines.append(
                    f"- {size_ratio:.0f}x the rows in at most {1.1 * size_ratio:.0f}x the time "
                    f"({label}): {a / b:.1f}x, {verdict(a / b <= 1.1 * size_ratio)}"
                )
    peak = max((m.peak_rss or 0) for m in big.first)
    lines.append(
        f"- peak RSS on {big.rows:,} rows at most 4 GB: {peak / GB:.2f} GB, {verdict(peak <= 4 * GB)}"
    )
    for result in measured:
        if result.second:
            second = median([m.flow for m in result.second])
            startup = median([m.wall - m.flow for m in result.second if m.flow is not None])
            redone = any(m.recomputed for m in result.second)
            lines.append(
                f"- nothing new on {result.rows:,} rows under 5 s plus Prefect's start-up: flow "
                f"{fmt_seconds(second)} s (+ {fmt_seconds(startup)} s start-up and exit), "
                f"{verdict(second is not None and second < 5)}"
                + (" (but it recomputed!)" if redone else "")
            )
    return lines


def province_lines(results: list[SizeResult]) -> list[str]:
    """The aims of issue 19 (the whole province in one run), each with its measured value."""
    measured = {r.size: r for r in results if r.first}
    lines = []
    one, four = measured.get(1_000_000), measured.get(4_000_000)
    if one and four and one.whole() and four.whole():
        ratio, flow_ratio = four.whole() / one.whole(), four.flow() / one.flow()
        lines.append(
            f"- 4M rows in at most 4.4x the time of 1M: {ratio:.2f}x whole run "
            f"({flow_ratio:.2f}x flow), {verdict(ratio <= 4.4)}"
        )
    for size, limit in ((4_000_000, 8), (1_000_000, 3)):
        if size in measured:
            peak = max((m.peak_rss or 0) for m in measured[size].first)
            lines.append(
                f"- peak RSS at {size:,} rows at most {limit} GB: {peak / GB:.2f} GB, "
                f"{verdict(peak <= limit * GB)}"
            )
    for result in measured.values():
        for runs, n_rows, what in new_file_runs(result):
            flow = median([m.flow for m in runs])
            lines.append(
                f"- one new file of {n_rows:,} rows ({what}) into {result.rows:,} rows: at most "
                f"60 s of flow: {fmt_seconds(flow)} s, {verdict(flow is not None and flow <= 60)}"
            )
        if result.second:
            flow = median([m.flow for m in result.second])
            lines.append(
                f"- nothing new at {result.rows:,} rows: at most 5 s of flow: {fmt_seconds(flow)} s, "
                f"{verdict(flow is not None and flow <= 5)}"
            )
    return lines


def machine_lines(cores: int) -> list[str]:
    """CPU, cores, memory, OS, Python and the packages that matter."""
    cpu = platform.processor() or platform.machine()
    memory = ""
    cpuinfo, meminfo = Path("/proc/cpuinfo"), Path("/proc/meminfo")
    if cpuinfo.exists():
        names = [
            line.split(":", 1)[1].strip()
            for line in cpuinfo.read_text().splitlines()
            if line.startswith("model name")
        ]
        cpu = names[0] if names else cpu
    if meminfo.exists():
        total = int(meminfo.read_text().split("MemTotal:")[1].split()[0]) * 1024
        memory = f", {total / GB:.0f} GB RAM"
    versions = []
    for package in PACKAGES:
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            continue
    return [
        f"- {cpu}, {os.cpu_count()} logical cores ({cores} usable){memory}; "
        f"{platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}; " + ", ".join(versions),
    ]


# -------------------------------------------------------------------------------------- main


# NIK serials of the population the new persons' file comes from: after every serial of the
# workloads (below 1000), so that its persons share no NIK with a person the warehouse holds,
# and beyond what one mistyped or two swapped digits make of a workload's serial (5001-5300 is
# not: a typo of 0007 in its thousands digit is 5007, the NIK of a person new to the warehouse).
NEW_PERSONS_SERIAL_OFFSET = 5500


@contextmanager
def one_new_file(
    cache: Path, folder: Path, rows: int, seed: int, new_persons: bool = False
) -> Iterator[Path]:
    """One regency file of about `rows` rows the warehouse has not seen, in the workload's raw
    dir for the block: of a workload of 20 x `rows` rows made with another seed, the xlsx whose
    size is nearest `rows` rows' worth, named as that regency's next delivery.

    That population is made independently of the warehouse's, so some of its NIKs are NIKs of
    other persons there (NIK conflicts: both claimants held for review, their regencies' ranks
    change): "tahap 2". With `new_persons`, its NIK serials lie after the workload's, so every
    person in it is new to the warehouse (a regency's next batch of candidates): "tahap 3"."""
    offset = NEW_PERSONS_SERIAL_OFFSET if new_persons else 0
    donor_dir = workload(cache, 20 * rows, seed + 1000, offset)
    files = submissions(donor_dir / "raw")
    per_row = sum(p.stat().st_size for p in files) / (20 * rows)
    donor = min(files, key=lambda p: abs(p.stat().st_size - rows * per_row))
    delivery = "tahap 3" if new_persons else "tahap 2"
    target = folder / "raw" / donor.parent.name / f"{donor.stem} {delivery}{donor.suffix}"
    target.parent.mkdir(parents=True, exist_ok=True)
    marker = folder / NEW_FILE_MARKER
    with marker.open("a") as placed:
        placed.write(f"{target}\n")
    shutil.copyfile(donor, target)
    try:
        yield target
    finally:
        target.unlink(missing_ok=True)


NEW_FILE_MARKER = ".new-file-in-place"


def remove_new_file(folder: Path) -> None:
    """Take the added new files out of the workload's raw dir, also when a benchmark killed
    while they were in place left them there (the next first run would load them)."""
    marker = folder / NEW_FILE_MARKER
    if marker.exists():
        for line in marker.read_text().splitlines():
            if line.strip():
                Path(line).unlink(missing_ok=True)
        marker.unlink()


def time_warehouse_copy(db: Path, scratch: Path) -> tuple[int, float]:
    """What the commit's copy of the warehouse costs (flows/warehouse/commit.py): bytes, seconds
    to copy the file and fsync the copy (the page cache is warm, as it is for the run)."""
    scratch.mkdir(parents=True, exist_ok=True)
    copy = scratch / "warehouse-copy.duckdb"
    start = time.perf_counter()
    shutil.copyfile(db, copy)
    fd = os.open(copy, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
    seconds = time.perf_counter() - start
    copy.unlink()
    return db.stat().st_size, seconds


def _said(run: RunMeasure) -> str:
    """A run's stages and peak memory in one log line (results survive a benchmark cut short)."""
    stages = ", ".join(f"{name} {seconds:.1f}" for name, seconds in run.stages.items())
    return f"peak RSS {(run.peak_rss or 0) / GB:.2f} GB, {run.rows:,} rows stored; {stages}"


def measure_size(args: argparse.Namespace, size: int, repeat: int, cores: int) -> SizeResult:
    """Every measurement of one size, repeat after repeat: each repeat runs them all in turn, so
    that the run, the floor and the plain script see the same machine (load) as far as possible."""
    folder = workload(args.cache, size, args.seed)
    remove_new_file(folder)  # left by a benchmark killed in its new-file run
    paths = submissions(folder / "raw")
    warm_page_cache(paths)
    result = SizeResult(size=size)
    load_before = os.getloadavg()[0]
    env = prefect_env(args.cache)
    runs, scratch = args.cache / "runs" / f"{size}-seed{args.seed}", args.cache / "scratch"
    for i in range(repeat):
        step = f"{size:,} rows, repeat {i + 1}/{repeat}:"
        run_dir = runs / f"run{i + 1}"
        shutil.rmtree(run_dir, ignore_errors=True)
        log(f"{step} tepat run on an empty warehouse ...")
        first = run_tepat(folder, run_dir, env, "first")
        result.first.append(first)
        log(f"  whole {first.wall:.1f} s, flow {fmt_seconds(first.flow)} s, {_said(first)}")
        log(f"{step} nothing new ...")
        second = run_tepat(folder, run_dir, env, "second")
        result.second.append(second)
        log(f"  whole {second.wall:.1f} s, flow {fmt_seconds(second.flow)} s, {_said(second)}")
        result.copies.append(time_warehouse_copy(run_dir / "tepat.duckdb", scratch))
        if args.new_file_rows:
            # first a file of persons new to the warehouse; then, with it in place, one whose
            # NIKs include other persons' (conflicts that change other regencies' ranks)
            log(
                f"{step} one new file of ~{args.new_file_rows:,} new persons into the warehouse ..."
            )
            with one_new_file(args.cache, folder, args.new_file_rows, args.seed, new_persons=True):
                fresh = run_tepat(folder, run_dir, env, "new-persons-file")
                result.new_persons_file.append(fresh)
                result.new_persons_file_rows = fresh.rows - first.rows
                log(f"  whole {fresh.wall:.1f} s, flow {fmt_seconds(fresh.flow)} s, {_said(fresh)}")
                log(f"{step} one new file of ~{args.new_file_rows:,} rows with NIK conflicts ...")
                with one_new_file(args.cache, folder, args.new_file_rows, args.seed):
                    added = run_tepat(folder, run_dir, env, "new-file")
            remove_new_file(folder)
            result.new_file.append(added)
            result.new_file_rows = added.rows - fresh.rows  # its data rows, as stored
            log(f"  whole {added.wall:.1f} s, flow {fmt_seconds(added.flow)} s, {_said(added)}")
        exports = sorted((run_dir / "exports").rglob("*.xlsx"))
        floors = (("1", 1), ("n", cores)) if size <= args.floor_max_rows else ()
        for procs, n in floors:
            log(f"{step} floor on {n} process(es): calamine read, xlsxwriter write ...")
            for what, files in (("read", paths), ("write", exports)):
                timing = timed_in_processes(what, split_evenly(files, n), scratch, 1)
                result.floors.setdefault(f"{what} {procs}", []).extend(timing)
                log(f"  {what} on {n} process(es): {timing[-1].wall:.1f} s")
        if size == args.plain_size:
            log(f"{step} plain script (slow) ...")
            result.plain.extend(timed_in_processes("plain", [paths], scratch / "plain", 1))
        if not args.keep:
            shutil.rmtree(run_dir, ignore_errors=True)
    result.rows = result.first[-1].rows if result.first else size
    result.load = (load_before, os.getloadavg()[0])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default="100000,1000000,4000000", help="rows per workload, comma-separated"
    )
    parser.add_argument(
        "--new-file-rows", type=int, default=20_000,
        help="after the nothing-new run, one new file of about this many rows (0: none)",
    )  # fmt: skip
    parser.add_argument("--repeat", default="3", help="repeats, one number or one per size")
    parser.add_argument("--seed", type=int, default=1, help="generator seed of the workloads")
    parser.add_argument(
        "--cache", type=Path, default=Path("/tmp/tepat-bench"),
        help="workloads (kept), runs, Prefect's home for the runs",
    )  # fmt: skip
    parser.add_argument(
        "--plain-size", type=int, default=100_000, help="0 to skip the plain script"
    )
    parser.add_argument(
        "--floor-max-rows", type=int, default=10**12,
        help="measure the I/O floor only for sizes up to this many rows (it takes ~1.5x a run)",
    )  # fmt: skip
    parser.add_argument("--out", type=Path, help="also write the results (Markdown) here")
    parser.add_argument("--keep", action="store_true", help="keep the runs' warehouses and exports")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    repeats = [int(r) for r in args.repeat.split(",")]
    repeats += [repeats[-1]] * (len(sizes) - len(repeats))
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1

    started = datetime.now()
    if args.plain_size and args.plain_size not in sizes:
        log(f"--plain-size {args.plain_size} is not among --sizes: no plain baseline")
    # A tiny run first: Prefect creates its database, Python its caches (not measured).
    log("warm-up run on 200 rows (not measured) ...")
    warm = args.cache / "runs" / "warm-up"
    shutil.rmtree(warm, ignore_errors=True)
    run_tepat(workload(args.cache, 200, args.seed), warm, prefect_env(args.cache), "warm-up")
    results = [
        measure_size(args, size, repeat, cores) for size, repeat in zip(sizes, repeats, strict=True)
    ]
    command = "python benchmarks/run_benchmark.py " + " ".join(sys.argv[1:])
    report = [
        f"Measured {started:%Y-%m-%d %H:%M} to {datetime.now():%H:%M}, medians of "
        f"{'/'.join(map(str, repeats[: len(sizes)]))} repeats, with `{command.strip()}`:",
        "",
        *table(results, cores),
        "",
        *memory_lines(results),
        "",
        "Targets (issue #8):",
        "",
        *target_lines(results),
        "",
        "Aims of issue 19 (the whole province):",
        "",
        *province_lines(results),
        "",
        "Machine:",
        "",
        *machine_lines(cores),
    ]
    text = "\n".join(report) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        log(f"written to {args.out}")


if __name__ == "__main__":
    main()
