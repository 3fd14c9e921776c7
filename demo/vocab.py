"""Word lists for the synthetic regency submissions (names, places, header spellings).

Everything here is plain data plus a few helpers that pick from it. Region codes,
kecamatan, occupations, sex spellings and months come from ``schemas.reference``.
"""

from __future__ import annotations

import re

from schemas.occupations import occupation_list
from schemas.reference import (
    INDONESIAN_MONTHS,
    OCCUPATIONS,
    PROGRAM_KEYWORDS,
    REGENCIES,
)
from transforms.validate.occupations import match_occupation
from transforms.validate.remarks import remark_codes

# ---------------------------------------------------------------------------
# Regencies: folder names, file-name short forms, capitals (for signature blocks)
# ---------------------------------------------------------------------------

REGENCY_CODES: tuple[str, ...] = tuple(REGENCIES)

# Rough population weights (2020 census, thousands) for splitting rows.
REGENCY_WEIGHTS: dict[str, float] = {
    "6401": 290,
    "6402": 730,
    "6403": 250,
    "6407": 165,
    "6408": 435,
    "6409": 180,
    "6411": 35,
    "6471": 690,
    "6472": 830,
    "6474": 180,
}

# Folder names: each identifies exactly one regency (code, name or abbreviation).
# "Kutai" alone is ambiguous, and "Penajam Paser Utara" contains "Paser": avoided.
REGENCY_FOLDERS: dict[str, tuple[str, ...]] = {
    "6401": ("KAB PASER", "6401 Paser", "Dinsos Paser"),
    "6402": ("KUKAR", "Kutai Kartanegara", "6402 KUKAR"),
    "6403": ("BERAU", "Kab. Berau", "6403 Berau"),
    "6407": ("6407 Kutai Barat", "KUBAR", "Kab Kutai Barat"),
    "6408": ("KUTIM", "Kutai Timur", "6408 Kutim"),
    "6409": ("PPU", "6409 PPU", "Kab PPU"),
    "6411": ("MAHULU", "Mahakam Ulu", "6411 Mahulu"),
    "6471": ("KOTA BALIKPAPAN", "BPN", "Balikpapan"),
    "6472": ("KOTA SAMARINDA", "SMD", "Samarinda"),
    "6474": ("KOTA BONTANG", "Bontang", "6474 BTG"),
}

# Short forms used inside file names (same regency as the folder).
REGENCY_FILE_SHORT: dict[str, tuple[str, ...]] = {
    "6401": ("Paser", "PASER"),
    "6402": ("Kukar", "KUKAR"),
    "6403": ("Berau", "BERAU"),
    "6407": ("Kubar", "KUBAR"),
    "6408": ("Kutim", "KUTIM"),
    "6409": ("PPU",),
    "6411": ("Mahulu", "MAHULU"),
    "6471": ("Balikpapan", "BPN"),
    "6472": ("Samarinda", "SMD"),
    "6474": ("Bontang", "BTG"),
}

REGENCY_CAPITAL: dict[str, str] = {
    "6401": "Tanah Grogot",
    "6402": "Tenggarong",
    "6403": "Tanjung Redeb",
    "6407": "Sendawar",
    "6408": "Sangatta",
    "6409": "Penajam",
    "6411": "Ujoh Bilang",
    "6471": "Balikpapan",
    "6472": "Samarinda",
    "6474": "Bontang",
}

# File-name templates per program. {s} = regency short form, {y} = year.
# Each contains keywords of its own program only (checked in tests).
FILE_TEMPLATES: dict[str, tuple[str, ...]] = {
    "kesehatan": (
        "Usulan PBI JKN {s} {y}",
        "DATA CALON PESERTA PBI {S}",
        "usulan jkn {s} {y}",
        "Daftar Usulan KIS {s} Tahap 2",
        "Rekap Usulan BPJS Kesehatan {s} {y}",
        "calon_pbi_jkn_{l}",
        "PBI APBD {s} {y} final",
    ),
    "ketenagakerjaan": (
        "BPJS TK {s} revisi 2",
        "calon_peserta_BPU_rentan_{l}",
        "Usulan Pekerja Rentan {s} {y}",
        "DATA BPU {S} TAHAP 1",
        "Usulan BPJS Ketenagakerjaan {s} {y}",
        "usulan BPJSTK {s}",
        "Pekerja Rentan {S} {y} (BPU)",
    ),
}

