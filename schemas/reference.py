"""Reference data from ../shared/domain.md: region codes (Kemendagri), programs, occupations.

Facts only; rules that may change (age limits, premiums, weights) live in the program
rules file under `schemas/`, not here.
"""

from __future__ import annotations

from dataclasses import dataclass

# Kemendagri province codes (first two NIK digits). 64 = Kalimantan Timur.
PROVINCE_CODES: frozenset[str] = frozenset(
    [str(c) for c in range(11, 20)]
    + ["21"]
    + [str(c) for c in range(31, 37)]
    + ["51", "52", "53"]
    + [str(c) for c in range(61, 66)]
    + [str(c) for c in range(71, 77)]
    + ["81", "82"]
    + [str(c) for c in range(91, 97)]
)

KALTIM_PROVINCE_CODE = "64"


@dataclass(frozen=True)
class Regency:
    """One Kaltim regency or city with the names offices use for it."""

    code: str  # Kemendagri, 4 digits
    name: str  # short name, e.g. "Samarinda"
    kind: str  # "Kabupaten" | "Kota"
    abbreviations: tuple[str, ...]
    kecamatan: dict[str, str]  # 2-digit code -> name

    @property
    def full_name(self) -> str:
        return f"{self.kind} {self.name}"


def _kec(*names: str, start: int = 1) -> dict[str, str]:
    return {f"{i:02d}": n for i, n in enumerate(names, start=start)}


REGENCIES: dict[str, Regency] = {
    r.code: r
    for r in [
        Regency(
            "6401",
            "Paser",
            "Kabupaten",
            ("PASER",),
            _kec(
                "Batu Sopang",
                "Tanjung Harapan",
                "Paser Belengkong",
                "Tanah Grogot",
                "Kuaro",
                "Long Ikis",
                "Muara Komam",
                "Long Kali",
                "Batu Engau",
                "Muara Samu",
            ),
        ),
        Regency(
            "6402",
            "Kutai Kartanegara",
            "Kabupaten",
            ("KUKAR",),
            _kec(
                "Muara Muntai",
                "Loa Kulu",
                "Loa Janan",
                "Anggana",
                "Muara Badak",
                "Tenggarong",
                "Sebulu",
                "Kota Bangun",
                "Kenohan",
                "Kembang Janggut",
                "Muara Kaman",
                "Tabang",
                "Samboja",
                "Muara Jawa",
                "Sanga Sanga",
                "Tenggarong Seberang",
                "Marang Kayu",
                "Muara Wis",
                "Kota Bangun Darat",
                "Samboja Barat",
            ),
        ),
        Regency(
            "6403",
            "Berau",
            "Kabupaten",
            ("BERAU",),
            _kec(
                "Kelay",
                "Talisayan",
                "Sambaliung",
                "Segah",
                "Tanjung Redeb",
                "Gunung Tabur",
                "Pulau Derawan",
                "Biduk-Biduk",
                "Teluk Bayur",
                "Tabalar",
                "Maratua",
                "Batu Putih",
                "Biatan",
            ),
        ),
        Regency(
            "6407",
            "Kutai Barat",
            "Kabupaten",
            ("KUBAR",),
            _kec(
                "Long Iram",
                "Melak",
                "Barong Tongkok",
                "Damai",
                "Muara Lawa",
                "Muara Pahu",
                "Jempang",
                "Bongan",
                "Penyinggahan",
                "Bentian Besar",
                "Linggang Bigung",
                "Nyuatan",
                "Siluq Ngurai",
                "Mook Manaar Bulatn",
                "Tering",
                "Sekolaq Darat",
                start=5,
            ),
        ),
        Regency(
            "6408",
            "Kutai Timur",
            "Kabupaten",
            ("KUTIM",),
            _kec(
                "Muara Ancalong",
                "Muara Wahau",
                "Muara Bengkal",
                "Sangatta Utara",
                "Sangkulirang",
                "Busang",
                "Telen",
                "Kombeng",
                "Bengalon",
                "Kaliorang",
                "Sandaran",
                "Sangatta Selatan",
                "Teluk Pandan",
                "Rantau Pulung",
                "Kaubun",
                "Karangan",
                "Batu Ampar",
                "Long Mesangat",
            ),
        ),
        Regency(
            "6409",
            "Penajam Paser Utara",
            "Kabupaten",
            ("PPU",),
            _kec("Penajam", "Waru", "Babulu", "Sepaku"),
        ),
        Regency(
            "6411",
            "Mahakam Ulu",
            "Kabupaten",
            ("MAHULU",),
            _kec("Long Bagun", "Long Hubung", "Laham", "Long Apari", "Long Pahangai"),
        ),
        Regency(
            "6471",
            "Balikpapan",
            "Kota",
            ("BPN", "BPP"),
            _kec(
                "Balikpapan Timur",
                "Balikpapan Barat",
                "Balikpapan Utara",
                "Balikpapan Tengah",
                "Balikpapan Selatan",
                "Balikpapan Kota",
            ),
        ),
        Regency(
            "6472",
            "Samarinda",
            "Kota",
            ("SMD", "SMR"),
            _kec(
                "Palaran",
                "Samarinda Seberang",
                "Samarinda Ulu",
                "Samarinda Ilir",
                "Samarinda Utara",
                "Sungai Kunjang",
                "Sambutan",
                "Sungai Pinang",
                "Samarinda Kota",
                "Loa Janan Ilir",
            ),
        ),
        Regency(
            "6474",
            "Bontang",
            "Kota",
            ("BTG",),
            _kec("Bontang Utara", "Bontang Selatan", "Bontang Barat"),
        ),
    ]
}

