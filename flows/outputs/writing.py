"""Writing export workbooks with XlsxWriter: stable bytes, print set-up, cells, worker processes.

Every xlsx that carries personal data (BPJS lists, feedback workbooks) is written by XlsxWriter,
the format's reference Python library, in `constant_memory` mode (rows streamed to disk, one
row in memory). The creation time in the workbook properties is the run's as-of date, so the
same cells give the same bytes. Large exports are written by worker processes, each writing
whole files, largest first; a file is written once.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pyarrow as pa
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from flows.runtime.memory import release_memory

# Options of every export workbook: rows streamed, and a text is always a string cell (never
# turned into a number, a formula or a link).
WORKBOOK_OPTIONS = {
    "constant_memory": True,
    "strings_to_numbers": False,
    "strings_to_formulas": False,
    "strings_to_urls": False,
}
PAPER_A4 = 9
ARGUMENTS_CODEC = "zstd"


def stable_workbook(path: Path, title: str, as_of: date) -> xlsxwriter.Workbook:
    """A streaming workbook whose properties (creation time = the as-of date) make its bytes a
    function of its cells alone: rewriting it unchanged gives the same file."""
    workbook = xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)
    workbook.set_properties(
        {"title": title, "author": "tepat", "created": datetime.combine(as_of, time())}
    )
    return workbook


def print_setup(ws: Worksheet, one_page: bool = False, header_rows: int = 1) -> None:
    """Print as an office expects: A4 landscape, fit to the page width, the header row repeated
    on each page (`one_page`: the whole sheet on one page, for a summary)."""
    ws.set_paper(PAPER_A4)
    ws.set_landscape()
    ws.fit_to_pages(1, 1 if one_page else 0)
    if header_rows and not one_page:
        ws.repeat_rows(0, header_rows - 1)


@dataclass
class CellColumn:
    """One column of cells to write: Python values (None = no cell), a format for every row
    (`formats`) or one for all (`fmt`), numbers or texts, and rows whose empty cell still
    gets its format (`keep_empty`: a row fill has no gaps)."""

    values: Sequence[Any]
    fmt: Format | None = None
    formats: Sequence[Format | None] | None = None
    number: bool = False
    keep_empty: Sequence[bool] | None = None


# Rows whose cells are made Python values at once: a worker holds a block, never a whole sheet.
BLOCK_ROWS = 10_000


def row_blocks(n_rows: int, size: int | None = None) -> list[slice]:
    """Consecutive row ranges of at most `size` (default `BLOCK_ROWS`) rows covering `n_rows`."""
    size = size or BLOCK_ROWS
    return [slice(start, min(start + size, n_rows)) for start in range(0, n_rows, size)]


def write_columns(ws: Worksheet, first_row: int, columns: list[CellColumn], n_rows: int) -> None:
    """Write `n_rows` rows of `columns` from `first_row` in row order (streamed): one typed
    XlsxWriter call per cell that has a value or a fill, none for the others."""
    plan = [
        (
            col,
            c.values,
            c.formats if c.formats is not None else [c.fmt] * n_rows,
            ws.write_number if c.number else ws.write_string,
            c.keep_empty,
        )
        for col, c in enumerate(columns)
    ]
    blank = ws.write_blank
    for r in range(n_rows):
        row = first_row + r
        for col, values, formats, write, keep_empty in plan:
            value = values[r]
            if value is None:
                if keep_empty is not None and keep_empty[r]:
                    blank(row, col, None, formats[r])
                continue
            write(row, col, value, formats[r])


# --------------------------------------------------------------------------- worker processes


@dataclass(frozen=True)
class PackedArguments:
    """A file's arguments pickled and zstd-compressed: a staged list or a workbook's rows are
    held and handed to a writer at a fraction of their size, and unpacked by the writer. The
    pickle streams through the compressor both ways, so its uncompressed bytes (as large as
    the frames) are never held: a province's tambah list is ~0.5 GB of them."""

    data: bytes

    @classmethod
    def of(cls, args: tuple) -> PackedArguments:
        sink = pa.BufferOutputStream()
        with pa.CompressedOutputStream(sink, ARGUMENTS_CODEC) as stream:
            pickle.dump(args, stream, protocol=pickle.HIGHEST_PROTOCOL)
        return cls(sink.getvalue().to_pybytes())

    def unpacked(self) -> tuple:
        with pa.CompressedInputStream(pa.BufferReader(self.data), ARGUMENTS_CODEC) as stream:
            return pickle.load(stream)  # noqa: S301 - bytes this process packed, never read from outside


