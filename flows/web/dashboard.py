"""`/`: the state of the warehouse as the run report shows it, for the whole province or for
one regency; aggregates only (the report never carries a NIK, KK or name)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from flows.report import report_body, report_data
from flows.review.queue import pending
from flows.web.auth import User, current_user
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
            if body is None:
                data = report_data(con, run, space.settings.report_history_runs, user.regency_scope)
                body = Markup(report_body(data))  # noqa: S704 - escaped by flows/report.py
                if len(space.reports) >= REPORTS_KEPT:
                    space.reports.clear()
                space.reports[key] = body
    return render(
        request, "dashboard.html", user, body=body,
        queued=pending(space.store.db) if user.role == "provinsi" else 0,
    )  # fmt: skip
