"""What BPJS sends back, as data: result wording -> outcome and reason, file kinds, column names.

Patterns are regular expressions on the normalised text (upper case, every run of other
characters one space, padded with a space each side), tried in order: the first that matches
decides. Negative wordings come before positive ones: `TIDAK BERHASIL` contains `BERHASIL`,
`NIK TIDAK TERDAFTAR` contains `TERDAFTAR`.
"""

from __future__ import annotations

from typing import Literal

Outcome = Literal["registered", "rejected", "already_covered"]

OUTCOMES: tuple[str, ...] = ("registered", "rejected", "already_covered")
REASON_CODES: tuple[str, ...] = (
    "DUKCAPIL_MISMATCH",
    "ALREADY_COVERED",
    "DECEASED",
    "DUPLICATE",
    "DATA_MISMATCH",
    "OTHER",
)

# (pattern, outcome, reason_code); reason_code None = registered.
RESULT_VOCABULARY: tuple[tuple[str, str, str | None], ...] = (
    (r" (MENINGGAL|WAFAT|MATI|DECEASED) ", "rejected", "DECEASED"),
    (r" (NIK|NO KTP|KTP|DATA|DATA KEPENDUDUKAN) (TIDAK|TDK|BELUM|BLM) (PADAN|VALID|DITEMUKAN|"
     r"TERDAFTAR|AKTIF|DIKENALI|SESUAI DENGAN DATA DUKCAPIL)", "rejected", "DUKCAPIL_MISMATCH"),
    (r" (TIDAK|TDK|BELUM|BLM|GAGAL) PADAN ", "rejected", "DUKCAPIL_MISMATCH"),
    (r" (NIK NON ?AKTIF|NIK INVALID|INVALID NIK|NOT FOUND|DUKCAPIL) ", "rejected", "DUKCAPIL_MISMATCH"),
    (r" (GANDA|DOUBLE|DOBEL|DUPLIKAT|DUPLIKASI|DUPLICATE) ", "rejected", "DUPLICATE"),
    (r" (SUDAH|TELAH|SDH|MASIH) (TERDAFTAR|AKTIF|MENJADI|MENDAPAT|DIJAMIN|TERCOVER|"
     r"TERCAKUP|DITANGGUNG|PESERTA)", "already_covered", "ALREADY_COVERED"),
    (r" (TERDAFTAR|AKTIF) (SEBAGAI|DI|PADA) (PESERTA |SEGMEN )?(PBI|PPU|PBPU MANDIRI|"
     r"MANDIRI|BP|APBN|APBD|SEGMEN|BADAN USAHA|PENERIMA UPAH)", "already_covered",
     "ALREADY_COVERED"),
    (r" (PESERTA AKTIF (PBI|PPU)|ALREADY (REGISTERED|COVERED))", "already_covered",
     "ALREADY_COVERED"),
    (r" (NAMA|TGL LAHIR|TANGGAL LAHIR|TTL|JENIS KELAMIN|DATA|KK|NO KK|ALAMAT) (TIDAK|TDK) "
     r"(SESUAI|SAMA|COCOK)", "rejected", "DATA_MISMATCH"),
    (r" (BEDA|BERBEDA|SALAH|MISMATCH) ", "rejected", "DATA_MISMATCH"),
    (r" (TIDAK BERHASIL|TDK BERHASIL|GAGAL|DITOLAK|TOLAK|REJECT|REJECTED|FAILED|ERROR|TIDAK "
     r"DAPAT DIPROSES|TIDAK DIPROSES|BATAL) ", "rejected", "OTHER"),
    (r" (BERHASIL|TERDAFTAR|AKTIF|SUKSES|SUCCESS|OK|DITERIMA|DIPROSES|TERPROSES|SELESAI) ",
     "registered", None),
)  # fmt: skip
# A row whose wording matches none of the above: rejected with `OTHER` (an officer reads it).
UNKNOWN_RESULT: tuple[str, str] = ("rejected", "OTHER")