TITLE_LINES: dict[str, tuple[str, ...]] = {
    "kesehatan": (
        "DAFTAR USULAN CALON PESERTA PBI JKN",
        "DATA USULAN PESERTA PBI JKN DIBIAYAI APBD PROVINSI",
        "REKAPITULASI CALON PENERIMA BANTUAN IURAN BPJS KESEHATAN",
        "Daftar Usulan Calon Peserta JKN-KIS",
    ),
    "ketenagakerjaan": (
        "DAFTAR USULAN CALON PESERTA BPJS KETENAGAKERJAAN PEKERJA RENTAN",
        "DATA CALON PESERTA BPU (BUKAN PENERIMA UPAH) PEKERJA RENTAN",
        "USULAN PERLINDUNGAN JAMINAN SOSIAL KETENAGAKERJAAN PEKERJA RENTAN",
        "Daftar Calon Peserta BPJS Ketenagakerjaan BPU",
    ),
}

# ---------------------------------------------------------------------------
# Header spellings per logical column
# ---------------------------------------------------------------------------

HEADERS: dict[str, tuple[str, ...]] = {
    "no": ("NO", "No.", "NO.", "No"),
    "nik": ("NIK", "N I K", "NO. NIK", "Nomor Induk Kependudukan", "NIK KTP", "Nik"),
    "kk": ("NO KK", "No. KK", "NOMOR KK", "No Kartu Keluarga", "NO. KK", "KK"),
    "nama": ("NAMA", "NAMA LENGKAP", "Nama Peserta", "Nama", "NAMA SESUAI KTP"),
    "tempat": ("TEMPAT LAHIR", "TMP LAHIR", "Tempat Lahir", "TMPT LAHIR"),
    "tgl": ("TANGGAL LAHIR", "TGL LAHIR", "Tgl. Lahir", "Tanggal Lahir", "TGL. LAHIR"),
    "jk": ("JENIS KELAMIN", "JK", "L/P", "Jenis Kelamin", "JNS KELAMIN"),
    "alamat": ("ALAMAT", "Alamat", "ALAMAT LENGKAP", "ALAMAT DOMISILI"),
    "rtrw": ("RT/RW", "RT RW", "RT / RW"),
    "desa": ("DESA/KELURAHAN", "KELURAHAN", "DESA", "Desa/Kel", "KELURAHAN/DESA"),
    "kec": ("KECAMATAN", "Kecamatan", "KEC"),
    "pekerjaan": ("PEKERJAAN", "Pekerjaan", "JENIS PEKERJAAN", "PEKERJAAN (SESUAI KK)"),
    "penghasilan": ("PENGHASILAN", "PENGHASILAN PER BULAN", "Penghasilan (Rp)", "PENDAPATAN/BULAN"),
    "desil": ("DESIL", "DESIL DTSEN", "Desil", "DESIL (DTSEN)"),
    "disab": ("DISABILITAS", "PENYANDANG DISABILITAS", "DISABILITAS (Ya/Tidak)", "Disabilitas"),
    "tanggungan": ("JUMLAH TANGGUNGAN", "JML TANGGUNGAN", "Jumlah Tanggungan", "TANGGUNGAN"),
    "hp": ("NO HP", "NO. TELP", "No Handphone", "NO. HP", "NO TELP/HP"),
    "ket": ("KETERANGAN", "KET", "Keterangan", "CATATAN", "KET."),
}

# Column orders (logical names). Optional columns may be dropped per file.
COLUMN_ORDERS: tuple[tuple[str, ...], ...] = (
    (
        "no",
        "nik",
        "kk",
        "nama",
        "tempat",
        "tgl",
        "jk",
        "alamat",
        "rtrw",
        "desa",
        "kec",
        "pekerjaan",
        "penghasilan",
        "desil",
        "disab",
        "tanggungan",
        "hp",
        "ket",
    ),
    (
        "no",
        "nama",
        "nik",
        "kk",
        "jk",
        "tempat",
        "tgl",
        "alamat",
        "rtrw",
        "desa",
        "kec",
        "pekerjaan",
        "penghasilan",
        "tanggungan",
        "desil",
        "disab",
        "hp",
        "ket",
    ),
    (
        "no",
        "kk",
        "nik",
        "nama",
        "jk",
        "tempat",
        "tgl",
        "kec",
        "desa",
        "alamat",
        "rtrw",
        "pekerjaan",
        "penghasilan",
        "desil",
        "tanggungan",
        "disab",
        "hp",
        "ket",
    ),
)
OPTIONAL_COLUMNS: dict[str, float] = {
    "tempat": 0.8,
    "rtrw": 0.7,
    "alamat": 0.9,
    "desa": 0.9,
    "hp": 0.6,
    "ket": 0.5,
}

