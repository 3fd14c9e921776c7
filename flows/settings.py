"""The one settings object (env prefix `TEPAT_`) and the one place that knows the paths."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_PROGRAMS_FILE = Path(__file__).resolve().parent.parent / "schemas" / "programs.toml"


class Settings(BaseSettings):
    """Run options; the CLI overrides these, `TEPAT_*` environment variables set defaults."""

    model_config = SettingsConfigDict(env_prefix="TEPAT_", extra="ignore")

    raw_dir: Path = Path("data/raw")
    reference_dir: Path = Path("data/reference")
    bpjs_dir: Path = Path("data/bpjs")  # what BPJS sends back: registration results, bills
    db: Path = Path("data/processed/tepat.duckdb")
    export_dir: Path = Path("data/processed/exports")
    programs_file: Path | None = None
    as_of: date = Field(default_factory=date.today)
    # Reading limits: a zip bomb or a runaway sheet stops at these.
    max_file_bytes: int = 200 * 1024 * 1024
    max_rows_per_sheet: int = 1_100_000
    max_columns: int = 300
    # flows/sources/limits.py: a zip bomb or a sheet spread over a huge grid is refused before reading.
    max_cells: int = 30_000_000  # rows x columns a sheet may span (~50 bytes each in memory)
    max_unpacked_bytes: int = 2 * 1024 * 1024 * 1024  # a zip workbook, all parts unpacked
    max_zip_entries: int = 10_000
    max_compression_ratio: float = 250.0  # for parts over 10 MB unpacked
    max_cell_chars: int = 32_767  # Excel's own limit per cell
    # A file modified this recently is stat'ed twice, `settle_seconds` apart; if it changed it is
    # still being copied: skipped this run with a note, read by the next run. 0 turns this off.
    recent_write_seconds: float = 10.0
    settle_seconds: float = 0.5
    header_search_rows: int = 20
    read_workers: int = 2
    # Below this many bytes to read, worker processes cost more to start than they save.
    parallel_read_min_bytes: int = 8 * 1024 * 1024
    # Scheduling (`tepat serve`): cron in the given IANA time zone (WITA = Asia/Makassar).
    schedule_cron: str = "0 6 * * *"
    schedule_timezone: str = "Asia/Makassar"
    deployment_name: str = "tepat-harian"
    # DuckDB's memory while a run is written (flows/warehouse/commit.py); what does not fit spills
    # to `<warehouse>.tmp`. Primary-key indexes cannot spill: if they outgrow it, the run is
    # written once more under DuckDB's default (80% of RAM).
    warehouse_memory_limit: str = "1GB"
    # A run whose only news is new or replaced files links and scores just the persons those
    # files can change (flows/warehouse/affected.py); false: every run recomputes the province.
    incremental: bool = True
    # A second run waits this long for the warehouse lock, then stops with a clear message.
    lock_wait_seconds: float = 0.0
    # The time zone the report shows times in, with the zone written (WITA = Asia/Makassar).
    display_timezone: str = "Asia/Makassar"
    # Runs shown in the report's trend chart.
    report_history_runs: int = 30
    # HMAC key for the analyst copy's pseudonyms; default: next to the warehouse.
    pseudonym_key_file: Path | None = None
    # The officers' workspace (`tepat web`, flows/web).
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    web_session_hours: float = 8.0  # a login expires after this long
    # True behind HTTPS: the session cookie is then never sent in clear.
    web_https_only: bool = False
    web_secret_key_file: Path | None = None  # session signing key; default: next to --db
    web_login_max_failures: int = 5  # failed logins per username (4x per address) before a pause
    web_login_lockout_seconds: float = 900.0
    web_lock_wait_seconds: float = 3.0  # a decision waits this long for a run, then is queued
    web_read_wait_seconds: float = 3.0  # a page waits this long while a run writes the warehouse
    web_page_size: int = 25

    @property
    def programs_path(self) -> Path:
        return self.programs_file or DEFAULT_PROGRAMS_FILE