# Six-digit district codes (PPKKCC) of Kaltim, for the NIK kecamatan check.
KALTIM_DISTRICT_CODES: frozenset[str] = frozenset(
    code + kec for code, r in REGENCIES.items() for kec in r.kecamatan
)

# Words in a file path or title that name a program (matched as whole words, upper case).
PROGRAM_KEYWORDS: dict[str, tuple[str, ...]] = {
    "kesehatan": ("KESEHATAN", "JKN", "PBI", "KIS"),
    "ketenagakerjaan": (
        "KETENAGAKERJAAN",
        "BPJSTK",
        "BPJS TK",
        "TK",
        "BPU",
        "JAMSOSTEK",
        "RENTAN",
    ),
}

INDONESIAN_MONTHS: dict[str, int] = {
    "JANUARI": 1,
    "JAN": 1,
    "FEBRUARI": 2,
    "FEB": 2,
    "PEBRUARI": 2,
    "MARET": 3,
    "MAR": 3,
    "APRIL": 4,
    "APR": 4,
    "MEI": 5,
    "MAY": 5,
    "JUNI": 6,
    "JUN": 6,
    "JULI": 7,
    "JUL": 7,
    "AGUSTUS": 8,
    "AGU": 8,
    "AGS": 8,
    "AUG": 8,
    "SEPTEMBER": 9,
    "SEP": 9,
    "SEPT": 9,
    "OKTOBER": 10,
    "OKT": 10,
    "OCT": 10,
    "NOVEMBER": 11,
    "NOV": 11,
    "NOPEMBER": 11,
    "DESEMBER": 12,
    "DES": 12,
    "DEC": 12,
}

SEX_SPELLINGS: dict[str, str] = {
    "L": "L",
    "LK": "L",
    "LAKI": "L",
    "LAKILAKI": "L",
    "LAKI2": "L",
    "PRIA": "L",
    "1": "L",
    "MALE": "L",
    "M": "L",
    "P": "P",
    "PR": "P",
    "PEREMPUAN": "P",
    "WANITA": "P",
    "2": "P",
    "FEMALE": "P",
    "F": "P",
    "W": "P",
}

# Occupation groups used by the program rules. Keys are normalised spellings
# (upper case, letters only, single spaces); values are canonical labels and groups.
OCCUPATION_GROUPS: dict[str, str] = {
    "not_working": "Tidak bekerja",
    "wage_or_state": "Pegawai / karyawan",
    "contract_staff": "Karyawan honorer",
    "informal": "Pekerja informal",
}