# ---------------------------------------------------------------------------
# Sex spellings: families a file uses (male, female), all in reference.SEX_SPELLINGS
# ---------------------------------------------------------------------------

SEX_FAMILIES: tuple[tuple[str, str], ...] = (
    ("L", "P"),
    ("LK", "PR"),
    ("Laki-laki", "Perempuan"),
    ("LAKI-LAKI", "PEREMPUAN"),
    ("Pria", "Wanita"),
    ("1", "2"),
)
SEX_FAMILY_WEIGHTS: tuple[float, ...] = (0.35, 0.1, 0.2, 0.15, 0.1, 0.1)
SEX_GARBAGE: tuple[str, ...] = ("X", "?", "0", "3", "L/P", "-")


# ---------------------------------------------------------------------------
# Months
# ---------------------------------------------------------------------------

MONTHS_LONG: tuple[str, ...] = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)
MONTHS_SHORT: tuple[str, ...] = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "Mei",
    "Jun",
    "Jul",
    "Agu",
    "Sep",
    "Okt",
    "Nov",
    "Des",
)
for _i, (_lng, _sht) in enumerate(zip(MONTHS_LONG, MONTHS_SHORT, strict=True), start=1):
    assert INDONESIAN_MONTHS[_lng.upper()] == _i and INDONESIAN_MONTHS[_sht.upper()] == _i

# ---------------------------------------------------------------------------
# Occupations: canonical labels, groups, messy spellings that normalise to them
# ---------------------------------------------------------------------------


def norm_occupation(value: str) -> str:
    """Upper case, letters only, single spaces: the key form of reference.OCCUPATIONS."""
    return " ".join(re.sub(r"[^A-Z]", " ", value.upper()).split())


# Common occupations by group with their weights; every other occupation of the list
# (schemas/occupations.toml) is drawn too, with weight OTHER_OCCUPATION_WEIGHT.
_COMMON_WEIGHTS: dict[str, dict[str, float]] = {
    "informal": {
        "Petani/Pekebun": 25,
        "Buruh Harian Lepas": 20,
        "Wiraswasta": 15,
        "Pedagang": 12,
        "Nelayan/Perikanan": 7,
        "Buruh Tani/Perkebunan": 6,
        "Sopir": 4,
        "Tukang Ojek": 4,
        "Tukang Batu": 3,
        "Tukang Kayu": 2,
        "Buruh Nelayan/Perikanan": 2,
        "Pembantu Rumah Tangga": 2,
        "Tukang Jahit": 1.5,
        "Mekanik": 1.5,
        "Pemulung": 1,
        "Tukang Las/Pandai Besi": 1,
        "Peternak": 1,
        "Marbot": 0.5,
        "Guru Ngaji": 0.5,
    },
    "wage_or_state": {
        "Karyawan Swasta": 50,
        "Pegawai Negeri Sipil": 20,
        "Karyawan BUMN": 6,
        "Karyawan BUMD": 4,
        "Tentara Nasional Indonesia": 4,
        "Kepolisian RI": 4,
        "Perangkat Desa": 2,
    },
    "contract_staff": {"Karyawan Honorer": 1},
    "state_or_private": {"Guru": 6, "Bidan": 1.5, "Perawat": 1.5, "Dokter": 0.3, "Dosen": 0.3},
}
OTHER_OCCUPATION_WEIGHT = 0.15
OCC_WEIGHTS: dict[str, dict[str, float]] = {
    group: {
        **{
            o.name: OTHER_OCCUPATION_WEIGHT
            for o in occupation_list().occupations.values()
            if o.group == group
        },
        **weights,
    }
    for group, weights in _COMMON_WEIGHTS.items()
}

