"""Documented analyst views, the run-fingerprint columns and the `programs` table.

Views carry no NIK, KK, name, address or phone number: `person_id` is the join key.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from schemas.reference import REGENCIES


def _regency_values() -> str:
    rows = [f"('{code}', '{r.kind} {r.name}', '{r.name}')" for code, r in sorted(REGENCIES.items())]
    return ",\n        ".join(rows)


# name -> (documentation, SELECT). Documented in README ("Analyst views"); kept identity-free.
VIEWS: dict[str, tuple[str, str]] = {
    "v_regencies": (
        "The ten Kaltim regencies and cities: Kemendagri code, full and short name.",
        f"""
        SELECT * FROM (VALUES
        {_regency_values()}
        ) AS r(regency_code, regency_name, regency_short_name)
        """,
    ),
    "v_regency_summary": (
        "Per regency and program: files received, rows by status, persons, verified and "
        "within quota, monthly premium of those within quota. Files whose regency or program "
        "could not be read are in source_files only.",
        """
        WITH files AS (
            SELECT regency_code, program, count(*) AS n_files,
                   count(*) FILTER (WHERE status = 'loaded') AS n_files_loaded,
                   count(*) FILTER (WHERE status = 'rejected') AS n_files_rejected,
                   count(*) FILTER (WHERE status = 'duplicate') AS n_files_duplicate
            FROM source_files
            WHERE regency_code IS NOT NULL AND program IS NOT NULL
            GROUP BY ALL
        ), submitted AS (
            SELECT regency_code, program, count(*) AS n_rows,
                   count(*) FILTER (WHERE status = 'accepted') AS n_accepted,
                   count(*) FILTER (WHERE status = 'review') AS n_review,
                   count(*) FILTER (WHERE status = 'rejected') AS n_rejected,
                   count(DISTINCT person_id) AS n_persons
            FROM submission_rows
            GROUP BY ALL
        ), verified AS (
            SELECT regency_code, program, count(*) AS n_verified,
                   count(*) FILTER (WHERE within_quota) AS n_within_quota
            FROM verified_candidates
            GROUP BY ALL
        ), keys AS (
            SELECT regency_code, program FROM files
            UNION SELECT regency_code, program FROM submitted
            UNION SELECT regency_code, program FROM verified
        )
        SELECT k.regency_code, g.regency_name, k.program,
               coalesce(f.n_files, 0) AS n_files,
               coalesce(f.n_files_loaded, 0) AS n_files_loaded,
               coalesce(f.n_files_rejected, 0) AS n_files_rejected,
               coalesce(f.n_files_duplicate, 0) AS n_files_duplicate,
               coalesce(s.n_rows, 0) AS n_rows,
               coalesce(s.n_accepted, 0) AS n_accepted,
               coalesce(s.n_review, 0) AS n_review,
               coalesce(s.n_rejected, 0) AS n_rejected,
               coalesce(s.n_persons, 0) AS n_persons,
               coalesce(v.n_verified, 0) AS n_verified,
               coalesce(v.n_within_quota, 0) AS n_within_quota,
               coalesce(v.n_within_quota, 0) * p.premium_monthly AS premium_monthly_total
        FROM keys AS k
        LEFT JOIN files AS f ON f.regency_code = k.regency_code AND f.program = k.program
        LEFT JOIN submitted AS s ON s.regency_code = k.regency_code AND s.program = k.program
        LEFT JOIN verified AS v ON v.regency_code = k.regency_code AND v.program = k.program
        LEFT JOIN v_regencies AS g ON g.regency_code = k.regency_code
        LEFT JOIN programs AS p ON p.program = k.program
        ORDER BY k.regency_code, k.program
        """,
    ),
    "v_rejection_reasons": (
        "Why rows were rejected (severity error), held for review (review) or accepted with "
        "a note (warning): rows per code, regency and program, and the share of that "
        "regency and program's rows.",
        """
        WITH issues AS (
            SELECT f.regency_code, f.program, i.code, i.severity,
                   count(DISTINCT (i.file_name, i.sheet, i.row_number)) AS n_rows
            FROM row_issues AS i
            JOIN source_files AS f ON f.file_name = i.file_name
            GROUP BY ALL
        ), totals AS (
            SELECT regency_code, program, count(*) AS n_rows_total
            FROM submission_rows GROUP BY ALL
        )
        SELECT i.regency_code, g.regency_name, i.program, i.code, i.severity, i.n_rows,
               round(i.n_rows / nullif(t.n_rows_total, 0), 4) AS share_of_rows
        FROM issues AS i
        LEFT JOIN totals AS t ON t.regency_code = i.regency_code AND t.program = i.program
        LEFT JOIN v_regencies AS g ON g.regency_code = i.regency_code
        ORDER BY i.regency_code, i.program, i.n_rows DESC, i.code
        """,
    ),
    "v_verified_kesehatan": (
        "The verified list for BPJS Kesehatan: rank, score and its components, and the "
        "person's non-identifying attributes (no NIK, KK, name or address; join on person_id).",
        "{verified:kesehatan}",
    ),
    "v_verified_ketenagakerjaan": (
        "The verified list for BPJS Ketenagakerjaan BPU: rank, score and its components, and "
        "the person's non-identifying attributes (no NIK, KK, name or address).",
        "{verified:ketenagakerjaan}",
    ),
    "v_budget": (
        "Premium cost per program and regency: monthly premium from the program rules, "
        "quota, persons verified and within quota, monthly and yearly cost, and what is "
        "left of the yearly budget when the rules set one.",
        """
        WITH counts AS (
            SELECT program, regency_code, count(*) AS n_verified,
                   count(*) FILTER (WHERE within_quota) AS n_within_quota
            FROM verified_candidates GROUP BY ALL
        )
        SELECT p.program, p.title, g.regency_code, g.regency_name, p.premium_monthly,
               p.quota_per_regency AS quota,
               coalesce(c.n_verified, 0) AS n_verified,
               coalesce(c.n_within_quota, 0) AS n_within_quota,
               coalesce(c.n_within_quota, 0) * p.premium_monthly AS cost_monthly,
               coalesce(c.n_within_quota, 0) * p.premium_monthly * 12 AS cost_yearly,
               coalesce(c.n_verified, 0) * p.premium_monthly * 12 AS cost_yearly_all_verified,
               p.budget_yearly_per_regency,
               p.budget_yearly_per_regency
                   - coalesce(c.n_within_quota, 0) * p.premium_monthly * 12
                   AS budget_remaining_yearly
        FROM programs AS p
        CROSS JOIN v_regencies AS g
        LEFT JOIN counts AS c ON c.program = p.program AND c.regency_code = g.regency_code
        ORDER BY p.program, g.regency_code
        """,
    ),
    "v_run_history": (
        "Every completed run: when, how long, as-of date, whether it recomputed (false: "
        "nothing new), what it loaded, the warehouse totals it left, and how many stored "
        "persons it linked again when it brought only new or replaced files (NULL: all of them).",
        """
        SELECT run_id, started_at, finished_at,
               date_diff('millisecond', started_at, finished_at) / 1000.0 AS duration_seconds,
               status, as_of, coalesce(recomputed, true) AS recomputed,
               n_files_seen, n_files_loaded, n_files_rejected, n_files_duplicate,
               n_rows, n_accepted, n_review, n_rejected, n_persons,
               n_verified_kesehatan, n_verified_ketenagakerjaan, message,
               reference_sha256, rules_sha256, reviews_sha256, inputs_sha256, persons_relinked
        FROM runs
        ORDER BY started_at, run_id
        """,
    ),
    "v_billing_summary": (
        "BPJS bills per month, program and regency: lines and Rupiah billed, and with findings.",
        """
        SELECT b.period, b.program, b.regency_code,
               count(*) AS n_lines, sum(b.amount) AS amount_billed,
               count(f.finding) AS n_lines_with_findings,
               coalesce(sum(b.amount) FILTER (WHERE f.finding IS NOT NULL), 0)
                   AS amount_with_findings
        FROM bpjs_bill_lines AS b
        LEFT JOIN billing_findings AS f USING (file_name, sheet, row_number)
        GROUP BY ALL
        """,
    ),
}

VERIFIED_SELECT = """
        SELECT v.regency_code, g.regency_name, v.rank, v.score, v.within_quota, v.person_id,
               p.jenis_kelamin, year(p.tanggal_lahir) AS birth_year,
               date_sub('year', p.tanggal_lahir, r.as_of) AS age,
               p.kecamatan, p.desa, p.pekerjaan, p.occupation_group, p.desil, p.disabilitas,
               p.jumlah_tanggungan, p.penghasilan, d.score_components, v.run_id
        FROM verified_candidates AS v
        LEFT JOIN persons AS p ON p.person_id = v.person_id
        LEFT JOIN candidate_decisions AS d ON d.program = v.program AND d.person_id = v.person_id
        LEFT JOIN runs AS r ON r.run_id = v.run_id
        LEFT JOIN v_regencies AS g ON g.regency_code = v.regency_code
        WHERE v.program = '{program}'
        ORDER BY v.regency_code, v.rank
