"""Export files move into place only after the warehouse commit; a killed run's are recovered.

Every file tepat writes for BPJS, a regency or a person is first written under a hidden
temporary name beside its final place (`temp_path`), moved there once the run's transaction
committed (`PendingFile.commit`), and left as it was when its content did not change
(`settle_temp`). The next run under the lock finishes what a killed run left undone
(`recover_exports`) and removes tepat's own debris, nothing else.
"""

from __future__ import annotations

import hashlib
import os
import re
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pandas as pd
import pyarrow as pa

from flows.warehouse.store import connect, table_columns

# Folders under the export dir: lists for BPJS, feedback workbooks for regencies, run reports.
BPJS_DIR = "bpjs"
FEEDBACK_DIR = "umpan_balik"
REPORT_DIR = "laporan"
CHANGES_DIR = "perubahan"  # under bpjs/<program>/: the tambah/kurang lists sent since the last


@dataclass
class PendingFile:
    """An export written under a temporary name; `commit` moves it into place.

    `unchanged`: the file in place already says the same (`settle_temp` removed the temporary
    file), so it is left untouched.
    """

    temp: Path
    final: Path
    unchanged: bool = False

    def commit(self) -> None:
        if not self.unchanged:
            os.replace(self.temp, self.final)

    def discard(self) -> None:
        self.temp.unlink(missing_ok=True)


# The xlsx writer stamps the time of writing here; nothing else in a workbook varies by run.
VOLATILE_MEMBERS = frozenset({"docProps/core.xml"})


def content_digest(path: Path) -> str:
    """sha256 of what a file says: for an xlsx the CRC-32 and size of every part but the
    creation-time stamp (read from the zip directory alone), for any other file its bytes."""
    if not zipfile.is_zipfile(path):
        return _sha256(path)
    with zipfile.ZipFile(path) as archive:
        parts = sorted(
            f"{info.filename}:{info.CRC:08x}:{info.file_size}"
            for info in archive.infolist()
            if info.filename not in VOLATILE_MEMBERS
        )
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def settle_temp(temp: Path, final: Path) -> tuple[str, bool]:
    """The sha256 of the bytes that will be in place, and whether the file already in place
    says the same (then the temporary file is removed and the file in place kept as it is)."""
    if final.exists() and content_digest(temp) == content_digest(final):
        temp.unlink()
        return _sha256(final), True
    return _sha256(temp), False


@dataclass
class StaleFile:
    """An export of the same program and date that this run no longer produces; removed on commit."""

    final: Path

    def commit(self) -> None:
        self.final.unlink(missing_ok=True)

    def discard(self) -> None:
        """Nothing was written for it."""


def temp_path(final: Path) -> Path:
    """Where an export is written before the warehouse commit: a hidden name beside it."""
    return final.with_name("." + final.name + ".tmp")


def recover_exports(db: Path, export_dir: Path) -> list[str]:
    """Finish what a run killed between its warehouse commit and moving its files in place left
    undone, then remove temporary files no run will move: call under the run lock.

    The last run that recorded exports committed their sha256; a temporary file with those
    bytes is moved into place (and that run's stale lists of the day removed, as it would have).
    Every other temporary name of tepat's in tepat's own folders is debris of a run that never
    committed; nothing else under the export dir is touched. Returns notes for the run summary
    (paths and counts only)."""
    notes: list[str] = []
    last = _last_exports(db)
    moved = 0
    for path, sha, _, _, _ in last:
        final, temp = Path(path), temp_path(Path(path))
        if temp.exists() and _sha256(temp) == sha:
            os.replace(temp, final)
            moved += 1
        elif not final.exists():
            notes.append(f"berkas ekspor {final} hilang; periksa lalu jalankan ulang")
    if moved:
        notes.append(f"{moved} berkas ekspor dari run yang terputus dipindahkan ke tempatnya")
        recorded = {Path(path) for path, *_ in last}
        for program, day in {(p, a) for _, _, kind, p, a in last if kind.startswith("bpjs")}:
            folder = export_dir / BPJS_DIR / program
            patterns = (f"verifikasi_{program}_*_{day}.*", f"ringkasan_anggaran_{program}_{day}.*")
            for old in (old for pattern in patterns for old in folder.glob(pattern)):
                if old not in recorded and not old.name.endswith(".tmp"):
                    old.unlink(missing_ok=True)
    leftovers = own_temporary_files(export_dir)
    for leftover in leftovers:
        leftover.unlink(missing_ok=True)
    if leftovers:
        notes.append(f"{len(leftovers)} berkas sementara dari run yang terputus dihapus")
    return notes


# The temporary name (`temp_path`) of a file tepat writes: BPJS lists, budget summaries,
# feedback workbooks and reports.
OWN_TEMPORARY = re.compile(
    r"^\.(?:verifikasi|ringkasan_anggaran|umpan_balik|laporan|tambah|kurang)_[A-Za-z0-9_.-]+\.tmp$"
)


