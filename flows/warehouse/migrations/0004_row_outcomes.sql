-- the outcome of every submission row as its feedback workbook tells it; the submission a feedback workbook answers
-- Feedback workbooks (exports.kind 'umpan_balik'): the submission each answers.
ALTER TABLE exports ADD COLUMN IF NOT EXISTS source_file VARCHAR;
-- The outcome of every submission row as its feedback workbook tells it (latest run).
CREATE TABLE IF NOT EXISTS row_outcomes (
    file_name VARCHAR, sheet VARCHAR, row_number INTEGER, kode_hasil VARCHAR, hasil VARCHAR,
    run_id VARCHAR
);
