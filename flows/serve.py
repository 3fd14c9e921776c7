"""`tepat serve`: the `scheduled_pipeline` flow as a Prefect deployment on a cron schedule.

`prefect.serve` registers the deployment with the Prefect API (PREFECT_API_URL) and runs a
long-lived process that starts each scheduled run in a subprocess, in the folder `tepat
serve` was started from. Whoever can reach the API can start a run, so the deployment takes
one parameter only, the as-of date: the raw dir, reference dir, warehouse, export dir and
program rules are fixed when `tepat serve` starts (absolute paths in the serve process's
`TEPAT_*` environment, which each run's subprocess inherits; the runner applies no job
variables to served runs). The run lock (flows.runtime.lock) keeps a manual `tepat run` and a
scheduled run from writing the warehouse at once; the deployment's concurrency limit of 1
queues overlapping scheduled runs.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from prefect import flow
from prefect.deployments.runner import EntrypointType, RunnerDeployment
from prefect.schedules import Cron

from flows.settings import Settings

if TYPE_CHECKING:
    from transforms.publish.summary import RunSummary

# The settings `tepat serve` fixes for every scheduled run, as environment variables.
BOUND_SETTINGS = ("raw_dir", "reference_dir", "db", "bpjs_dir", "export_dir", "programs_file")


@dataclass(frozen=True)
class ServeOptions:
    """What `tepat serve` deploys: the schedule and the run options passed to every run."""

    raw_dir: Path
    reference_dir: Path
    db: Path
    export_dir: Path
    programs_file: Path | None
    bpjs_dir: Path
    cron: str
    timezone: str
    name: str

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"zona waktu tidak dikenal: {self.timezone!r} (contoh: Asia/Makassar)"
            ) from None
        try:
            Cron(self.cron)
        except ValueError:
            raise ValueError(
                f"cron tidak valid: {self.cron!r} (menit jam tanggal bulan hari, "
                "contoh: '0 6 * * *' = setiap hari pukul 06:00)"
            ) from None

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: object) -> ServeOptions:
        """Defaults from the settings (`TEPAT_*`), overridden by command-line options."""
        values: dict[str, object] = {
            "raw_dir": settings.raw_dir,
            "reference_dir": settings.reference_dir,
            "db": settings.db,
            "export_dir": settings.export_dir,
            "programs_file": settings.programs_file,
            "bpjs_dir": settings.bpjs_dir,
            "cron": settings.schedule_cron,
            "timezone": settings.schedule_timezone,
            "name": settings.deployment_name,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

    def paths(self) -> dict[str, str | None]:
        """The run options every scheduled run uses, as absolute paths (None: shipped rules)."""
        return {
            "raw_dir": str(self.raw_dir.resolve()),
            "reference_dir": str(self.reference_dir.resolve()),
            "db": str(self.db.resolve()),
            "bpjs_dir": str(self.bpjs_dir.resolve()),
            "export_dir": str(self.export_dir.resolve()),
            "programs_file": str(self.programs_file.resolve()) if self.programs_file else None,
        }

    def environment(self) -> dict[str, str | None]:
        """`TEPAT_*` variables that fix the paths for the runs this process starts (None: unset)."""
        return {f"TEPAT_{key.upper()}": value for key, value in self.paths().items()}


def bind_environment(options: ServeOptions) -> None:
    """Fix the run options in this process's environment, inherited by every run it starts."""
    for name, value in options.environment().items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@flow(name="pipeline-terjadwal", log_prints=False, persist_result=False)
def scheduled_pipeline(as_of: date | None = None) -> RunSummary:
    """A scheduled or UI-started run: only the as-of date is a parameter; paths and rules
    are the ones `tepat serve` fixed in its environment."""
    from flows.pipeline import run_pipeline

    settings = Settings()
    return run_pipeline(settings.model_copy(update={"as_of": as_of or date.today()}))


def deployment_path(name: str) -> str:
    """`<flow>/<deployment>` as Prefect names the served deployment (the UI, `run_deployment`)."""
    return f"{scheduled_pipeline.name}/{name}"


def build_deployment(options: ServeOptions) -> RunnerDeployment:
    """The deployment object: schedule in the configured time zone, the as-of date its only
    parameter (left unset, so each run verifies as of its own day)."""
    return scheduled_pipeline.to_deployment(
        name=options.name,
        schedule=Cron(options.cron, timezone=options.timezone),
        concurrency_limit=1,
        description=(
            "Verifikasi harian usulan calon penerima subsidi iuran BPJS dari kabupaten/kota "
            "Kalimantan Timur."
        ),
        tags=["tepat"],
        entrypoint_type=EntrypointType.MODULE_PATH,  # works from any folder: the package is installed
    )


def next_runs(options: ServeOptions, n: int = 3, start: datetime | None = None) -> list[datetime]:
    """The next `n` scheduled start times, in the schedule's time zone."""
    from prefect.server.schemas.schedules import CronSchedule

    schedule = CronSchedule(cron=options.cron, timezone=options.timezone)
    return list(asyncio.run(schedule.get_dates(n=n, start=start)))


def describe(options: ServeOptions, n: int = 3) -> str:
    """What `tepat serve` will do, for the officer starting it (Indonesian)."""
    lines = [
        f"Deployment : {deployment_path(options.name)}",
        f"Jadwal     : {options.cron} ({options.timezone})",
        "Run berikut: " + ", ".join(t.strftime("%Y-%m-%d %H:%M %Z") for t in next_runs(options, n)),
        "Tetap untuk setiap run (parameter satu-satunya: as_of):",
    ]
    lines += [f"  {key} = {value}" for key, value in options.paths().items()]
    if not api_authenticated():
        lines.append(f"PERINGATAN  : {NO_AUTH}")
    return "\n".join(lines)


NO_AUTH = (
    "API Prefect tanpa autentikasi: setel PREFECT_SERVER_API_AUTH_STRING pada server dan "
    "PREFECT_API_AUTH_STRING di sini (lihat README, Scheduled runs)"
)


def api_authenticated() -> bool:
    """True when this process sends credentials to the Prefect API (an auth string or a key)."""
    from prefect.settings import get_current_settings

    api = get_current_settings().api
    secrets = (api.auth_string, api.key)
    return any(s is not None and s.get_secret_value() for s in secrets)


def serve(options: ServeOptions) -> None:
    """Register the deployment and run scheduled flow runs until stopped (Ctrl+C); refused
    without API credentials: anyone who can reach the API could start runs."""
    from prefect import serve as prefect_serve

    if not api_authenticated():
        raise ValueError(NO_AUTH)
    bind_environment(options)
    prefect_serve(build_deployment(options), limit=1)
