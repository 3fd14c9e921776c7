"""Analyst views and the de-identified copy: no NIK, KK or name survives; joins and counts do."""

from __future__ import annotations

import os
import re
import stat
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from flows.outputs.analyst_copy import (
    AnalystCopyError,
    classify_column,
    load_or_create_key,
    pseudonyms,
    write_analyst_copy,
)
from flows.warehouse.views import VIEWS

AS_OF = date(2026, 11, 27)
ANALYST_VIEWS = [
    "v_regency_summary", "v_rejection_reasons", "v_verified_kesehatan",
    "v_verified_ketenagakerjaan", "v_budget", "v_run_history",
]  # fmt: skip


def test_every_documented_view_is_defined_with_a_description() -> None:
    for name in ANALYST_VIEWS:
        doc, sql = VIEWS[name]
        assert len(doc) > 40 and sql


@pytest.mark.parametrize(
    ("table", "column", "dtype", "kind"),
    [
        ("persons", "nik", "VARCHAR", "pseudonym"),
        ("submission_rows", "nik_raw", "VARCHAR", "pseudonym"),
        ("match_candidates", "nik_a", "VARCHAR", "pseudonym"),
        ("match_candidates", "no_kk_b", "VARCHAR", "pseudonym"),
        ("match_candidates", "nama_a", "VARCHAR", "pseudonym"),
        ("match_candidates", "tanggal_lahir_a", "DATE", "year"),
        ("pair_reviews", "person_key_a", "VARCHAR", "pseudonym"),
        ("row_reviews", "row_hash", "VARCHAR", "pseudonym"),
        ("row_reviews", "note", "VARCHAR", "remove"),
        ("persons", "no_kk", "VARCHAR", "pseudonym"),
        ("persons", "nama", "VARCHAR", "pseudonym"),
        ("submission_rows", "nama_key", "VARCHAR", "pseudonym"),
        ("person_registry", "person_key", "VARCHAR", "pseudonym"),
        ("row_issues", "value", "VARCHAR", "pseudonym"),
        ("persons", "alamat", "VARCHAR", "remove"),
        ("persons", "no_hp", "VARCHAR", "remove"),
        ("persons", "tempat_lahir", "VARCHAR", "remove"),
        ("officer_notes", "catatan", "VARCHAR", "remove"),
        ("persons", "tanggal_lahir", "DATE", "year"),
        ("row_issues", "message", "VARCHAR", "message"),
        ("source_files", "file_name", "VARCHAR", "pseudonym"),
        ("source_files", "sha256", "VARCHAR", "pseudonym"),
        ("source_files", "reason", "VARCHAR", "remove"),
        ("submission_rows", "sheet", "VARCHAR", "pseudonym"),
        ("submission_rows", "row_number", "INTEGER", "pseudonym"),
        ("submission_rows", "order_key", "BIGINT", "remove"),
        ("persons", "source_file", "VARCHAR", "pseudonym"),
        ("persons", "source_sheet", "VARCHAR", "pseudonym"),
        ("persons", "source_row", "INTEGER", "pseudonym"),
        ("exports", "path", "VARCHAR", "pseudonym"),
        ("exports", "source_file", "VARCHAR", "pseudonym"),
        ("persons", "person_id", "BIGINT", "keep"),
        ("persons", "desa", "VARCHAR", "mask"),
    ],
)
def test_columns_are_classified_by_name(table: str, column: str, dtype: str, kind: str) -> None:
    assert classify_column(table, column, dtype).kind == kind


def test_pseudonyms_are_keyed_stable_and_never_look_like_a_nik() -> None:
    key, other = b"k" * 32, b"o" * 32
    first = pseudonyms(key, "nik", ["6472015506900003", "6472015506900004"])
    assert first == pseudonyms(key, "nik", ["6472015506900003", "6472015506900004"])
    assert first[0] != first[1]
    assert pseudonyms(other, "nik", ["6472015506900003"])[0] != first[0]
    assert pseudonyms(key, "kk", ["6472015506900003"])[0] != first[0]
    assert re.fullmatch(r"nik_[a-p]{20}", first[0])


def test_key_is_created_owner_only_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "tepat.duckdb.pseudonym-key"
    key = load_or_create_key(path)
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key(path) == key
    os.chmod(path, 0o644)
    with pytest.raises(AnalystCopyError, match="chmod 600"):
        load_or_create_key(path)


# --- end to end on a warehouse the pipeline wrote -----------------------------------------------


