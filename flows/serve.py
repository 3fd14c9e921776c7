"""`tepat serve`: the `pipeline` flow as a Prefect deployment on a cron schedule.

`prefect.serve` registers the deployment with the Prefect API (PREFECT_API_URL) and runs a
long-lived process that starts each scheduled run in a subprocess, in the folder `tepat
serve` was started from. Paths are made absolute here so runs do not depend on that folder.
The run lock (flows.runtime.lock) keeps a manual `tepat run` and a scheduled run from writing the
warehouse at once; the deployment's concurrency limit of 1 queues overlapping scheduled runs.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from prefect.deployments.runner import EntrypointType, RunnerDeployment
from prefect.schedules import Cron

from flows.settings import Settings


@dataclass(frozen=True)
class ServeOptions:
    """What `tepat serve` deploys: the schedule and the run options passed to every run."""

    raw_dir: Path
    reference_dir: Path
    db: Path
    export_dir: Path
    programs_file: Path | None
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
            "cron": settings.schedule_cron,
            "timezone": settings.schedule_timezone,
            "name": settings.deployment_name,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

    def parameters(self) -> dict[str, str | None]:
        """The flow's parameters as JSON values; `as_of` is left out so each run uses its own day."""
        return {
            "raw_dir": str(self.raw_dir.resolve()),
            "reference_dir": str(self.reference_dir.resolve()),
            "db": str(self.db.resolve()),
            "export_dir": str(self.export_dir.resolve()),
            "programs_file": str(self.programs_file.resolve()) if self.programs_file else None,
        }


def build_deployment(options: ServeOptions) -> RunnerDeployment:
    """The deployment object: schedule in the configured time zone, run options as parameters."""
    from flows.pipeline import pipeline

    return pipeline.to_deployment(
        name=options.name,
        schedule=Cron(options.cron, timezone=options.timezone),
        parameters=options.parameters(),
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
        f"Deployment : pipeline/{options.name}",
        f"Jadwal     : {options.cron} ({options.timezone})",
        "Run berikut: " + ", ".join(t.strftime("%Y-%m-%d %H:%M %Z") for t in next_runs(options, n)),
        "Parameter  :",
    ]
    lines += [f"  {key} = {value}" for key, value in options.parameters().items()]
    return "\n".join(lines)


def serve(options: ServeOptions) -> None:
    """Register the deployment and run scheduled flow runs until stopped (Ctrl+C)."""
    from prefect import serve as prefect_serve

    prefect_serve(build_deployment(options), limit=1)
