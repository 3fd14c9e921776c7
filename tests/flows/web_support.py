"""A small real warehouse for the workspace tests: two regencies' submissions through the flow,
with rows held for review, a person pair to decide, feedback workbooks and BPJS files."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

from flows.settings import Settings

AS_OF = date(2026, 6, 30)
PASSWORD = "rahasia-sekali-123"
USERS = {  # username -> (role, regency)
    "prov": ("provinsi", None),
    "smd": ("kabupaten", "6472"),
    "bpn": ("kabupaten", "6471"),
    "ana": ("analis", None),
}
HEADER = "NIK;NO KK;NAMA;TGL LAHIR;JENIS KELAMIN;PEKERJAAN\n"
SUBMISSIONS = {
    "Samarinda/usulan kesehatan samarinda.csv": [
        "6472015508800003;6472010101200001;Siti Aminah;15-08-1980;P;Petani",
        "6472015508800008;6472010101200001;Siti Amina;15-08-1980;P;Petani",  # a pair to decide
        "6472011203750005;6402010101200002;Budi Santoso;12-03-1975;L;Serabutan",  # KK_REGION, job unknown
        "6472014107900007;6472010101200003;Rina Wati;02-07-1990;P;Pedagang",  # NIK_DOB_MISMATCH
    ],
    "Samarinda/usulan bpu samarinda.csv": [
        "6472011505850009;6472010101200005;Joko Susilo;15-05-1985;L;Tukang Ojek Online",  # Dukcapil: Tukang Ojek
    ],
    "Balikpapan/usulan kesehatan balikpapan.csv": [
        "6471014402900003;6471010101200001;Dewi Lestari;04-02-1990;P;Petani",
        "6471011010700004;6402010101200009;Agus Salim;10-10-1970;L;Nelayan",  # KK_REGION
    ],
}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def write_submissions(raw: Path) -> None:
    for name, lines in SUBMISSIONS.items():
        path = raw / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(HEADER + "".join(line + "\n" for line in lines), encoding="utf-8")


def build_warehouse(root: Path) -> Settings:
    """Run the flow once on the submissions and add one account per role."""
    from flows.pipeline import pipeline
    from flows.web.auth import add_user

    raw, db, exports = root / "raw", root / "w.duckdb", root / "exports"
    write_submissions(raw)
    pipeline(raw_dir=raw, reference_dir=root / "ref", db=db, export_dir=exports, as_of=AS_OF)
    for username, (role, regency) in USERS.items():
        add_user(db, username, role, regency, PASSWORD)
    return settings_for(root)


def settings_for(root: Path) -> Settings:
    return Settings(
        raw_dir=root / "raw", db=root / "w.duckdb", export_dir=root / "exports", as_of=AS_OF,
        web_lock_wait_seconds=0.5, web_read_wait_seconds=0.5,
    )  # fmt: skip


def copy_workspace(source: Path, target: Path) -> Settings:
    """A private copy of a built workspace (warehouse, raw and export dirs) for a test that writes."""
    shutil.copytree(source, target, dirs_exist_ok=True)
    exports = target / "exports"
    # exports.path records where the run wrote: point the copy's records at the copy's files
    import duckdb

    con = duckdb.connect(str(target / "w.duckdb"))
    try:
        con.execute(
            "UPDATE exports SET path = replace(path, ?, ?)",
            [str(source / "exports"), str(exports)],
        )
    finally:
        con.close()
    return settings_for(target)


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)