@pytest.fixture(scope="module")
def warehouse(prefect_harness: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse from generated data, plus a table no stage knows, with identities and free text."""
    from demo.generator import generate_demo_data
    from flows.pipeline import pipeline

    base = tmp_path_factory.mktemp("analyst")
    generate_demo_data(
        rows=150, out_dir=base / "raw", seed=5, reference_dir=base / "ref", as_of=AS_OF
    )
    db = base / "w" / "tepat.duckdb"
    pipeline(
        raw_dir=base / "raw", reference_dir=base / "ref", db=db, export_dir=base / "exports",
        as_of=AS_OF,
    )  # fmt: skip
    with duckdb.connect(str(db)) as con:
        con.execute(
            """
            CREATE TABLE officer_notes AS
            SELECT a.nik AS nik_a, b.nik AS nik_b, a.nama AS nama_a, b.no_kk AS no_kk_b,
                   'sama dengan ' || b.nama || ' NIK ' || b.nik AS catatan,
                   'cek ' || a.nik AS keputusan
            FROM persons AS a JOIN persons AS b ON a.person_id + 1 = b.person_id
            LIMIT 5
            """
        )
    return db


def _identities(db: Path) -> tuple[set[str], set[str]]:
    """Every NIK/KK-like value and every name in the source warehouse."""
    with duckdb.connect(str(db), read_only=True) as con:
        numbers = {
            r[0]
            for r in con.execute(
                "SELECT nik FROM submission_rows UNION SELECT no_kk FROM submission_rows "
                "UNION SELECT nik FROM persons UNION SELECT no_kk FROM persons "
                "UNION SELECT value FROM row_issues WHERE column_name IN ('nik', 'no_kk')"
            ).fetchall()
            if r[0] and re.fullmatch(r"\d{16}", r[0])
        }
        names = {
            r[0]
            for r in con.execute(
                "SELECT nama FROM submission_rows UNION SELECT nama FROM persons"
            ).fetchall()
            if r[0] and len(r[0]) >= 5
        }
    return numbers, names


def _all_text(db: Path) -> list[str]:
    """Every value of every text column of every table in a warehouse file."""
    values: list[str] = []
    with duckdb.connect(str(db), read_only=True) as con:
        columns = con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE data_type IN "
            "('VARCHAR', 'JSON') AND table_name IN (SELECT table_name FROM duckdb_tables())"
        ).fetchall()
        for table, column in columns:
            values += [
                str(r[0])
                for r in con.execute(
                    f'SELECT DISTINCT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL'
                ).fetchall()
            ]
    return values


@pytest.mark.slow
def test_the_warehouse_has_the_documented_views(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views()").fetchall()}
        assert set(ANALYST_VIEWS) <= views
        budget = con.execute(
            "SELECT program, sum(n_within_quota), sum(cost_monthly), min(premium_monthly) "
            "FROM v_budget GROUP BY program ORDER BY program"
        ).fetchall()
        in_quota = dict(
            con.execute(
                "SELECT program, count(*) FROM verified_candidates WHERE within_quota GROUP BY ALL"
            ).fetchall()
        )
        summary_rows = con.execute("SELECT sum(n_rows) FROM v_regency_summary").fetchone()[0]
        rows = con.execute("SELECT count(*) FROM submission_rows").fetchone()[0]
        verified_columns = {c[0] for c in con.execute("DESCRIBE v_verified_kesehatan").fetchall()}
    assert {p: (n, cost / premium) for p, n, cost, premium in budget} == {
        p: (in_quota.get(p, 0), in_quota.get(p, 0)) for p in in_quota
    }
    assert summary_rows == rows
    assert not verified_columns & {"nik", "no_kk", "nama", "alamat", "no_hp", "tanggal_lahir"}


@pytest.mark.slow
def test_the_analyst_copy_holds_no_nik_kk_or_name(warehouse: Path, tmp_path: Path) -> None:
    from flows.cli import app

    out = tmp_path / "analis.duckdb"
    result = CliRunner().invoke(app, ["analyst-copy", str(out), "--db", str(warehouse)])
    assert result.exit_code == 0, result.output
    numbers, names = _identities(warehouse)
    assert len(numbers) > 100 and len(names) > 50  # the scan below has something to find

    texts = _all_text(out)
    joined = "\n".join(texts).upper()
    assert not [n for n in numbers if n in joined]
    assert not [name for name in names if name.upper() in joined]
    hashes = re.compile(r"[0-9a-f]{64}")  # file hashes may hold 16 decimal digits in a row
    unhashed = "\n".join(t for t in texts if not hashes.fullmatch(t))
    assert not re.search(r"(?<!\d)\d{16}(?!\d)", unhashed)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


@pytest.mark.slow
def test_the_copy_keeps_tables_views_counts_and_joins(warehouse: Path, tmp_path: Path) -> None:
    key = warehouse.with_name("tepat.duckdb.pseudonym-key")
    first = write_analyst_copy(warehouse, tmp_path / "a.duckdb", key)
    second = write_analyst_copy(warehouse, tmp_path / "b.duckdb", key)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = sorted(
            r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        )
        source_summary = con.execute("SELECT * FROM v_regency_summary").df()
        counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    assert first.tables == tables
    assert set(ANALYST_VIEWS) <= set(first.views)
    with duckdb.connect(str(first.path), read_only=True) as con:
        assert {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables} == counts
        pd.testing.assert_frame_equal(
            con.execute("SELECT * FROM v_regency_summary").df(), source_summary
        )
        unmatched = con.execute(
            "SELECT count(*) FROM verified_candidates AS v JOIN persons AS p USING (person_id) "
            "WHERE v.nik <> p.nik"
        ).fetchone()[0]
        linked = con.execute(
            "SELECT count(*) FROM submission_rows AS s JOIN persons AS p ON s.nik = p.nik"
        ).fetchone()[0]
        births = con.execute(
            "SELECT count(*) FILTER (WHERE strftime(tanggal_lahir, '%m-%d') <> '01-01'), "
            "count(tanggal_lahir) FROM persons"
        ).fetchone()
        removed = con.execute(
            "SELECT count(alamat), count(no_hp), count(catatan) FROM persons, officer_notes"
        ).fetchone()
        nik_a = con.execute("SELECT nik_a FROM officer_notes ORDER BY 1").fetchall()
    assert unmatched == 0 and linked > 0  # the same NIK gets the same pseudonym in every table
    assert births[0] == 0 and births[1] > 0  # birth dates reduced to the year
    assert removed == (0, 0, 0)
    with duckdb.connect(str(second.path), read_only=True) as con:
        assert con.execute("SELECT nik_a FROM officer_notes ORDER BY 1").fetchall() == nik_a
    with pytest.raises(AnalystCopyError, match="sudah ada"):
        write_analyst_copy(warehouse, first.path, key)


@pytest.mark.slow
def test_the_copy_holds_no_row_coordinates_yet_rows_still_join(
    warehouse: Path, tmp_path: Path
) -> None:
    """A regency holds its files and feedback (file, sheet, row, NIK, name): none of the
    coordinates, file hashes or row order may let it join the copy back to named people."""
    copy = write_analyst_copy(warehouse, tmp_path / "c.duckdb", tmp_path / "k")
    coordinates = (
        "SELECT count(*) FROM submission_rows AS s JOIN row_issues AS i "
        "USING (file_name, sheet, row_number)"
    )
    lineage = (
        "SELECT count(*) FROM persons AS p JOIN submission_rows AS s "
        "ON s.file_name = p.source_file AND s.sheet = p.source_sheet "
        "AND s.row_number = p.source_row"
    )
    with duckdb.connect(str(warehouse), read_only=True) as con:
        files = {r[0] for r in con.execute("SELECT file_name FROM source_files").fetchall()}
        hashes = {r[0] for r in con.execute("SELECT sha256 FROM source_files").fetchall()}
        sheets = {r[0] for r in con.execute("SELECT sheet FROM submission_rows").fetchall()}
        joined = con.execute(coordinates).fetchone()[0], con.execute(lineage).fetchone()[0]
    with duckdb.connect(str(copy.path), read_only=True) as con:
        texts = set(_all_text(copy.path))
        assert not texts & (files | hashes | {s for s in sheets if s})
        assert not [t for t in texts if any(f in t for f in files)]  # not inside paths either
        assert (con.execute(coordinates).fetchone()[0], con.execute(lineage).fetchone()[0]) == (
            joined
        )
        rows = con.execute(
            "SELECT count(*), count(DISTINCT row_number), count(order_key), "
            "count(*) FILTER (WHERE row_number SIMILAR TO '.*[0-9].*') FROM submission_rows"
        ).fetchone()
        assert rows[0] == rows[1] > 100  # one pseudonym per row: same number, other file differs
        assert rows[2:] == (0, 0)
        assert con.execute("SELECT count(reason) FROM source_files").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM person_rows").fetchone()[0] > 0


def test_the_copy_and_its_temporary_file_are_created_under_an_owner_only_umask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Owner-only from the first byte: DuckDB creates the file, then its WAL, while the umask
    holds (a chmod afterwards would leave a moment readable by others)."""
    import flows.outputs.analyst_copy

    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE persons (person_id BIGINT, nik VARCHAR)")
        con.execute("INSERT INTO persons VALUES (1, '6472015508800003')")
    masks: list[int] = []
    real_connect = duckdb.connect

    def connect(*args: object, **kwargs: object) -> duckdb.DuckDBPyConnection:
        current = os.umask(0)
        os.umask(current)
        masks.append(current)
        return real_connect(*args, **kwargs)

    monkeypatch.setattr(flows.outputs.analyst_copy.duckdb, "connect", connect)
    previous = os.umask(0o022)
    try:
        write_analyst_copy(db, tmp_path / "a.duckdb", tmp_path / "k")
        assert os.umask(0o022) == 0o022  # restored afterwards
    finally:
        os.umask(previous)
    assert masks == [0o077]
