"""Word lists for the synthetic regency submissions (names, places, header spellings).

Everything here is plain data plus a few helpers that pick from it. Region codes,
kecamatan, occupations, sex spellings and months come from ``transforms.reference``.
"""

from __future__ import annotations

import re

from transforms.reference import (
    INDONESIAN_MONTHS,
    OCCUPATIONS,
    PROGRAM_KEYWORDS,
    REGENCIES,
    SEX_SPELLINGS,
)

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
    ),
)
OPTIONAL_COLUMNS: dict[str, float] = {
    "tempat": 0.8,
    "rtrw": 0.7,
    "alamat": 0.9,
    "desa": 0.9,
    "hp": 0.6,
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


def norm_sex(value: str) -> str | None:
    """Reference normalisation of a sex spelling (letters and digits only, upper)."""
    key = re.sub(r"[^A-Z0-9]", "", value.upper())
    return SEX_SPELLINGS.get(key)


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


OCC_WEIGHTS: dict[str, dict[str, float]] = {
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
        "Tukang Jahit": 1,
        "Tukang Las": 1,
        "Peternak": 1,
        "Marbot": 0.5,
        "Guru Ngaji": 0.5,
    },
    "wage_or_state": {
        "Karyawan Swasta": 50,
        "Pegawai Negeri Sipil": 20,
        "Karyawan BUMN": 6,
        "Pegawai": 6,
        "Karyawan BUMD": 4,
        "TNI": 4,
        "POLRI": 4,
    },
    "contract_staff": {"Karyawan Honorer": 1},
}

# Spellings not in reference.OCCUPATIONS: the pipeline must report them as unknown.
UNKNOWN_OCCUPATIONS: tuple[str, ...] = (
    "SERABUTAN",
    "KULI BANGUNAN",
    "MONTIR",
    "OJOL",
    "SATPAM",
    "PENAMBANG",
    "PENDETA",
    "KERJA SERABUTAN",
)
for _u in UNKNOWN_OCCUPATIONS:
    assert norm_occupation(_u) not in OCCUPATIONS, _u

OCC_GROUP_OF_LABEL: dict[str, str] = {}
for _lab, _grp in OCCUPATIONS.values():
    OCC_GROUP_OF_LABEL.setdefault(_lab, _grp)


def _occupation_spellings() -> dict[str, tuple[str, ...]]:
    """For each canonical label, written spellings that normalise back to it."""
    out: dict[str, list[str]] = {}
    for key, (label, _grp) in OCCUPATIONS.items():
        cands = [label, label.upper(), key] + ([key.title()] if len(key) > 4 else [])
        if "/" in label:
            cands += [label.replace("/", " / "), label.upper().replace("/", " / ")]
            cands += [label.upper().replace("/", "-")]
        for c in cands:
            if OCCUPATIONS.get(norm_occupation(c), ("", ""))[0] != label:
                continue
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

TITLES_PREFIX_M: tuple[str, ...] = ("H.", "DRS.", "IR.")
TITLES_PREFIX_F: tuple[str, ...] = ("HJ.", "DRA.")
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


# A section title above a kecamatan's rows and the subtotal below them ({name}: the kecamatan
# as the file writes it; {n}: the section's number), as regencies lay out one sheet per regency.
SECTION_TITLES: tuple[tuple[str, str], ...] = (
    ("KEC. {name}", "SUB TOTAL"),
    ("KECAMATAN : {name}", "JUMLAH KEC. {name}"),
    ("Kecamatan {name}", "Jumlah"),
    ("{n}. KECAMATAN {name}", "SUBTOTAL KECAMATAN {name}"),
)
