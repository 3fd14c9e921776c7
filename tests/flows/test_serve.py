"""`tepat serve`: the deployment's schedule and parameters (built, never served), and transient retries."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prefect.exceptions import SignatureMismatchError
from prefect.states import Failed
from typer.testing import CliRunner

from flows.cli import app
from flows.serve import (
    ServeOptions,
    bind_environment,
    build_deployment,
    next_runs,
    scheduled_pipeline,
)
from flows.settings import Settings


def _options(tmp_path: Path, **overrides: object) -> ServeOptions:
    settings = Settings(
        raw_dir=tmp_path / "raw", reference_dir=tmp_path / "ref", db=tmp_path / "w.duckdb",
        export_dir=tmp_path / "exports",
    )  # fmt: skip
    return ServeOptions.from_settings(settings, **overrides)


def test_default_schedule_is_daily_at_six_in_makassar_time(tmp_path: Path) -> None:
    deployment = build_deployment(_options(tmp_path))
    assert deployment.name == "tepat-harian"
    assert len(deployment.schedules) == 1
    schedule = deployment.schedules[0].schedule
    assert schedule.cron == "0 6 * * *"
    assert schedule.timezone == "Asia/Makassar"
    assert deployment.concurrency_limit == 1
    assert deployment.entrypoint == "flows.serve.scheduled_pipeline"  # importable anywhere


def test_the_served_deployment_takes_only_the_as_of_date(tmp_path: Path) -> None:
    """Whoever reaches the API cannot point a run at other files, a database or rules."""
    deployment = build_deployment(_options(tmp_path, programs_file=tmp_path / "rules.toml"))
    assert deployment.parameters == {}  # as_of unset: each scheduled run uses its own day
    schema = deployment._parameter_openapi_schema
    assert set(schema.properties) == {"as_of"}
    assert deployment.enforce_parameter_schema
    with pytest.raises(SignatureMismatchError):
        scheduled_pipeline.validate_parameters({"raw_dir": "/tmp/elsewhere"})
    with pytest.raises(SignatureMismatchError):
        scheduled_pipeline.validate_parameters({"as_of": "2026-01-01", "programs_file": "x"})


def test_serve_fixes_absolute_paths_for_every_run_it_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("TEPAT_RAW_DIR", "TEPAT_DB", "TEPAT_PROGRAMS_FILE", "TEPAT_BPJS_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TEPAT_PROGRAMS_FILE", "/somewhere/else.toml")
    options = replace(
        ServeOptions.from_settings(
            Settings(), raw_dir=Path("usulan"), db=Path("gudang.duckdb"), bpjs_dir=Path("bpjs")
        ),
        programs_file=None,
    )
    bind_environment(options)
    settings = Settings()  # what a run started by this process reads
    assert settings.raw_dir == tmp_path / "usulan"
    assert settings.db == tmp_path / "gudang.duckdb"
    assert settings.bpjs_dir == tmp_path / "bpjs"  # BPJS's answers come from the fixed folder
    assert settings.programs_file is None  # the shipped rules, not the inherited variable


def test_serve_refuses_an_api_without_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import flows.serve as serve_module

    served: list[object] = []
    monkeypatch.setattr("prefect.serve", lambda *a, **k: served.append(a))
    with pytest.raises(ValueError, match="PREFECT_API_AUTH_STRING"):
        serve_module.serve(_options(tmp_path))
    assert not served
    assert "PERINGATAN" in serve_module.describe(_options(tmp_path))
    from prefect.settings import PREFECT_API_AUTH_STRING, temporary_settings

    with temporary_settings(updates={PREFECT_API_AUTH_STRING: "admin:rahasia"}):
        assert "PERINGATAN" not in serve_module.describe(_options(tmp_path))


def _scheduled_setup() -> str:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    start = readme.index("## Scheduled runs")
    return readme[start : readme.index("\n## ", start + 1)]


def test_readme_set_up_binds_the_server_to_localhost_and_turns_on_api_auth() -> None:
    import prefect.settings

    setup = _scheduled_setup()
    assert "PREFECT_SERVER_API_HOST=127.0.0.1" in setup
    for name in ("PREFECT_SERVER_API_AUTH_STRING", "PREFECT_API_AUTH_STRING"):
        assert f"{name}=" in setup
        assert hasattr(prefect.settings, name)  # a setting Prefect 3.9 really has
    server = prefect.settings.Settings(
        server={"api": {"host": "127.0.0.1", "auth_string": "admin:x"}}
    ).server.api
    assert (server.host, server.auth_string.get_secret_value()) == ("127.0.0.1", "admin:x")
    assert "0.0.0.0" not in setup


def test_readme_set_up_keeps_prefect_home_owner_only() -> None:
    setup = _scheduled_setup()
    assert "umask 077" in setup
    assert "chmod 700" in setup and "PREFECT_HOME" in setup


def test_schedule_comes_from_settings_and_options_override_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEPAT_SCHEDULE_CRON", "30 7 * * 1-5")
    monkeypatch.setenv("TEPAT_SCHEDULE_TIMEZONE", "Asia/Jakarta")
    from_env = ServeOptions.from_settings(Settings())
    assert (from_env.cron, from_env.timezone) == ("30 7 * * 1-5", "Asia/Jakarta")
    overridden = ServeOptions.from_settings(Settings(), cron="0 22 * * *", name="malam")
    assert (overridden.cron, overridden.timezone, overridden.name) == (
        "0 22 * * *",
        "Asia/Jakarta",
        "malam",
    )


def test_next_runs_are_at_six_wita(tmp_path: Path) -> None:
    start = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)  # 08:00 WITA: today's 06:00 has passed
    runs = next_runs(_options(tmp_path), n=2, start=start)
    assert [r.isoformat() for r in runs] == [
        "2026-01-02T06:00:00+08:00",
        "2026-01-03T06:00:00+08:00",
    ]


@pytest.mark.parametrize(
    ("override", "message"),
    [({"cron": "99 * * *"}, "cron tidak valid"), ({"timezone": "Mars/Olympus"}, "zona waktu")],
)
def test_a_bad_schedule_is_refused_with_a_clear_message(
    tmp_path: Path, override: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        _options(tmp_path, **override)


def test_serve_dry_run_shows_the_schedule_and_does_not_block(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["serve", "--dry-run", "--cron", "15 5 * * *", "--db", str(tmp_path / "w.duckdb")]
    )
    assert result.exit_code == 0, result.output
    assert "15 5 * * * (Asia/Makassar)" in result.output
    assert str((tmp_path / "w.duckdb").resolve()) in result.output
    bad = CliRunner().invoke(app, ["serve", "--dry-run", "--timezone", "Nowhere/Land"])
    assert bad.exit_code == 1


# --- retries only for transient failures --------------------------------------------------------


def test_retry_condition_accepts_only_locked_file_errors() -> None:
    from flows.pipeline import ingest_file_task

    condition = ingest_file_task.retry_condition_fn
    assert ingest_file_task.retries == 2
    # Prefect 3.9 calls it as (task, task_run, state) with the exception as the state's data.
    assert condition(ingest_file_task, None, Failed(data=PermissionError("locked")))
    assert condition(ingest_file_task, None, Failed(data=BlockingIOError("busy")))
    assert not condition(ingest_file_task, None, Failed(data=ValueError("bad file")))
    assert not condition(ingest_file_task, None, Failed(data=FileNotFoundError("gone")))


@pytest.mark.parametrize(
    ("error", "expected_calls", "succeeds"),
    [(PermissionError("file is being copied"), 2, True), (ValueError("corrupt"), 1, False)],
)
def test_ingest_task_retries_a_locked_file_and_not_a_broken_one(
    prefect_harness: None,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    error: Exception,
    expected_calls: int,
    succeeds: bool,
) -> None:
    from prefect import flow

    import flows.pipeline as pipeline_module

    calls: list[int] = []

    def flaky(*args: object, **kwargs: object) -> str:
        calls.append(1)
        if len(calls) == 1:
            raise error
        return "read"

    monkeypatch.setattr(pipeline_module, "ingest_with", flaky)
    monkeypatch.setattr(pipeline_module.ingest_file_task, "retry_delay_seconds", 0)

    @flow
    def read_one() -> bool:
        state = pipeline_module.ingest_file_task(
            tmp_path / "f.xlsx", tmp_path, "sha", Settings(), return_state=True
        )
        return state.is_completed()

    assert read_one() is succeeds
    assert len(calls) == expected_calls


def test_a_scheduled_run_uses_the_paths_serve_fixed(
    prefect_harness: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "raw").mkdir()
    monkeypatch.delenv("TEPAT_PROGRAMS_FILE", raising=False)
    options = _options(tmp_path)
    for name in options.environment():
        monkeypatch.delenv(name, raising=False)
    bind_environment(options)
    summary = scheduled_pipeline(as_of=None)
    assert summary.files_seen == 0
    assert (tmp_path / "w.duckdb").exists()  # the bound warehouse, not data/processed
    assert summary.export_dir == (tmp_path / "exports").resolve()
