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


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, user: Annotated[User, Depends(current_user)]) -> HTMLResponse:
    """The latest run's report, limited to the officer's regency for a kabupaten officer."""
    space = workspace(request)
    with space.store.read() as con:
        latest = con.execute(
            "SELECT * FROM v_run_history ORDER BY started_at DESC LIMIT 1"
        ).df()
        body = None
        if len(latest):
            data = report_data(
                con, latest.iloc[0].to_dict(), space.settings.report_history_runs,
                user.regency_scope,
            )  # fmt: skip
            body = Markup(report_body(data))  # noqa: S704 - built by flows/report.py, escaped there
    return render(
        request, "dashboard.html", user, body=body,
        queued=pending(space.store.db) if user.role == "provinsi" else 0,
    )  # fmt: skip
