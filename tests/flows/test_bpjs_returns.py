"""What BPJS sends back: reading each kind of file and each bad file, results against persons,
rejections, the tambah/kurang changes, and every billing finding (DuckDB SQL)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xlsxwriter

from flows.settings import Settings
from flows.sources.bpjs import read_bpjs_dir, read_bpjs_file
from flows.warehouse.billing import reconcile_bills
from flows.warehouse.store import _insert, connect
from transforms.bpjs.changes import active_members, list_changes
from transforms.bpjs.results import (
    blocked_persons,
    bpjs_status,
    covered_flags,
    current_rejections,
    link_niks,
    tie_to_persons,
)

NIK_A, NIK_B, NIK_C, NIK_D = (
    "6472015508800001",
    "6472010101900002",
    "6401014107850003",
    "6401010202700004",
)
NIK_A2 = "6472015508800009"  # a second NIK of person 1 (a typo merged by deduplication)


def _xlsx(path: Path, title: list[str], header: list[str], rows: list[list[object]]) -> None:
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Hasil")
    r = 0
    for line in title:
        sheet.merge_range(r, 0, r, len(header) - 1, line)
        r += 1
    sheet.write_row(r, 0, header)
    for i, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r + 1 + i, c, value)
    workbook.close()


def settings_for(folder: Path) -> Settings:
    return Settings(bpjs_dir=folder)


def test_results_xlsx_with_merged_title_rows(tmp_path):
    path = tmp_path / "hasil_pendaftaran.xlsx"
    _xlsx(path, ["HASIL PENDAFTARAN PBPU PEMDA", "BPJS KESEHATAN KC SAMARINDA"],
          ["NO", "NIK", "NAMA", "NO KARTU", "STATUS", "KETERANGAN"],
          [[1, NIK_A, "SITI", 1234567890123, "GAGAL", "NIK TIDAK PADAN DENGAN DATA DUKCAPIL"],
           [2, NIK_B, "BUDI", None, "TIDAK BERHASIL", "NIK TIDAK PADAN DENGAN DATA DUKCAPIL"]])  # fmt: skip
    record, rows = read_bpjs_file(path, path.name, settings_for(tmp_path))
    assert record["status"] == "loaded" and record["kind"] == "results"
    assert record["program"] == "kesehatan"
    assert rows["row_number"].tolist() == [4, 5] and rows["sheet"].tolist() == ["Hasil"] * 2
    assert rows["outcome"].tolist() == ["rejected", "rejected"]
    assert rows["reason_code"].tolist() == ["DUKCAPIL_MISMATCH"] * 2
    assert rows["card_number"].iloc[0] == "1234567890123"
    assert rows["bpjs_text"].iloc[1] == "TIDAK BERHASIL - NIK TIDAK PADAN DENGAN DATA DUKCAPIL"


def test_results_csv_ketenagakerjaan_from_columns(tmp_path):
    path = tmp_path / "respon_cabang.csv"
    path.write_text(f"NIK;NAMA;KPJ;HASIL\n{NIK_A};SITI;12345678901;BERHASIL\n"
                    f"{NIK_B};BUDI;;SUDAH TERDAFTAR SEBAGAI PESERTA BPU\n")  # fmt: skip
    record, rows = read_bpjs_file(path, path.name, settings_for(tmp_path))
    assert (record["kind"], record["program"]) == ("results", "ketenagakerjaan")
    assert rows["outcome"].tolist() == ["registered", "already_covered"]
    assert rows["reason_code"].isna().tolist() == [True, False]


def test_bill_month_from_title_and_amount_text(tmp_path):
    path = tmp_path / "rekap_pbpu_pemda.xlsx"
    _xlsx(path, ["REKAP TAGIHAN IURAN BULAN OKTOBER 2026"],
          ["NO", "NIK", "NAMA PESERTA", "KELAS", "IURAN (Rp)"],
          [[1, NIK_A, "SITI", "III", "Rp 42.000"], [2, NIK_B, "BUDI", "III", 42000],
           ["JUMLAH", None, None, None, 84000]])  # fmt: skip
    record, rows = read_bpjs_file(path, path.name, settings_for(tmp_path))
    assert (record["kind"], record["program"], record["period"]) == ("bill", "kesehatan", "2026-10")
    assert rows["amount"].tolist() == [42000, 42000] and record["n_skipped"] == 1
    assert rows["regency_code"].tolist() == ["6472", "6472"]  # from the NIK: no regency named


def test_bill_month_from_column_or_file_name(tmp_path):
    path = tmp_path / "tagihan_pbpu_2026-09.csv"
    path.write_text(f"NIK,IURAN,PERIODE\n{NIK_A},42000,Agustus 2026\n{NIK_B},42000,\n")
    record, rows = read_bpjs_file(path, path.name, settings_for(tmp_path))
    assert rows["period"].tolist() == ["2026-08", "2026-09"]
    assert record["period"] == "2026-08,2026-09"


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("hasil_kesehatan.csv", "NAMA;STATUS\nSITI;BERHASIL\n", "HEADER_NOT_FOUND"),
        ("data_kesehatan.csv", f"NIK;NAMA\n{NIK_A};SITI\n", "BPJS_KIND_UNKNOWN"),
        ("hasil_pendaftaran.csv", f"NIK;STATUS\n{NIK_A};BERHASIL\n", "PROGRAM_UNKNOWN"),
        ("tagihan_kesehatan.csv", f"NIK;IURAN\n{NIK_A};42000\n", "PERIOD_UNKNOWN"),
        ("hasil_kesehatan.csv", "", "FILE_EMPTY"),
        ("hasil_kesehatan.xlsx", "not a workbook \x00\x01", "FILE_UNREADABLE"),
        ("hasil_kesehatan.pdf", "%PDF-1.4 ...", "FILE_UNSUPPORTED"),
    ],
)
def test_a_file_it_cannot_understand_is_recorded_with_a_reason(tmp_path, name, content, code):
    path = tmp_path / name
    path.write_text(content)
    record, rows = read_bpjs_file(path, name, settings_for(tmp_path))
    assert record["status"] == "rejected" and record["reason_code"] == code
    assert record["reason"] and rows.empty


def test_dir_skips_files_read_before_and_records_duplicates(tmp_path):
    path = tmp_path / "hasil_jkn.csv"
    path.write_text(f"NIK;STATUS\n{NIK_A};BERHASIL\n")
    (tmp_path / "salinan_hasil_jkn.csv").write_bytes(path.read_bytes())
    first = read_bpjs_dir(settings_for(tmp_path), pd.DataFrame(), "r1")
    assert sorted(first.files["status"]) == ["duplicate", "loaded"] and len(first.results) == 1
    again = read_bpjs_dir(settings_for(tmp_path), first.files, "r2")
    assert again.files.empty and again.results.empty
    path.write_text(f"NIK;STATUS\n{NIK_A};GAGAL\n")
    changed = read_bpjs_dir(settings_for(tmp_path), first.files, "r3")
    assert changed.replaced == ["hasil_jkn.csv"] and changed.results["outcome"].tolist() == [
        "rejected"
    ]


# --------------------------------------------------------------------------- results and persons


def persons() -> pd.DataFrame:
    return pd.DataFrame({
        "person_id": [1, 2, 3], "nik": [NIK_A, NIK_B, NIK_C],
        "nik_variants": [NIK_A2, None, None], "nama": ["Siti", "Budi", "Rahmat"],
        "tanggal_lahir": pd.to_datetime(["1980-08-15", "1990-01-01", "1985-07-01"]),
        "regency_code": ["6472", "6472", "6401"],
    })  # fmt: skip


def result(run, nik, outcome, reason=None, row=2, program="kesehatan", text="x"):
    return {"file_name": f"hasil_{run}.xlsx", "sheet": "Hasil", "row_number": row,
            "program": program, "nik": nik, "outcome": outcome, "reason_code": reason,
            "bpjs_text": text, "card_number": None, "run_id": run}  # fmt: skip


def test_every_result_kept_and_tied_by_any_nik():
    results = pd.DataFrame(
        [
            result("r1", NIK_A2, "registered"),
            result("r1", NIK_D, "rejected", "DUKCAPIL_MISMATCH", 3),
        ]
    )
    tied = tie_to_persons(results, persons())
    assert tied["person_id"].iloc[0] == 1 and pd.isna(tied["person_id"].iloc[1]) and len(tied) == 2
    assert link_niks(pd.Series([NIK_C, "6401000000000000"]), persons()).isna().tolist() == [
        False,
        True,
    ]


def test_latest_result_wins_for_rejections_and_covered():
    results = tie_to_persons(pd.DataFrame([
        result("r1", NIK_A, "rejected", "DUKCAPIL_MISMATCH", text="NIK TIDAK PADAN"),
        result("r2", NIK_A, "registered"),
        result("r1", NIK_B, "registered"),
        result("r2", NIK_B, "rejected", "DECEASED", text="MENINGGAL"),
        result("r2", NIK_C, "already_covered", "ALREADY_COVERED", row=3),
    ]), persons())  # fmt: skip
    rejections = current_rejections(results)
    assert rejections.to_dict("records") == [
        {
            "program": "kesehatan",
            "person_id": 2,
            "reason_code": "DECEASED",
            "bpjs_text": "MENINGGAL",
        }
    ]
    flags = covered_flags(results)
    assert flags.loc[flags["kesehatan_covered"], "nik"].tolist() == [NIK_C]


def test_rejected_person_not_sent_again_until_their_data_changes():
    results = tie_to_persons(
        pd.DataFrame([result("r1", NIK_A, "rejected", "DUKCAPIL_MISMATCH")]), persons()
    )
    assert blocked_persons(results, persons())["person_id"].tolist() == [1]
    corrected = persons().assign(nama=["Siti Aminah", "Budi", "Rahmat"])  # a new row fixed the name
    assert blocked_persons(results, corrected).empty
    verified = pd.DataFrame({"program": ["kesehatan"] * 3, "person_id": [1, 2, 3]})
    sent = pd.DataFrame({"program": ["kesehatan"], "person_id": [2]})
    status = bpjs_status(verified, results, blocked_persons(results, persons()), sent)
    assert status.tolist()[:2] == ["rejected", "sent"] and pd.isna(status.iloc[2])


def test_tambah_then_kurang_across_two_runs():
    decisions = pd.DataFrame({"program": ["kesehatan"] * 3, "person_id": [1, 2, 3],
                              "eligible": [True, True, True], "reason_code": [None] * 3})  # fmt: skip
    verified = decisions.assign(within_quota=True, regency_code="6472")
    send = verified[["program", "person_id", "regency_code"]].assign(nik=[NIK_A, NIK_B, NIK_C])
    # run 1: nothing sent before: everyone is tambah
    tambah, kurang = list_changes(
        send, active_members(pd.DataFrame(), pd.DataFrame()), decisions, verified
    )
    assert tambah["person_id"].tolist() == [1, 2, 3] and kurang.empty
    members = tambah.assign(run_id="r1", action="tambah")
    # run 2: person 1 now enrolled elsewhere, person 2 outside quota, person 3 gone; BPJS had
    # answered (in run 2) that it registered person 3 earlier
    decisions2 = decisions.iloc[:2].assign(eligible=[False, True],
                                           reason_code=["ALREADY_ENROLLED", None])  # fmt: skip
    verified2 = decisions2.iloc[1:].assign(within_quota=False, regency_code="6472")
    active = active_members(members, pd.DataFrame())
    tambah2, kurang2 = list_changes(send.iloc[0:0], active, decisions2, verified2)
    assert tambah2.empty
    assert dict(zip(kurang2["person_id"], kurang2["reason_code"], strict=True)) == {
        1: "ALREADY_ENROLLED",
        2: "OUTSIDE_QUOTA",
        3: "NOT_SUBMITTED",
    }
    # a later rejection takes a person off BPJS's side without a kurang
    rejected = pd.DataFrame([result("r3", NIK_A, "rejected", "DECEASED") | {"person_id": 1}])
    assert active_members(members, rejected)["person_id"].tolist() == [2, 3]
    # a registered result makes a person active without a tambah from tepat
    registered = pd.DataFrame([result("r0", NIK_C, "registered") | {"person_id": 3}])
    assert active_members(pd.DataFrame(), registered)["person_id"].tolist() == [3]


# --------------------------------------------------------------------------- billing findings


def test_every_billing_finding_with_its_amount(tmp_path):
    with connect(tmp_path / "w.duckdb") as con:
        people = persons()
        people.loc[len(people)] = [4, NIK_D, None, "Wati", pd.Timestamp("1970-02-02"), "6401"]
        _insert(con, "persons", people)
        _insert(
            con,
            "candidate_decisions",
            pd.DataFrame(
                {
                    "program": "kesehatan",
                    "person_id": [1, 2, 3, 4],
                    "eligible": [True, True, False, True],
                    "reason_code": [None, None, "ALREADY_ENROLLED", None],
                }
            ),
        )
        _insert(
            con,
            "verified_candidates",
            pd.DataFrame(
                {
                    "program": "kesehatan",
                    "person_id": [1, 2, 4],
                    "regency_code": ["6472", "6472", "6401"],
                    "within_quota": [True, False, True],
                }
            ),
        )
        _insert(
            con,
            "bpjs_results",
            pd.DataFrame([result("r0", NIK_D, "rejected", "DUKCAPIL_MISMATCH") | {"person_id": 4}]),
        )
        con.execute("INSERT INTO programs (program, premium_monthly) VALUES ('kesehatan', 42000)")
        lines = pd.DataFrame({
            "file_name": "tagihan.xlsx", "sheet": "Tagihan", "row_number": [2, 3, 4, 5, 6, 7, 8],
            "period": "2026-10", "program": "kesehatan",
            "nik": [NIK_A, NIK_A2, NIK_B, NIK_C, NIK_D, "6402010101800001", None],
            "amount": [42000, 42000, 42000, None, 42000, 42000, 42000],
            "kelas": "III", "card_number": None, "regency_code": [None] * 6 + ["6402"]})  # fmt: skip
        con.execute("BEGIN")
        reconcile_bills(con, lines, "r1")
        con.execute("COMMIT")
        found = con.execute(
            "SELECT row_number, finding, amount, person_id, regency_code "
            "FROM billing_findings ORDER BY row_number"
        ).df()
        summary = con.execute("SELECT * FROM v_billing_summary ORDER BY regency_code").df()
        # a later bill: a line whose month could not be read is still checked
        undated = lines.iloc[[0, 0]].assign(file_name="tagihan_2.xlsx", row_number=[2, 3],
                                             period=None)  # fmt: skip
        con.execute("BEGIN")
        reconcile_bills(con, undated, "r2")
        con.execute("COMMIT")
        later = con.execute(
            "SELECT row_number, finding FROM billing_findings WHERE run_id = 'r2'"
        ).fetchall()
    assert later == [(3, "BILLED_TWICE")]
    assert dict(zip(found["row_number"], found["finding"], strict=True)) == {
        3: "BILLED_TWICE",  # person 1 again, under their other NIK
        4: "OUTSIDE_QUOTA",
        5: "NOT_ELIGIBLE",
        6: "REJECTED_BY_BPJS",
        7: "NOT_VERIFIED",
        8: "NOT_VERIFIED",  # no NIK at all
    }
    assert found.loc[found["row_number"].eq(5), "amount"].item() == 42000  # priced at the premium
    assert found.loc[found["row_number"].eq(3), "person_id"].item() == 1
    assert summary["n_lines"].sum() == 7 and summary["n_lines_with_findings"].sum() == 6
    assert summary["amount_billed"].sum() == 7 * 42000
    assert summary.set_index("regency_code").loc["6472", "amount_with_findings"] == 2 * 42000


# --------------------------------------------------------------------------- export template


TEMPLATE = """
[programs.kesehatan]
title = "BPJS Kesehatan"
premium_monthly = 42000
export_columns = [
  { header = "NO", field = "rank" },
  { header = "NIK", field = "nik" },
  { header = "NAMA LENGKAP", field = "nama" },
  { header = "TEMPAT LAHIR", field = "tempat_lahir" },
  { header = "HUBUNGAN KELUARGA", field = "hubungan_keluarga" },
  { header = "KODE FASKES", field = "fktp" },
  { header = "HAK KELAS", value = "III" },
  { header = "SEGMEN", value = "PBPU PEMDA" },
]
"""


def test_export_columns_follow_the_template(tmp_path):
    import openpyxl

    from flows.outputs.bpjs_files import write_bpjs_exports
    from schemas.programs import parse_rules
    from tests.flows.test_publish import AS_OF, persons_frame, verified_frame

    rules = parse_rules(TEMPLATE)
    verified = verified_frame()
    verified = verified.loc[verified["program"].eq("kesehatan")]
    people = persons_frame().assign(tempat_lahir="Samarinda")
    records, pending = write_bpjs_exports(verified, people, tmp_path, AS_OF, "r1", rules)
    for file in pending:
        file.commit()
    path = next(p for p in records["path"] if "kesehatan_6472" in p and p.endswith(".xlsx"))
    sheet = openpyxl.load_workbook(path)["Daftar"]
    header = [c.value for c in sheet[1]]
    assert header == ["NO", "NIK", "NAMA LENGKAP", "TEMPAT LAHIR", "HUBUNGAN KELUARGA",
                      "KODE FASKES", "HAK KELAS", "SEGMEN"]  # fmt: skip
    first = [c.value for c in sheet[2]]
    assert first[1] == "6472015508800001" and first[3] == "Samarinda"
    assert first[4] is None and first[5] == "Puskesmas Sidomulyo"  # relationship: not known
    assert first[6:] == ["III", "PBPU PEMDA"]


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ('{ header = "X", field = "gaji" }', "unknown export field 'gaji'"),
        ('{ header = "X" }', "give exactly one of: field, value"),
        ('{ header = "X", field = "nik", value = "1" }', "give exactly one of: field, value"),
        ('{ header = "NIK", field = "nama" }', "export column headers repeated: NIK"),
    ],
)
def test_a_bad_template_names_the_file_and_line(entry, problem):
    from schemas.programs import RulesError, parse_rules

    text = TEMPLATE.replace('  { header = "SEGMEN", value = "PBPU PEMDA" },', f"  {entry},")
    with pytest.raises(RulesError, match=problem) as error:
        parse_rules(text, "aturan.toml")
    assert re.match(r"aturan\.toml:\d+: programs\.kesehatan", str(error.value))


def test_no_results_yet_means_no_rejections():
    empty = current_rejections(pd.DataFrame())
    assert empty.empty
    assert list(empty.columns) == ["program", "person_id", "reason_code", "bpjs_text"]


def test_tambah_and_kurang_for_the_persons_on_lists_ranked_again_are_those_of_everyone():
    from flows.outputs.bpjs_lists import plan_bpjs

    decisions = pd.DataFrame({"program": ["kesehatan"] * 3, "person_id": [1, 2, 3],
                              "eligible": [True, True, True], "reason_code": [None] * 3})  # fmt: skip
    # person 3 was registered by BPJS (a result), persons 1 and 2 sent by tepat; then a run
    # that changed person 1 alone takes them outside the quota
    verified = decisions.assign(
        within_quota=[False, True, True], regency_code=["6472", "6472", "6401"],
        nik=[NIK_A, NIK_B, NIK_C], score=1.0, rank=[3, 1, 1],
    )  # fmt: skip
    members = pd.DataFrame({"run_id": "r1", "program": "kesehatan", "regency_code": "6472",
                            "person_id": [1, 2], "nik": [NIK_A, NIK_B], "action": "tambah"})  # fmt: skip
    results = pd.DataFrame([result("r0", NIK_C, "registered")])
    everyone = plan_bpjs(results, members, persons(), decisions, verified)
    ranked_again = plan_bpjs(
        results, members, persons(), decisions, verified, scope=np.array([1, 2])
    )
    assert everyone.kurang["person_id"].tolist() == [1] and everyone.tambah.empty
    for part in ("kurang", "tambah", "to_send"):
        assert getattr(ranked_again, part).to_dict("records") == getattr(everyone, part).to_dict(
            "records"
        ), part
