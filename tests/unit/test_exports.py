"""The BPJS lists' rows on tiny frames: identity columns, templates, budget, province total."""

from __future__ import annotations

import pandas as pd

from schemas.programs import ExportColumn, Program
from transforms.publish.exports import (
    IDENTITY_COLUMNS,
    LAYOUT_COLUMNS,
    TRAILING_COLUMNS,
    apply_export_template,
    budget_summary,
    export_rows,
    list_columns,
    neutralise,
    with_province_total,
)

VERIFIED = pd.DataFrame(
    {
        "program": ["kesehatan", "kesehatan", "kesehatan", "ketenagakerjaan"],
        "person_id": [1, 2, 3, 1],
        "regency_code": ["6472", "6401", "6472", "6472"],
        "rank": [1, 1, 2, 1],
        "score": [90.0, 80.0, 70.0, 60.0],
        "within_quota": [True, True, False, True],
    }
)
PERSONS = pd.DataFrame(
    {
        "person_id": [1, 2, 3],
        "nik": ["6472015508800003", "6401011203750005", "6472014107900007"],
        "no_kk": ["6472010101200001", "6401010101200002", "6472010101200003"],
        "nama": ["Siti Aminah", "Budi Santoso", "Rina Wati"],
        "tanggal_lahir": pd.to_datetime(["1980-08-15", "1975-03-12", "1990-07-01"]),
        "jenis_kelamin": ["P", "L", "P"],
        "fktp": ["Puskesmas Palaran", None, None],
        "pekerjaan": ["Petani", "Nelayan", "Pedagang"],
        "tempat_lahir": ["Samarinda", "Tanah Grogot", "Samarinda"],
        "regency_code": ["6472", "6401", "6472"],
    }
)


def test_export_rows_are_the_persons_within_quota_by_regency_and_rank():
    rows = export_rows(VERIFIED, PERSONS, "kesehatan")
    assert rows[["regency_code", "nama", "rank"]].values.tolist() == [
        ["6401", "Budi Santoso", 1],
        ["6472", "Siti Aminah", 1],
    ]
    first = rows.iloc[1]
    assert first["tanggal_lahir"] == "15-08-1980" and first["jenis_kelamin"] == "Perempuan"
    assert first["kabupaten_kota"] == "Kota Samarinda" and first["kelas_rawat"] == "III"
    assert pd.isna(first["alamat"])  # a column the persons lack is blank


def test_layouts_add_their_columns():
    work = export_rows(VERIFIED, PERSONS, "ketenagakerjaan")
    assert work[["pekerjaan", "program_bpu"]].values.tolist() == [["Petani", "JKK, JKM"]]
    plain = export_rows(VERIFIED, PERSONS, "ketenagakerjaan", layout="identity")
    assert "program_bpu" not in plain and "kelas_rawat" not in plain


def test_a_template_takes_fields_from_the_rows_then_the_person_and_fills_fixed_values():
    rows = export_rows(VERIFIED, PERSONS, "kesehatan")
    template = [
        ExportColumn(header="NIK", field="nik"),
        ExportColumn(header="Tempat Lahir", field="tempat_lahir"),
        ExportColumn(header="Hubungan", field="hubungan_keluarga"),
        ExportColumn(header="Segmen", value="PBPU Pemda"),
    ]
    shaped, columns = apply_export_template(rows, PERSONS, template)
    assert columns == [
        ("nik", "NIK"),
        ("tempat_lahir", "Tempat Lahir"),
        ("hubungan_keluarga", "Hubungan"),
        ("value_3", "Segmen"),
    ]
    assert shaped["tempat_lahir"].tolist() == ["Tanah Grogot", "Samarinda"]
    assert shaped["hubungan_keluarga"].isna().all()  # no such person column: blank
    assert shaped["value_3"].tolist() == ["PBPU Pemda"] * 2
    assert "value_3" not in rows  # the input rows are left as they were
    program = Program(title="JKN", premium_monthly=42_000, export_columns=template)
    assert list_columns(program, "kesehatan", rows, PERSONS)[1] == columns


def test_without_a_template_the_layout_gives_the_columns():
    rows = export_rows(VERIFIED, PERSONS, "kesehatan")
    shaped, columns = list_columns(None, "kesehatan", rows, PERSONS)
    assert shaped is rows
    assert columns == IDENTITY_COLUMNS + LAYOUT_COLUMNS["kesehatan"] + TRAILING_COLUMNS


def test_budget_per_regency_and_the_province_total():
    program = Program(title="JKN", premium_monthly=42_000, quota_per_regency=2)
    summary = budget_summary(VERIFIED, "kesehatan", program)
    assert summary[["regency_code", "n_verified", "quota", "n_within_quota"]].values.tolist() == [
        ["6401", 1, 2, 1],
        ["6472", 2, 2, 1],
    ]
    assert summary["premium_year_total"].tolist() == [504_000, 504_000]
    total = with_province_total(summary).iloc[-1]
    assert total["kabupaten_kota"] == "JUMLAH Kalimantan Timur" and total["regency_code"] == "64"
    assert (total["n_verified"], total["quota"], total["premium_year_total"]) == (3, 4, 1_008_000)
    assert pd.isna(total["budget_yearly"])  # no budget set: no total either


def test_neutralise():
    texts = pd.Series(["=1+1", "-", "Siti", None], dtype="string")
    assert neutralise(texts).tolist() == ["'=1+1", "'-", "Siti", pd.NA]
