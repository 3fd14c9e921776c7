"""Every format a regency office sends, read by content, with the row numbers a person sees.

The xls/ods/xlsx fixtures were written once by LibreOffice (tests/fixtures/make_fixtures.py);
xlsx/xlsm here are written by xlsxwriter and openpyxl, CSV and HTML as web apps write them.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from msoffcrypto.format.ooxml import OOXMLFile

from flows.sources.limits import FileRejected, ReadLimits
from flows.sources.read import detect_format, read_sheets
from transforms.ingest.headers import find_header, grid_to_table
from transforms.validate.identity import parse_identity

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _table(sheet):
    return grid_to_table(sheet.grid, find_header(sheet.grid))


def _sheets(path: Path) -> dict:
    return {s.name: s for s in read_sheets(path)}


# --------------------------------------------------------------------------- LibreOffice files


@pytest.mark.parametrize("name", ["libreoffice.xls", "libreoffice.ods", "libreoffice.xlsx"])
def test_libreoffice_workbook_as_a_person_sees_it(name):
    sheets = _sheets(FIXTURES / name)
    assert list(sheets) == ["Palaran", "Kode Kecamatan", "Sungai Kunjang"]

    palaran = sheets["Palaran"].grid
    # Row 1 and column A are empty in the file; they still count.
    assert palaran.loc[2, 1] == "DAFTAR USULAN CALON PESERTA PBI JKN"
    header = find_header(palaran)
    assert header.header_rows == [5, 6]  # merged two-row header
    assert header.columns["nik"] == 2
    assert header.columns["tempat_lahir"] == 5 and header.columns["tanggal_lahir"] == 6
    table = grid_to_table(palaran, header)
    # Row 9 is blank; rows 12 (JUMLAH) to 18 (NIP) are the footer.
    assert table.rows["row_number"].tolist() == [7, 8, 10, 11]
    assert table.skipped_rows == [9, 12, 13, 14, 15, 16, 17, 18]
    assert table.rows["nama"].tolist() == ["Siti Aminah", "Budi Santoso", "Ani", "Rudi"]
    # A typed date stays a date; formulas give their cached values.
    assert table.rows.loc[0, "tanggal_lahir"] == date(1980, 8, 15)
    assert table.rows.loc[2, "nik"] == "6472015508800011"  # ="647201550880"&"0011"
    assert palaran.loc[10, 1] == 3  # =B8+1

    assert find_header(sheets["Kode Kecamatan"].grid) is None  # a lookup sheet, skipped
    combined = _table(sheets["Sungai Kunjang"])
    assert combined.rows["row_number"].tolist() == [2, 3]
    assert combined.rows["tempat_tanggal_lahir"].tolist() == [
        "Samarinda, 01-07-1990",
        date(1985, 12, 3),
    ]


def test_numeric_identity_cells_are_exact_where_the_writer_kept_the_digits():
    nik = {}
    for name in ("libreoffice.xls", "libreoffice.ods", "libreoffice.xlsx"):
        rows = _table(_sheets(FIXTURES / name)["Palaran"]).rows
        nik[name] = parse_identity(rows["nik"])
    # xls and ods store the double: 6472015508800003 < 2**53 comes back exactly.
    for name in ("libreoffice.xls", "libreoffice.ods"):
        assert nik[name].loc[0, "value"] == "6472015508800003"
        assert not nik[name].loc[0, "truncation_suspect"]
    # LibreOffice (like Excel) writes 15 significant digits to xlsx: the last digit is lost,
    # and the reader flags it rather than inventing one.
    assert nik["libreoffice.xlsx"].loc[0, "value"] == "6472015508800000"
    assert nik["libreoffice.xlsx"].loc[0, "truncation_suspect"]
    for found in nik.values():
        assert found.loc[1, "value"] == "6472011508800004"  # "6472 0115 0880 0004"
        assert found.loc[3, "scientific"]  # "6.47201E+15" typed as text


# --------------------------------------------------------------------------- xlsx / xlsm


def test_xlsxwriter_sheet_starting_below_a1_keeps_row_numbers(tmp_path):
    path = tmp_path / "usulan.xlsx"
    with xlsxwriter.Workbook(path) as wb:
        ws = wb.add_worksheet("Kec Palaran")
        ws.write_row("C4", ["NIK", "NAMA", "TGL LAHIR", "JK"])
        ws.write_number("C6", 6472015508800003)
        ws.write_row("D6", ["Siti", "15-08-1980", "P"])
        ws.write_string("C7", "'6472011508800004")
        ws.write_row("D7", ["Budi", "15-08-1980", "L"])
        ws.write_formula("C8", '="64720115088"&"00005"', None, "6472011508800005")
        ws.write_row("D8", ["Andi", "15-08-1980", "L"])
    sheet = read_sheets(path)[0]
    table = _table(sheet)
    assert find_header(sheet.grid).header_rows == [4]
    assert table.rows["row_number"].tolist() == [6, 7, 8]
    assert table.skipped_rows == [5]
    assert parse_identity(table.rows["nik"])["value"].tolist() == [
        "6472015508800003",
        "6472011508800004",
        "6472011508800005",
    ]


def test_openpyxl_merged_title_and_formula_without_cached_value(tmp_path):
    path = tmp_path / "usulan.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "USULAN BPJS KESEHATAN KOTA BONTANG"
    ws.merge_cells("A1:D1")
    ws.append([])
    ws.append(["No", "NIK", "Nama", "Jenis Kelamin"])
    ws.append([1, "6474015508800003", "Siti", "P"])
    ws.append([2, "=B4", "Budi", "L"])  # openpyxl writes no cached value
    wb.save(path)
    table = _table(read_sheets(path)[0])
    assert table.rows["row_number"].tolist() == [4, 5]
    assert table.rows.loc[1, "nik"] == ""  # nothing cached: read as empty, reported missing


def test_xlsm_is_read_and_its_macros_never_run(tmp_path):
    path = tmp_path / "usulan.xlsm"
    with xlsxwriter.Workbook(path) as wb:
        ws = wb.add_worksheet("Data")
        ws.write_row(0, 0, ["NIK", "NAMA", "JK"])
        ws.write_row(1, 0, ["6472015508800003", "Siti", "P"])
        wb.add_vba_project(io.BytesIO(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)), True)
    assert "xl/vbaProject.bin" in zipfile.ZipFile(path).namelist()
    assert detect_format(path).kind == "xlsx"
    assert _table(read_sheets(path)[0]).rows["nama"].tolist() == ["Siti"]


def test_hidden_and_chart_sheets_are_noted_not_read(tmp_path):
    path = tmp_path / "usulan.xlsx"
    with xlsxwriter.Workbook(path) as wb:
        data = wb.add_worksheet("Data")
        data.write_row(0, 0, ["NIK", "NAMA", "JK"])
        data.write_row(1, 0, ["6472015508800003", "Siti", "P"])
        hidden = wb.add_worksheet("Lama")
        hidden.write_row(0, 0, ["NIK", "NAMA", "JK"])
        hidden.hide()
        chart = wb.add_chart({"type": "line"})
        chart.add_series({"values": "=Data!$A$2:$A$2"})
        wb.add_chartsheet("Grafik").set_chart(chart)
    sheets = _sheets(path)
    assert not sheets["Data"].grid.empty and not sheets["Data"].note
    assert "tersembunyi" in sheets["Lama"].note and sheets["Lama"].grid.empty
    assert "grafik" in sheets["Grafik"].note


# --------------------------------------------------------------------------- CSV


CSV_LINES = [
    "DAFTAR USULAN PBI JKN KOTA SAMARINDA",
    "",
    "NO{d}NIK{d}NAMA{d}TGL LAHIR{d}JK{d}ALAMAT",
    '1{d}="6472015508800003"{d}Siti Aminah{d}15-08-1980{d}P{d}"Jl. Merdeka{d} No. 1"',
    '2{d}6.47201E+15{d}"Budi\r\nSantoso"{d}15-08-1980{d}L{d}Jl. Pahlawan',
    "3{d}6472011508800004{d}Andr\u00e9{d}15-08-1980{d}L{d}Jl. Cendana",
    "JUMLAH{d}3{d}{d}{d}{d}",
]


@pytest.mark.parametrize(
    ("delimiter", "encoding"),
    [(",", "utf-8"), (";", "utf-8-sig"), (";", "cp1252"), (",", "cp1252"), ("\t", "utf-16")],
)
def test_csv_delimiters_and_encodings(tmp_path, delimiter, encoding):
    path = tmp_path / "usulan.csv"
    text = "\r\n".join(line.format(d=delimiter) for line in CSV_LINES) + "\r\n"
    path.write_bytes(text.encode(encoding))
    sheet = read_sheets(path)[0]
    assert sheet.name == ""
    table = _table(sheet)
    # Line numbers: the quoted line break in record 2 pushes record 3 to line 7.
    assert table.rows["row_number"].tolist() == [4, 5, 7]
    assert table.skipped_rows == [8]
    assert table.rows["nik"].tolist() == ["6472015508800003", "6.47201E+15", "6472011508800004"]
    assert table.rows["nama"].tolist() == ["Siti Aminah", "Budi\r\nSantoso", "Andr\u00e9"]
    assert table.rows.loc[0, "alamat"] == f"Jl. Merdeka{delimiter} No. 1"


def test_csv_saved_with_an_xls_name_is_read_as_text(tmp_path):
    path = tmp_path / "export.xls"
    path.write_text("NIK\tNAMA\tJK\n6472015508800003\tSiti\tP\n", encoding="utf-8")
    assert detect_format(path).kind == "text"
    assert _table(read_sheets(path)[0]).rows["nama"].tolist() == ["Siti"]


# --------------------------------------------------------------------------- HTML saved as .xls

HTML = """<html><head><meta charset="utf-8"><title>Export</title></head><body>
<h3>DATA USULAN BPJS KETENAGAKERJAAN</h3>
<p>KABUPATEN KUTAI BARAT</p>
<table border="1"><thead>
<tr><th rowspan="2">No</th><th rowspan="2">NIK</th><th rowspan="2">Nama</th>
<th colspan="2">Tempat/Tgl Lahir</th><th rowspan="2">JK</th></tr>
<tr><th>Tempat</th><th>Tanggal</th></tr>
</thead><tbody>
<tr><td>1</td><td style="mso-number-format:'\\@'">6407015508800003</td><td>Siti&nbsp;Aminah</td>
<td>Melak</td><td>15-08-1980</td><td>P</td></tr>
<tr></tr>
<tr><td>2</td><td>6407011508800004</td><td>Budi Santoso</td><td>Melak</td><td>15-08-1980</td>
<td>L</td></tr>
<tr><td colspan="5">JUMLAH</td><td>2</td></tr>
</tbody></table>
<p>Sendawar, 12 Mei 2025</p>
</body></html>"""


def test_html_table_saved_as_xls(tmp_path):
    path = tmp_path / "export BPU kubar.xls"
    path.write_text(HTML, encoding="utf-8")
    assert detect_format(path).kind == "html"
    sheet = read_sheets(path)[0]
    assert sheet.name == "export BPU kubar"  # Excel names the one sheet after the file
    assert sheet.grid.loc[1, 0] == "DATA USULAN BPJS KETENAGAKERJAAN"
    header = find_header(sheet.grid)
    assert header.header_rows == [3, 4]
    table = grid_to_table(sheet.grid, header)
    assert table.rows["row_number"].tolist() == [5, 7]
    assert table.skipped_rows == [6, 8, 9]
    assert table.rows["nik"].tolist() == ["6407015508800003", "6407011508800004"]
    assert table.rows["nama"].tolist() == ["Siti Aminah", "Budi Santoso"]
    assert table.rows["tempat_lahir"].tolist() == ["Melak", "Melak"]


def test_html_data_table_inside_a_layout_table(tmp_path):
    path = tmp_path / "export.xls"
    path.write_text(
        "<html><body><div><b>DATA USULAN PBI</b></div><table width='100%'>"
        "<tr><td>KOTA BONTANG</td></tr><tr><td><table border='1'>"
        "<tr><th>NIK</th><th>Nama</th><th>JK</th></tr>"
        "<tr><td>6474015508800003</td><td>Siti</td><td>P</td></tr>"
        "</table></td></tr></table><p>Bontang, 1 Juni 2025</p></body></html>",
        encoding="utf-8",
    )
    sheet = read_sheets(path)[0]
    assert sheet.grid[0].tolist()[:3] == ["DATA USULAN PBI", "KOTA BONTANG", "NIK"]
    table = _table(sheet)
    assert table.rows["row_number"].tolist() == [4]
    assert table.skipped_rows == [5]


# --------------------------------------------------------------------------- refused files


def _xlsx_bytes() -> bytes:
    out = io.BytesIO()
    with xlsxwriter.Workbook(out) as wb:
        ws = wb.add_worksheet("Data")
        ws.write_row(0, 0, ["NIK", "NAMA", "JK"])
        ws.write_row(1, 0, ["6472015508800003", "Siti", "P"])
    return out.getvalue()


def _encrypted(password: str) -> bytes:
    out = io.BytesIO()
    OOXMLFile(io.BytesIO(_xlsx_bytes())).encrypt(password, out)
    return out.getvalue()


def test_password_protected_workbook_is_refused(tmp_path):
    path = tmp_path / "usulan.xlsx"
    path.write_bytes(_encrypted("rahasia"))
    with pytest.raises(FileRejected) as refused:
        read_sheets(path)
    assert refused.value.code == "FILE_ENCRYPTED"


def test_workbook_only_protected_against_writing_opens_like_in_excel(tmp_path):
    path = tmp_path / "usulan.xlsx"
    path.write_bytes(_encrypted("VelvetSweatshop"))
    assert _table(read_sheets(path)[0]).rows["nama"].tolist() == ["Siti"]


def _docx_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("kosong.xlsx", b"", "FILE_EMPTY"),
        ("spasi.csv", b"  \r\n\r\n", "FILE_EMPTY"),
        ("pisah.csv", b";;;\r\n;;;\r\n", "FILE_EMPTY"),
        ("surat.pdf", b"%PDF-1.4 ...", "FILE_UNSUPPORTED"),
        ("scan.xlsx", b"\x89PNG\r\n\x1a\n" + bytes(64), "FILE_UNSUPPORTED"),
        ("surat.docx", _docx_bytes(), "FILE_UNSUPPORTED"),
        ("rusak.xlsx", _xlsx_bytes()[:300], "FILE_UNREADABLE"),
        ("acak.xlsx", bytes(range(256)) * 4, "FILE_UNREADABLE"),
        ("halaman.xls", b"<html><body><p>Maaf, sesi habis</p></body></html>", "FILE_UNREADABLE"),
    ],
)
def test_refused_files_get_a_reason_code(tmp_path, name, content, code):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(FileRejected) as refused:
        read_sheets(path)
    assert refused.value.code == code


def test_limits_refuse_a_runaway_sheet_rather_than_cut_it(tmp_path):
    path = tmp_path / "besar.csv"
    path.write_text("NIK,NAMA\n" + "6472015508800003,Siti\n" * 50, encoding="utf-8")
    with pytest.raises(FileRejected) as refused:
        read_sheets(path, ReadLimits(max_rows=20))
    assert refused.value.code == "FILE_TOO_LARGE"
    xlsx = tmp_path / "besar.xlsx"
    xlsx.write_bytes(_xlsx_bytes())
    with pytest.raises(FileRejected) as refused:
        read_sheets(xlsx, ReadLimits(max_rows=1))
    assert refused.value.code == "FILE_TOO_LARGE"
