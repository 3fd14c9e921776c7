"""How fast the officers' workspace answers with 1M rows in the warehouse (issue 18: < 300 ms).

Builds a synthetic warehouse in SQL (1M submission rows over ten regencies, 2% held for review,
persons, verified lists, 20k person pairs, feedback and BPJS export records), then times every
page for every role through FastAPI's TestClient (the full app: session, templates, queries).

    .venv/bin/python benchmarks/web_pages.py [--rows 1000000] [--dir /tmp/tepat-web-bench]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient  # noqa: E402
from tests.web_support import PASSWORD, csrf_of  # noqa: E402

from flows.outputs.report import read_report_data, render_html, write_html_report  # noqa: E402
from flows.settings import Settings  # noqa: E402
from flows.warehouse.store import connect  # noqa: E402
from flows.web.app import create_app  # noqa: E402
from flows.web.auth import add_user  # noqa: E402
from schemas.reference import REGENCIES  # noqa: E402

CODES = sorted(REGENCIES)
FILES_PER_REGENCY = 4
PAIRS = 20_000
ROUNDS = 5


def build(root: Path, rows: int) -> Settings:
    """The synthetic warehouse, export files and one account per role."""
    db, exports = root / "w.duckdb", root / "exports"
    codes = "[" + ", ".join(f"'{c}'" for c in CODES) + "]"
    n_files = len(CODES) * FILES_PER_REGENCY
    with connect(db) as con:
        con.execute(f"""
            INSERT INTO source_files
            SELECT 'kab' || r || '/usulan_' || f || '.xlsx', md5(r::VARCHAR || f), {codes}[r + 1],
                   CASE WHEN f % 2 = 0 THEN 'kesehatan' ELSE 'ketenagakerjaan' END, 'loaded',
                   NULL, NULL, 0, 0, 1, 'bench', now()
            FROM range({len(CODES)}) a(r), range({FILES_PER_REGENCY}) b(f)
        """)  # fmt: skip
        con.execute(f"""
            INSERT INTO submission_rows (file_name, sheet, row_number, status, nik, person_id,
                run_id, regency_code, program, order_key, row_hash, nik_raw, no_kk, nama,
                tanggal_lahir, jenis_kelamin, pekerjaan, occupation_group, kk_raw,
                tanggal_lahir_raw, jenis_kelamin_raw, pekerjaan_raw)
            SELECT 'kab' || (i % {len(CODES)}) || '/usulan_' || ((i // {len(CODES)}) % {FILES_PER_REGENCY}) || '.xlsx',
                   'Data', (i // {n_files}) + 2,
                   CASE WHEN i % 50 = 7 THEN 'review' WHEN i % 12 = 5 THEN 'rejected' ELSE 'accepted' END,
                   nik, CASE WHEN i % 12 = 5 AND i % 50 <> 7 THEN NULL ELSE i END, 'bench',
                   {codes}[(i % {len(CODES)}) + 1],
                   CASE WHEN ((i // {len(CODES)}) % {FILES_PER_REGENCY}) % 2 = 0 THEN 'kesehatan' ELSE 'ketenagakerjaan' END,
                   i, md5(i::VARCHAR), nik, kk, 'Nama Orang ' || i, DATE '1950-01-01' + (i % 20000)::INTEGER,
                   CASE WHEN i % 2 = 0 THEN 'L' ELSE 'P' END, 'Petani', 'informal', kk,
                   strftime(DATE '1950-01-01' + (i % 20000)::INTEGER, '%d-%m-%Y'),
                   CASE WHEN i % 2 = 0 THEN 'L' ELSE 'P' END, 'Petani'
            FROM (SELECT i, {codes}[(i % {len(CODES)}) + 1] || '01' || lpad((i % 1000000)::VARCHAR, 6, '0') || lpad((i % 9999 + 1)::VARCHAR, 4, '0') AS nik,
                         {codes}[(i % {len(CODES)}) + 1] || '010101' || lpad((i // 4)::VARCHAR, 6, '0') AS kk
                  FROM range({rows}) t(i))
        """)  # fmt: skip
        con.execute("""
            INSERT INTO row_issues
            SELECT file_name, sheet, row_number,
                   CASE status WHEN 'review' THEN 'KK_REGION' ELSE 'NIK_FORMAT' END,
                   CASE status WHEN 'review' THEN 'review' ELSE 'error' END,
                   CASE status WHEN 'review' THEN 'no_kk' ELSE 'nik' END, nik,
                   'Temuan untuk baris ' || row_number, 'bench'
            FROM submission_rows WHERE status <> 'accepted'
        """)
        con.execute("""
            INSERT INTO persons (person_id, nik, no_kk, nama, tanggal_lahir, jenis_kelamin,
                                 regency_code, pekerjaan, occupation_group, run_id)
            SELECT person_id, nik, no_kk, nama, tanggal_lahir, jenis_kelamin, regency_code,
                   pekerjaan, occupation_group, 'bench'
            FROM submission_rows WHERE status = 'accepted'
        """)
        con.execute("""
            INSERT INTO verified_candidates
            SELECT program, person_id, nik, regency_code, true, 1.0 / (person_id + 1),
                   row_number() OVER (PARTITION BY program, regency_code ORDER BY person_id),
                   person_id % 3 = 0, 'bench'
            FROM submission_rows WHERE status = 'accepted' AND person_id % 2 = 0
        """)
        con.execute(f"""
            INSERT INTO match_candidates (person_key_a, person_key_b, person_id_a, person_id_b,
                status, score, rule, nik_a, nik_b, nama_a, nama_b, tanggal_lahir_a,
                tanggal_lahir_b, jenis_kelamin_a, jenis_kelamin_b, no_kk_a, no_kk_b,
                same_family_card, kecamatan_a, kecamatan_b, regency_code_a, regency_code_b,
                run_id)
            SELECT 'N:' || a.nik, 'N:' || b.nik, a.person_id, b.person_id,
                   CASE WHEN a.person_id % 5 = 0 THEN 'distinct' ELSE 'open' END,
                   0.7 + (a.person_id % 25) / 100, 'nama_mirip', a.nik, b.nik, a.nama, b.nama,
                   a.tanggal_lahir, b.tanggal_lahir, a.jenis_kelamin, b.jenis_kelamin,
                   a.no_kk, b.no_kk, a.no_kk = b.no_kk, 'Kec', 'Kec', a.regency_code,
                   b.regency_code, 'bench'
            FROM submission_rows a JOIN submission_rows b ON b.order_key = a.order_key + 10
            WHERE a.status = 'accepted' AND b.status = 'accepted' AND a.order_key < {PAIRS * 2}
            LIMIT {PAIRS}
        """)  # fmt: skip
        con.execute("""
            INSERT INTO person_registry
            SELECT person_key_a, person_id_a, 'bench', person_id_a FROM match_candidates
            UNION SELECT person_key_b, person_id_b, 'bench', person_id_b FROM match_candidates
        """)
        counts = con.execute(
            "SELECT count(*), count(*) FILTER (status = 'accepted'), "
            "count(*) FILTER (status = 'review'), count(*) FILTER (status = 'rejected') "
            "FROM submission_rows"
        ).fetchone()
        now = datetime.now()
        con.execute(
            "INSERT INTO runs (run_id, started_at, finished_at, status, as_of, n_files_seen, "
            "n_files_loaded, n_files_rejected, n_files_duplicate, n_rows, n_accepted, n_review, "
            "n_rejected, n_persons, n_verified_kesehatan, n_verified_ketenagakerjaan, message) "
            "VALUES ('bench', ?, ?, 'completed', current_date, ?, ?, 0, 0, ?, ?, ?, ?, ?, 0, 0, "
            "'benchmark')",
            [now, now, n_files, n_files, *counts, counts[1]],
        )
        records = []
        for n, code in enumerate(CODES):
            for f in range(FILES_PER_REGENCY):
                path = exports / "umpan_balik" / code / f"umpan_balik_{n}_{f}.xlsx"
                records.append((path, "umpan_balik", code))
            records.append((exports / "bpjs" / f"verifikasi_{code}.xlsx", "bpjs", code))
        for path, kind, code in records:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"PK")
            con.execute(
                "INSERT INTO exports (run_id, program, regency_code, kind, path, n_rows, sha256) "
                "VALUES ('bench', 'kesehatan', ?, ?, ?, 1, '')",
                [code, kind, str(path)],
            )
        con.execute("CHECKPOINT")
    for username, role, regency in (
        ("prov", "provinsi", None), ("smd", "kabupaten", "6472"), ("ana", "analis", None),
    ):  # fmt: skip
        add_user(db, username, role, regency, PASSWORD)
    # the run's own HTML report (the province's dashboard shows it)
    write_html_report(exports, "bench", render_html(read_report_data(db, "bench")))
    return Settings(db=db, raw_dir=root / "raw", export_dir=exports)


PAGES = {
    "prov": ["/", "/tinjauan/baris", "/tinjauan/baris?halaman=500",
             "/tinjauan/baris?kabupaten=6472&halaman=20", "/tinjauan/pasangan",
             "/tinjauan/pasangan?halaman=300", "/unduhan"],
    "smd": ["/", "/tinjauan/baris", "/tinjauan/baris?halaman=50", "/tinjauan/pasangan",
            "/unggah", "/unduhan"],
    "ana": ["/", "/unduhan"],
}  # fmt: skip


def measure(settings: Settings) -> list[tuple[str, str, float, float, float, float]]:
    """(user, page, first ms and CPU ms, median ms and CPU ms of the next rounds) for every page
    of every role. CPU time (all threads of this process: the app and DuckDB) is what a request
    costs on an idle machine at most; wall time on a shared, loaded machine is far longer."""
    app = create_app(settings)
    results = []
    for username, pages in PAGES.items():
        client = TestClient(app)
        csrf = csrf_of(client.get("/login").text)
        # not following the redirect: the first `/` below is the dashboard's uncached view
        client.post(
            "/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf},
            follow_redirects=False,
        )  # fmt: skip
        for page in pages:
            times, cpu = [], []
            for _ in range(ROUNDS + 1):
                start, start_cpu = time.perf_counter(), time.process_time()
                answer = client.get(page)
                times.append((time.perf_counter() - start) * 1000)
                cpu.append((time.process_time() - start_cpu) * 1000)
                assert answer.status_code == 200, (username, page, answer.status_code)
            results.append(
                (
                    username,
                    page,
                    times[0],
                    cpu[0],
                    statistics.median(times[1:]),
                    statistics.median(cpu[1:]),
                )  # fmt: skip
            )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/tepat-web-bench"))
    args = parser.parse_args()
    settings = Settings(db=args.dir / "w.duckdb", raw_dir=args.dir / "raw",
                        export_dir=args.dir / "exports")  # fmt: skip
    if not settings.db.exists():
        start = time.perf_counter()
        settings = build(args.dir, args.rows)
        print(f"warehouse with {args.rows:,} rows built in {time.perf_counter() - start:.1f} s")
    print(f"{'user':<6} {'page':<45} {'first ms':>9} {'CPU':>5} {'median ms':>10} {'CPU':>5}")
    for username, page, first, first_cpu, median, cpu in measure(settings):
        print(
            f"{username:<6} {page:<45} {first:>9.0f} {first_cpu:>5.0f} {median:>10.0f} {cpu:>5.0f}"
        )


if __name__ == "__main__":
    main()
