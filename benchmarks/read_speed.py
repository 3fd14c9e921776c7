"""How fast the ingest stage reads xlsx submissions, against python-calamine alone (run by hand).

    /work/venv/bin/python benchmarks/read_speed.py [--rows 1000000] [--dir /tmp/tepat_read_bench]
        [--single]

Writes the demo workload once (xlsx only, ~20 files of ~50,000 rows) unless it is there, warms
the page cache, then times, in the same run and on the same files:

- one process, file by file: python-calamine alone (open the workbook, `to_python` every
  sheet) and right after it `ingest_file` (read, header search, blank/footer rows,
  regency/program, text columns to Arrow), wall and CPU time;
- both cores: calamine alone in a spawn pool of N processes, and the ingest stage as the flow
  runs it (`reading_pool` + `ingest_with` from threads, pool start-up included), each twice
  in the order A B B A, the faster of each pair reported (left out with `--single`, which
  keeps the run to one core: compare CPU seconds on a shared machine).
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from python_calamine import CalamineWorkbook  # noqa: E402

from flows.settings import Settings  # noqa: E402
from flows.sources.ingest import ingest_file, ingest_with, reading_pool  # noqa: E402
from flows.sources.read import list_submissions  # noqa: E402


def calamine_rows(path: Path) -> int:
    """Rows calamine hands over for every sheet of one workbook."""
    workbook = CalamineWorkbook.from_path(str(path))
    try:
        return sum(
            len(workbook.get_sheet_by_name(name).to_python(skip_empty_area=False))
            for name in workbook.sheet_names
        )
    finally:
        workbook.close()


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the worker processes)."""
    own, children = (
        resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def time_calamine(paths: list[Path], workers: int) -> tuple[float, int]:
    start = time.perf_counter()
    if workers == 1:
        rows = sum(calamine_rows(p) for p in paths)
    else:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            rows = sum(pool.map(calamine_rows, paths))
    return time.perf_counter() - start, rows


def time_ingest(paths: list[Path], raw_dir: Path, settings: Settings) -> tuple[float, int]:
    start = time.perf_counter()
    if settings.read_workers == 1:
        results = [ingest_file(p, raw_dir, "-", settings) for p in paths]
    else:
        with (
            reading_pool(settings, paths) as pool,
            ThreadPoolExecutor(max_workers=len(paths)) as threads,
        ):
            results = list(
                threads.map(lambda p: ingest_with(pool, p, raw_dir, "-", settings), paths)
            )
    elapsed = time.perf_counter() - start
    bad = [r.record for r in results if r.record["status"] != "loaded"]
    if bad:
        raise SystemExit(f"files not loaded: {bad}")
    return elapsed, sum(int(r.record["n_rows"]) for r in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/tepat_read_bench"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--single", action="store_true", help="only the one-process comparison (CPU seconds)"
    )
    args = parser.parse_args()

    if not args.dir.is_dir():
        from demo.generator import generate_demo_data

        print(f"writing {args.rows:,} rows of xlsx under {args.dir} ...", flush=True)
        generate_demo_data(rows=args.rows, out_dir=args.dir, seed=1, formats="xlsx")
    paths = [p for p in list_submissions(args.dir) if p.suffix == ".xlsx"]
    size = sum(p.stat().st_size for p in paths)
    for p in paths:
        p.read_bytes()  # page cache warm for every measurement alike
    print(f"{len(paths)} xlsx files, {size / 1e6:.0f} MB, {args.workers} workers")

    settings = Settings(read_workers=args.workers, parallel_read_min_bytes=0)
    # One process, file by file, calamine then ingest back to back: the fairest comparison
    # on a machine whose load changes while the benchmark runs.
    single = {"calamine": [0.0, 0.0], "ingest": [0.0, 0.0]}
    rows = 0
    for path in paths:
        for label, read in [
            ("calamine", lambda p=path: calamine_rows(p)),
            ("ingest", lambda p=path: ingest_file(p, args.dir, "-", settings)),
        ]:
            cpu, wall = cpu_seconds(), time.perf_counter()
            result = read()
            single[label][0] += time.perf_counter() - wall
            single[label][1] += cpu_seconds() - cpu
            if label == "ingest":
                rows += int(result.record["n_rows"])
    # Both cores: the ingest stage's pool against calamine in the same kind of pool, twice
    # each in the order A B B A; the faster of each pair counts.
    parallel: dict[str, list[float]] = {"calamine": [], "ingest": []}
    for label in () if args.single else ("calamine", "ingest", "ingest", "calamine"):
        if label == "calamine":
            wall, _ = time_calamine(paths, args.workers)
        else:
            wall, _ = time_ingest(paths, args.dir, settings)
        parallel[label].append(wall)

    print(f"{rows:,} data rows")
    for label, (wall, cpu) in single.items():
        print(
            f"  1 process, {label:<10} {wall:7.2f} s wall {rows / wall:>9,.0f} rows/s {cpu:7.2f} s CPU"
        )
    for label, walls in parallel.items() if not args.single else ():
        wall = min(walls)
        print(
            f"  {args.workers} processes, {label:<9} {wall:7.2f} s wall {rows / wall:>9,.0f} rows/s"
        )
    cal, ing = single["calamine"], single["ingest"]
    print(
        f"  1 process: ingest / calamine = {ing[0] / cal[0]:.2f} (wall), {ing[1] / cal[1]:.2f} (CPU)"
    )
    if args.single:
        return
    best_ingest = min(parallel["ingest"])
    print(
        f"  ingest stage on {args.workers} processes / calamine alone on 1 process = "
        f"{best_ingest / cal[0]:.2f}"
    )
    print(
        f"  ingest stage on {args.workers} processes / calamine alone on {args.workers} processes = "
        f"{best_ingest / min(parallel['calamine']):.2f}"
    )


if __name__ == "__main__":
    main()
