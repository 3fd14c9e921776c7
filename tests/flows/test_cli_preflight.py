"""`tepat run` mistakes cost one line, at once: checked before Prefect is even imported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from flows.runtime.lock import run_lock

ROOT = Path(__file__).resolve().parents[2]
# Runs the CLI in a fresh interpreter, then says whether Prefect was ever imported.
PROBE = (
    "import sys\n"
    "from flows.cli import app\n"
    "try:\n"
    "    app(sys.argv[1:])\n"
    "finally:\n"
    "    print('prefect imported' if 'prefect' in sys.modules else 'prefect not imported')\n"
)


def tepat_run(tmp_path: Path, **options: Path) -> subprocess.CompletedProcess[str]:
    defaults = {"raw_dir": tmp_path / "raw", "db": tmp_path / "db" / "tepat.duckdb",
                "export_dir": tmp_path / "exports", "reference_dir": tmp_path / "ref"}  # fmt: skip
    args = ["run"]
    for name, value in {**defaults, **options}.items():
        args += [f"--{name.replace('_', '-')}", str(value)]
    return subprocess.run(
        [sys.executable, "-c", PROBE, *args], cwd=ROOT, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    (tmp_path / "raw").mkdir()
    return tmp_path / "raw"


def assert_one_line(result: subprocess.CompletedProcess[str], words: str) -> None:
    lines = result.stderr.splitlines()
    assert result.returncode != 0
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("tepat run gagal: ") and words in lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout.strip() == "prefect not imported"  # the flow never started


def test_a_raw_dir_that_does_not_exist(tmp_path):
    assert_one_line(tepat_run(tmp_path), "folder berkas usulan")


def test_a_database_folder_that_cannot_be_written(tmp_path, raw):
    (tmp_path / "plain.txt").write_text("not a folder")
    result = tepat_run(tmp_path, db=tmp_path / "plain.txt" / "tepat.duckdb")
    assert_one_line(result, "--db")
    # a read-only file system, which not even root can write (permissions alone cannot tell)
    assert_one_line(tepat_run(tmp_path, db=Path("/proc/tepat/tepat.duckdb")), "--db")


def test_an_export_dir_that_cannot_be_written(tmp_path, raw):
    assert_one_line(tepat_run(tmp_path, export_dir=Path("/proc/tepat-exports")), "--export-dir")


def test_a_rules_file_with_an_error(tmp_path, raw):
    rules = tmp_path / "rules.toml"
    rules.write_text("[programs.kesehatan]\nquota_per_regency = -5\n", encoding="utf-8")
    assert_one_line(tepat_run(tmp_path, programs=rules), "aturan program tidak valid")


def test_another_run_writing_is_said_once(tmp_path, raw):
    db = tmp_path / "db" / "tepat.duckdb"
    with run_lock(db):
        result = tepat_run(tmp_path, db=db)
    assert_one_line(result, "run lain sedang menulis")


def test_telemetry_is_off_in_every_command():
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp"}  # nothing set by the caller
    probe = (
        "import os, flows.cli\n"
        "print(os.environ['PREFECT_SERVER_ANALYTICS_ENABLED'], os.environ['DO_NOT_TRACK'])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert result.stdout.split() == ["false", "1"], result.stderr