def own_temporary_files(export_dir: Path) -> list[Path]:
    """tepat's temporary names in the folders tepat writes (`bpjs/<program>/` and its
    `perubahan/`, `umpan_balik/<regency>/`, `laporan/`), never followed through a link: what
    recovery may delete. Files of other people under the export dir are not looked at."""
    folders = [export_dir / REPORT_DIR]
    for parent in (export_dir / BPJS_DIR, export_dir / FEEDBACK_DIR):
        if parent.is_dir() and not parent.is_symlink():
            folders.extend(sorted(parent.iterdir()))
    folders.extend(
        folder / CHANGES_DIR for folder in list(folders) if folder.parent.name == BPJS_DIR
    )
    return sorted(
        path
        for folder in folders
        if folder.is_dir() and not folder.is_symlink()
        for path in folder.iterdir()
        if OWN_TEMPORARY.match(path.name) and path.is_file() and not path.is_symlink()
    )


LAST_EXPORTS = """
SELECT e.path, e.sha256, e.kind, e.program, strftime(r.as_of, '%Y-%m-%d')
FROM exports e JOIN runs r USING (run_id)
WHERE e.run_id = (
    SELECT e2.run_id FROM exports e2 JOIN runs r2 USING (run_id)
    ORDER BY r2.finished_at DESC LIMIT 1
)
"""


def _last_exports(db: Path) -> list[tuple[str, str, str, str, str]]:
    """(path, sha256, kind, program, as-of) of every file the last run with exports recorded."""
    if not db.exists():
        return []
    with connect(db, read_only=True) as con:
        tables = con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        if not {("exports",), ("runs",)} <= set(tables):
            return []
        return con.execute(LAST_EXPORTS).fetchall()


# What an export's bytes depend on besides its inputs: the code and the libraries writing it.
WRITER_VERSIONS = tuple(
    f"{name} {metadata.version(name)}" for name in ("tepat", "xlsxwriter", "pyarrow", "pandas")
)


def input_digest(*parts: object) -> str:
    """sha256 of what an export is written from (a frame as Arrow IPC bytes: column names,
    dtypes and values; anything else by its repr) and of the writers' versions: equal digests,
    equal files (the converse may fail, which only costs writing a file again)."""
    digest = hashlib.sha256(repr(WRITER_VERSIONS).encode("utf-8"))
    for part in parts:
        if isinstance(part, pd.DataFrame):
            digest.update(repr(list(part.columns)).encode("utf-8"))
            for name in part.columns:  # one column at a time: a list's copy is never whole
                digest.update(_column_bytes(part[name]))
        else:
            digest.update(repr(part).encode("utf-8"))
    return digest.hexdigest()


def _canonical_type(kind: pa.DataType) -> pa.DataType:
    """One Arrow type per kind of value, whichever dtype the frame held it in."""
    if pa.types.is_dictionary(kind):
        return _canonical_type(kind.value_type)
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return pa.float64()
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        return pa.timestamp("us")
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return pa.large_string()
    return kind


def _column_bytes(values: pd.Series) -> pa.Buffer:
    """A column's values as Arrow IPC bytes, the same whether the frame came from this run's
    computation or from the warehouse (datetime64[ns] or [us], Int64 or float64, Arrow or
    Python strings): the digest follows the values, not the dtypes."""
    array = pa.array(values, from_pandas=True)
    array = array.cast(_canonical_type(array.type))
    # one chunk, from offset 0: a slice of a longer column (one regency's list of a province's
    # rows) gives the bytes of the same values made on their own
    chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
    array = pa.concat_arrays(chunks) if chunks else pa.array([], type=array.type)
    table = pa.Table.from_arrays([array], names=["v"])
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as stream:
        stream.write_table(table)
    return sink.getvalue()


@dataclass(frozen=True)
class RecordedExport:
    """A file the last run with exports recorded: its sha256 and the digest of its inputs."""

    sha256: str
    input_digest: str | None

    def still_in_place(self, final: Path, digest: str) -> bool:
        """Whether `final` is this file, written from inputs with `digest`: then it need not be
        written again (a file changed or removed by hand since is written again)."""
        return (
            self.input_digest == digest
            and final.is_file()
            and not final.is_symlink()
            and _sha256(final) == self.sha256
        )


RECORDED_EXPORTS = """
SELECT e.path, e.sha256, {digest}
FROM exports e
WHERE e.run_id = (
    SELECT e2.run_id FROM exports e2 JOIN runs r2 USING (run_id)
    ORDER BY r2.finished_at DESC LIMIT 1
)
"""


def recorded_exports(db: Path) -> dict[Path, RecordedExport]:
    """Every file the last run with exports recorded, by path (empty for a new warehouse)."""
    if not db.exists():
        return {}
    with connect(db, read_only=True) as con:
        tables = {
            row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        }
        if not {"exports", "runs"} <= tables:
            return {}
        has_digest = "input_digest" in table_columns(con, "exports")
        query = RECORDED_EXPORTS.format(digest="e.input_digest" if has_digest else "NULL")
        return {
            Path(path): RecordedExport(sha, digest)
            for path, sha, digest in con.execute(query).fetchall()
        }


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
