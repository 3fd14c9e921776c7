"""The run summary: counts from a run's frames, and the text `tepat run` prints (exports, references)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from transforms.publish.summary import RunSummary, summarise


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


def test_a_run_is_summarised_from_its_files_rows_persons_and_verified_lists():
    files = pd.DataFrame(
        {
            "file_name": ["a.csv", "b.xlsx", "c.csv"],
            "status": ["loaded", "rejected", "duplicate"],
            "reason": [None, "lembar kosong", "sama dengan a.csv"],
        }
    )
    new_rows = pd.DataFrame({"status": ["accepted", "accepted", "review", "rejected"]})
    verified = pd.DataFrame(
        {
            "program": ["kesehatan", "kesehatan", "ketenagakerjaan"],
            "within_quota": [True, False, True],
        }
    )
    summary = summarise(
        "r2", files, 4, new_rows, pd.DataFrame({"person_id": [1, 2]}), verified, Path("out"),
        exports=3, exports_unchanged=1, exports_removed=2,
    )  # fmt: skip
    assert (summary.files_seen, summary.files_loaded, summary.files_unchanged) == (7, 1, 4)
    assert (summary.files_rejected, summary.files_duplicate) == (1, 1)
    assert summary.rejected_files == [("b.xlsx", "lembar kosong")]
    assert summary.verified == {"kesehatan": 2, "ketenagakerjaan": 1}
    assert summary.within_quota == {"kesehatan": 1, "ketenagakerjaan": 1}
    assert summary.run_counts() == {
        "n_files_seen": 7, "n_files_loaded": 1, "n_files_rejected": 1, "n_files_duplicate": 1,
        "n_rows": 4, "n_accepted": 2, "n_review": 1, "n_rejected": 1, "n_persons": 2,
        "n_verified_kesehatan": 2, "n_verified_ketenagakerjaan": 1,
    }  # fmt: skip
    assert "3 berkas ditulis, 1 tidak berubah, 2 dihapus (di out)" in summary.text()


def test_a_run_without_files_or_rows_is_summarised_as_zeros():
    empty = summarise("r3", pd.DataFrame(), 2, pd.DataFrame(), pd.DataFrame(), pd.DataFrame(),
                      Path("out"))  # fmt: skip
    assert (empty.files_seen, empty.rows, empty.verified, empty.rejected_files) == (2, {}, {}, [])
    assert empty.run_counts()["n_rows"] == 0


def test_bpjs_files_have_their_own_heading_apart_from_the_reference_lists():
    summary = RunSummary(
        run_id="r", files_seen=0, files_loaded=0, files_rejected=0, files_duplicate=0,
        files_unchanged=0, rows={}, persons=0, verified={}, within_quota={},
        export_dir=Path("out"), exports=0, notes=[], rejected_files=[],
        references=["peserta.xlsx: 3 peserta (kesehatan)"],
        bpjs_files=["tagihan_oktober.xlsx: tagihan kesehatan, 5 baris"],
    )  # fmt: skip
    lines = summary.text().splitlines()
    bpjs = lines.index("  Berkas dari BPJS (hasil pendaftaran, tagihan):")
    assert lines[bpjs + 1] == "    - tagihan_oktober.xlsx: tagihan kesehatan, 5 baris"
    assert lines.index("  Daftar peserta BPJS (acuan):") < bpjs