@dataclass
class FileJob:
    """One file to write: `write(temp, *args)` makes it; `n_rows` times `cost_per_row` orders
    the work (costliest first: a csv costs a tenth of an xlsx per row, so the writers start on
    the two largest workbooks, not on one list's xlsx and csv at once). `args` may be a callable
    returning the arguments, called only when the job is handed to a worker, so a province's
    rows are sliced one file at a time."""

    write: Callable[..., None]
    args: tuple | PackedArguments | Callable[[], tuple]
    temp: Path
    final: Path
    n_rows: int
    cost_per_row: float = 1.0

    def arguments(self) -> tuple | PackedArguments:
        return self.args() if callable(self.args) else self.args

    def packed_arguments(self) -> PackedArguments:
        """The arguments as a writer process receives them: packed, never pickled whole."""
        args = self.arguments()
        return args if isinstance(args, PackedArguments) else PackedArguments.of(args)


def writing_pool(workers: int) -> Executor:
    """Worker processes that write whole files side by side (spawned, not forked: the flow
    process runs Prefect's threads, which fork does not copy safely)."""
    context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)


def writing_workers() -> int:
    """Cores this process may use: the export files are independent, so each core writes some."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def run_file_jobs(
    jobs: list[FileJob],
    settle: Callable[[Path, Path], tuple[str, bool]],
    pool: Executor | None = None,
    in_flight: int = 1,
) -> list[tuple[str, bool]]:
    """Write every job's file under its temporary name and `settle` it against the file in
    place, in `pool`'s workers (at most `in_flight` jobs per worker handed over at once) or
    here; results in the order of `jobs`. A broken pool (a worker died) leaves the rest to
    this process."""
    results: list[tuple[str, bool] | None] = [None] * len(jobs)
    order = sorted(range(len(jobs)), key=lambda i: -jobs[i].n_rows * jobs[i].cost_per_row)
    if pool is not None:
        workers = getattr(pool, "_max_workers", 1)
        pending: dict[Any, int] = {}
        queue = iter(order)
        try:
            for i in queue:
                job = jobs[i]
                pending[
                    pool.submit(write_and_settle, job.write, job.packed_arguments(), job.temp, job.final, settle)
                ] = i  # fmt: skip
                while len(pending) >= workers * in_flight:
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        results[pending.pop(future)] = future.result()
            for future, i in pending.items():
                results[i] = future.result()
        except BrokenProcessPool:
            pass
    for i in order:
        if results[i] is None:
            job = jobs[i]
            results[i] = write_and_settle(job.write, job.arguments(), job.temp, job.final, settle)
    return results  # type: ignore[return-value]


def write_and_settle(
    write: Callable[..., None],
    args: tuple | PackedArguments,
    temp: Path,
    final: Path,
    settle: Callable[[Path, Path], tuple[str, bool]],
) -> tuple[str, bool]:
    """`write(temp, *args)`, then `settle(temp, final)` (here or in a writing process). The
    memory the last file took goes back to the system first: a worker that wrote a province's
    list would otherwise keep it through every later file."""
    release_memory(cycles=False)
    if isinstance(args, PackedArguments):
        args = args.unpacked()
    write(temp, *args)
    return settle(temp, final)
