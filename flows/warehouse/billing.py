"""Monthly BPJS bills checked line by line against the verified lists and BPJS's results (DuckDB SQL).

Run inside the run's transaction, after persons, decisions and verified lists are written:
the bill lines read this run get their person (by any NIK the person is known by), their
regency, and at most one finding each:

- `BILLED_TWICE`: the person (or the NIK, when no person has it) is on an earlier line of
  the same month and program, also under another of their NIKs;
- `REJECTED_BY_BPJS`: BPJS's latest result for the person is a rejection;
- `NOT_ELIGIBLE`: decided not eligible for the program (e.g. already enrolled elsewhere);
- `NOT_VERIFIED`: nobody on the verified list with that NIK;
- `OUTSIDE_QUOTA`: verified, but outside the quota or budget.

A line without an amount is priced at the program's premium.
"""

from __future__ import annotations

import duckdb
import pandas as pd

FINDINGS = ("BILLED_TWICE", "REJECTED_BY_BPJS", "NOT_ELIGIBLE", "NOT_VERIFIED", "OUTSIDE_QUOTA")
FINDING_LABELS: dict[str, str] = {
    "BILLED_TWICE": "Ditagih dua kali dalam sebulan",
    "REJECTED_BY_BPJS": "Ditolak BPJS saat pendaftaran",
    "NOT_ELIGIBLE": "Tidak memenuhi syarat",
    "NOT_VERIFIED": "Tidak ada di daftar terverifikasi",
    "OUTSIDE_QUOTA": "Di luar kuota",
}

NIK_PERSON = """
CREATE OR REPLACE TEMP TABLE _nik_person AS
SELECT nik, arg_min(person_id, pref) AS person_id FROM (
    SELECT nik, person_id, 0 AS pref FROM persons
    UNION ALL
    SELECT trim(unnest(string_split(nik_variants, ','))) AS nik, person_id, 1 AS pref
    FROM persons WHERE coalesce(nik_variants, '') <> ''
) GROUP BY nik
"""

INSERT_LINES = """
INSERT INTO bpjs_bill_lines
    (file_name, sheet, row_number, period, program, nik, person_id, regency_code, amount,
     kelas, card_number, run_id)
SELECT b.file_name, b.sheet, b.row_number, b.period, b.program, b.nik, np.person_id,
       coalesce(ps.regency_code, b.regency_code), coalesce(b.amount, p.premium_monthly),
       b.kelas, b.card_number, $run_id
FROM _incoming_bill_lines AS b
LEFT JOIN _nik_person AS np ON np.nik = b.nik
LEFT JOIN persons AS ps ON ps.person_id = np.person_id
LEFT JOIN programs AS p ON p.program = b.program
"""

FIND = """
INSERT INTO billing_findings
    (file_name, sheet, row_number, period, program, nik, person_id, regency_code, finding,
     amount, run_id)
WITH months AS (
    SELECT DISTINCT period, program FROM bpjs_bill_lines WHERE run_id = $run_id
), lines AS (
    SELECT b.*, row_number() OVER (
        PARTITION BY b.period, b.program, coalesce(CAST(b.person_id AS VARCHAR), 'nik:' || b.nik)
        ORDER BY b.run_id, b.file_name, b.sheet, b.row_number
    ) AS occurrence
    FROM bpjs_bill_lines AS b
    JOIN months AS m ON b.period IS NOT DISTINCT FROM m.period AND b.program = m.program
    WHERE b.nik IS NOT NULL OR b.person_id IS NOT NULL
    UNION ALL
    SELECT b.*, 1 AS occurrence FROM bpjs_bill_lines AS b
    WHERE b.run_id = $run_id AND b.nik IS NULL AND b.person_id IS NULL
), latest AS (
    SELECT program, person_id,
           arg_max(outcome, (run_id, file_name, sheet, row_number)) AS outcome
    FROM bpjs_results WHERE person_id IS NOT NULL GROUP BY program, person_id
), checked AS (
    SELECT l.*, CASE
        WHEN l.occurrence > 1 THEN 'BILLED_TWICE'
        WHEN r.outcome = 'rejected' THEN 'REJECTED_BY_BPJS'
        WHEN d.eligible = false THEN 'NOT_ELIGIBLE'
        WHEN v.person_id IS NULL THEN 'NOT_VERIFIED'
        WHEN NOT v.within_quota THEN 'OUTSIDE_QUOTA'
    END AS finding
    FROM lines AS l
    LEFT JOIN latest AS r ON r.program = l.program AND r.person_id = l.person_id
    LEFT JOIN candidate_decisions AS d ON d.program = l.program AND d.person_id = l.person_id
    LEFT JOIN verified_candidates AS v ON v.program = l.program AND v.person_id = l.person_id
    WHERE l.run_id = $run_id
)
SELECT file_name, sheet, row_number, period, program, nik, person_id, regency_code, finding,
       amount, run_id
FROM checked WHERE finding IS NOT NULL
"""


def reconcile_bills(con: duckdb.DuckDBPyConnection, lines: pd.DataFrame, run_id: str) -> None:
    """Store this run's bill lines tied to persons, regencies and premiums, then their findings."""
    if lines is None or lines.empty:
        return
    con.execute(NIK_PERSON)
    con.register("_incoming_bill_lines", lines)
    try:
        con.execute(INSERT_LINES, {"run_id": run_id})
    finally:
        con.unregister("_incoming_bill_lines")
    con.execute(FIND, {"run_id": run_id})
    con.execute("DROP TABLE IF EXISTS _nik_person")
