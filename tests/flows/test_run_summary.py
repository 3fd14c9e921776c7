"""The run summary printed by `tepat run`: exports changed vs unchanged, reference lists apart."""

from __future__ import annotations

from pathlib import Path

from flows.pipeline import RunSummary


def test_summary_counts_changed_exports_and_lists_references_under_their_own_heading():
    summary = RunSummary(
        run_id="r1", files_seen=45, files_loaded=1, files_rejected=0, files_duplicate=0,
        files_unchanged=44, rows={"accepted": 10}, persons=10, verified={"kesehatan": 8},
        within_quota={"kesehatan": 8}, export_dir=Path("keluaran"), exports=5,
        notes=["Laporan: keluaran/laporan.html"], rejected_files=[], exports_unchanged=40,
        references=["bpjs_kesehatan_peserta.xlsx: 120 peserta"],
    )  # fmt: skip
    lines = summary.text().splitlines()
    export = next(line for line in lines if "Ekspor" in line)
    assert "5 berkas ditulis" in export and "40 tidak berubah" in export
    heading = lines.index("  Daftar peserta BPJS (acuan):")
    assert heading > lines.index(export)
    assert lines[heading + 1].strip() == "- bpjs_kesehatan_peserta.xlsx: 120 peserta"
    assert lines.index("  Catatan:") > heading  # the report path is not a reference list
