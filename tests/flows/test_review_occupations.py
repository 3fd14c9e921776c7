"""Occupation spellings officers decide, remarks shown to them: recorded, listed, applied by runs."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows.review.occupations import (
    OccupationReviewError,
    files_to_read_again,
    read_occupation_mappings,
    record_occupation_mapping,
)
from flows.warehouse.store import connect
from schemas.occupations import occupation_key

AS_OF = date(2026, 11, 27)
HEADER = "NIK;NO KK;NAMA;TGL LAHIR;JENIS KELAMIN;PEKERJAAN;KETERANGAN\n"


def _write(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + "".join(line + "\n" for line in lines), encoding="utf-8")


def test_a_mapping_needs_an_occupation_of_the_list_an_officer_and_a_reason(tmp_path):
    with connect(tmp_path / "w.duckdb") as con:
        with pytest.raises(OccupationReviewError, match="bukan pekerjaan"):
            record_occupation_mapping(con, "Serabutan", "Tukang Serba Bisa", "Rina", "dicek")
        with pytest.raises(OccupationReviewError, match="--by"):
            record_occupation_mapping(con, "Serabutan", "Buruh Harian Lepas", " ", "dicek")
        with pytest.raises(OccupationReviewError, match="--reason"):
            record_occupation_mapping(con, "Serabutan", "Buruh Harian Lepas", "Rina", "")
        record_occupation_mapping(con, "Serabutan", "BHL", "Rina", "dicek", datetime(2026, 11, 1))
        record_occupation_mapping(
            con, "SERABUTAN.", "Petani", "Budi", "ralat", datetime(2026, 11, 2)
        )
        assert read_occupation_mappings(con) == {
            "SERABUTAN": ("Petani/Pekebun", "informal")  # one key: the later decision stands
        }
        row = con.execute("SELECT spelling, decided_by, reason FROM occupation_mappings").fetchone()
        assert row == ("Serabutan", "Budi", "ralat")  # the spelling as first written


@pytest.mark.slow
def test_a_mapped_spelling_releases_its_rows_on_the_next_run(prefect_harness, tmp_path):
    from flows.cli import app
    from flows.pipeline import pipeline

    raw = tmp_path / "raw"
    smd = "Samarinda/usulan kesehatan samarinda.csv"
    _write(raw / smd, [
        "6472015508800003;6472010101200001;Siti Aminah;15-08-1980;P;Serabutan;",
        "6472011203750005;6472010101200002;Budi Santoso;12-03-1975;L;Anggota POLRI;",
        "6472014207900007;6472010101200003;Rina Wati;02-07-1990;P;Pedagang;MENINGGAL DUNIA",
        "6472011505850009;6472010101200004;Andi Pratama;15-05-1985;L;Petani;janda, suami meninggal",
    ])  # fmt: skip
    db, exports = tmp_path / "w.duckdb", tmp_path / "exports"

    def run():
        return pipeline(raw_dir=raw, reference_dir=tmp_path / "ref", db=db, export_dir=exports,
                        as_of=AS_OF)  # fmt: skip

    def state():
        with duckdb.connect(str(db), read_only=True) as con:
            rows = dict(con.execute(
                "SELECT row_number, status FROM submission_rows").fetchall())  # fmt: skip
            verified = {r[0] for r in con.execute("SELECT nik FROM verified_candidates").fetchall()}
            kept = con.execute(
                "SELECT keterangan FROM submission_rows WHERE row_number = 4").fetchone()[0]  # fmt: skip
        return rows, verified, kept

    run()
    rows, verified, kept = state()
    assert rows == {2: "review", 3: "accepted", 4: "review", 5: "accepted"}
    assert verified == {"6472011505850009"}  # the police officer is excluded, not let through
    assert kept == "MENINGGAL DUNIA"

    cli = CliRunner()
    listed = cli.invoke(app, ["review", "rows", "--db", str(db)])
    assert listed.exit_code == 0, listed.output
    assert "OCCUPATION_UNKNOWN" in listed.output and "REMARK_DECEASED" in listed.output
    assert "Ket.  : MENINGGAL DUNIA" in listed.output
    spellings = cli.invoke(app, ["review", "occupations", "--db", str(db)])
    assert "'Serabutan': 1 baris (1 ditahan)" in spellings.output, spellings.output

    mapped = cli.invoke(app, ["review", "map-occupation", "SERABUTAN", "Buruh Harian Lepas",
                              "--by", "Rina", "--reason", "dicek dengan KK", "--db", str(db)])  # fmt: skip
    assert mapped.exit_code == 0, mapped.output
    assert "Buruh Harian Lepas (informal)" in mapped.output
    with duckdb.connect(str(db), read_only=True) as con:
        assert files_to_read_again(con, read_occupation_mappings(con)) == [smd]

    run()  # no file changed: the mapping alone makes this run recompute and read the file again
    rows, verified, _ = state()
    assert rows == {2: "accepted", 3: "accepted", 4: "review", 5: "accepted"}
    assert verified == {"6472011505850009", "6472015508800003"}
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute(
            "SELECT pekerjaan, occupation_group FROM submission_rows WHERE row_number = 2"
        ).fetchone() == ("Buruh Harian Lepas", "informal")
        assert files_to_read_again(con, read_occupation_mappings(con)) == []
        assert occupation_key("Serabutan") in read_occupation_mappings(con)
    listed = cli.invoke(app, ["review", "occupations", "--db", str(db)])
    assert "'SERABUTAN' -> Buruh Harian Lepas (informal), oleh Rina" in listed.output

    summary = run()  # nothing new since: the previous results stand
    assert "Tidak ada yang baru" in summary.text()
