"""`/tinjauan/baris` and `/tinjauan/pasangan`: rows held for review and person pairs, one page at
a time, with their evidence; the province decides (recorded under the logged-in officer and
applied by the next run)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse

from flows.review.occupations import read_occupation_mappings
from flows.review.pairs import DECISIONS as PAIR_DECISIONS
from flows.review.pairs import STATUSES as PAIR_STATUSES
from flows.review.pairs import read_pairs
from flows.review.queue import (
    OCCUPATION_CHOICES,
    OCCUPATION_MAPPING,
    PAIR_DECISION,
    ROW_DECISION,
    Outcome,
)
from flows.review.rows import DECISIONS as ROW_DECISIONS
from flows.review.rows import open_review_rows
from flows.web.auth import User, check_csrf, current_user, require
from flows.web.context import page_number, render, workspace
from schemas.occupations import UNKNOWN_GROUP, occupation_key, occupation_list
from transforms.validate.identity import decode_nik

router = APIRouter(prefix="/tinjauan")
NOTE = Annotated[str, Form(max_length=500)]
QUEUED = (
    "Run sedang menulis gudang data: keputusan disimpan dalam antrean dan diterapkan begitu "
    "run selesai (tidak ada yang hilang)."
)
# Fields compared side by side for a pair: label, column stem in match_candidates.
PAIR_FIELDS = [
    ("NIK", "nik"), ("Nama", "nama"), ("Tanggal lahir", "tanggal_lahir"),
    ("Jenis kelamin", "jenis_kelamin"), ("Nomor KK", "no_kk"), ("Kecamatan", "kecamatan"),
    ("Kabupaten/kota", "regency_code"),
]  # fmt: skip


def _pages(total: int, size: int) -> int:
    return max((total + size - 1) // size, 1)


def _text(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp | date):
        return pd.Timestamp(value).strftime("%d-%m-%Y")
    return str(value)


def occupation_unknown(frame: pd.DataFrame, mapped: Collection[str] = ()) -> pd.Series:
    """Rows whose written occupation the run did not recognise (group `unknown` but not the
    list's own `Lainnya`) and no officer has mapped since: their card offers the mapping. Read
    from what the run stored, so the page shows the run's decision without matching again."""
    keys = frame["pekerjaan"].fillna("").astype(str).map(occupation_key)
    return (
        frame["occupation_group"].eq(UNKNOWN_GROUP).fillna(False).astype(bool)
        & ~frame["occupation"].isin(list(occupation_list().occupations))
        & keys.ne("")
        & ~keys.isin(list(mapped))
    )


def row_cards(frame: pd.DataFrame, mapped: Collection[str] = ()) -> list[dict[str, object]]:
    """Rows of one page as the template shows them, with the NIK's embedded date and sex;
    `mapped` holds the spelling keys officers have mapped (they are not offered again)."""
    if frame.empty:
        return []
    decoded = decode_nik(frame["nik_clean"].astype("string"), date.today())
    unknown = occupation_unknown(frame, mapped)
    cards = []
    for row, dob, sex, unrecognised in zip(
        frame.to_dict("records"), decoded["dob"], decoded["sex"], unknown, strict=True
    ):
        cards.append(
            {
                **{key: _text(value) for key, value in row.items()},
                "nik_dob": _text(dob),
                "nik_sex": _text(sex),
                "evidence_lines": [line for line in _text(row["evidence"]).splitlines() if line],
                "occupation_unknown": bool(unrecognised),
            }
        )
    return cards


@router.get("/baris", response_class=HTMLResponse)
def review_rows(
    request: Request,
    user: Annotated[User, Depends(current_user)],
    halaman: int = 1,
    kabupaten: str = "",
    berkas: str = "",
) -> HTMLResponse:
    """Rows held for review, one page; a regency officer sees only the regency's own rows."""
    require(user, "provinsi", "kabupaten")
    space = workspace(request)
    regency = user.regency_scope or (kabupaten.strip() or None)
    page, size = page_number(halaman), space.page_size
    with space.store.read() as con:
        frame = open_review_rows(
            con, regency_code=regency, file_name=berkas.strip() or None, limit=size,
            offset=(page - 1) * size,
        )  # fmt: skip
        mapped = read_occupation_mappings(con) if len(frame) else {}
    total = int(frame["n_total"].iloc[0]) if len(frame) else 0
    return render(
        request, "rows.html", user, rows=row_cards(frame, mapped.keys()), page=page,
        pages=_pages(total, size), total=total, regency=regency or "", file_name=berkas,
        occupations=list(OCCUPATION_CHOICES),
    )  # fmt: skip


def _result(request: Request, user: User, outcome: Outcome | None, title: str) -> HTMLResponse:
    """The answer to a decision: an htmx fragment in place of the decided item, else a page."""
    if outcome is None:
        ok, message, status = True, QUEUED, 202
    else:
        ok, message, status = outcome.ok, outcome.message, 200 if outcome.ok else 422
    fragment = request.headers.get("HX-Request") == "true"
    return render(
        request, "_decision.html" if fragment else "decision.html", user, status_code=status,
        ok=ok, message=message, title=title, back=request.headers.get("referer") or "/",
    )  # fmt: skip


def _invalid(request: Request, user: User, message: str) -> HTMLResponse:
    return _result(request, user, Outcome("", False, message), "Keputusan tidak dicatat")


@router.post("/baris/putuskan", response_class=HTMLResponse)
def decide_row(
    request: Request,
    user: Annotated[User, Depends(current_user)],
    file_name: Annotated[str, Form(max_length=1000)],
    row_number: Annotated[int, Form()],
    keputusan: Annotated[str, Form()],
    alasan: NOTE,
    sheet: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Accept or reject a row held for review, with a reason."""
    check_csrf(request, csrf_token)
    require(user, "provinsi")
    if keputusan not in ROW_DECISIONS or not alasan.strip():
        return _invalid(request, user, "Pilih terima atau tolak, dan tuliskan alasannya.")
    outcome = workspace(request).store.record(
        user.username, ROW_DECISION, f"{file_name} | {sheet} | {row_number}",
        f"{keputusan}: {alasan.strip()}", file_name=file_name, sheet=sheet,
        row_number=row_number, decision=keputusan, note=alasan.strip(),
    )  # fmt: skip
    return _result(request, user, outcome, f"Baris {row_number} {file_name}")


@router.post("/pekerjaan", response_class=HTMLResponse)
def map_occupation(
    request: Request,
    user: Annotated[User, Depends(current_user)],
    ejaan: Annotated[str, Form(max_length=200)],
    pekerjaan: Annotated[str, Form(max_length=200)],
    alasan: NOTE,
    csrf_token: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Map an occupation spelling to a Dukcapil occupation for every later row."""
    check_csrf(request, csrf_token)
    require(user, "provinsi")
    if pekerjaan not in OCCUPATION_CHOICES or not ejaan.strip() or not alasan.strip():
        return _invalid(request, user, "Pilih pekerjaan dari daftar dan tuliskan alasannya.")
    outcome = workspace(request).store.record(
        user.username, OCCUPATION_MAPPING, ejaan.strip(), f"{pekerjaan}: {alasan.strip()}",
        spelling=ejaan.strip(), occupation=pekerjaan, reason=alasan.strip(),
    )  # fmt: skip
    return _result(request, user, outcome, f"Ejaan pekerjaan '{ejaan.strip()}'")


def pair_cards(frame: pd.DataFrame) -> list[dict[str, object]]:
    """Pairs of one page: both sides of every field and whether they agree."""
    cards = []
    for row in frame.to_dict("records"):
        merged = row["person_id_a"] == row["person_id_b"]
        fields = []
        for label, stem in PAIR_FIELDS:
            a, b = _text(row[f"{stem}_a"]), _text(row[f"{stem}_b"])
            fields.append({"label": label, "a": a, "b": b, "same": a.upper() == b.upper()})
        cards.append(
            {
                "id_a": row["first_person_id_a"] if merged else row["person_id_a"],
                "id_b": row["first_person_id_b"] if merged else row["person_id_b"],
                "status": row["status"],
                "score": float(row["score"]),
                "rule": _text(row["rule"]),
                "decided_by": _text(row["decided_by"]),
                "fields": fields,
            }
        )
    return cards


@router.get("/pasangan", response_class=HTMLResponse)
def review_pairs(
    request: Request,
    user: Annotated[User, Depends(current_user)],
    halaman: int = 1,
    status: str = "open",
) -> HTMLResponse:
    """Person pairs deduplication was unsure of, side by side, highest score first."""
    require(user, "provinsi", "kabupaten")
    space = workspace(request)
    status = status if status in PAIR_STATUSES else "open"
    page, size = page_number(halaman), space.page_size
    with space.store.read() as con:
        frame = read_pairs(con, status, size, (page - 1) * size, user.regency_scope)
    total = int(frame["n_total"].iloc[0]) if len(frame) else 0
    return render(
        request, "pairs.html", user, pairs=pair_cards(frame), page=page,
        pages=_pages(total, size), total=total, status=status, statuses=PAIR_STATUSES,
    )  # fmt: skip


@router.post("/pasangan/putuskan", response_class=HTMLResponse)
def decide_pair(
    request: Request,
    user: Annotated[User, Depends(current_user)],
    person_a: Annotated[int, Form()],
    person_b: Annotated[int, Form()],
    keputusan: Annotated[str, Form()],
    alasan: NOTE,
    csrf_token: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """One person (merge) or two people (distinct), with a reason."""
    check_csrf(request, csrf_token)
    require(user, "provinsi")
    if keputusan not in PAIR_DECISIONS or not alasan.strip():
        return _invalid(
            request, user, "Pilih orang yang sama atau berbeda, dan tuliskan alasannya."
        )
    outcome = workspace(request).store.record(
        user.username, PAIR_DECISION, f"{person_a} & {person_b}",
        f"{keputusan}: {alasan.strip()}", person_a=person_a, person_b=person_b,
        decision=keputusan, note=alasan.strip(),
    )  # fmt: skip
    return _result(request, user, outcome, f"Pasangan {person_a} & {person_b}")
