"""The run summary: a run's counts (files, rows, persons, verified, exports) for the `runs`
table, and the short Indonesian text `tepat run` prints and the run log keeps.

Pure: the run's frames and counts in, a `RunSummary` out; names and notes are printed on one
line each and NIK-like numbers masked, whatever a file name holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from transforms.ingest.sources import printable
from transforms.validate.identity import mask_identity_numbers


@dataclass
class RunSummary:
    """What a run did, in counts: the `runs` row's numbers and the text `tepat run` prints."""

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
    exports: int  # files written this run (changed content)
    notes: list[str]
    rejected_files: list[tuple[str, str]]
    exports_unchanged: int = 0  # files whose content was the same: left untouched
    exports_removed: int = 0  # lists of the day this run no longer produces
    references: list[str] = field(default_factory=list)  # reference lists read, or missing
    bpjs_files: list[str] = field(default_factory=list)  # BPJS results and bills read this run

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
        """The summary `tepat run` prints: one line per file or note whatever it holds, NIKs masked."""
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
        removed = f", {self.exports_removed} dihapus" if self.exports_removed else ""
        lines.append(
            f"  Ekspor : {self.exports} berkas ditulis, {self.exports_unchanged} tidak berubah"
            f"{removed} (di {self.export_dir})"
        )
        for name, reason in self.rejected_files[:10]:
            lines.append(f"  ! {printable(name)}: {printable(str(reason))}")
        if self.references:
            lines.append("  Daftar peserta BPJS (acuan):")
            lines.extend(f"    - {printable(note)}" for note in self.references)
        if self.bpjs_files:
            lines.append("  Berkas dari BPJS (hasil pendaftaran, tagihan):")
            lines.extend(f"    - {printable(note)}" for note in self.bpjs_files)
        if self.notes:
            lines.append("  Catatan:")
            lines.extend(f"    - {printable(note)}" for note in self.notes)
        return mask_identity_numbers("\n".join(lines))


def summarise(
    run_id: str,
    files: pd.DataFrame,
    files_unchanged: int,
    new_rows: pd.DataFrame,
    persons: pd.DataFrame,
    verified: pd.DataFrame,
    export_dir: Path,
    *,
    exports: int = 0,
    exports_unchanged: int = 0,
    exports_removed: int = 0,
) -> RunSummary:
    """A recomputed run's summary from its `source_files` records, rows, persons and verified lists."""
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
        files_seen=len(files) + files_unchanged,
        files_loaded=int(status.eq("loaded").sum()),
        files_rejected=int(status.eq("rejected").sum()),
        files_duplicate=int(status.eq("duplicate").sum()),
        files_unchanged=files_unchanged,
        rows={k: int(v) for k, v in new_rows["status"].value_counts().items()}
        if len(new_rows)
        else {},
        persons=len(persons),
        verified={k: int(v) for k, v in per_program.items()},
        within_quota={k: int(v) for k, v in in_quota.items()},
        export_dir=export_dir,
        exports=exports,
        exports_unchanged=exports_unchanged,
        exports_removed=exports_removed,
        notes=[],
        rejected_files=list(
            zip(rejected.get("file_name", []), rejected.get("reason", []), strict=True)
        ),
    )
