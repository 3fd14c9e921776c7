-- reference_enrolment: the BPJS reference lists' coverage flags per NIK as last read, keyed by the lists' content hash (read again only when the lists change); runs.reference_notes: what each run said of the reference lists
CREATE TABLE IF NOT EXISTS reference_enrolment (
    reference_sha256 VARCHAR NOT NULL,
    nik VARCHAR NOT NULL,
    kesehatan_covered BOOLEAN NOT NULL,
    kesehatan_self_paying BOOLEAN NOT NULL,
    kesehatan_arrears BOOLEAN NOT NULL,
    ketenagakerjaan_active BOOLEAN NOT NULL
);
ALTER TABLE runs ADD COLUMN IF NOT EXISTS reference_notes VARCHAR;
