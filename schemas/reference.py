"""Reference data from ../shared/domain.md: region codes (Kemendagri), programs, occupations.

Facts only; rules that may change (age limits, premiums, weights) live in the program
rules file under `schemas/`, not here.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas.occupations import UNKNOWN_GROUP, occupation_list

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

# Occupation groups used by the program rules and every known spelling (the key form of
# `schemas.occupations.occupation_key`) with its occupation and group: from the data file
# schemas/occupations.toml.
OCCUPATION_GROUPS: dict[str, str] = {
    group: label for group, label in occupation_list().groups.items() if group != UNKNOWN_GROUP
}
OCCUPATIONS: dict[str, tuple[str, str]] = {
    key: (name, occupation_list().occupations[name].group)
    for key, name in occupation_list().spellings.items()
}
