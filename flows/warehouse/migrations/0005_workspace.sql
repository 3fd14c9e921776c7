-- the officers' workspace: accounts and the audit log of logins, decisions, uploads and downloads
CREATE TABLE IF NOT EXISTS users (
    username VARCHAR PRIMARY KEY, role VARCHAR NOT NULL, regency_code VARCHAR,
    password_hash VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL
);
-- "at" is a keyword in DuckDB: quote it in SQL.
CREATE TABLE IF NOT EXISTS audit_log (
    "at" TIMESTAMP NOT NULL, username VARCHAR, action VARCHAR NOT NULL, object VARCHAR,
    detail VARCHAR, entry_id VARCHAR
);