# Spellings regencies write beyond the list's own: prefixed, qualified, abbreviated, with
# other slashes and dots. Each must be recognised as its occupation (checked below).
EXTRA_OCC_SPELLINGS: dict[str, tuple[str, ...]] = {
    "Kepolisian RI": ("Anggota POLRI", "ANGGOTA POLRI", "POLRI / BRIMOB", "Polisi", "POLRES KUKAR"),
    "Tentara Nasional Indonesia": ("Anggota TNI AD", "ANGGOTA TNI-AL", "T.N.I", "TNI/ABRI"),
    "Pegawai Negeri Sipil": ("PNS GURU", "PNS DINAS KESEHATAN", "P.N.S", "ASN PEMKAB", "PNS/ASN"),
    "Karyawan Honorer": ("HONORER DINAS PU", "HONORER SEKOLAH", "TENAGA HONORER KECAMATAN",
                         "GURU HONORER"),
    "Karyawan Swasta": ("KRY SWASTA", "Kary. Swasta", "KARYAWAN TOKO", "KARYAWAN PT"),
    "Karyawan BUMN": ("PEGAWAI BUMN (PLN)", "KARYAWAN BUMN PERTAMINA"),
    "Wiraswasta": ("WIRAUSAHA", "Wira Swasta", "WIRASWASTA / USAHA SENDIRI"),
    "Tukang Ojek": ("Ojol", "OJEK ONLINE", "Ojek Online", "OJEK PANGKALAN"),
    "Mekanik": ("Montir", "MONTIR MOTOR", "BENGKEL MOTOR"),
    "Pedagang": ("Pedagang Kaki Lima", "PKL", "PEDAGANG SAYUR", "JUALAN KUE"),
    "Petani/Pekebun": ("PETANI SAWIT", "Petani / Pekebun", "PETANI-PEKEBUN", "PETANI KARET"),
    "Buruh Harian Lepas": ("BHL", "Buruh Bangunan", "BURUH HARIAN", "KULI BANGUNAN"),
    "Nelayan/Perikanan": ("NELAYAN TRADISIONAL", "Nelayan / Perikanan"),
    "Tukang Jahit": ("Penjahit", "PENJAHIT PAKAIAN"),
    "Belum/Tidak Bekerja": ("Belum Sekolah", "BELUM / TIDAK BEKERJA", "Tidak Bekerja"),
    "Mengurus Rumah Tangga": ("IRT", "IBU RUMAH TANGGA", "Ibu Rumah Tangga"),
    "Pelajar/Mahasiswa": ("PELAJAR", "Mahasiswa", "PELAJAR / MAHASISWA"),
    "Pensiunan": ("PENSIUNAN PNS", "PURNAWIRAWAN TNI"),
    "Guru": ("GURU SD", "Guru", "TENAGA PENGAJAR"),
    "Perangkat Desa": ("STAF DESA", "KAUR DESA"),
}  # fmt: skip

# Spellings no rule recognises: the pipeline must hold them for review (OCCUPATION_UNKNOWN).
UNKNOWN_OCCUPATIONS: tuple[str, ...] = (
    "SERABUTAN",
    "KERJA SERABUTAN",
    "SATPAM",
    "PENAMBANG",
    "FREELANCE",
    "SERBA ADA",
)
for _u in UNKNOWN_OCCUPATIONS:
    assert match_occupation(_u) is None, _u

OCC_GROUP_OF_LABEL: dict[str, str] = {
    o.name: o.group for o in occupation_list().occupations.values()
}


def _occupation_spellings() -> dict[str, tuple[str, ...]]:
    """For each occupation, written spellings that are recognised as it: its name in a few
    cases and slash styles, the list's own spellings, and the extra ones above."""
    out: dict[str, list[str]] = {}
    for key, (label, _grp) in OCCUPATIONS.items():
        cands = [label, label.upper(), key] + ([key.title()] if len(key) > 4 else [])
        if "/" in label:
            cands += [label.replace("/", " / "), label.upper().replace("/", " / ")]
            cands += [label.upper().replace("/", "-")]
        cands += list(EXTRA_OCC_SPELLINGS.get(label, ()))
        for c in cands:
            found = match_occupation(c)
            assert found is not None and found[0] == label, (c, label, found)
            lst = out.setdefault(label, [])
            if c not in lst:
                lst.append(c)
    return {k: tuple(v) for k, v in out.items()}


