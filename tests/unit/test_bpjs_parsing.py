"""What BPJS sends back, pure parts: result wording, kinds of file, programs, months, amounts."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.bpjs import OUTCOMES, REASON_CODES
from transforms.bpjs.classify import (
    amounts,
    bpjs_field,
    classify_results,
    file_kind,
    period_of_text,
    periods_of,
    program_of,
)

# Wordings BPJS branches use, per (outcome, reason); a status word may come before a remark.
PHRASES = {
    ("registered", None): ["BERHASIL", "Terdaftar", "AKTIF", "Sukses", "OK", "berhasil didaftarkan"],
    ("rejected", "DUKCAPIL_MISMATCH"): [
        "NIK TIDAK PADAN DENGAN DATA DUKCAPIL", "NIK tidak ditemukan", "nik tdk padan",
        "Data tidak padan Dukcapil", "NIK belum padan", "NIK tidak valid", "NIK TIDAK TERDAFTAR",
    ],
    ("already_covered", "ALREADY_COVERED"): [
        "SUDAH TERDAFTAR SEBAGAI PESERTA PBI APBN", "Sudah aktif di segmen PPU",
        "sdh terdaftar PBI APBN", "Terdaftar sebagai peserta PBI APBD", "masih aktif PPU",
    ],
    ("rejected", "DECEASED"): ["PESERTA MENINGGAL DUNIA", "Meninggal", "wafat"],
    ("rejected", "DUPLICATE"): ["DATA GANDA", "NIK GANDA", "double data", "Duplikasi peserta"],
    ("rejected", "DATA_MISMATCH"): [
        "NAMA TIDAK SESUAI", "Tanggal lahir tidak sesuai KTP", "tgl lahir berbeda",
    ],
    ("rejected", "OTHER"): ["GAGAL", "TIDAK BERHASIL", "Ditolak", "tidak dapat diproses"],
}  # fmt: skip
FAILED_STATUS = ["GAGAL", "TIDAK BERHASIL", "Tidak Berhasil", "DITOLAK"]
CASES = [(kind, phrase) for kind, phrases in PHRASES.items() for phrase in phrases]


def _noise(text: str, case: int, separator: str) -> str:
    text = [text.upper(), text.lower(), text.title(), text][case]
    return text.replace(" ", separator)


@settings(max_examples=300, deadline=None)
@given(
    case=st.sampled_from(CASES),
    letter_case=st.integers(0, 3),
    separator=st.sampled_from([" ", "  ", "_", " - ", ". "]),
    status=st.sampled_from(["", *FAILED_STATUS]),
    joiner=st.sampled_from([" - ", ": ", " / ", ", "]),
)
def test_wording_gives_outcome_and_reason(case, letter_case, separator, status, joiner):
    (outcome, reason), phrase = case
    if outcome == "registered" and status:
        return  # a failed status and a success remark: not a wording BPJS writes
    text = _noise(phrase, letter_case, separator)
    if status and (outcome, reason) != ("rejected", "OTHER"):
        text = status + joiner + text
    got = classify_results(pd.Series([text])).iloc[0]
    assert got["outcome"] == outcome
    assert (pd.isna(got["reason_code"]) and reason is None) or got["reason_code"] == reason


@settings(deadline=None)
@given(st.text(max_size=40))
def test_any_text_gets_a_contract_outcome(text):
    got = classify_results(pd.Series([text, None])).iloc[0]
    assert got["outcome"] in OUTCOMES
    assert pd.isna(got["reason_code"]) == (got["outcome"] == "registered")
    assert pd.isna(got["reason_code"]) or got["reason_code"] in REASON_CODES


def test_tidak_berhasil_is_not_berhasil():
    got = classify_results(pd.Series(["TIDAK BERHASIL", "BERHASIL", "TDK BERHASIL", None]))
    assert got["outcome"].tolist() == ["rejected", "registered", "rejected", "rejected"]


def test_bpjs_columns_named():
    assert bpjs_field("KETERANGAN") == "keterangan" and bpjs_field("KETERANGANBPJS") == "keterangan"
    assert bpjs_field("STATUS") == "status_hasil" and bpjs_field("NOKA") == "card_number"
    assert bpjs_field("IURANRP") == "amount" and bpjs_field("NIK") == "nik"
    assert (
        bpjs_field("NOKARTUKELUARGA") == "no_kk" and bpjs_field("TANGGALLAHIR") == "tanggal_lahir"
    )


@pytest.mark.parametrize(
    ("columns", "names", "kind"),
    [
        (["nik", "nama", "status_hasil"], "respon.xlsx", "results"),
        (["nik", "keterangan", "card_number"], "data.xlsx", "results"),
        (["nik", "nama", "amount"], "data.xlsx", "bill"),
        (["nik", "kelas"], "peserta.xlsx", "bill"),
        (["nik", "nama"], "hasil_pendaftaran.xlsx", "results"),
        (["nik", "nama"], "tagihan_oktober.xlsx", "bill"),
        (["nik", "nama"], "rekap iuran.xlsx", "bill"),
        (["nik", "keterangan", "amount"], "x.xlsx", "bill"),
        (["nik", "nama"], "data.xlsx", None),
    ],
)
def test_file_kind_from_columns_then_names(columns, names, kind):
    assert file_kind(columns, names) == kind


@pytest.mark.parametrize(
    ("names", "labels", "values", "program"),
    [
        ("hasil_pbpu_pemda.xlsx", [], [], "kesehatan"),
        ("respon_bpu_rentan.csv", [], [], "ketenagakerjaan"),
        ("HASIL TIDAK BERHASIL jkn", [], [], "kesehatan"),
        ("hasil.xlsx", ["NIK", "NO KPJ", "STATUS"], [], "ketenagakerjaan"),
        ("hasil.xlsx", ["NIK", "NOKA", "KELAS"], [], "kesehatan"),
        ("hasil.xlsx", ["NIK", "SEGMEN"], ["PBPU PEMDA"], "kesehatan"),
        ("hasil.xlsx", ["NIK", "STATUS"], [], None),
        ("hasil_jkn_bpu.xlsx", [], [], None),
    ],
)
def test_program_from_names_columns_or_values(names, labels, values, program):
    assert program_of(names, labels, values) == program


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("TAGIHAN BULAN OKTOBER 2026", "2026-10"),
        ("tagihan_2026-10", "2026-10"),
        ("rekap iuran 10/2026", "2026-10"),
        ("Okt-2026", "2026-10"),
        ("Pebruari 2025", "2025-02"),
        ("202603", "2026-03"),
        ("tagihan iuran", None),
    ],
)
def test_period_from_text(text, period):
    assert period_of_text(text) == period


def test_periods_from_cells():
    cells = pd.Series([date(2026, 9, 1), datetime(2026, 8, 15), 46296.0, "November 2026", None])
    assert periods_of(cells).tolist()[:4] == ["2026-09", "2026-08", "2026-10", "2026-11"]


def test_amounts_in_rupiah():
    cells = pd.Series([42000.0, "Rp 42.000", "42,000", "42.000,00", "", None], dtype=object)
    got = amounts(cells)
    assert got.iloc[:4].tolist() == [42000, 42000, 42000, 42000] and got.iloc[4:].isna().all()


MONTH_NAMES = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
               "September", "Oktober", "November", "Desember"]  # fmt: skip


@settings(deadline=None)
@given(
    year=st.integers(2000, 2099),
    month=st.integers(1, 12),
    form=st.integers(0, 4),
    prefix=st.sampled_from(["", "TAGIHAN BULAN ", "tagihan_iuran_", "Periode: ", "REKAP IURAN "]),
)
def test_any_month_spelling_gives_the_period(year, month, form, prefix):
    name = MONTH_NAMES[month - 1]
    text = [
        f"{name} {year}", f"{name.upper()}_{year}", f"{year}-{month:02d}", f"{month}/{year}",
        f"{name[:3]}-{year}",
    ][form]  # fmt: skip
    assert period_of_text(prefix + text) == f"{year}-{month:02d}"
