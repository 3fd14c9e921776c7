"""`/`: the state of the warehouse as the run report shows it, for the whole province or for
one regency; aggregates only (the report never carries a NIK, KK or name)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from flows.outputs.files import REPORT_DIR
from flows.outputs.report import body_of_report, report_body, report_data
from flows.review.queue import pending
from flows.web.auth import User, check_csrf, current_user, require
from flows.web.context import render, workspace

router = APIRouter()
REPORTS_KEPT = 64  # dashboard bodies cached (a run id per regency and the province)


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, user: Annotated[User, Depends(current_user)]) -> HTMLResponse:
    """The latest run's report, limited to the officer's regency for a kabupaten officer."""
    space = workspace(request)
    with space.store.read() as con:
        latest = con.execute("SELECT * FROM v_run_history ORDER BY started_at DESC LIMIT 1").df()
        body = None
        if len(latest):
            run = latest.iloc[0].to_dict()
            key = (str(run["run_id"]), user.regency_scope)
            body = space.reports.get(key)
            if body is None and user.regency_scope is None:  # the report the run wrote
                written = body_of_report(
                    space.export_dir / REPORT_DIR / f"laporan_{run['run_id']}.html"
                )
                body = None if written is None else Markup(written)  # noqa: S704 - report.py
            if body is None:
                data = report_data(con, run, space.settings.report_history_runs, user.regency_scope)
                body = Markup(report_body(data))  # noqa: S704 - escaped by flows/outputs/report.py
                if len(space.reports) >= REPORTS_KEPT:
                    space.reports.clear()
                space.reports[key] = body
    return render(
        request, "dashboard.html", user, body=body,
        queued=pending(space.store.db) if user.role == "provinsi" else 0,
    )  # fmt: skip


@router.post("/jalankan", response_class=HTMLResponse)
def start_run(
    request: Request,
    user: Annotated[User, Depends(current_user)],
    csrf_token: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Ask the Prefect deployment (`tepat serve`) for a run now, so decisions take effect at once."""
    check_csrf(request, csrf_token)
    require(user, "provinsi")
    space = workspace(request)
    from flows.serve import deployment_path

    name = deployment_path(space.settings.deployment_name)
    ok, message = request_deployment_run(name)
    space.store.record(user.username, "jalankan_run" if ok else "jalankan_run_gagal", name, message)
    return render(
        request, "decision.html", user, status_code=202 if ok else 503, ok=ok,
        message=message, title="Run sekarang", back="/",
    )  # fmt: skip


def request_deployment_run(name: str) -> tuple[bool, str]:
    """Schedule a flow run of the deployment now (not waiting for it); a clear reason if not."""
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():
        return False, (
            "Server Prefect tidak dikonfigurasi (PREFECT_API_URL): keputusan berlaku pada run "
            "terjadwal berikutnya."
        )
    try:
        flow_run = run_deployment(name, timeout=0, as_subflow=False)
    except Exception as exc:  # noqa: BLE001 - no server, no such deployment: say so, decide later
        return False, (
            f"Deployment {name} tidak dapat dijalankan ({type(exc).__name__}); keputusan "
            "berlaku pada run terjadwal berikutnya."
        )
    return True, f"Run {flow_run.name} dijadwalkan sekarang; keputusan berlaku setelah selesai."
