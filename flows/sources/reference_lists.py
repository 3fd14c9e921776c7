"""BPJS reference lists (people already enrolled), read from any supported spreadsheet format."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from flows.sources.limits import FileRejected
from flows.sources.read import list_submissions, read_sheets
from transforms.ingest.headers import find_header, grid_to_table
from transforms.score.enrolment import enrolment_flags
from transforms.validate.identity import parse_identity


class ReferenceListError(RuntimeError):
    """A reference list exists but cannot be used; running on would verify covered people."""


def reference_program(file_name: str) -> str | None:
    """`kesehatan` or `ketenagakerjaan` from a reference file's name, per the contract."""
    words = re.split(r"[^a-z]+", file_name.lower())
    name = file_name.lower()
    if "kesehatan" in name or "jkn" in words:
        return "kesehatan"
    if "ketenagakerjaan" in name or "tk" in words or "bpjstk" in words:
        return "ketenagakerjaan"
    return None


def load_reference_lists(reference_dir: Path) -> tuple[pd.DataFrame, list[str]]:
    """Enrolment flags per NIK, and a note per file used; raise if a list file is unusable."""
    if not reference_dir.exists():
        return enrolment_flags(pd.DataFrame(columns=["program", "nik", "segmen", "status"])), [
            f"folder daftar peserta {reference_dir} tidak ada: tidak ada pencocokan kepesertaan"
        ]
    frames, notes = [], []
    for path in list_submissions(reference_dir):
        program = reference_program(path.name)
        if program is None:
            notes.append(f"{path.name}: dilewati (program tidak dikenali dari nama berkas)")
            continue
        try:
            sheets = read_sheets(path)
        except FileRejected as rejected:
            raise ReferenceListError(
                f"daftar peserta {path.name}: {rejected.code} {rejected.detail}"
            ) from rejected
        found = 0
        for sheet in sheets:
            header = find_header(sheet.grid, required=("nik",), min_fields=2)
            if header is None or "status_peserta" not in header.columns:
                continue
            table = grid_to_table(sheet.grid, header).rows
            nik = parse_identity(table["nik"])["value"]
            frames.append(
                pd.DataFrame(
                    {
                        "program": program,
                        "nik": nik,
                        "segmen": table.get("segmen", pd.Series(pd.NA, index=table.index)),
                        "status": table["status_peserta"],
                    }
                ).dropna(subset=["nik"])
            )
            found += len(table)
        if not found:
            raise ReferenceListError(
                f"daftar peserta {path.name}: kolom NIK dan STATUS tidak ditemukan"
            )
        notes.append(f"{path.name}: {found} peserta ({program})")
    lists = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=["program", "nik", "segmen", "status"])
    )
    return enrolment_flags(lists), notes