# Indonesian for the regency officer (feedback `Hasil`) and the report.
REASON_MESSAGES: dict[str, str] = {
    "DUKCAPIL_MISMATCH": "NIK tidak padan dengan data Dukcapil: periksa NIK dan nama persis "
    "seperti di KTP/KK",
    "ALREADY_COVERED": "Sudah terdaftar sebagai peserta BPJS di segmen lain",
    "DECEASED": "Menurut BPJS peserta sudah meninggal dunia",
    "DUPLICATE": "Data ganda di BPJS (NIK sudah diajukan atau dipakai orang lain)",
    "DATA_MISMATCH": "Data tidak sesuai (nama, tanggal lahir atau KK): periksa seperti di KTP/KK",
    "OTHER": "Tidak didaftarkan oleh BPJS; lihat keterangan BPJS",
}

# Kinds of file BPJS sends, told apart by words in the path and title rows.
RESULTS_WORDS: tuple[str, ...] = (
    "HASIL", "RESPON", "RESPONSE", "VERIFIKASI", "VALIDASI", "STATUS PENDAFTARAN", "FEEDBACK",
)  # fmt: skip
BILL_WORDS: tuple[str, ...] = (
    "TAGIHAN", "REKAP IURAN", "IURAN", "BILLING", "INVOICE", "DAFTAR PESERTA", "PREMI",
)  # fmt: skip

# Program keywords for BPJS files (besides the contract's submission keywords). `PBPU` is
# Kesehatan (PBPU Pemda) although it contains `BPU` (Ketenagakerjaan): words, not substrings.
BPJS_PROGRAM_WORDS: dict[str, tuple[str, ...]] = {
    "kesehatan": ("KESEHATAN", "JKN", "PBI", "KIS", "PBPU", "PEMDA", "BPJS KES", "JAMKESDA",
                  "KELAS", "FASKES", "FKTP", "NOKA"),
    "ketenagakerjaan": ("KETENAGAKERJAAN", "BPJSTK", "BPJS TK", "TK", "BPU", "JAMSOSTEK",
                        "BPJAMSOSTEK", "RENTAN", "KPJ", "JKK", "JKM"),
}  # fmt: skip

# BPJS column headers (normalised like submission headers: upper case, letters and digits).
BPJS_FIELD_SYNONYMS: dict[str, tuple[str, ...]] = {
    "status_hasil": ("STATUS", "HASIL", "STATUSPENDAFTARAN", "HASILPENDAFTARAN", "RESPON",
                     "RESPONSE", "STATUSVERIFIKASI", "HASILVERIFIKASI", "STATUSPROSES",
                     "HASILVALIDASI", "STATUSVALIDASI", "STATUSDATA"),
    "keterangan": ("KETERANGAN", "KET", "ALASAN", "ALASANPENOLAKAN", "CATATAN", "PESAN",
                   "KETERANGANHASIL", "REMARK", "REMARKS", "DESKRIPSI", "URAIAN"),
    "card_number": ("NOKARTU", "NOKA", "NOMORKARTU", "NOKARTUJKN", "NOKARTUBPJS", "NOPESERTA",
                    "NOMORPESERTA", "KPJ", "NOKPJ", "NOMORKPJ", "NOKARTUPESERTA"),
    "amount": ("IURAN", "PREMI", "NOMINAL", "JUMLAHIURAN", "TAGIHAN", "BESARIURAN", "IURANRP",
               "NILAIIURAN", "TOTALIURAN", "IURANPERBULAN", "NOMINALIURAN", "JUMLAHTAGIHAN",
               "PREMIRP", "NILAI", "RP"),
    "kelas": ("KELAS", "KELASRAWAT", "HAKKELAS", "KLS"),
    "period": ("PERIODE", "BULAN", "BULANIURAN", "PERIODETAGIHAN", "PERIODEIURAN", "BLNTHN",
               "BULANTAHUN", "PERIODEBULAN", "MASAIURAN"),
    "result_date": ("TANGGAL", "TGL", "TGLDAFTAR", "TANGGALDAFTAR", "TMT", "TGLPROSES",
                    "TANGGALPROSES", "TMTPESERTA", "TGLAKTIF"),
    "program_column": ("PROGRAM", "SEGMEN", "SEGMENPESERTA", "JENISPESERTA", "KEPESERTAAN"),
}  # fmt: skip
