"""Row and file codes of the contract, their severities, and the Indonesian messages for officers."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"  # row rejected
    REVIEW = "review"  # row held for a person to decide
    WARNING = "warning"  # row accepted with a note


@dataclass(frozen=True)
class RowCode:
    """A row finding: which column it blames and how to tell the regency officer."""

    code: str
    severity: Severity
    column: str  # canonical column whose value is shown
    message: str  # Indonesian; `{value}` and `{detail}` are filled per row


ROW_CODES: dict[str, RowCode] = {
    c.code: c
    for c in [
        RowCode(
            "NIK_MISSING",
            Severity.ERROR,
            "nik",
            "NIK kosong. Isi NIK 16 digit sesuai KTP/KK.",
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
            "NIK tersimpan sebagai angka/notasi ilmiah ({value}) sehingga digit terakhir hilang. "
            "Ketik ulang NIK sebagai teks (format sel Text atau awali dengan tanda ').",
        ),
        RowCode(
            "NIK_TRUNCATED_SUSPECT",
            Severity.REVIEW,
            "nik",
            "NIK {value} tersimpan sebagai angka dan berakhiran 0; Excel mungkin mengubah digit "
            "terakhir. Cocokkan dengan KTP/KK dan ketik ulang sebagai teks.",
        ),
        RowCode(
            "NIK_PROVINCE",
            Severity.ERROR,
            "nik",
            "Kode provinsi NIK ({detail}) tidak dikenal; NIK tertulis {value}. Periksa dua digit "
            "pertama NIK.",
        ),
        RowCode(
            "NIK_DATE",
            Severity.ERROR,
            "nik",
            "Tanggal lahir di dalam NIK ({detail}) tidak mungkin; NIK tertulis {value}. Periksa "
            "digit ke-7 sampai ke-12.",
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
            "Nomor KK kosong. Isi nomor Kartu Keluarga 16 digit.",
        ),
        RowCode(
            "KK_FORMAT",
            Severity.ERROR,
            "no_kk",
            "Nomor KK harus 16 digit angka; tertulis {value} ({detail}).",
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
            "Nama kosong. Isi nama lengkap sesuai KTP/KK.",
        ),
        RowCode(
            "NAME_INVALID",
            Severity.ERROR,
            "nama",
            "Nama '{value}' tidak sah (berisi angka atau hanya satu huruf). Isi nama lengkap "
            "sesuai KTP/KK.",
        ),
        RowCode(
            "DOB_MISSING",
            Severity.ERROR,
            "tanggal_lahir",
            "Tanggal lahir kosong. Isi dengan format HH-BB-TTTT, contoh 12-05-1980.",
        ),
        RowCode(
            "DOB_INVALID",
            Severity.ERROR,
            "tanggal_lahir",
            "Tanggal lahir '{value}' tidak dapat dibaca, di masa depan, atau umur lebih dari 120 "
            "tahun. Gunakan format HH-BB-TTTT, contoh 12-05-1980.",
        ),
        RowCode(
            "SEX_INVALID",
            Severity.ERROR,
            "jenis_kelamin",
            "Jenis kelamin '{value}' tidak dikenal dan tidak dapat dibaca dari NIK. Isi L atau P.",
        ),
        RowCode(
            "SEX_DERIVED",
            Severity.WARNING,
            "jenis_kelamin",
            "Jenis kelamin kosong/tidak dikenal; diisi {detail} menurut NIK.",
        ),
        RowCode(
            "OCCUPATION_UNKNOWN",
            Severity.WARNING,
            "pekerjaan",
            "Pekerjaan '{value}' tidak ada dalam daftar pekerjaan Dukcapil; dianggap tidak "
            "diketahui. Gunakan istilah KTP/KK, contoh Petani/Pekebun, Buruh Harian Lepas.",
        ),
        RowCode(
            "VALUE_UNREADABLE",
            Severity.WARNING,
            "penghasilan",
            "Nilai '{value}' pada kolom {detail} tidak dapat dibaca sebagai angka; diabaikan.",
        ),
    ]
}

# Pandera check names that report under another contract code (one code, two severities).
CHECK_TO_CODE: dict[str, str] = {"NIK_TRUNCATED_SUSPECT": "NIK_TRUNCATED"}

FILE_REASONS: dict[str, str] = {
    "FILE_UNREADABLE": "Berkas tidak dapat dibaca (rusak atau bukan lembar kerja): {detail}",
    "FILE_ENCRYPTED": "Berkas dilindungi kata sandi. Kirim ulang tanpa kata sandi.",
    "FILE_EMPTY": "Berkas kosong (0 bait atau tanpa baris data).",
    "FILE_UNSUPPORTED": "Jenis berkas tidak didukung ({detail}). Kirim dalam format xlsx, xls, "
    "ods, atau csv.",
    "FILE_TOO_LARGE": "Berkas melebihi batas ukuran/jumlah sel ({detail}). Pecah menjadi "
    "beberapa berkas.",
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
