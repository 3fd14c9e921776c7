-- occupation spellings mapped by officers; the remarks column of each submission row
-- Officers' decisions on occupation spellings (`tepat review map-occupation` and the web
-- workspace): every row with that spelling, now and later, gets this occupation.
CREATE TABLE IF NOT EXISTS occupation_mappings (
    spelling_key VARCHAR PRIMARY KEY,  -- the normalised spelling as matched
    spelling VARCHAR,                  -- as first written
    occupation VARCHAR NOT NULL,       -- canonical Dukcapil name
    occupation_group VARCHAR NOT NULL,
    decided_by VARCHAR, decided_at TIMESTAMP, reason VARCHAR
);
-- The remarks column as written (KETERANGAN, KET, CATATAN), shown to the reviewer.
ALTER TABLE submission_rows ADD COLUMN IF NOT EXISTS keterangan VARCHAR;
