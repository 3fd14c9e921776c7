"""`/unggah`: a regency officer puts a submission into the regency's own folder of the raw dir
and sees at once what the next run will say about it (the run's own read and validate steps,
nothing written to the warehouse; the next run loads the file)."""

from __future__ import annotations

import os
import re
import tempfile
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Depends, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse

from flows.review.occupations import read_occupation_mappings
from flows.review.rows import read_row_decisions
from flows.settings import Settings
from flows.sources.ingest import ingest_file
from flows.sources.read import IGNORED_PREFIXES, SPREADSHEET_SUFFIXES, sha256_of
from flows.web.auth import User, check_csrf, current_user, require
from flows.web.context import render, workspace
from flows.web.store import Store, WarehouseUnavailable
from schemas.codes import CODE_DESCRIPTIONS
from schemas.programs import load_rules
from schemas.reference import REGENCIES
from transforms.ingest.sources import regencies_in

router = APIRouter()
UNSAFE = re.compile(r"[^A-Za-z0-9 ._()\-]+")
MAX_NAME_CHARS = 120
FIRST_REASONS = 15
STATUS_TITLES = {"accepted": "Diterima", "review": "Perlu ditinjau", "rejected": "Ditolak"}
CHUNK = 1024 * 1024


def safe_name(filename: str) -> str | None:
    """The upload's own file name, reduced to plain characters; None unless a spreadsheet."""
    name = PurePosixPath(filename.replace("\\", "/")).name
    name = UNSAFE.sub("_", name).strip(" .")
    while name.startswith(IGNORED_PREFIXES):
        name = name[1:]
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem or f".{suffix.lower()}" not in SPREADSHEET_SUFFIXES:
        return None
    return stem[: MAX_NAME_CHARS - len(suffix) - 1] + "." + suffix


def regency_folder(raw_dir: Path, regency_code: str) -> Path:
    """The raw dir's folder of one regency: an existing folder naming only it, else `6472 Samarinda`."""
    if raw_dir.is_dir():
        for child in sorted(raw_dir.iterdir()):
            if (
                child.is_dir()
                and not child.is_symlink()
                and not child.name.startswith(IGNORED_PREFIXES)
                and regencies_in(child.name) == {regency_code}
            ):
                return child
    return raw_dir / f"{regency_code} {REGENCIES[regency_code].name}"


def store_upload(source, folder: Path, name: str, max_bytes: int) -> Path:
    """Copy the upload into the folder under a new name (never over an existing file): a hidden
    temporary file first (the run skips it), then a hard link to the final name."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=".unggah-", suffix=".part", dir=folder)
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            written = 0
            while chunk := source.read(CHUNK):
                written += len(chunk)
                if written > max_bytes:
                    raise HTTPException(413, f"Berkas lebih dari {max_bytes // 2**20} MB.")
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        stem, suffix = name.rsplit(".", 1)
        for n in range(1, 1000):
            target = folder / (name if n == 1 else f"{stem} ({n}).{suffix}")
            try:
                os.link(temp, target)
                return target
            except FileExistsError:
                continue
        raise HTTPException(409, "Terlalu banyak berkas dengan nama ini.")
    finally:
        temp.unlink(missing_ok=True)


def preview(path: Path, settings: Settings, store: Store) -> dict[str, object]:
    """What the next run will say about the file: loaded or not, rows by status, first reasons."""
    from flows.pipeline import validate_rows  # the run's own validation step (imports Prefect)

    sha = sha256_of(path)
    decisions, mappings, duplicate_of = pd.DataFrame(), {}, None
    try:
        with store.read() as con:
            decisions = read_row_decisions(con)
            mappings = read_occupation_mappings(con)
            found = con.execute(
                "SELECT file_name FROM source_files WHERE sha256 = ? AND status = 'loaded' LIMIT 1",
                [sha],
            ).fetchone()
            duplicate_of = found[0] if found else None
    except WarehouseUnavailable:
        pass  # no warehouse yet, or a run writes it: the file is checked on its own
    ingested = ingest_file(path, settings.raw_dir, sha, settings)
    record = ingested.record
    verdict: dict[str, object] = {
        "file_name": record["file_name"],
        "regency": record["regency_code"],
        "program": record["program"],
        "accepted": record["status"] == "loaded" and duplicate_of is None,
        "reason_code": record["reason_code"],
        "reason": record["reason"],
        "duplicate_of": duplicate_of,
        "n_skipped": record["n_skipped"],
        "counts": [],
        "reasons": [],
    }
    if record["status"] != "loaded":
        return verdict
    # a workspace runs for weeks: today, unless a date was configured (TEPAT_AS_OF)
    as_of = settings.as_of if "as_of" in settings.model_fields_set else date.today()
    rules = load_rules(settings.programs_path)
    canonical, issues = validate_rows(ingested.rows, as_of, decisions, rules, mappings)
    counts = canonical["status"].value_counts()
    verdict["counts"] = [
        (STATUS_TITLES[s], int(counts.get(s, 0))) for s in ("accepted", "review", "rejected")
    ]
    if len(issues):
        shown = issues.loc[issues["severity"].isin(["error", "review"])].sort_values(
            ["sheet", "row_number", "code"], kind="stable"
        )
        verdict["reasons"] = [
            {
                "sheet": r.sheet, "row": int(r.row_number), "code": r.code,
                "title": CODE_DESCRIPTIONS.get(r.code, ""),
                "severity": "Ditolak" if r.severity == "error" else "Ditinjau",
                "message": r.message,
            }
            for r in shown.head(FIRST_REASONS).itertuples()
        ]  # fmt: skip
    return verdict


@router.get("/unggah", response_class=HTMLResponse)
def upload_page(request: Request, user: Annotated[User, Depends(current_user)]) -> HTMLResponse:
    """The upload form of a regency officer."""
    require(user, "kabupaten")
    return render(request, "upload.html", user, verdict=None)


@router.post("/unggah", response_class=HTMLResponse)
def upload(
    request: Request,
    user: Annotated[User, Depends(current_user)],
    berkas: UploadFile,
    csrf_token: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Store the file in the regency's folder and show the run's verdict on it."""
    check_csrf(request, csrf_token)
    require(user, "kabupaten")
    space = workspace(request)
    name = safe_name(berkas.filename or "")
    if name is None:
        raise HTTPException(
            415, f"Hanya berkas lembar kerja: {', '.join(sorted(SPREADSHEET_SUFFIXES))}."
        )
    folder = regency_folder(space.raw_dir, str(user.regency_code))
    path = store_upload(berkas.file, folder, name, space.settings.max_file_bytes)
    verdict = preview(path, space.settings, space.store)
    summary = "diterima" if verdict["accepted"] else f"tidak dimuat: {verdict['reason_code']}"
    counts = ", ".join(f"{title} {n}" for title, n in verdict["counts"])
    space.store.record(user.username, "unggah", str(verdict["file_name"]), f"{summary}; {counts}")
    fragment = request.headers.get("HX-Request") == "true"
    return render(request, "_verdict.html" if fragment else "upload.html", user, verdict=verdict)
