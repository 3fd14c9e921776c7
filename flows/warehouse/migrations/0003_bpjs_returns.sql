-- what BPJS sends back: result and bill files, results per person, bill lines and findings, batches sent
CREATE TABLE IF NOT EXISTS bpjs_files (
    file_name VARCHAR PRIMARY KEY, sha256 VARCHAR, kind VARCHAR, program VARCHAR,
    period VARCHAR, status VARCHAR, reason_code VARCHAR, reason VARCHAR, n_rows INTEGER,
    n_skipped INTEGER, run_id VARCHAR, loaded_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS bpjs_results (
    file_name VARCHAR, sheet VARCHAR, row_number INTEGER, program VARCHAR, nik VARCHAR,
    person_id BIGINT, outcome VARCHAR, reason_code VARCHAR, bpjs_text VARCHAR,
    card_number VARCHAR, run_id VARCHAR, identity_key VARCHAR
);
CREATE TABLE IF NOT EXISTS bpjs_bill_lines (
    file_name VARCHAR, sheet VARCHAR, row_number INTEGER, period VARCHAR, program VARCHAR,
    nik VARCHAR, person_id BIGINT, regency_code VARCHAR, amount DOUBLE, kelas VARCHAR,
    card_number VARCHAR, run_id VARCHAR
);
CREATE TABLE IF NOT EXISTS billing_findings (
    file_name VARCHAR, sheet VARCHAR, row_number INTEGER, period VARCHAR, program VARCHAR,
    nik VARCHAR, person_id BIGINT, regency_code VARCHAR, finding VARCHAR, amount DOUBLE,
    run_id VARCHAR
);
-- Which list went out when: one batch per run and program, never rewritten.
CREATE TABLE IF NOT EXISTS bpjs_batches (
    run_id VARCHAR, program VARCHAR, created_at TIMESTAMP, n_full INTEGER, n_tambah INTEGER,
    n_kurang INTEGER, files VARCHAR, PRIMARY KEY (run_id, program)
);
CREATE TABLE IF NOT EXISTS bpjs_batch_members (
    run_id VARCHAR, program VARCHAR, regency_code VARCHAR, person_id BIGINT, nik VARCHAR,
    action VARCHAR, reason_code VARCHAR
);
ALTER TABLE verified_candidates ADD COLUMN IF NOT EXISTS bpjs_status VARCHAR;
