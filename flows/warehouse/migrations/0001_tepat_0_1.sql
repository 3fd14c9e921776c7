-- tepat 0.1: runs, files, rows, issues, persons, decisions, lists, reviews (the schema before
-- versioning; idempotent, so it also brings any 0.1 warehouse to version 1)
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY,
    started_at TIMESTAMP,
    finished_at TIMESTAMP,
    status VARCHAR,
    as_of DATE,
    n_files_seen INTEGER,
    n_files_loaded INTEGER,
    n_files_rejected INTEGER,
    n_files_duplicate INTEGER,
    n_rows INTEGER,
    n_accepted INTEGER,
    n_review INTEGER,
    n_rejected INTEGER,
    n_persons INTEGER,
    n_verified_kesehatan INTEGER,
    n_verified_ketenagakerjaan INTEGER,
    message VARCHAR
);
CREATE TABLE IF NOT EXISTS source_files (
    file_name VARCHAR PRIMARY KEY,
    sha256 VARCHAR,
    regency_code VARCHAR,
    program VARCHAR,
    status VARCHAR,
    reason_code VARCHAR,
    reason VARCHAR,
    n_rows INTEGER,
    n_skipped INTEGER,
    n_sheets INTEGER,
    run_id VARCHAR,
    loaded_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS submission_rows (
    file_name VARCHAR,
    sheet VARCHAR,
    row_number INTEGER,
    status VARCHAR,
    nik VARCHAR,
    person_id BIGINT,
    run_id VARCHAR,
    regency_code VARCHAR,
    program VARCHAR,
    order_key BIGINT,
    row_hash VARCHAR,
    nik_raw VARCHAR,
    no_kk VARCHAR,
    nama VARCHAR,
    nama_key VARCHAR,
    tempat_lahir VARCHAR,
    tanggal_lahir DATE,
    jenis_kelamin VARCHAR,
    alamat VARCHAR,
    rt_rw VARCHAR,
    desa VARCHAR,
    kecamatan VARCHAR,
    no_hp VARCHAR,
    fktp VARCHAR,
    pekerjaan VARCHAR,
    occupation_group VARCHAR,
    penghasilan DOUBLE,
    desil INTEGER,
    disabilitas BOOLEAN,
    jumlah_tanggungan INTEGER,
    PRIMARY KEY (file_name, sheet, row_number)
);
CREATE TABLE IF NOT EXISTS row_issues (
    file_name VARCHAR,
    sheet VARCHAR,
    row_number INTEGER,
    code VARCHAR,
    severity VARCHAR,
    column_name VARCHAR,
    value VARCHAR,
    message VARCHAR,
    run_id VARCHAR
);
CREATE TABLE IF NOT EXISTS person_registry (
    person_key VARCHAR PRIMARY KEY,
    person_id BIGINT,
    run_id VARCHAR
);
CREATE TABLE IF NOT EXISTS persons (
    person_id BIGINT PRIMARY KEY,
    nik VARCHAR,
    no_kk VARCHAR,
    nama VARCHAR,
    tanggal_lahir DATE,
    jenis_kelamin VARCHAR,
    regency_code VARCHAR,
    tempat_lahir VARCHAR,
    alamat VARCHAR,
    rt_rw VARCHAR,
    desa VARCHAR,
    kecamatan VARCHAR,
    no_hp VARCHAR,
    fktp VARCHAR,
    pekerjaan VARCHAR,
    occupation_group VARCHAR,
    penghasilan DOUBLE,
    desil INTEGER,
    disabilitas BOOLEAN,
    jumlah_tanggungan INTEGER,
    programs_submitted VARCHAR,
    programs_accepted VARCHAR,
    n_rows_accepted INTEGER,
    n_rows_review INTEGER,
    source_file VARCHAR,
    source_sheet VARCHAR,
    source_row INTEGER,
    run_id VARCHAR
);
CREATE TABLE IF NOT EXISTS candidate_decisions (
    program VARCHAR,
    person_id BIGINT,
    eligible BOOLEAN,
    reason_code VARCHAR,
    score DOUBLE,
    score_components JSON,
    run_id VARCHAR,
    PRIMARY KEY (program, person_id)
);
CREATE TABLE IF NOT EXISTS verified_candidates (
    program VARCHAR,
    person_id BIGINT,
    nik VARCHAR,
    regency_code VARCHAR,
    eligible BOOLEAN,
    score DOUBLE,
    rank INTEGER,
    within_quota BOOLEAN,
    run_id VARCHAR,
    PRIMARY KEY (program, person_id)
);
CREATE TABLE IF NOT EXISTS exports (
    run_id VARCHAR,
    program VARCHAR,
    regency_code VARCHAR,
    kind VARCHAR,
    path VARCHAR,
    n_rows INTEGER,
    sha256 VARCHAR
);
-- officers' decisions on rows held for review (flows/review/rows.py), keyed by row content
CREATE TABLE IF NOT EXISTS row_reviews (
    row_hash VARCHAR NOT NULL, regency_code VARCHAR, file_name VARCHAR NOT NULL,
    sheet VARCHAR NOT NULL, row_number INTEGER NOT NULL, decision VARCHAR NOT NULL,
    officer VARCHAR NOT NULL, note VARCHAR, codes VARCHAR, decided_at TIMESTAMP NOT NULL
);
-- cells as the regency wrote them, for the feedback workbooks (flows/outputs/feedback.py)
ALTER TABLE submission_rows ADD COLUMN IF NOT EXISTS kk_raw VARCHAR;
ALTER TABLE submission_rows ADD COLUMN IF NOT EXISTS tanggal_lahir_raw VARCHAR;
ALTER TABLE submission_rows ADD COLUMN IF NOT EXISTS jenis_kelamin_raw VARCHAR;
ALTER TABLE submission_rows ADD COLUMN IF NOT EXISTS pekerjaan_raw VARCHAR;
ALTER TABLE submission_rows ADD COLUMN IF NOT EXISTS penghasilan_raw VARCHAR;
ALTER TABLE submission_rows ADD COLUMN IF NOT EXISTS desil_raw VARCHAR;
ALTER TABLE submission_rows ADD COLUMN IF NOT EXISTS disabilitas_raw VARCHAR;
ALTER TABLE submission_rows ADD COLUMN IF NOT EXISTS jumlah_tanggungan_raw VARCHAR;
-- deduplication (transforms/link/dedup.py): pairs of person keys, officers' decisions, lineage
CREATE TABLE IF NOT EXISTS match_candidates (
    person_key_a VARCHAR, person_key_b VARCHAR, person_id_a BIGINT, person_id_b BIGINT,
    status VARCHAR, score DOUBLE, rule VARCHAR,
    nik_a VARCHAR, nik_b VARCHAR, edits_between_niks INTEGER, nama_a VARCHAR, nama_b VARCHAR,
    name_similarity DOUBLE, name_level VARCHAR, tanggal_lahir_a DATE, tanggal_lahir_b DATE,
    dob_level VARCHAR, jenis_kelamin_a VARCHAR, jenis_kelamin_b VARCHAR, same_sex BOOLEAN,
    no_kk_a VARCHAR, no_kk_b VARCHAR, same_family_card BOOLEAN, kecamatan_a VARCHAR, kecamatan_b VARCHAR,
    same_kecamatan BOOLEAN, regency_code_a VARCHAR, regency_code_b VARCHAR,
    decided_by VARCHAR, decided_at TIMESTAMP, run_id VARCHAR,
    PRIMARY KEY (person_key_a, person_key_b)
);
CREATE TABLE IF NOT EXISTS pair_reviews (
    person_key_a VARCHAR, person_key_b VARCHAR, person_id_a BIGINT, person_id_b BIGINT,
    decision VARCHAR, officer VARCHAR, decided_at TIMESTAMP, note VARCHAR
);
ALTER TABLE person_registry ADD COLUMN IF NOT EXISTS first_person_id BIGINT;
ALTER TABLE persons ADD COLUMN IF NOT EXISTS nik_variants VARCHAR;
ALTER TABLE submission_rows ADD COLUMN IF NOT EXISTS probable_person_id BIGINT;
CREATE OR REPLACE VIEW person_rows AS
SELECT person_id, file_name, sheet, row_number, status, program, regency_code, run_id
FROM submission_rows WHERE person_id IS NOT NULL;
COMMENT ON VIEW person_rows IS 'Lineage: every submission row (file, sheet, row) of each person.';
ALTER TABLE runs ADD COLUMN IF NOT EXISTS reference_sha256 VARCHAR;
ALTER TABLE runs ADD COLUMN IF NOT EXISTS rules_sha256 VARCHAR;
ALTER TABLE runs ADD COLUMN IF NOT EXISTS reviews_sha256 VARCHAR;
ALTER TABLE runs ADD COLUMN IF NOT EXISTS inputs_sha256 VARCHAR;
ALTER TABLE runs ADD COLUMN IF NOT EXISTS recomputed BOOLEAN;
CREATE TABLE IF NOT EXISTS programs (
    program VARCHAR PRIMARY KEY,
    title VARCHAR,
    premium_monthly DOUBLE,
    quota_per_regency INTEGER,
    budget_yearly_per_regency DOUBLE,
    one_per_household BOOLEAN,
    run_id VARCHAR
);