OCC_SPELLINGS: dict[str, tuple[str, ...]] = _occupation_spellings()

NOT_WORKING = {
    "none": "Belum/Tidak Bekerja",
    "home": "Mengurus Rumah Tangga",
    "student": "Pelajar/Mahasiswa",
    "retired": "Pensiunan",
}

# ---------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------

# fmt: off

MALE_FIRST: tuple[str, ...] = (
    "MUHAMMAD", "MUHAMMAD", "MUHAMMAD", "MUHAMMAD", "MUHAMMAD", "MUHAMMAD",
    "AHMAD", "AHMAD", "ABDUL", "ABDUL", "RUDI", "BUDI", "AGUS", "AGUS", "EKO", "DWI",
    "JOKO", "RIZKY", "FAJAR", "ARIF", "ANDI", "ANDI", "SYAHRUL", "IRWAN", "YUSUF",
    "IBRAHIM", "HASAN", "RAHMAT", "HAIRUL", "KHAIRUL", "NORDIN", "ASRANI", "GUSTI",
    "ANANG", "SAPRI", "JUMADI", "SLAMET", "WAHYU", "BAMBANG", "DEDI", "DENI", "YOHANES",
    "PETRUS", "PAULUS", "STEFANUS", "MARKUS", "YOSEF", "KRISTIAN", "HENDRIK", "SUSANTO",
    "HENDRA", "WILLIAM", "KEVIN", "JOHAN", "HARTONO", "BUDIMAN", "FIRMAN", "ILHAM",
    "RAMLI", "SAMSUL", "SYAMSUDDIN", "BAHTIAR", "HAMZAH", "ZAINAL", "ARBAIN", "MISRAN",
    "JUNAIDI", "HERU", "TEGUH", "SUGENG", "AMIR", "LA ODE", "DAENG", "IMAM", "FAHRI",
)
MALE_SINGLE: tuple[str, ...] = (
    "SUPARMAN", "SUGIANTO", "SUPRIYADI", "SUKARDI", "PARIYO", "SUWARNO", "MULYADI",
    "SUMARDI", "HARYONO", "KASMIRAN", "JUMAIN", "NORHADI", "ASNAWI", "SAHRANI",
)
MALE_LAST: tuple[str, ...] = (
    "RAHMAN", "HIDAYAT", "SAPUTRA", "PRATAMA", "FIRMANSYAH", "SETIAWAN", "KURNIAWAN",
    "HARYANTO", "SANTOSO", "SUSILO", "RAMADHAN", "ALI", "AKBAR", "FAUZI", "MAULANA",
    "RIDWAN", "SYAHPUTRA", "NOOR", "ANSHARI", "ARSYAD", "MA'RUF", "NU'MAN", "HAKIM",
    "WIJAYA", "GUNAWAN", "TANOTO", "HALIM", "KUSUMA", "LAWING", "AJANG", "HUDOQ",
    "LUHAN", "BAYA", "JALUNG", "ULOQ", "PASOLONG", "MAPPIASSE", "PANGERANG", "SAFITRI",
    "EFENDI", "SYAHRANI", "IRAWAN", "NUGROHO", "WIBOWO", "SUHENDRA", "ASMUNI",
)
MALE_MIDDLE: tuple[str, ...] = (
    "NUR", "ABDUL", "AL", "RAHMAT", "AGUS", "ARIF", "BAYU", "DWI", "TRI", "ADI",
)
FEMALE_FIRST: tuple[str, ...] = (
    "SITI", "SITI", "SITI", "SITI", "NUR", "NUR", "NUR", "SRI", "SRI", "DEWI", "RINA",
    "FITRI", "NURUL", "AISYAH", "FATIMAH", "AMINAH", "HALIMAH", "NORHAYATI", "NORJANAH",
    "MASITAH", "RAHMAH", "WAHYUNI", "YULIANA", "MARIA", "LUSIA", "THERESIA", "AGUSTINA",
    "YOHANA", "KRISTINA", "MEILANI", "LINDA", "SUSI", "LIANA", "DIAN", "RATNA", "ANI",
    "INDAH", "PUTRI", "ERNA", "SALMAH", "HASNAH", "MARLINA", "NOVI", "RISKA", "ANDI",
    "MEGAWATI", "FELICIA", "YENNY", "JULIANTI", "ROSMAWATI", "HERLINA", "NURHIDAYAH",
)
FEMALE_SINGLE: tuple[str, ...] = (
    "SUMARNI", "SUPRIYATI", "KARTINI", "ERNAWATI", "SRIYATUN", "PAINEM", "MASRIAH",
    "JAMILAH", "ASMAH", "SARINAH", "JUMIATI", "NORMA", "SAMSIAH",
)
FEMALE_LAST: tuple[str, ...] = (
    "AMINAH", "RAHMAWATI", "NURHAYATI", "LESTARI", "WULANDARI", "HANDAYANI",
    "PUSPITASARI", "SARI", "FITRIANI", "SUSANTI", "KARTIKA", "MAULIDA", "ANGGRAINI",
    "NOVITASARI", "RAHMADANI", "HASANAH", "ZAHRA", "AULIA", "WIJAYA", "GUNAWAN",
    "KUSUMA", "LAWING", "HUDOQ", "AJANG", "PING", "MULYANI", "SAFITRI", "YUNITA",
    "HAYATI", "JANNAH", "AFRIANI", "MARDIANA", "NINGSIH", "PERTIWI",
)
FEMALE_MIDDLE: tuple[str, ...] = ("NUR", "SITI", "DWI", "TRI", "AYU", "PUTRI", "DEWI")

