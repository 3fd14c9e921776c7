"""The run's report task: the HTML report written and the Prefect artifacts published.

Kept apart from `flows/outputs/report.py` (the data and the HTML, no Prefect) so the workspace
can show the report without importing Prefect, which takes seconds to load.
"""

from __future__ import annotations

from pathlib import Path

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from flows.outputs.report import (
    ReportData,
    read_report_data,
    regency_rows,
    render_html,
    summary_markdown,
    write_html_report,
)
from flows.runtime.progress import masking_failures
from flows.settings import Settings


def publish_artifacts(data: ReportData) -> None:
    """A markdown summary and a per-regency table, shown on the flow run page in the Prefect UI."""
    create_markdown_artifact(
        summary_markdown(data), key="tepat-ringkasan-run", description="Ringkasan run tepat"
    )
    rows = regency_rows(data)
    if rows:
        create_table_artifact(
            rows, key="tepat-per-kabupaten", description="Per kabupaten/kota: berkas, baris, "
            "alasan penolakan, terverifikasi, kuota, biaya premi",
        )  # fmt: skip


@task(name="report", cache_policy=NO_CACHE, persist_result=False)
@masking_failures
def publish_run_report(settings: Settings, run_id: str) -> Path | None:
    """After the commit: the HTML report and the Prefect artifacts (a failure here is logged, not fatal)."""
    logger = get_run_logger()
    try:
        data = read_report_data(settings.db, run_id, settings.report_history_runs)
        page = render_html(data, timezone=settings.display_timezone)
        path = write_html_report(settings.export_dir, run_id, page)
        publish_artifacts(data)
    except Exception as exc:  # noqa: BLE001 - the warehouse is committed; the report is a by-product
        logger.warning("Laporan run tidak dapat dibuat: %s: %s", type(exc).__name__, exc)
        return None
    logger.info("Laporan: %s", path)
    return path