"""


def view_sql(name: str) -> str:
    """The SELECT behind one analyst view."""
    _, sql = VIEWS[name]
    if sql.startswith("{verified:"):
        return VERIFIED_SELECT.format(program=sql.removeprefix("{verified:").removesuffix("}"))
    return sql


def create_views(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create the analyst views: derived from the tables, so always as this code defines them."""
    for name, (doc, _) in VIEWS.items():
        con.execute(f"CREATE OR REPLACE VIEW {name} AS {view_sql(name)}")
        con.execute(f"COMMENT ON VIEW {name} IS '{sql_text(doc)}'")


def program_table(rules: object) -> pd.DataFrame:
    """One `programs` row per program: premium, quota and budget from the rules of this run."""
    programs = rules.programs  # type: ignore[attr-defined]
    return pd.DataFrame(
        {
            "program": list(programs),
            "title": [p.title for p in programs.values()],
            "premium_monthly": [float(p.premium_monthly) for p in programs.values()],
            "quota_per_regency": pd.array([p.quota for p in programs.values()], dtype="Int64"),
            "budget_yearly_per_regency": pd.array(
                [p.budget_yearly_per_regency for p in programs.values()], dtype="Float64"
            ),
            "one_per_household": [bool(p.one_per_household) for p in programs.values()],
        }
    )


def sql_text(text: str) -> str:
    """A text for a single-quoted SQL literal."""
    return text.replace("'", "''")
