"""`/unduhan`: the files a role may take away. A regency: its own feedback workbooks; the
province: everything the runs wrote (BPJS files, feedback, reports); an analyst: the reports
(aggregates only). A file is served only when it is on the requester's own list and inside
the export dir, so neither an edited URL nor a `..` reaches anything else (404)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import duckdb
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse

from flows.outputs.files import REPORT_DIR
from flows.web.auth import User, current_user, require
from flows.web.context import render, workspace

router = APIRouter(prefix="/unduhan")
KIND_TITLES = {
    "umpan_balik": "Umpan balik untuk kabupaten/kota",
    "bpjs": "Daftar untuk BPJS",
    "bpjs_summary": "Rekap untuk BPJS",
    "laporan": "Laporan run",
}
LATEST_EXPORTS = """
    SELECT path, kind, program, regency_code, n_rows, run_id FROM exports {where}
    QUALIFY row_number() OVER (PARTITION BY path ORDER BY run_id DESC) = 1
    ORDER BY kind, regency_code, path
"""
REPORTS_SHOWN = 20


@dataclass(frozen=True)
class Download:
    """One file on a user's list: its path under the export dir and what it is."""

    relative: str
    kind: str
    program: str
    regency_code: str
    n_rows: int | None
    run_id: str


def _under(path: str, root: Path) -> str | None:
    """`path` relative to `root` (`/`-separated) when it is an existing file inside it."""
    try:
        resolved = Path(path).resolve()
        relative = resolved.relative_to(root)
    except (OSError, ValueError):
        return None
    return relative.as_posix() if resolved.is_file() else None


def allowed_downloads(
    con: duckdb.DuckDBPyConnection, user: User, export_dir: Path
) -> list[Download]:
    """Every file this user may download, newest record per file."""
    root = export_dir.resolve()
    found: list[Download] = []
    if user.role in ("provinsi", "kabupaten"):
        where, params = "", []
        if user.role == "kabupaten":
            where, params = "WHERE kind = 'umpan_balik' AND regency_code = ?", [user.regency_code]
        for path, kind, program, regency, n_rows, run_id in con.execute(
            LATEST_EXPORTS.format(where=where), params
        ).fetchall():
            relative = _under(path, root)
            if relative is not None:
                found.append(Download(relative, kind, program or "", regency or "", n_rows, run_id))
    if user.role in ("provinsi", "analis"):
        reports = sorted((root / REPORT_DIR).glob("laporan_*.html"), reverse=True)
        for path in reports[:REPORTS_SHOWN]:
            relative = _under(str(path), root)
            if relative is not None:
                found.append(Download(relative, "laporan", "", "", None, ""))
    return found


@router.get("", response_class=HTMLResponse)
def downloads_page(request: Request, user: Annotated[User, Depends(current_user)]) -> HTMLResponse:
    """The user's files, grouped by kind."""
    space = workspace(request)
    with space.store.read() as con:
        files = allowed_downloads(con, user, space.export_dir)
    groups: dict[str, list[Download]] = {}
    for file in files:
        groups.setdefault(file.kind, []).append(file)
    return render(request, "downloads.html", user, groups=groups, kind_titles=KIND_TITLES)


@router.get("/berkas/{relative:path}")
def download(
    request: Request, relative: str, user: Annotated[User, Depends(current_user)]
) -> FileResponse:
    """One file from the user's own list (404 for anything else), written to the audit log."""
    require(user, "provinsi", "kabupaten", "analis")
    space = workspace(request)
    with space.store.read() as con:
        files = {f.relative: f for f in allowed_downloads(con, user, space.export_dir)}
    file = files.get(relative)
    if file is None:
        raise HTTPException(404, "Berkas tidak ada atau bukan untuk Anda.")
    space.store.record(user.username, "unduh", relative, file.kind)
    path = space.export_dir.resolve() / relative
    return FileResponse(path, filename=path.name)
