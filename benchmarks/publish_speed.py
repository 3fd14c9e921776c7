"""Focused timing of the publish stage's file writing (BPJS lists + feedback workbooks), by hand.

    .venv/bin/python benchmarks/publish_speed.py [--rows 100000] [--files 20] [--workers 2]

Builds synthetic verified lists, persons, submission rows and row issues in memory (no
Prefect, no warehouse), then times `write_bpjs_exports` and `write_feedback` writing them
under a scratch folder. Run it from two checkouts in one sitting to compare writers.
"""

from __future__ import annotations

import argparse
import inspect
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flows.outputs.bpjs_files import write_bpjs_exports  # noqa: E402
from flows.outputs.feedback import sources_of, write_feedback  # noqa: E402

AS_OF = date(2026, 11, 27)
REGENCIES = ["6401", "6402", "6403", "6405", "6409", "6411", "6471", "6472", "6474", "6408"]


def inputs(n_rows: int, n_files: int, seed: int = 1):
    """(verified, persons, rows, issues) of `n_rows` submission rows over `n_files` files."""
    rng = np.random.default_rng(seed)
    ids = np.arange(1, n_rows + 1)
    regency = np.array(REGENCIES)[ids % len(REGENCIES)]
    nik = pd.Series([f"{r}01{5508800000 + i:010d}" for r, i in zip(regency, ids, strict=True)])
    persons = pd.DataFrame(
        {
            "person_id": ids,
            "nik": nik,
            "no_kk": nik.str[:12] + "0001",
            "nama": pd.Series(rng.choice(["Siti Aminah", "Budi Santoso", "Rahmat"], n_rows)),
            "tanggal_lahir": pd.Timestamp("1960-01-01")
            + pd.to_timedelta(rng.integers(0, 20000, n_rows), unit="D"),
            "jenis_kelamin": rng.choice(["L", "P"], n_rows),
            "regency_code": regency,
            "alamat": "Jl. Pahlawan " + pd.Series(ids % 97).astype(str),
            "rt_rw": "001/002",
            "desa": "Sidodadi",
            "kecamatan": "Samarinda Ulu",
            "no_hp": "08115551234",
            "fktp": "Puskesmas Sidomulyo",
            "pekerjaan": rng.choice(["Petani/Pekebun", "Nelayan", "Pedagang"], n_rows),
        }
    )
    program = np.where(ids % 2 == 0, "kesehatan", "ketenagakerjaan")
    verified = pd.DataFrame(
        {"program": program, "person_id": ids, "regency_code": regency, "nik": nik}
    ).assign(score=rng.random(n_rows) * 100, eligible=True)
    verified = verified.loc[rng.random(n_rows) < 0.7].copy()
    verified["rank"] = verified.groupby(["program", "regency_code"])["score"].rank(
        ascending=False, method="first"
    )
    verified["within_quota"] = verified["rank"] <= 2500
    files = np.array([f"kab/{REGENCIES[i % 10]}/usulan_{i}.xlsx" for i in range(n_files)])
    file_of = ids % n_files
    status = rng.choice(["accepted", "review", "rejected"], n_rows, p=[0.85, 0.05, 0.10])
    rows = pd.DataFrame(
        {
            "file_name": files[file_of],
            "sheet": "Data",
            "sheet_order": 0,
            "row_number": ids // n_files + 2,
            "status": status,
            "nik_raw": nik,
            "kk_raw": persons["no_kk"],
            "nama": persons["nama"],
            "tanggal_lahir_raw": persons["tanggal_lahir"].dt.strftime("%d-%m-%Y"),
            "jenis_kelamin_raw": persons["jenis_kelamin"],
            "pekerjaan_raw": persons["pekerjaan"],
            "regency_code": regency,
            "program": program,
            "person_id": np.where(status == "rejected", np.nan, ids),
        }
    )
    flagged = rows.loc[rows["status"].ne("accepted")]
    issues = pd.DataFrame(
        {
            "file_name": flagged["file_name"],
            "sheet": flagged["sheet"],
            "row_number": flagged["row_number"],
            "code": np.where(flagged["status"].eq("rejected"), "NIK_FORMAT", "KK_REGION"),
            "severity": np.where(flagged["status"].eq("rejected"), "error", "review"),
            "column_name": np.where(flagged["status"].eq("rejected"), "nik", "no_kk"),
            "value": flagged["nik_raw"],
            "message": "NIK bukan 16 digit angka: periksa lalu kirim ulang",
        }
    ).reset_index(drop=True)
    decisions = verified[["program", "person_id"]].assign(eligible=True, reason_code=None)
    return verified.reset_index(drop=True), persons, rows, issues, decisions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    verified, persons, rows, issues, decisions = inputs(args.rows, args.files)
    extra = {}
    if "outcomes" in inspect.signature(write_feedback).parameters:
        from transforms.publish.outcomes import row_outcomes

        extra = {"outcomes": row_outcomes(rows, decisions, verified)}
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch)
        start = time.perf_counter()
        records, pending = write_bpjs_exports(
            verified, persons, out, AS_OF, "run-1", workers=args.workers
        )
        bpjs = time.perf_counter() - start
        start = time.perf_counter()
        feedback, more = write_feedback(
            out, sources_of(rows), rows, issues, AS_OF, "run-1", workers=args.workers, **extra
        )
        fb = time.perf_counter() - start
        size = sum(Path(p.temp).stat().st_size for p in [*pending, *more] if hasattr(p, "temp"))
    print(
        f"rows={args.rows} files={len(records)}+{len(feedback)} workers={args.workers} "
        f"bpjs={bpjs:.2f}s feedback={fb:.2f}s total={bpjs + fb:.2f}s bytes={size}"
    )


if __name__ == "__main__":
    main()