TITLES_SUFFIX: tuple[str, ...] = ("S.PD", "S.E", "S.PD.I", "A.MA", "S.SOS")

# ---------------------------------------------------------------------------
# Places
# ---------------------------------------------------------------------------

STREETS: tuple[str, ...] = (
    "JL. SUDIRMAN", "JL. AHMAD YANI", "JL. P. ANTASARI", "JL. PANGERAN SURYANATA",
    "JL. KH. WAHID HASYIM", "JL. MT HARYONO", "JL. DR. SUTOMO", "JL. PAHLAWAN",
    "JL. SLAMET RIYADI", "JL. GATOT SUBROTO", "JL. IR. H. JUANDA", "JL. KADRIE OENING",
    "JL. BHAYANGKARA", "JL. CIPTO MANGUNKUSUMO", "JL. POROS", "JL. TRANS KALTIM",
    "JL. DI PANJAITAN", "JL. ANTASARI", "JL. SULTAN HASANUDDIN", "JL. JEND. SUPRAPTO",
    "JL. MELATI", "JL. KENANGA", "JL. MERDEKA", "JL. DAMANHURI", "JL. LAMBUNG MANGKURAT",
    "JL. SYARIFUDDIN YOES", "JL. MULAWARMAN", "JL. PADAT KARYA", "JL. SEPAKAT",
    "JL. KARYA BAKTI", "JL. PELITA", "JL. LETJEN SUPRAPTO", "JL. GUNUNG MALANG",
)
GANG: tuple[str, ...] = (
    "GG. MAWAR", "GG. MELATI", "GG. H. MUHRAN", "GG. SEPAKAT", "GG. BERSAMA", "GG. 5",
    "GG. MANGGA", "GG. DAMAI", "GG. RUKUN", "GG. AMAL", "GG. SWADAYA", "GG. KELUARGA",
)
DESA_NAMES: tuple[str, ...] = (
    "Sempaja Utara", "Sempaja Selatan", "Sungai Pinang Dalam", "Air Putih", "Air Hitam",
    "Karang Asam Ilir", "Karang Asam Ulu", "Loa Bakung", "Lok Bahu", "Teluk Lerong Ulu",
    "Rawa Makmur", "Bukit Pinang", "Mugirejo", "Gunung Lingai", "Temindung Permai",
    "Sidodadi", "Sidomulyo", "Dadi Mulya", "Bugis", "Pelita", "Sungai Dama", "Selili",
    "Simpang Tiga", "Handil Bakti", "Bantuas", "Sindang Sari", "Rapak Dalam",
    "Harapan Baru", "Karang Anyar", "Klandasan Ilir", "Gunung Bahagia", "Sepinggan",
    "Manggar", "Lamaru", "Teritip", "Gunung Samarinda", "Batu Ampar", "Muara Rapak",
    "Karang Joang", "Baru Ilir", "Margo Mulyo", "Telaga Sari", "Prapatan", "Damai Baru",
    "Gunung Sari Ilir", "Mekar Sari", "Loktuan", "Guntung", "Api-Api", "Berbas Tengah",
    "Tanjung Laut", "Satimpo", "Belimbing", "Kanaan", "Gunung Elai", "Sumber Sari",
    "Sumber Rejo", "Karya Jaya", "Bukit Raya", "Long Hubung Ulu", "Rantau Makmur",
    "Muara Kedang", "Sebulu Ilir", "Jembayan", "Loa Duri Ulu", "Bakungan", "Sungai Meriam",
    "Tani Bhakti", "Suka Maju", "Sido Rejo", "Tanjung Batu", "Batu Kajang", "Rangan",
    "Kerang", "Janju", "Semuntai", "Sepan", "Pait", "Lempesu", "Rantau Panjang",
    "Teluk Dalam", "Sungai Kapih", "Sambutan", "Makroman", "Pulau Atas", "Jawa",
    "Handil Baru", "Bangun Rejo", "Giri Rejo", "Swarga Bara", "Singa Geweh", "Tanjung Redeb",
    "Gayam", "Bedungun", "Sei Bebanir Bangun", "Gunung Panjang", "Melak Ulu", "Barong Tongkok",
    "Ongko Asa", "Linggang Bigung Baru", "Long Melaham", "Ujoh Bilang", "Long Lunuk",
)