OCCUPATIONS: dict[str, tuple[str, str]] = {
    # not working
    "BELUM TIDAK BEKERJA": ("Belum/Tidak Bekerja", "not_working"),
    "BELUM BEKERJA": ("Belum/Tidak Bekerja", "not_working"),
    "TIDAK BEKERJA": ("Belum/Tidak Bekerja", "not_working"),
    "MENGURUS RUMAH TANGGA": ("Mengurus Rumah Tangga", "not_working"),
    "IBU RUMAH TANGGA": ("Mengurus Rumah Tangga", "not_working"),
    "IRT": ("Mengurus Rumah Tangga", "not_working"),
    "PELAJAR MAHASISWA": ("Pelajar/Mahasiswa", "not_working"),
    "PELAJAR": ("Pelajar/Mahasiswa", "not_working"),
    "MAHASISWA": ("Pelajar/Mahasiswa", "not_working"),
    "PENSIUNAN": ("Pensiunan", "not_working"),
    # wage or state employment
    "PEGAWAI NEGERI SIPIL": ("Pegawai Negeri Sipil", "wage_or_state"),
    "PNS": ("Pegawai Negeri Sipil", "wage_or_state"),
    "ASN": ("Pegawai Negeri Sipil", "wage_or_state"),
    "TENTARA NASIONAL INDONESIA": ("TNI", "wage_or_state"),
    "TNI": ("TNI", "wage_or_state"),
    "KEPOLISIAN RI": ("POLRI", "wage_or_state"),
    "POLRI": ("POLRI", "wage_or_state"),
    "KARYAWAN SWASTA": ("Karyawan Swasta", "wage_or_state"),
    "KARYAWAN BUMN": ("Karyawan BUMN", "wage_or_state"),
    "KARYAWAN BUMD": ("Karyawan BUMD", "wage_or_state"),
    "PEGAWAI": ("Pegawai", "wage_or_state"),
    "PEGAWAI SWASTA": ("Karyawan Swasta", "wage_or_state"),
    "KARYAWAN HONORER": ("Karyawan Honorer", "contract_staff"),
    "HONORER": ("Karyawan Honorer", "contract_staff"),
    # informal work
    "PETANI PEKEBUN": ("Petani/Pekebun", "informal"),
    "PETANI": ("Petani/Pekebun", "informal"),
    "PEKEBUN": ("Petani/Pekebun", "informal"),
    "PETERNAK": ("Peternak", "informal"),
    "NELAYAN PERIKANAN": ("Nelayan/Perikanan", "informal"),
    "NELAYAN": ("Nelayan/Perikanan", "informal"),
    "BURUH HARIAN LEPAS": ("Buruh Harian Lepas", "informal"),
    "BURUH TANI PERKEBUNAN": ("Buruh Tani/Perkebunan", "informal"),
    "BURUH TANI": ("Buruh Tani/Perkebunan", "informal"),
    "BURUH NELAYAN PERIKANAN": ("Buruh Nelayan/Perikanan", "informal"),
    "BURUH NELAYAN": ("Buruh Nelayan/Perikanan", "informal"),
    "PEMBANTU RUMAH TANGGA": ("Pembantu Rumah Tangga", "informal"),
    "TUKANG BATU": ("Tukang Batu", "informal"),
    "TUKANG KAYU": ("Tukang Kayu", "informal"),
    "TUKANG JAHIT": ("Tukang Jahit", "informal"),
    "TUKANG LAS": ("Tukang Las", "informal"),
    "TUKANG OJEK": ("Tukang Ojek", "informal"),
    "OJEK": ("Tukang Ojek", "informal"),
    "PEDAGANG": ("Pedagang", "informal"),
    "WIRASWASTA": ("Wiraswasta", "informal"),
    "SOPIR": ("Sopir", "informal"),
    "MARBOT": ("Marbot", "informal"),
    "GURU NGAJI": ("Guru Ngaji", "informal"),
}
