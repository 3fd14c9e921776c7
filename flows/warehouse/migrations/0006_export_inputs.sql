-- exports.input_digest: what a file was written from, so an export whose inputs did not change is not written again
ALTER TABLE exports ADD COLUMN IF NOT EXISTS input_digest VARCHAR;
