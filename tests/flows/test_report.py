"""Run reports: HTML with inline SVG, Prefect artifacts, incremental runs, and logs without identities."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from flows.outputs.report import ReportData, bar_chart, line_chart, number, render_html, rupiah
from flows.runtime.progress import IdentityMaskingFilter, RunProgress, mask_identity_numbers
from flows.settings import Settings
from flows.warehouse.state import input_fingerprint, nothing_new, reviews_fingerprint
from schemas.programs import load_rules
from tests.conftest import captured_logs

SIXTEEN_DIGITS = re.compile(r"(?<!\d)\d{16}(?!\d)")
AS_OF = date(2026, 11, 27)


# --- small pieces ------------------------------------------------------------------------------


def test_numbers_are_written_the_indonesian_way() -> None:
    assert number(1234567) == "1.234.567"
    assert rupiah(42000 * 12) == "Rp 504.000"
    assert number(None) == "-"


def test_charts_are_inline_svg_with_escaped_labels() -> None:
    bars = bar_chart(["Kota <Samarinda>"], [("Diterima", [3.0], "#2e7d32")], stacked=True)
    assert bars.startswith("<svg") and "&lt;Samarinda&gt;" in bars and "http" not in bars
    line = line_chart(["01/11", "02/11"], [("Orang", [10.0, 12.0], "#1565c0")])
    assert "<polyline" in line and "http" not in line
    assert "Tidak ada data" in bar_chart([], [])


def test_masking_filter_hides_identity_numbers_in_messages_and_tracebacks() -> None:
    assert mask_identity_numbers("NIK 6472015506900003 ditolak") == "NIK 6472********0003 ditolak"
    assert mask_identity_numbers("no 64720155069000031 (17 digit)") == (
        "no 64720155069000031 (17 digit)"
    )
    try:
        raise ValueError("duplicate key 6472015506900003")
    except ValueError:
        record = logging.LogRecord(
            "prefect.flow_runs", logging.ERROR, __file__, 1, "gagal untuk %s", ("6472015506900003",),
            exc_info=__import__("sys").exc_info(),
        )  # fmt: skip
    IdentityMaskingFilter().filter(record)
    text = logging.Formatter().format(record)
    assert "6472015506900003" not in text
    assert "6472********0003" in text


def test_progress_without_a_terminal_writes_a_few_plain_lines(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logger = logging.getLogger("tepat.test_progress")
    with (
        caplog.at_level(logging.INFO, logger="tepat.test_progress"),
        RunProgress(stages=2, interactive=False, logger=logger) as progress,
    ):
        progress.stage("Membaca berkas baru")
        assert list(progress.track(list(range(40)), "Berkas dibaca")) == list(range(40))
        progress.stage("Laporan")
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "[1/2] Membaca berkas baru",
        "Berkas dibaca: 10/40",
        "Berkas dibaca: 20/40",
        "Berkas dibaca: 30/40",
        "Berkas dibaca: 40/40",
        "[2/2] Laporan",
    ]
    assert not any("\x1b" in line or "\r" in line for line in lines)


def test_report_renders_without_any_run_history_or_budget() -> None:
    empty = pd.DataFrame(
        columns=["regency_code", "regency_name", "program", "n_files", "n_files_loaded",
                 "n_accepted", "n_review", "n_rejected", "n_verified", "n_within_quota",
                 "premium_monthly_total"]
    )  # fmt: skip
    run = {
        "run_id": "r1", "started_at": pd.Timestamp("2026-11-27 06:00"), "duration_seconds": 1.0,
        "as_of": date(2026, 11, 27), "n_files_seen": 0, "n_files_loaded": 0,
        "n_files_rejected": 0, "n_files_duplicate": 0, "n_accepted": 0, "n_review": 0,
        "n_rejected": 0, "n_persons": 0, "recomputed": True,
    }  # fmt: skip
    data = ReportData(
        run=run,
        regencies=empty,
        reasons=pd.DataFrame(columns=["regency_code", "code", "severity", "n_rows"]),
        budget=pd.DataFrame(
            columns=[
                "program",
                "regency_code",
                "regency_name",
                "premium_monthly",
                "quota",
                "n_verified",
                "n_within_quota",
                "cost_monthly",
                "cost_yearly",
            ]
        ),  # fmt: skip
        history=pd.DataFrame([run]),
        problem_files=pd.DataFrame(columns=["file_name", "status", "reason_code", "reason"]),
    )
    page = render_html(data)
    assert page.startswith("<!DOCTYPE html>") and "Tidak ada data" in page


def test_fingerprint_changes_with_rules_as_of_and_review_decisions(tmp_path: Path) -> None:
    rules = load_rules(Settings().programs_path)
    settings = Settings(reference_dir=tmp_path / "ref", export_dir=tmp_path / "exp", as_of=AS_OF)
    con = duckdb.connect()
    base = input_fingerprint(settings, rules, con)
    assert base == input_fingerprint(settings, rules, con)  # stable
    later = input_fingerprint(settings.model_copy(update={"as_of": date(2026, 11, 28)}), rules, con)
    assert later.inputs_sha256 != base.inputs_sha256
    cheaper = rules.model_copy(
        update={"programs": {**rules.programs, "kesehatan": rules.programs["kesehatan"].model_copy(
            update={"premium_monthly": 35000})}}
    )  # fmt: skip
    assert input_fingerprint(settings, cheaper, con).rules_sha256 != base.rules_sha256

    assert reviews_fingerprint(con) == "none"
    con.execute(
        "CREATE TABLE row_reviews (file_name VARCHAR, decision VARCHAR, decided_at TIMESTAMP)"
    )
    con.execute("INSERT INTO row_reviews VALUES ('a.xlsx', 'accept', '2026-11-27 09:00')")
    one = reviews_fingerprint(con)
    con.execute("UPDATE row_reviews SET decision = 'reject'")
    assert one != "none" and reviews_fingerprint(con) != one
    assert input_fingerprint(settings, rules, con).inputs_sha256 != base.inputs_sha256


def test_nothing_new_needs_no_new_files_and_the_same_inputs(tmp_path: Path) -> None:
    from flows.warehouse.state import InputFingerprint, PreviousRun

    inputs = InputFingerprint("r", "p", "none", "all")
    previous = PreviousRun("run-1", "all", 10, {}, {})
    assert nothing_new(True, inputs, previous)
    assert not nothing_new(False, inputs, previous)
    assert not nothing_new(True, inputs, None)
    assert not nothing_new(True, inputs, PreviousRun("run-0", None, 10, {}, {}))


# --- end to end: three runs on generated data ---------------------------------------------------


@dataclass
class Runs:
    base: Path
    export_dir: Path
    db: Path
    first: object
    second: object
    third: object
    logs: list[str]
    niks: set[str]
    names: set[str]


@pytest.fixture(scope="module")
def runs(prefect_harness: None, tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """First run, a run with nothing new, then a run after a reference list was withdrawn."""
    from demo.generator import generate_demo_data
    from flows.pipeline import pipeline

    base = tmp_path_factory.mktemp("report")
    generate_demo_data(
        rows=120, out_dir=base / "raw", seed=11, reference_dir=base / "ref", as_of=AS_OF
    )
    truth = pd.read_csv(base / "raw" / "_truth" / "persons.csv", dtype=str)
    rows = pd.read_csv(base / "raw" / "_truth" / "rows.csv", dtype=str)
    niks = (
        set(truth["nik"].dropna()) | set(truth["no_kk"].dropna()) | set(rows["nik_true"].dropna())
    )
    kwargs = {
        "raw_dir": base / "raw", "reference_dir": base / "ref", "db": base / "w" / "tepat.duckdb",
        "export_dir": base / "exports", "as_of": AS_OF,
    }  # fmt: skip
    with captured_logs(logging.INFO) as log_lines:
        first = pipeline(**kwargs)
        second = pipeline(**kwargs)
        for path in (base / "ref").glob("*ketenagakerjaan*"):
            path.unlink()
        third = pipeline(**kwargs)
    return Runs(
        base, base / "exports", kwargs["db"], first, second, third, log_lines, niks,
        set(truth["nama"].dropna()),
    )  # fmt: skip


@pytest.mark.slow
def test_each_run_writes_a_self_contained_html_report(runs: Runs) -> None:
    folder = runs.export_dir / "laporan"
    for summary in (runs.first, runs.second, runs.third):
        assert (folder / f"laporan_{summary.run_id}.html").is_file()
    latest = (folder / "laporan_terbaru.html").read_text(encoding="utf-8")
    assert latest == (folder / f"laporan_{runs.third.run_id}.html").read_text(encoding="utf-8")
    assert latest.count("<svg") >= 6  # status, reasons (2), quota per program, cost, trend
    assert "http://" not in latest and "https://" not in latest
    assert "<script" not in latest and "<link" not in latest and "src=" not in latest
    assert SIXTEEN_DIGITS.search(latest) is None
    assert not [name for name in runs.names if name in latest]
    assert "Tren antar run" in latest and "Biaya premi per bulan" in latest


@pytest.mark.slow
def test_a_run_with_nothing_new_stops_early_and_says_so(runs: Runs) -> None:
    first, second = runs.first, runs.second
    assert any("Tidak ada yang baru" in note for note in second.notes)
    assert "Tidak ada yang baru" in second.text()
    assert (second.files_loaded, second.rows, second.exports) == (0, {}, 0)
    assert second.files_unchanged == first.files_seen
    assert (second.persons, second.verified) == (first.persons, first.verified)
    with duckdb.connect(str(runs.db), read_only=True) as con:
        history = con.execute(
            "SELECT run_id, recomputed, n_persons FROM v_run_history ORDER BY started_at"
        ).fetchall()
        exported = con.execute("SELECT count(DISTINCT run_id) FROM exports").fetchone()[0]
    assert [(r[0], r[1]) for r in history] == [
        (first.run_id, True),
        (second.run_id, False),
        (runs.third.run_id, True),
    ]
    assert history[1][2] == first.persons
    assert exported == 2  # the run with nothing new wrote no exports


@pytest.mark.slow
def test_a_changed_reference_list_recomputes_the_verified_lists(runs: Runs) -> None:
    assert not any("Tidak ada yang baru" in note for note in runs.third.notes)
    with duckdb.connect(str(runs.db), read_only=True) as con:
        fingerprints = con.execute(
            "SELECT reference_sha256, rules_sha256 FROM runs ORDER BY started_at"
        ).fetchall()
    assert fingerprints[0] == fingerprints[1]
    assert fingerprints[2][0] != fingerprints[1][0] and fingerprints[2][1] == fingerprints[1][1]
    # nobody is "already an active BPJS TK member" any more, so nobody fewer is verified
    tk = "ketenagakerjaan"
    assert runs.third.verified.get(tk, 0) >= runs.first.verified.get(tk, 0)


@pytest.mark.slow
def test_each_run_publishes_a_summary_and_a_per_regency_table(runs: Runs) -> None:
    import json

    from prefect.artifacts import Artifact

    summary = Artifact.get("tepat-ringkasan-run")
    table = Artifact.get("tepat-per-kabupaten")
    assert summary is not None and table is not None
    assert runs.third.run_id in summary.data
    rows = json.loads(table.data) if isinstance(table.data, str) else table.data
    assert len(rows) == 10
    assert {"Kabupaten/Kota", "Baris ditolak", "Alasan penolakan teratas"} <= set(rows[0])
    assert any(key.startswith("Dalam kuota") for key in rows[0])
    for text in (summary.data, json.dumps(rows)):
        assert SIXTEEN_DIGITS.search(text) is None
        assert not [name for name in runs.names if name in text]


@pytest.mark.slow
def test_logs_never_contain_a_nik_kk_or_name_from_the_data(runs: Runs) -> None:
    logs = "\n".join(runs.logs)
    assert "Memeriksa berkas" in logs  # the capture really saw the run logs
    assert not [nik for nik in runs.niks if nik in logs]
    assert not [name for name in runs.names if name in logs]


@pytest.mark.slow
def test_a_failing_flow_logs_its_error_with_the_nik_masked(
    prefect_harness: None, caplog: pytest.LogCaptureFixture
) -> None:
    from prefect import flow

    from flows.runtime.progress import install_log_masking

    @flow
    def fails_with_identity() -> None:
        install_log_masking()
        raise ValueError("baris ganda untuk NIK 6472015506900003")

    with caplog.at_level(logging.INFO, logger="prefect"), pytest.raises(ValueError):
        fails_with_identity()
    logged = "\n".join(
        logging.Formatter().format(r) for r in caplog.records if r.name.startswith("prefect")
    )
    assert "6472********0003" in logged
    assert "6472015506900003" not in logged
