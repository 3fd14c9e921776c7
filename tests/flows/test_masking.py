"""No NIK leaves the warehouse: masked in logs, summaries, reports, CLI output, Prefect state
messages and stored exceptions, whatever its grouping; no task result holding rows is persisted."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from flows.outputs.report import shown_names
from flows.runtime.progress import MaskedFailure, masked_exception, masked_failures
from transforms.ingest.sources import printable
from transforms.validate.identity import mask_identity_numbers

# A NIK-like number in any grouping: what must never be found outside the warehouse.
NIK_LIKE = re.compile(r"(?<!\d)\d(?:[ .\-]?\d){15}(?!\d)")
SPACED = "6472 0155 0880 0003"


@pytest.mark.parametrize(
    "written",
    [
        "6472015508800003",
        "6472 0155 0880 0003",
        "6472-0155-0880-0003",
        "64.72.01.550880.0003",
        "NIK6472015508800003.xlsx",
    ],
)
def test_every_grouping_of_a_nik_is_masked(written: str) -> None:
    masked = mask_identity_numbers(f"berkas {written} ditolak")
    assert "6472********0003" in masked
    assert not NIK_LIKE.search(masked)


@pytest.mark.parametrize(
    "text",
    ["2026-12-06 06:37:40", "Rp 1.234.567.890", "0812-3456-7890", "64720155088000031", "1 2 3"],
)
def test_dates_money_phone_numbers_and_longer_numbers_are_left_alone(text: str) -> None:
    assert mask_identity_numbers(text) == text


def test_an_os_error_is_masked_in_place_and_keeps_its_type() -> None:
    """Retry conditions tell a locked file by its type; the path names a person."""
    error = PermissionError(13, "Permission denied", f"/raw/{SPACED}.xlsx")
    assert masked_exception(error) is error
    assert isinstance(error, PermissionError) and error.errno == 13
    for text in (str(error), str(pickle.loads(pickle.dumps(error)))):
        assert "6472********0003" in text and not NIK_LIKE.search(text)


def test_an_exception_carrying_rows_is_replaced_by_its_masked_text() -> None:
    class RowsError(Exception):
        def __init__(self, rows: pd.DataFrame) -> None:
            super().__init__(f"bad rows: {rows['nik'].tolist()}")
            self.failure_cases = rows

    rows = pd.DataFrame({"nik": ["6472015508800003"], "nama": ["SITI"]})
    with pytest.raises(MaskedFailure) as caught, masked_failures():
        try:
            raise KeyError("6472015508800011")
        except KeyError:
            raise RowsError(rows)  # noqa: B904 - the chain must not be kept either
    stored = pickle.dumps(caught.value)
    assert b"SITI" not in stored and not NIK_LIKE.search(stored.decode("latin-1"))
    assert "RowsError: bad rows: ['6472********0003']" in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert not NIK_LIKE.search(str(caught.value.__context__))  # logged tracebacks: masked too


def test_file_names_are_written_on_one_line_without_control_characters() -> None:
    assert printable("usulan\njkn\x1b[31m\u202e.xlsx") == "usulan?jkn?[31m?.xlsx"
    files = pd.DataFrame(
        {
            "file_name": [f"Samarinda/{SPACED}\nPALSU jkn.xlsx"],
            "status": ["rejected"],
            "reason_code": ["FILE_EMPTY"],
            "reason": ["lembar '6472-0155-0880-0003' kosong"],
        }
    )
    shown = shown_names(files)
    assert shown.loc[0, "file_name"] == "Samarinda/6472********0003?PALSU jkn.xlsx"
    assert "6472********0003" in shown.loc[0, "reason"]


def test_run_summary_masks_and_flattens_file_names() -> None:
    from transforms.publish.summary import RunSummary

    summary = RunSummary(
        run_id="r", files_seen=1, files_loaded=0, files_rejected=1, files_duplicate=0,
        files_unchanged=0, rows={}, persons=0, verified={}, within_quota={},
        export_dir=Path("out"), exports=0, notes=[f"{SPACED}.csv: sedang ditulis"],
        rejected_files=[(f"Paser/{SPACED}\n  ! PALSU: dimuat.xlsx", "berkas kosong")],
    )  # fmt: skip
    text = summary.text()
    assert not NIK_LIKE.search(text)
    # 5 lines, one per rejected file, a "Catatan:" heading and one per note: none forged
    assert len(text.splitlines()) == 8
    assert "PALSU" in text.splitlines()[-3]


def test_no_task_or_flow_persists_its_result() -> None:
    """Task results hold rows (DataFrames of NIKs): none may reach Prefect's result storage."""
    from prefect import Flow, Task

    import flows.outputs.run_report
    import flows.pipeline
    import flows.serve
    import flows.warehouse.state

    found = [
        obj
        for module in (flows.pipeline, flows.warehouse.state, flows.outputs.run_report, flows.serve)
        for obj in vars(module).values()
        if isinstance(obj, Task | Flow)
    ]
    assert len(found) >= 12
    assert [obj.name for obj in found if obj.persist_result is not False] == []


def test_a_failed_run_reaches_prefect_and_stderr_masked(
    prefect_harness: None, tmp_path: Path
) -> None:
    from prefect.client.orchestration import get_client

    from flows.cli import app
    from flows.pipeline import pipeline

    raw = tmp_path / f"usulan {SPACED}"  # does not exist: the run fails naming it
    state = pipeline(raw_dir=raw, db=tmp_path / "w.duckdb", return_state=True)
    assert state.is_failed()
    assert "6472********0003" in state.message and not NIK_LIKE.search(state.message)
    with get_client(sync_client=True) as client:
        stored = client.read_flow_run(state.state_details.flow_run_id).state
    assert not NIK_LIKE.search(stored.message)
    error = state.result(raise_on_failure=False)  # as Prefect stored it
    assert not NIK_LIKE.search(str(error)) and not NIK_LIKE.search(repr(error.args))

    result = CliRunner().invoke(
        app, ["run", "--raw-dir", str(raw), "--db", str(tmp_path / "w.duckdb")]
    )
    assert result.exit_code == 1
    assert "6472********0003" in result.output and not NIK_LIKE.search(result.output)
