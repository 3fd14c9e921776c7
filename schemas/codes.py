"""Row and file codes of the contract, their severities, and the Indonesian messages for officers.

A row code's message names the column, shows the value as written (`{value}`), adds what was
found (`{detail}`) and says how to fix it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"  # row rejected
    REVIEW = "review"  # row held for a person to decide
    WARNING = "warning"  # row accepted with a note


# The two subsidy programs a submission can be for (`source_files.program`).
PROGRAMS: tuple[str, ...] = ("kesehatan", "ketenagakerjaan")
# What identifies a submission row: the file, its sheet and the row number a person sees.
ROW_KEYS: list[str] = ["file_name", "sheet", "row_number"]


@dataclass(frozen=True)
class RowCode:
    """A row finding: which column it blames and how to tell the regency officer."""

    code: str
    severity: Severity
    column: str  # canonical column whose value is shown and whose cell is marked
    message: str  # Indonesian; `{value}` and `{detail}` are filled per row


ROW_CODES: dict[str, RowCode] = {
    c.code: c
    for c in [
        RowCode(
            "NIK_MISSING",
            Severity.ERROR,
            "nik",
            "Kolom NIK kosong. Isi NIK 16 digit sesuai KTP/KK.",
        ),
        RowCode(
            "NIK_FORMAT",
            Severity.ERROR,
            "nik",
            "NIK harus 16 digit angka; tertulis {value} ({detail}). Periksa kembali sesuai KTP/KK.",
        ),
        RowCode(
            "NIK_TRUNCATED",
            Severity.ERROR,
            "nik",
            "NIK tertulis {value} (notasi ilmiah): digit NIK sudah hilang dan tidak dapat "
            "dipulihkan. Ketik ulang NIK 16 digit sebagai teks (format sel Text atau awali "
            "dengan tanda ').",
        ),
        RowCode(
            "NIK_TRUNCATED_SUSPECT",
            Severity.REVIEW,
            "nik",
            "NIK {value} tersimpan sebagai angka{detail}; Excel mungkin mengubah digit "
            "terakhirnya. Cocokkan dengan KTP/KK dan ketik ulang sebagai teks.",
        ),
        RowCode(
            "NIK_PROVINCE",
            Severity.ERROR,
            "nik",
            "Kode provinsi NIK ({detail}) tidak dikenal; NIK tertulis {value}. Periksa dua digit "
            "pertama NIK sesuai KTP/KK.",
        ),
        RowCode(
            "NIK_DATE",
            Severity.ERROR,
            "nik",
            "Tanggal lahir di dalam NIK ({detail}) tidak mungkin; NIK tertulis {value}. Periksa "
            "digit ke-7 sampai ke-12 (tanggal, untuk perempuan ditambah 40; bulan; tahun).",
        ),
        RowCode(
            "NIK_SERIAL",
            Severity.ERROR,
            "nik",
            "Empat digit terakhir NIK {value} adalah 0000 (tidak sah). Periksa NIK sesuai KTP/KK.",
        ),
        RowCode(
            "NIK_KECAMATAN_UNKNOWN",
            Severity.WARNING,
            "nik",
            "Kode kecamatan NIK ({detail}) tidak ada dalam daftar kecamatan Kaltim saat ini "
            "(bisa kode lama). Tidak perlu tindakan bila NIK sudah sesuai KTP.",
        ),
        RowCode(
            "NIK_DOB_MISMATCH",
            Severity.REVIEW,
            "tanggal_lahir",
            "Tanggal lahir di NIK ({detail}) berbeda dengan kolom tanggal lahir ({value}). "
            "Salah satunya salah ketik; cocokkan dengan KTP/KK.",
        ),
        RowCode(
            "NIK_SEX_MISMATCH",
            Severity.REVIEW,
            "jenis_kelamin",
            "Jenis kelamin menurut NIK ({detail}) berbeda dengan kolom jenis kelamin ({value}). "
            "Cocokkan dengan KTP/KK.",
        ),
        RowCode(
            "NIK_CONFLICT",
            Severity.REVIEW,
            "nik",
            "NIK {value} sudah tercatat untuk orang lain ({detail}). Pastikan NIK milik orang ini.",
        ),
        RowCode(
            "KK_MISSING",
            Severity.ERROR,
            "no_kk",
            "Kolom No KK kosong. Isi nomor Kartu Keluarga 16 digit.",
        ),
        RowCode(
            "KK_FORMAT",
            Severity.ERROR,
            "no_kk",
            "Nomor KK harus 16 digit angka; tertulis {value} ({detail}). Periksa kembali sesuai "
            "Kartu Keluarga dan ketik sebagai teks.",
        ),
        RowCode(
            "KK_TRUNCATED",
            Severity.WARNING,
            "no_kk",
            "Nomor KK {value} tersimpan sebagai angka{detail}; Excel mungkin mengubah digit "
            "terakhirnya. Cocokkan dengan Kartu Keluarga dan ketik ulang sebagai teks.",
        ),
        RowCode(
            "KK_REGION",
            Severity.REVIEW,
            "no_kk",
            "KK {value} diterbitkan di wilayah {detail}, bukan di kabupaten/kota pengusul. "
            "Pastikan orang ini berdomisili di wilayah Anda.",
        ),
        RowCode(
            "NAME_MISSING",
            Severity.ERROR,
            "nama",
            "Kolom nama kosong. Isi nama lengkap sesuai KTP/KK.",
        ),
        RowCode(
            "NAME_INVALID",
            Severity.ERROR,
            "nama",
            "Nama '{value}' tidak sah ({detail}). Isi nama lengkap sesuai KTP/KK.",
        ),
        RowCode(
            "DOB_MISSING",
            Severity.ERROR,
            "tanggal_lahir",
            "Kolom tanggal lahir kosong. Isi dengan format HH-BB-TTTT, contoh 12-05-1980.",
        ),
        RowCode(
            "DOB_INVALID",
            Severity.ERROR,
            "tanggal_lahir",
            "Tanggal lahir '{value}' {detail}. Isi tanggal lahir sesuai KTP/KK dengan format "
            "HH-BB-TTTT, contoh 12-05-1980.",
        ),
        RowCode(
            "SEX_INVALID",
            Severity.ERROR,
            "jenis_kelamin",
            "Jenis kelamin '{value}' tidak dikenal dan tidak dapat dibaca dari NIK. Isi L "
            "(laki-laki) atau P (perempuan).",
        ),
        RowCode(
            "SEX_DERIVED",
            Severity.WARNING,
            "jenis_kelamin",
            "Jenis kelamin kosong atau tidak dikenal ('{value}'); diisi {detail} menurut NIK. "
            "Isi L atau P bila berbeda.",
        ),
        RowCode(
            "OCCUPATION_UNKNOWN",
            Severity.REVIEW,
            "pekerjaan",
            "Pekerjaan '{value}' tidak dikenali dalam daftar pekerjaan Dukcapil, padahal aturan "
            "program memeriksa pekerjaan; baris ditahan sampai petugas provinsi memetakan "
            "isian ini. Gunakan istilah KTP/KK, contoh Petani/Pekebun, Buruh Harian Lepas.",
        ),
        RowCode(
            "OCCUPATION_UNKNOWN_NOTE",
            Severity.WARNING,
            "pekerjaan",
            "Pekerjaan '{value}' tidak ada dalam daftar pekerjaan Dukcapil; dianggap tidak "
            "diketahui. Gunakan istilah KTP/KK, contoh Petani/Pekebun, Buruh Harian Lepas.",
        ),
        RowCode(
            "OCCUPATION_AMBIGUOUS",
            Severity.REVIEW,
            "pekerjaan",
            "Pekerjaan '{value}' ({detail}) bisa berarti pegawai negeri, honorer atau swasta, dan "
            "aturan program membedakannya; baris ditahan untuk ditinjau. Tulis statusnya, "
            "contoh PNS Guru, Guru Honorer, Guru Swasta.",
        ),
        RowCode(
            "REMARK_DECEASED",
            Severity.REVIEW,
            "keterangan",
            "Keterangan '{value}' menyebut orang ini meninggal dunia; baris ditahan untuk "
            "ditinjau. Hapus baris bila benar meninggal.",
        ),
        RowCode(
            "REMARK_MOVED",
            Severity.REVIEW,
            "keterangan",
            "Keterangan '{value}' menyebut orang ini pindah domisili; baris ditahan untuk "
            "ditinjau. Pastikan orang ini masih berdomisili di wilayah Anda.",
        ),
        RowCode(
            "REMARK_DUPLICATE",
            Severity.REVIEW,
            "keterangan",
            "Keterangan '{value}' menyebut baris ini ganda (sudah diusulkan di baris lain); "
            "baris ditahan untuk ditinjau. Hapus baris yang ganda.",
        ),
        RowCode(
            "REMARK_COVERED",
            Severity.REVIEW,
            "keterangan",
            "Keterangan '{value}' menyebut orang ini sudah menjadi peserta BPJS atau sudah "
            "ditanggung; baris ditahan untuk ditinjau.",
        ),
        RowCode(
            "INCOME_UNREADABLE",
            Severity.WARNING,
            "penghasilan",
            "Penghasilan '{value}' tidak dapat dibaca sebagai jumlah rupiah; diabaikan. Tulis "
            "angka saja, contoh 1500000.",
        ),
        RowCode(
            "DESIL_UNREADABLE",
            Severity.WARNING,
            "desil",
            "Desil '{value}' tidak dapat dibaca; diabaikan. Isi angka 1 sampai 10 sesuai DTSEN.",
        ),
        RowCode(
            "DISABILITY_UNREADABLE",
            Severity.WARNING,
            "disabilitas",
            "Isian disabilitas '{value}' tidak dikenal; diabaikan. Isi Ya atau Tidak (atau "
            "jenis disabilitasnya).",
        ),
        RowCode(
            "DEPENDENTS_UNREADABLE",
            Severity.WARNING,
            "jumlah_tanggungan",
            "Jumlah tanggungan '{value}' tidak dapat dibaca; diabaikan. Isi angka 0 sampai 30.",
        ),
        RowCode(
            "REVIEW_ACCEPTED",
            Severity.WARNING,
            "status",
            "Baris ini ditinjau dan diterima oleh petugas provinsi ({detail}). Catatan: {value}",
        ),
        RowCode(
            "REVIEW_REJECTED",
            Severity.ERROR,
            "status",
            "Baris ini ditinjau dan ditolak oleh petugas provinsi ({detail}). Catatan: {value}. "
            "Perbaiki data sesuai KTP/KK lalu kirim ulang.",
        ),
    ]
}

# Pandera check names that report under another contract code (one code, several causes).
CHECK_TO_CODE: dict[str, str] = {
    "NIK_TRUNCATED_SUSPECT": "NIK_TRUNCATED",
    "OCCUPATION_UNKNOWN_NOTE": "OCCUPATION_UNKNOWN",
    "INCOME_UNREADABLE": "VALUE_UNREADABLE",
    "DESIL_UNREADABLE": "VALUE_UNREADABLE",
    "DISABILITY_UNREADABLE": "VALUE_UNREADABLE",
    "DEPENDENTS_UNREADABLE": "VALUE_UNREADABLE",
}

# What each `row_issues.code` means, in Indonesian, for the summary sheet of a feedback workbook.
CODE_DESCRIPTIONS: dict[str, str] = {
    "NIK_MISSING": "NIK kosong",
    "NIK_FORMAT": "NIK bukan 16 digit angka",
    "NIK_TRUNCATED": "NIK rusak karena tersimpan sebagai angka di Excel",
    "NIK_PROVINCE": "Kode provinsi NIK tidak dikenal",
    "NIK_DATE": "Tanggal lahir di dalam NIK tidak mungkin",
    "NIK_SERIAL": "Nomor urut NIK 0000",
    "NIK_KECAMATAN_UNKNOWN": "Kode kecamatan NIK tidak ada dalam daftar Kaltim",
    "NIK_DOB_MISMATCH": "Tanggal lahir di NIK berbeda dengan kolom tanggal lahir",
    "NIK_SEX_MISMATCH": "Jenis kelamin di NIK berbeda dengan kolom jenis kelamin",
    "NIK_CONFLICT": "NIK sudah dipakai orang lain",
    "KK_MISSING": "No KK kosong",
    "KK_FORMAT": "No KK bukan 16 digit angka",
    "KK_TRUNCATED": "No KK mungkin rusak karena tersimpan sebagai angka",
    "KK_REGION": "KK diterbitkan di luar kabupaten/kota pengusul",
    "NAME_MISSING": "Nama kosong",
    "NAME_INVALID": "Nama tidak sah",
    "DOB_MISSING": "Tanggal lahir kosong",
    "DOB_INVALID": "Tanggal lahir tidak terbaca, di masa depan, atau umur lebih dari 120 tahun",
    "SEX_INVALID": "Jenis kelamin tidak dikenal",
    "SEX_DERIVED": "Jenis kelamin diisi menurut NIK",
    "OCCUPATION_UNKNOWN": "Pekerjaan tidak ada dalam daftar Dukcapil",
    "OCCUPATION_AMBIGUOUS": "Pekerjaan bisa pegawai negeri, honorer atau swasta",
    "REMARK_DECEASED": "Keterangan menyebut meninggal dunia",
    "REMARK_MOVED": "Keterangan menyebut pindah domisili",
    "REMARK_DUPLICATE": "Keterangan menyebut data ganda",
    "REMARK_COVERED": "Keterangan menyebut sudah peserta BPJS atau sudah ditanggung",
    "VALUE_UNREADABLE": "Isian penghasilan, desil, disabilitas, atau tanggungan tidak terbaca",
    "REVIEW_ACCEPTED": "Diterima setelah ditinjau petugas provinsi",
    "REVIEW_REJECTED": "Ditolak setelah ditinjau petugas provinsi",
}
SEVERITY_LABELS: dict[str, str] = {"error": "Ditolak", "review": "Ditinjau", "warning": "Catatan"}


def issue_code(check: str) -> str:
    """The `row_issues.code` a check name reports under."""
    return CHECK_TO_CODE.get(check, check)


FILE_REASONS: dict[str, str] = {
    "FILE_UNREADABLE": "Berkas tidak dapat dibaca (rusak atau bukan lembar kerja): {detail}",
    "FILE_ENCRYPTED": "Berkas dilindungi kata sandi. Kirim ulang tanpa kata sandi.",
    "FILE_EMPTY": "Berkas kosong (0 bait atau tanpa baris data).",
    "FILE_UNSUPPORTED": "Jenis berkas tidak didukung ({detail}). Kirim dalam format xlsx, xls, "
    "ods, atau csv.",
    "FILE_TOO_LARGE": "Berkas melebihi batas ukuran/jumlah sel ({detail}). Pecah menjadi "
    "beberapa berkas.",
    "CELL_TOO_LONG": "Ada isian yang lebih panjang dari batas Excel ({detail}); berkas tidak "
    "dimuat. Perbaiki isian itu lalu kirim ulang.",
    "HEADER_NOT_FOUND": "Baris judul kolom (NIK, NAMA, ...) tidak ditemukan pada 20 baris "
    "pertama lembar mana pun.",
    "REGENCY_UNKNOWN": "Kabupaten/kota pengusul tidak dapat ditentukan dari nama folder, nama "
    "berkas, atau judul ({detail}). Cantumkan nama kabupaten/kota pada nama berkas.",
    "PROGRAM_UNKNOWN": "Program (BPJS Kesehatan atau Ketenagakerjaan) tidak dapat ditentukan "
    "dari nama folder, nama berkas, atau judul ({detail}). Cantumkan nama program pada nama "
    "berkas.",
    "DUPLICATE_FILE": "Isi berkas sama persis dengan berkas yang sudah dimuat: {detail}.",
}


def file_reason(code: str, detail: str = "") -> str:
    """Indonesian reason for a file-level code."""
    return FILE_REASONS[code].format(detail=detail)


# Labels shared by the feedback workbooks and the HTML report (one place for each).
STATUS_LABELS: dict[str, str] = {
    "accepted": "Diterima",
    "review": "Ditinjau",
    "rejected": "Ditolak",
}
PROGRAM_LABELS: dict[str, str] = {
    "kesehatan": "BPJS Kesehatan (PBI Pemda)",
    "ketenagakerjaan": "BPJS Ketenagakerjaan (BPU)",
}
FILE_STATUS_LABELS: dict[str, str] = {
    "loaded": "Dimuat",
    "rejected": "Ditolak",
    "duplicate": "Duplikat",
}
FILE_REASON_LABELS: dict[str, str] = {
    "FILE_UNREADABLE": "Berkas tidak dapat dibaca",
    "FILE_ENCRYPTED": "Berkas dilindungi kata sandi",
    "FILE_EMPTY": "Berkas kosong",
    "FILE_UNSUPPORTED": "Jenis berkas tidak didukung",
    "FILE_TOO_LARGE": "Berkas terlalu besar",
    "CELL_TOO_LONG": "Isian melebihi batas Excel",
    "HEADER_NOT_FOUND": "Judul kolom tidak ditemukan",
    "REGENCY_UNKNOWN": "Kabupaten/kota tidak dikenali",
    "PROGRAM_UNKNOWN": "Program tidak dikenali",
    "DUPLICATE_FILE": "Isi sama dengan berkas lain",
}


def code_label(code: str) -> str:
    """The Indonesian label of a row or file code (the code itself when it has none)."""
    return CODE_DESCRIPTIONS.get(code) or FILE_REASON_LABELS.get(code, code)


@dataclass(frozen=True)
class Outcome:
    """A `Kode hasil` of the feedback workbooks: a short label (summary sheet) and the `Hasil`
    sentence, whose `{...}` fields are filled per row."""

    code: str
    label: str
    sentence: str


# The outcome for the person on a row, in the file's program (CONTRACT "Feedback workbooks").
# A not-eligible person's `Kode hasil` is the decision's reason code, with `NOT_ELIGIBLE`'s
# sentence and the reason's own explanation (schemas.programs.REASON_MESSAGES).
OUTCOMES: dict[str, Outcome] = {
    o.code: o
    for o in [
        Outcome(
            "DIUSULKAN",
            "Diusulkan ke BPJS",
            "Diusulkan ke BPJS: peringkat {rank} di kabupaten/kota ini, dalam kuota.",
        ),
        Outcome(
            "DI_LUAR_KUOTA",
            "Memenuhi syarat, di luar kuota",
            "Memenuhi syarat, tetapi peringkat {rank} berada di luar kuota atau anggaran tahun "
            "ini; belum diusulkan ke BPJS.",
        ),
        Outcome(
            "NOT_ELIGIBLE",
            "Tidak memenuhi syarat",
            "Tidak diusulkan ke BPJS: {reason}.",
        ),
        Outcome(
            "DUPLIKAT",
            "Duplikat (orang yang sama di baris lain)",
            "Orang yang sama dengan baris {row} {where}; hasilnya tercantum pada baris itu.",
        ),
        Outcome(
            "MENUNGGU_TINJAUAN",
            "Menunggu tinjauan petugas provinsi",
            "Menunggu keputusan petugas provinsi; hasilnya muncul pada umpan balik berikutnya.",
        ),
        Outcome(
            "DITOLAK",
            "Baris ditolak",
            "Baris ditolak: perbaiki sel yang disebut pada kolom Alasan, lalu kirim ulang.",
        ),
        Outcome(
            "DITOLAK_BPJS",
            "Tidak didaftarkan oleh BPJS",
            "Tidak didaftarkan oleh BPJS: {bpjs_text}.",
        ),
    ]
}