BIRTHPLACES_KALTIM: dict[str, tuple[str, ...]] = {
    "6401": ("TANAH GROGOT", "PASER", "LONG IKIS", "KUARO"),
    "6402": ("TENGGARONG", "KUTAI KARTANEGARA", "MUARA BADAK", "SAMBOJA", "LOA KULU"),
    "6403": ("TANJUNG REDEB", "BERAU", "TALISAYAN"),
    "6407": ("SENDAWAR", "MELAK", "BARONG TONGKOK", "KUTAI BARAT"),
    "6408": ("SANGATTA", "KUTAI TIMUR", "BENGALON", "MUARA WAHAU"),
    "6409": ("PENAJAM", "WARU", "BABULU", "SEPAKU"),
    "6411": ("LONG BAGUN", "UJOH BILANG", "LONG PAHANGAI"),
    "6471": ("BALIKPAPAN",),
    "6472": ("SAMARINDA",),
    "6474": ("BONTANG",),
}
OTHER_PROVINCES: dict[str, tuple[float, tuple[str, ...]]] = {
    "35": (30, ("SURABAYA", "MALANG", "JEMBER", "BANYUWANGI", "LAMONGAN", "KEDIRI")),
    "33": (14, ("SEMARANG", "SURAKARTA", "KLATEN", "KEBUMEN", "PATI")),
    "73": (20, ("MAKASSAR", "BONE", "WAJO", "SIDRAP", "PINRANG", "SOPPENG")),
    "63": (14, ("BANJARMASIN", "MARTAPURA", "AMUNTAI", "KANDANGAN", "BARABAI")),
    "32": (5, ("BANDUNG", "GARUT", "CIREBON")),
    "74": (4, ("KENDARI", "BAU-BAU", "MUNA")),
    "72": (3, ("PALU", "DONGGALA")),
    "53": (3, ("KUPANG", "ENDE", "FLORES TIMUR")),
    "52": (3, ("MATARAM", "BIMA", "LOMBOK TIMUR")),
    "62": (2, ("PALANGKA RAYA", "KAPUAS")),
    "34": (1, ("YOGYAKARTA", "SLEMAN")),
    "76": (1, ("MAMUJU", "POLEWALI")),
}
# Province codes not in the Kemendagri list (for NIK_PROVINCE rows).
BAD_PROVINCES: tuple[str, ...] = ("00", "10", "20", "30", "40", "41", "50", "60", "70", "80", "99")

PHONE_PREFIXES: tuple[str, ...] = (
    "0811", "0812", "0813", "0821", "0822", "0852", "0853", "0877", "0878", "0881",
    "0895", "0896", "0857", "0856",
)

OFFICIALS: tuple[str, ...] = (
    "Drs. H. AHMAD RIFAI, M.Si",
    "H. MUHAMMAD ANSHARI, S.Sos, M.AP",
    "Dra. Hj. SITI NORHAYATI, M.M",
    "YOHANES LAWING, S.Sos",
    "ANDI HARUN PASOLONG, S.E., M.Si",
    "Ir. BAMBANG SUSILO, M.T",
)

# fmt: on


def program_words(name: str) -> dict[str, bool]:
    """Which programs' keywords occur as whole words (tokens split on non-alphanumerics)."""
    tokens = re.split(r"[^A-Z0-9]+", name.upper())
    joined = " " + " ".join(t for t in tokens if t) + " "
    return {prog: any(f" {kw} " in joined for kw in kws) for prog, kws in PROGRAM_KEYWORDS.items()}


# ---------------------------------------------------------------------------
# Remarks (KETERANGAN): what regencies write, by what it says of the person on the row
# ---------------------------------------------------------------------------

REMARKS: dict[str, tuple[str, ...]] = {
    # nothing against the person (a relative's death, a state, a plain note)
    "neutral": (
        "LANSIA", "Janda, suami meninggal", "anak yatim", "Ayah meninggal", "BELUM TERDAFTAR BPJS",
        "KIS tidak aktif", "Disabilitas", "Pindahan dari Jawa", "Tinggal sendiri", "Cerai mati",
        "Usulan baru", "BPJS NONAKTIF", "Yatim piatu, orang tua meninggal", "Rumah tidak layak huni",
    ),
    "deceased": ("MENINGGAL DUNIA", "Meninggal", "ALM.", "Sudah meninggal", "MD", "Telah wafat"),
    "moved": (
        "PINDAH DOMISILI", "Pindah ke Balikpapan", "PINDAH ALAMAT", "Sudah pindah", "Merantau",
        "TIDAK DIKENAL",
    ),
    "duplicate": ("DOUBLE", "DATA GANDA", "Ganda", "Dobel", "DUPLIKAT"),
    "covered": (
        "SUDAH PBI APBN", "SUDAH TERDAFTAR BPJS TK", "Sudah punya KIS", "Peserta BPJS aktif",
        "PBI JK", "Sudah terdaftar JKN",
    ),
}  # fmt: skip
_REMARK_CODE = {"deceased": "REMARK_DECEASED", "moved": "REMARK_MOVED",
                "duplicate": "REMARK_DUPLICATE", "covered": "REMARK_COVERED"}  # fmt: skip
for _kind, _texts in REMARKS.items():
    for _text in _texts:
        _want = {_REMARK_CODE[_kind]} if _kind in _REMARK_CODE else set()
        assert remark_codes(_text) == _want, (_text, _kind)

# Indonesian name variations a typo-NIK duplicate is written with (the other row has the
# plain name): abbreviations, the father's name, NUR/NOOR, the old spelling (before 1972).
NAME_ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "SITI": ("ST.",),
    "ABDUL": ("ABD.",),
    "MUHAMMAD": ("MOH.", "MUH.", "M."),
}
NAME_NUR: dict[str, tuple[str, ...]] = {"NUR": ("NOOR", "NOER"), "NOOR": ("NUR",)}
# modern -> old spelling, one replacement per name
OLD_SPELLINGS: tuple[tuple[str, str], ...] = (
    ("SY", "SJ"), ("KH", "CH"), ("J", "DJ"), ("C", "TJ"), ("Y", "J"), ("U", "OE"),
)  # fmt: skip
FATHER_NAMES: tuple[str, ...] = tuple(n for n in MALE_FIRST if " " not in n)
# A section title above a kecamatan's rows and the subtotal below them ({name}: the kecamatan
# as the file writes it; {n}: the section's number), as regencies lay out one sheet per regency.
SECTION_TITLES: tuple[tuple[str, str], ...] = (
    ("KEC. {name}", "SUB TOTAL"),
    ("KECAMATAN : {name}", "JUMLAH KEC. {name}"),
    ("Kecamatan {name}", "Jumlah"),
    ("{n}. KECAMATAN {name}", "SUBTOTAL KECAMATAN {name}"),
)
