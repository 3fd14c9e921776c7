"""Hostile and broken input: every bad file gets a clear file- or row-level reason, nothing else
is affected, nothing is written where file contents point, and no NIK or name reaches a log.

The reader's limits (flows/sources/limits.py) are tested on crafted workbooks first; then one run of the
flow over a raw dir that holds every bad file at once next to a good generated file.
"""

from __future__ import annotations

import io
import logging
import os
import re
import shutil
import stat
import struct
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from msoffcrypto.format.ooxml import OOXMLFile
from python_calamine import CalamineWorkbook

from flows.settings import Settings
from flows.sources.ingest import ingest_file
from flows.sources.limits import (
    FileRejected,
    ReadLimits,
    SheetExtent,
    check_zip,
    still_being_written,
)
from flows.sources.read import read_sheets
from tests.conftest import captured_logs

AS_OF = "2026-11-27"
HEADER = ["NO", "NIK", "NO KK", "NAMA", "TANGGAL LAHIR", "JENIS KELAMIN", "ALAMAT", "KECAMATAN"]
PASER_KK = "6401010101200001"
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def person(i: int, nik: str | None, name: str | None, kk: str = "6472010101200001") -> list:
    """One data row of a Samarinda household (valid unless told otherwise)."""
    return [i, nik, kk, name, "15-08-1980", "P", "Jl. Mawar No. 1", "Palaran"]


def write_xlsx(path: Path, rows: list[list], sheet: str = "Data") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with xlsxwriter.Workbook(path, {"strings_to_formulas": False}) as wb:
        ws = wb.add_worksheet(sheet)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    ws.write(r, c, value)
    return path


def xlsx_bytes(rows: list[list] | None = None) -> bytes:
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer, {"strings_to_formulas": False}) as wb:
        ws = wb.add_worksheet("Data")
        for r, row in enumerate(rows or [HEADER, person(1, "6472015508800003", "SITI")]):
            ws.write_row(r, 0, row)
    return buffer.getvalue()


def replace_parts(data: bytes, parts: dict[str, bytes], stored: bool = False) -> bytes:
    """The same workbook with some parts replaced (e.g. a crafted sheet XML)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(out, "w", method) as archive:
        for info in source.infolist():
            archive.writestr(info.filename, parts.get(info.filename, source.read(info.filename)))
    return out.getvalue()


def sheet_xml(body: str, root: str = "worksheet", prefix: str = "") -> bytes:
    p = f"{prefix}:" if prefix else ""
    ns = NS.replace("xmlns=", f"xmlns:{prefix}=") if prefix else NS
    return f"<{p}{root} {ns}><{p}sheetData>{body}</{p}sheetData></{p}{root}>".encode()


def far_cell_xlsx(before_root: bytes = b"") -> bytes:
    """5 KB: a header, one person, and one cell at XFD1048576 (calamine would ask for 550 GB);
    `before_root`: text before the root element, which calamine skips."""
    body = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>NIK</t></is></c></row>'
        '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    )
    sheet = before_root + sheet_xml(body)
    return replace_parts(xlsx_bytes(), {"xl/worksheets/sheet1.xml": sheet})


def bottom_cell_xlsx(rows: list[list]) -> bytes:
    """Data at the top and one stray cell at C1048576: Excel's last row."""
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer) as wb:
        ws = wb.add_worksheet("Data")
        for r, row in enumerate(rows):
            ws.write_row(r, 0, row)
        ws.write(1_048_575, 2, "catatan")
    return buffer.getvalue()


def zip_bomb_xlsx(unpacked_mb: int) -> bytes:
    """A valid workbook whose sheet XML inflates to `unpacked_mb` MB (whitespace: ~1000:1)."""
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                archive.writestr(info.filename, source.read(info.filename))
                continue
            with archive.open(info.filename, "w", force_zip64=True) as sheet:
                sheet.write(f"<worksheet {NS}><sheetData>".encode())
                block = b" " * (1024 * 1024)
                for _ in range(unpacked_mb):
                    sheet.write(block)
                sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()


def lying_size_xlsx() -> bytes:
    """The sheet's zip entry claims 1,000 bytes; its data inflates to 50 KB."""
    sheet = "xl/worksheets/sheet1.xml"
    data = bytearray(replace_parts(xlsx_bytes(), {sheet: sheet_xml("<row/>" + " " * 50_000)}))
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo(sheet)
    at = data.find(b"PK\x01\x02")  # central directory: the name sits at +46, the size at +24
    while bytes(data[at + 46 : at + 46 + len(sheet)]) != sheet.encode():
        at = data.find(b"PK\x01\x02", at + 4)
    data[at + 24 : at + 28] = (1000).to_bytes(4, "little")
    data[info.header_offset + 22 : info.header_offset + 26] = (1000).to_bytes(4, "little")
    return bytes(data)


def encrypted_xlsx(password: str = "rahasia") -> bytes:
    out = io.BytesIO()
    OOXMLFile(io.BytesIO(xlsx_bytes())).encrypt(password, out)
    return out.getvalue()


def docx_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def xlsm_with_macro(path: Path, rows: list[list]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with xlsxwriter.Workbook(path) as wb:
        ws = wb.add_worksheet("Data")
        for r, row in enumerate(rows):
            ws.write_row(r, 0, row)
        # a VBA project (an OLE container) with an auto-open module name: calamine never runs it
        wb.add_vba_project(io.BytesIO(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)), True)
        wb.set_vba_name("ThisWorkbook")
    return path


def refused(path: Path, limits: ReadLimits | None = None) -> FileRejected:
    with pytest.raises(FileRejected) as caught:
        read_sheets(path, limits)
    return caught.value


# --------------------------------------------------------------------------- zip workbooks


def test_a_zip_bomb_is_refused_before_calamine_inflates_it(tmp_path):
    path = tmp_path / "bom.xlsx"
    path.write_bytes(zip_bomb_xlsx(40))
    assert path.stat().st_size < 200_000  # 40 MB of sheet XML in under 200 KB
    by_ratio = refused(path)
    assert by_ratio.code == "FILE_TOO_LARGE" and "mengembang" in by_ratio.detail
    # with the ratio allowed, the unpacked size still stops it (declared, then real bytes)
    by_size = refused(path, ReadLimits(max_compression_ratio=1e9, max_unpacked_bytes=20_000_000))
    assert by_size.code == "FILE_TOO_LARGE" and "setelah dibuka" in by_size.detail
    # within every limit the same file is read for what it is: a sheet without data
    assert refused(path, ReadLimits(max_compression_ratio=1e9)).code == "FILE_EMPTY"


def test_an_entry_that_lies_about_its_size_is_refused(tmp_path):
    path = tmp_path / "bohong.xlsx"
    path.write_bytes(lying_size_xlsx())
    assert zipfile.ZipFile(path).getinfo("xl/worksheets/sheet1.xml").file_size == 1000
    rejection = refused(path)
    assert rejection.code == "FILE_UNREADABLE" and "lebih besar" in rejection.detail


def test_an_archive_of_too_many_parts_is_refused(tmp_path):
    path = tmp_path / "banyak.xlsx"
    data = xlsx_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(path, "w") as archive:
        for info in source.infolist():
            archive.writestr(info.filename, source.read(info.filename))
        for i in range(60):
            archive.writestr(f"xl/media/x{i}.bin", b"")
    assert refused(path, ReadLimits(max_zip_entries=50)).code == "FILE_TOO_LARGE"
    assert read_sheets(path)  # 70 parts are fine by default


CHILD = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (3 * 1024**3, 3 * 1024**3))
from pathlib import Path
from flows.sources.limits import FileRejected
from flows.sources.read import read_sheets
try:
    read_sheets(Path(sys.argv[1]))
except FileRejected as exc:
    print("REFUSED", exc.code, exc.detail)
else:
    print("READ")
print("MAXRSS_MB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def read_in_child(path: Path) -> tuple[int, str]:
    """Read a file in a child process with a 3 GB address-space cap, so a reader that would
    allocate hundreds of GB kills the child (SIGABRT from Rust), never this test process."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        timeout=300,
    )
    return done.returncode, done.stdout + done.stderr[-500:]


def ods_bytes(rows_xml: str) -> bytes:
    """An ODS whose one table holds `rows_xml` (table:table-row elements)."""
    ns = (
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
    )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns} '
        'office:version="1.2"><office:body><office:spreadsheet><table:table table:name="Data">'
        f"{rows_xml}</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"),
            "application/vnd.oasis.opendocument.spreadsheet",
            compress_type=zipfile.ZIP_STORED,
        )
        archive.writestr("content.xml", content)
        archive.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
            '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
            '<manifest:file-entry manifest:full-path="/" manifest:media-type='
            '"application/vnd.oasis.opendocument.spreadsheet"/></manifest:manifest>',
        )
    return buffer.getvalue()


def ods_cell(text: str, repeated: int = 1) -> str:
    return (
        f'<table:table-cell table:number-columns-repeated="{repeated}" '
        f'office:value-type="string"><text:p>{text}</text:p></table:table-cell>'
    )


def ods_repeat_bomb(rows: int = 999_000, columns: int = 100) -> bytes:
    """One row of `columns` cells written once and repeated `rows` times: under a kilobyte."""
    header = "<table:table-row>" + "".join(ods_cell(h) for h in HEADER) + "</table:table-row>"
    repeated = (
        f'<table:table-row table:number-rows-repeated="{rows}">{ods_cell("6472", columns)}'
        "</table:table-row>"
    )
    return ods_bytes(header + repeated)


def test_an_ods_repeat_bomb_is_refused_before_calamine_expands_it(tmp_path):
    path = tmp_path / "ulang.ods"
    path.write_bytes(ods_repeat_bomb())
    assert path.stat().st_size < 1_000
    code, out = read_in_child(path)
    assert code == 0, out  # without the scan: calamine aborts allocating ~12 GB
    assert "REFUSED FILE_TOO_LARGE" in out and "999.001 baris x 100 kolom" in out


def test_ods_empty_repeats_after_the_data_are_not_counted(tmp_path):
    """LibreOffice pads a sheet with empty rows and cells repeated to the sheet's end."""
    header = "<table:table-row>" + "".join(ods_cell(h) for h in HEADER) + "</table:table-row>"
    row = "<table:table-row>" + "".join(ods_cell(v) for v in person(1, "6472015508800003", "SITI"))
    padding = (
        '<table:table-cell table:number-columns-repeated="16000"/></table:table-row>'
        '<table:table-row table:number-rows-repeated="1048570">'
        '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>'
    )
    path = tmp_path / "libre.ods"
    path.write_bytes(ods_bytes(header + row + padding))
    (sheet,) = read_sheets(path, ReadLimits(max_cells=1_000))
    assert sheet.grid.shape == (2, len(HEADER))
    # empty repeats with a value after them do span the grid: refused under the same limit
    gap = (
        '<table:table-row table:number-rows-repeated="2000">'
        '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>'
    )
    path.write_bytes(ods_bytes(header + gap + row + "</table:table-row>"))
    assert "2.002 baris" in refused(path, ReadLimits(max_cells=1_000)).detail
    wide = '<table:table-cell table:number-columns-repeated="16000"/>' + ods_cell("x")
    path.write_bytes(ods_bytes(header + row + wide + "</table:table-row>"))
    assert "16.009 kolom" in refused(path, ReadLimits(max_cells=1_000)).detail


def test_csv_lines_are_counted_without_materialising_them(tmp_path):
    path = tmp_path / "baris.csv"
    with path.open("wb") as handle:  # 60 M short lines: over 3 GB as Python strings
        handle.write(b"NIK;NAMA\n")
        block = b"12\n" * 1_000_000
        for _ in range(60):
            handle.write(block)
    code, out = read_in_child(path)
    assert code == 0, out  # without counting first: MemoryError under the 3 GB cap
    assert "REFUSED FILE_TOO_LARGE" in out
    peak = int(re.search(r"MAXRSS_MB (\d+)", out).group(1))
    assert peak < 1000, out


@pytest.mark.parametrize("before_root", [b"", b"teks sembarang "])
def test_one_cell_at_xfd1048576_is_refused_not_allocated(tmp_path, before_root):
    path = tmp_path / "jauh.xlsx"
    path.write_bytes(far_cell_xlsx(before_root))
    assert path.stat().st_size < 10_000
    code, out = read_in_child(path)
    assert code == 0, out  # without the check: "memory allocation of 549755813888 bytes failed"
    assert "REFUSED FILE_TOO_LARGE" in out and "16.384 kolom" in out


def test_a_sheet_down_to_row_1048576_is_read_in_bounded_memory(tmp_path):
    path = tmp_path / "sejuta.xlsx"
    path.write_bytes(bottom_cell_xlsx([HEADER, person(1, "6472015508800003", "SITI")]))
    code, out = read_in_child(path)
    assert code == 0 and "READ" in out, out
    peak = int(re.search(r"MAXRSS_MB (\d+)", out).group(1))
    assert peak < 1500, out  # ~1 M rows x 8 columns of mostly empty cells
    # under a lower cell limit the same sheet is refused, not cut
    rejection = refused(path, ReadLimits(max_cells=1_000_000))
    assert rejection.code == "FILE_TOO_LARGE" and "1.048.576 baris" in rejection.detail


@pytest.mark.parametrize(
    ("name", "body", "prefix"),
    [
        ("implicit cells continue", '<row r="1"><c/><c r="E1"/><c/><c/></row><row><c/></row>', ""),
        ("prefixed elements", '<row r="3"><c r="D3"/></row>', "x"),
        ("spaces around =", "<row r = '3'><c r = 'F3'/></row>", ""),
        ("r not first", '<row r="3"><c s="1" r="XFD3"/></row>', ""),
        ("> inside a value", '<row r="3"><c t="s" foo="a>b" r="Z900000"/></row>', ""),
        ("tab before r", '<row\tr="2"><c\nr="C2"/></row>', ""),
    ],
)
def test_scan_never_bounds_below_what_calamine_places(tmp_path, name, body, prefix):
    filled = re.sub(r"<c([^/]*)/>", r'<c\1 t="inlineStr"><is><t>x</t></is></c>', body)
    filled = filled.replace("<c", f"<{prefix}:c" if prefix else "<c")
    filled = filled.replace("<row", f"<{prefix}:row" if prefix else "<row")
    filled = filled.replace("</row>", f"</{prefix}:row>" if prefix else "</row>")
    filled = filled.replace("</c>", f"</{prefix}:c>" if prefix else "</c>")
    filled = filled.replace("<is>", f"<{prefix}:is>" if prefix else "<is>")
    filled = filled.replace("</is>", f"</{prefix}:is>" if prefix else "</is>")
    filled = filled.replace("<t>", f"<{prefix}:t>" if prefix else "<t>")
    filled = filled.replace("</t>", f"</{prefix}:t>" if prefix else "</t>")
    xml = sheet_xml(filled, prefix=prefix)
    assert_bound_covers_calamine(tmp_path, xml)


def assert_bound_covers_calamine(tmp_path: Path, xml: bytes) -> None:
    scanner = SheetExtent()
    scanner.feed(xml)
    rows, columns = scanner.bounds()
    path = tmp_path / "s.xlsx"
    path.write_bytes(replace_parts(xlsx_bytes(), {"xl/worksheets/sheet1.xml": xml}))
    workbook = CalamineWorkbook.from_path(str(path))
    end = workbook.get_sheet_by_name("Data").end
    if end is not None:
        assert rows >= end[0] + 1 and columns >= end[1] + 1, (xml, (rows, columns), end)


COLUMN = st.integers(1, 60)
ROW = st.integers(1, 400)


def _letters(column: int) -> str:
    out = ""
    while column:
        column, rest = divmod(column - 1, 26)
        out = chr(65 + rest) + out
    return out


@st.composite
def sheet_bodies(draw) -> str:
    """Rows and cells as any writer might put them: references or none, any order, any quote,
    attributes before `r`, spaces around `=`."""
    rows = []
    for _ in range(draw(st.integers(1, 6))):
        attrs = ""
        if draw(st.booleans()):
            attrs = f' r="{draw(ROW)}"'
        cells = []
        for _ in range(draw(st.integers(0, 6))):
            style = draw(st.sampled_from(["", ' s="1"', ' t="inlineStr"']))
            kind = draw(st.sampled_from(["none", "first", "later", "spaced", "single"]))
            ref = f"{_letters(draw(COLUMN))}{draw(ROW)}"
            before = style or " s='2'"
            head = {
                "none": f"<c{style}",
                "first": f'<c r="{ref}"{style}',
                "later": f'<c{before} r="{ref}"',
                "spaced": f"<c r = '{ref}'{style}",
                "single": f"<c r='{ref}'{style}",
            }[kind]
            head = head.replace(' t="inlineStr"', "")
            cells.append(f'{head} t="inlineStr"><is><t>v</t></is></c>')
        rows.append(f"<row{attrs}>{''.join(cells)}</row>")
    return "".join(rows)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=sheet_bodies(), chunk=st.integers(7, 400))
def test_scan_bounds_cover_calamine_for_any_layout_and_chunking(tmp_path, body, chunk):
    xml = sheet_xml(body)
    whole = SheetExtent()
    whole.feed(xml)
    pieces = SheetExtent()
    for start in range(0, len(xml), chunk):
        pieces.feed(xml[start : start + chunk])
    assert pieces.bounds() == whole.bounds()  # however the inflated bytes arrive
    told = SheetExtent()  # told which piece is the last: scanned at once, same bounds
    for start in range(0, len(xml), chunk):
        told.feed(xml[start : start + chunk], last=start + chunk >= len(xml))
    assert told.bounds() == whole.bounds()
    assert_bound_covers_calamine(tmp_path, xml)


def test_encrypted_zip_entries_and_odd_compression_are_refused(tmp_path):
    data = bytearray(xlsx_bytes())
    at = bytes(data).index(b"PK\x01\x02")
    data[at + 8] |= 0x01  # the first central-directory entry says it is encrypted
    path = tmp_path / "zipsandi.xlsx"
    path.write_bytes(bytes(data))
    assert refused(path).code in ("FILE_ENCRYPTED", "FILE_UNREADABLE")
    lzma = tmp_path / "lzma.xlsx"
    with zipfile.ZipFile(io.BytesIO(xlsx_bytes())) as source, zipfile.ZipFile(lzma, "w") as out:
        for info in source.infolist():
            out.writestr(info.filename, source.read(info.filename), zipfile.ZIP_LZMA)
    with lzma.open("rb") as handle, pytest.raises(FileRejected) as caught:
        check_zip(handle, ReadLimits())
    assert caught.value.code == "FILE_UNSUPPORTED"


# --------------------------------------------------------------------------- xlsb


def _record(kind: int, payload: bytes = b"") -> bytes:
    """One xlsb record: type and size as base-128 numbers, then the payload (MS-XLSB 2.1.4)."""

    def base128(value: int) -> bytes:
        out = bytearray()
        while True:
            out.append((value & 0x7F) | (0x80 if value > 0x7F else 0))
            value >>= 7
            if not value:
                return bytes(out)

    return base128(kind) + base128(len(payload)) + payload


def _row(row: int) -> bytes:
    return _record(0, struct.pack("<IIHHBBI", row, 0, 300, 0, 0, 0, 0))


def _number(column: int, value: float) -> bytes:
    return _record(5, struct.pack("<IId", column, 0, value))  # BrtCellReal


def xlsb_bytes(body: bytes) -> bytes:
    """A minimal xlsb with one sheet `Data` whose sheet-data records are `body`."""
    name = struct.pack("<I", 4) + "rId1".encode("utf-16-le")
    title = struct.pack("<I", 4) + "Data".encode("utf-16-le")
    workbook = _record(131) + _record(143) + _record(156, struct.pack("<II", 0, 1) + name + title)
    workbook += _record(144) + _record(132)
    sheet = _record(129) + _record(148, bytes(16)) + _record(145) + body + _record(146)
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(
            "_rels/.rels",
            f'<Relationships><Relationship Id="rId1" Type="{rel}/officeDocument" '
            'Target="xl/workbook.bin"/></Relationships>',
        )
        archive.writestr("xl/workbook.bin", workbook)
        archive.writestr(
            "xl/_rels/workbook.bin.rels",
            f'<Relationships><Relationship Id="rId1" Type="{rel}/worksheet" '
            'Target="worksheets/sheet1.bin"/></Relationships>',
        )
        archive.writestr("xl/worksheets/sheet1.bin", sheet + _record(130))
    return out.getvalue()


def test_an_xlsb_is_read_and_one_far_away_cell_is_refused(tmp_path):
    small = tmp_path / "kecil.xlsb"
    small.write_bytes(
        xlsb_bytes(_row(0) + _number(0, 1.0) + _number(1, 2.0) + _row(1) + _number(0, 3))
    )
    assert read_sheets(small)[0].grid.shape == (2, 2)
    far = tmp_path / "jauh.xlsb"
    far.write_bytes(xlsb_bytes(_row(0) + _number(0, 1.0) + _row(1_048_575) + _number(16_383, 2)))
    code, out = read_in_child(far)
    assert code == 0 and "REFUSED FILE_TOO_LARGE" in out, out


def test_an_xlsb_cell_taking_its_column_from_an_earlier_record_is_refused(tmp_path):
    """calamine reuses one record buffer: a cell record of 0 bytes reads the column an
    ignored record (type 12) left in it."""
    stale = _record(12, struct.pack("<IId", 16_383, 0, 2.0)) + _record(5)
    path = tmp_path / "basi.xlsb"
    path.write_bytes(xlsb_bytes(_row(0) + _number(0, 1.0) + _row(1_048_575) + stale))
    code, out = read_in_child(path)
    assert code == 0 and "REFUSED FILE_TOO_LARGE" in out and "16.384 kolom" in out, out


# --------------------------------------------------------------------------- text and HTML


def test_csv_and_html_grids_are_bounded_by_the_same_cell_count(tmp_path):
    csv = tmp_path / "lebar.csv"
    csv.write_text("NIK;NAMA" + ";" * 250 + "\n" + "6472015508800003;SITI\n" * 5000)
    rejection = refused(csv, ReadLimits(max_cells=1_000_000))
    assert rejection.code == "FILE_TOO_LARGE" and "sel" in rejection.detail
    html = tmp_path / "rentang.xls"
    spans = '<td rowspan="1000" colspan="1000">x</td>' * 200
    html.write_text(f"<html><body><table><tr>{spans}</tr></table></body></html>")
    rejection = refused(html)
    assert rejection.code == "FILE_TOO_LARGE" and "rowspan" in rejection.detail


def test_a_sheet_name_no_spreadsheet_program_makes_is_refused(tmp_path):
    data = xlsx_bytes()
    workbook = zipfile.ZipFile(io.BytesIO(data)).read("xl/workbook.xml")
    long_name = "N" * 5000
    path = tmp_path / "nama.xlsx"
    path.write_bytes(
        replace_parts(
            data,
            {"xl/workbook.xml": workbook.replace(b'name="Data"', f'name="{long_name}"'.encode())},
        )
    )
    assert refused(path).code == "CELL_TOO_LONG"


def test_a_cell_longer_than_excel_allows_rejects_the_file_with_its_place(tmp_path):
    raw = tmp_path / "raw"
    path = raw / "Kota Samarinda" / "usulan jkn.csv"
    path.parent.mkdir(parents=True)
    huge = "A" * (10 * 1024 * 1024)
    path.write_text(
        "NIK;NO KK;NAMA;TANGGAL LAHIR;JENIS KELAMIN\n"
        "6472015508800003;6472010101200001;SITI;15-08-1980;P\n"
        f"6472015508800011;6472010101200001;{huge};15-08-1980;P\n"
    )
    record = ingest_file(path, raw, "-", Settings()).record
    assert (record["status"], record["reason_code"]) == ("rejected", "CELL_TOO_LONG")
    assert "kolom nama baris 3" in record["reason"] and "10.485.760" in record["reason"]
    assert len(record["reason"]) < 300


# --------------------------------------------------------------------------- one run, all at once

GOOD_ROWS = 120


def build_hostile_raw_dir(root: Path) -> dict[str, object]:
    """A raw dir with every kind of bad file next to one good generated file; returns facts the
    tests check against."""
    from demo.generator import generate_demo_data

    raw, outside = root / "raw", root / "outside"
    demo = root / "demo"
    generate_demo_data(rows=GOOD_ROWS * 4, out_dir=demo, seed=11, formats="xlsx", hard_cases=False)
    files = pd.read_csv(demo / "_truth" / "files.csv")
    good = files.sort_values("n_rows", ascending=False).iloc[0]["file_name"]
    (raw / good).parent.mkdir(parents=True)
    shutil.copy2(demo / good, raw / good)
    truth = pd.read_csv(demo / "_truth" / "rows.csv", dtype=str)
    truth = truth.loc[truth["file_name"].eq(good)]

    smd, btg, bpn, paser, kubar = (
        raw / d for d in ("Samarinda", "Bontang", "Balikpapan", "Paser", "Kutai Barat")
    )
    for folder in (smd, btg, bpn, paser, kubar, outside):
        folder.mkdir(parents=True, exist_ok=True)
    people = [HEADER] + [person(i, f"64720155088{i:05d}", f"WARGA NOMOR {i}") for i in range(1, 4)]
    good_bytes = (raw / good).read_bytes()
    (smd / "rusak jkn.xlsx").write_bytes(xlsx_bytes(people)[:700])
    (smd / "terpotong jkn.xlsx").write_bytes(good_bytes[: len(good_bytes) // 2])
    (smd / "sandi jkn.xlsx").write_bytes(encrypted_xlsx())
    (smd / "kosong jkn.xlsx").write_bytes(b"")
    (smd / "surat jkn.xlsx").write_bytes(docx_bytes())
    (smd / "pindaian jkn.xlsx").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    (btg / "bom jkn.xlsx").write_bytes(zip_bomb_xlsx(60))
    (btg / "jauh jkn.xlsx").write_bytes(far_cell_xlsx())
    write_xlsx(bpn / "lebar jkn.xlsx", [HEADER + [f"KOLOM {i}" for i in range(3000)], people[1]])
    (bpn / "lebar jkn.csv").write_text(";".join(HEADER + ["X"] * 3000) + "\n1;6472015508800003\n")
    (bpn / "sel raksasa jkn.csv").write_text(
        "NIK;NO KK;NAMA;TANGGAL LAHIR;JENIS KELAMIN\n"
        f"6472015508800003;6472010101200001;{'B' * 10 * 1024 * 1024};15-08-1980;P\n"
    )
    # invalid UTF-8 (0x81, 0xFF) and a file mixing UTF-8 with cp1252 (Ñ as C3 91, é as E9)
    header = b"NIK;NO KK;NAMA;TANGGAL LAHIR;JENIS KELAMIN\n"
    (paser / "utf8 rusak jkn.csv").write_bytes(
        header
        + b"6401015508800003;6401010101200001;SITI \x81AMINAH;15-08-1980;P\n"
        + b"6401011508800004;6401010101200001;BUDI \xff;15-08-1980;L\n"
    )
    (paser / "campur jkn.csv").write_bytes(
        header
        + "6401015508800011;6401010101200002;NUÑEZ SITI;15-08-1980;P\n".encode()
        + "6401015508800029;6401010101200002;JOSé BUDI;15-08-1980;P\n".encode("cp1252")
    )
    # merged cells across data rows: the name and the kecamatan of rows 2-4
    merged = paser / "gabung jkn.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(HEADER)
    ws.append(person(1, "6401015508800037", "SITI GABUNG", PASER_KK))
    ws.append(person(2, "6401015508800045", None, PASER_KK))
    ws.append(person(3, "6401015508800053", None, PASER_KK))
    ws.merge_cells("D2:D4")
    ws.merge_cells("H2:H4")
    wb.save(merged)
    # formula cells: a NIK built by a formula with its cached result, one with none cached
    formulas = paser / "rumus jkn.xlsx"
    with xlsxwriter.Workbook(formulas) as wb:
        ws = wb.add_worksheet("Data")
        ws.write_row(0, 0, HEADER)
        ws.write_row(1, 0, person(1, None, "SITI RUMUS", PASER_KK))
        ws.write_formula(1, 1, '="640101"&"5508800061"', None, "6401015508800061")
        ws.write_row(2, 0, person(2, None, "BUDI RUMUS", PASER_KK))
        ws.write_formula(2, 1, '="640101"&"1508800079"', None, "")
        ws.write_formula(2, 0, "=A2+1", None, 2)
    xlsm_with_macro(
        paser / "makro jkn.xlsm", [HEADER, person(1, "6401015508800088", "SITI MAKRO", PASER_KK)]
    )
    # unicode, spaces and `..` in a file name
    odd_name = kubar / "usulan  JKN ..2 — Ñoño ✓ (final).xlsx"
    write_xlsx(
        odd_name, [HEADER, person(1, "6407015508800001", "SITI NAMA ANEH", "6407010101200001")]
    )
    # a sheet named like a path, and cells holding paths
    pathy = kubar / "jalur jkn.xlsx"
    rows = [
        HEADER,
        person(1, "6407015508800019", "../../../../tmp/tepat_escape.xlsx", "6407010101200001"),
    ]
    rows[1][6] = "/etc/passwd"
    write_xlsx(pathy, rows)
    workbook_xml = zipfile.ZipFile(pathy).read("xl/workbook.xml")
    pathy.write_bytes(
        replace_parts(
            pathy.read_bytes(),
            {"xl/workbook.xml": workbook_xml.replace(b'name="Data"', b'name="../../x"')},
        )
    )
    # formula injection in cells that end up in feedback and, when verified, in the BPJS lists
    injection = kubar / "suntik jkn.xlsx"
    names = ['=HYPERLINK("http://contoh.invalid","klik")', "+SUM(1,2)", "@cmd", "-2+3"]
    # a formula is never a name (NAME_INVALID): those rows are rejected, shown as text in the
    # feedback; formula-like addresses of valid rows reach the BPJS lists
    addresses = ['=HYPERLINK("http://contoh.invalid","klik")', "@Jl. Mawar"]
    write_xlsx(
        injection,
        [HEADER]
        + [
            person(i + 1, f"640701550880{i + 21:04d}", n, "6407010101200002")
            for i, n in enumerate(names)
        ]
        + [
            [*person(i + 5, f"640701550880{i + 25:04d}", n, "6407010101200002")[:6], a, "Melak"]
            for i, (n, a) in enumerate(zip(["Siti Rumus", "Dewi Rumus"], addresses, strict=True))
        ],
    )
    # symlinks: a file and a folder outside the raw dir, and a link to a file inside it
    write_xlsx(outside / "rahasia jkn.xlsx", [HEADER, person(1, "6472015508800096", "DI LUAR")])
    (kubar / "tautan jkn.xlsx").symlink_to(outside / "rahasia jkn.xlsx")
    (kubar / "folder luar").symlink_to(outside, target_is_directory=True)
    (kubar / "tautan dalam jkn.xlsx").symlink_to(pathy)
    # issue 15: an ODS repeat bomb, links into a skipped folder, names that would forge lines,
    # corrupt a workbook or carry a NIK
    (btg / "ulang jkn.ods").write_bytes(ods_repeat_bomb())
    skipped = raw / "_truth"
    skipped.mkdir()
    write_xlsx(skipped / "kunci jkn.xlsx", [HEADER, person(1, "6407015508800108", "KEBENARAN")])
    (kubar / "tautan kebenaran jkn.xlsx").symlink_to(skipped / "kunci jkn.xlsx")
    (kubar / "folder kebenaran").symlink_to(skipped, target_is_directory=True)
    write_xlsx(
        kubar / "kontrol\x01\x1b[31m jkn.xlsx",
        [HEADER, person(1, "6407015508800116", "SITI KONTROL", "6407010101200001")],
    )
    (kubar / "baris\n  ! PALSU: dimuat jkn.xlsx").write_bytes(b"")
    (kubar / f"{SPACED_NIK} jkn.xlsx").write_bytes(b"")
    return {
        "raw": raw,
        "good": good,
        "truth": truth,
        "odd_name": odd_name.relative_to(raw).as_posix(),
        "injection_names": names,
    }


EXPECTED = {
    "Samarinda/rusak jkn.xlsx": ("rejected", "FILE_UNREADABLE", "rusak"),
    "Samarinda/terpotong jkn.xlsx": ("rejected", "FILE_UNREADABLE", "rusak"),
    "Samarinda/sandi jkn.xlsx": ("rejected", "FILE_ENCRYPTED", "kata sandi"),
    "Samarinda/kosong jkn.xlsx": ("rejected", "FILE_EMPTY", "kosong"),
    "Samarinda/surat jkn.xlsx": ("rejected", "FILE_UNSUPPORTED", "pengolah kata"),
    "Samarinda/pindaian jkn.xlsx": ("rejected", "FILE_UNSUPPORTED", "PDF"),
    "Bontang/bom jkn.xlsx": ("rejected", "FILE_TOO_LARGE", "setelah dibuka"),
    "Bontang/jauh jkn.xlsx": ("rejected", "FILE_TOO_LARGE", "16.384 kolom"),
    "Balikpapan/lebar jkn.xlsx": ("rejected", "FILE_EMPTY", "lebih dari 300 kolom"),
    "Balikpapan/lebar jkn.csv": ("rejected", "FILE_TOO_LARGE", "300 kolom"),
    "Balikpapan/sel raksasa jkn.csv": ("rejected", "CELL_TOO_LONG", "10.485.760 karakter"),
    "Paser/utf8 rusak jkn.csv": ("loaded", None, None),
    "Paser/campur jkn.csv": ("loaded", None, None),
    "Paser/gabung jkn.xlsx": ("loaded", None, None),
    "Paser/rumus jkn.xlsx": ("loaded", None, None),
    "Paser/makro jkn.xlsm": ("loaded", None, None),
    "Kutai Barat/jalur jkn.xlsx": ("loaded", None, None),
    "Kutai Barat/suntik jkn.xlsx": ("loaded", None, None),
    # a link inside the raw dir is read: the same bytes as the file it points to
    "Kutai Barat/tautan dalam jkn.xlsx": ("duplicate", "DUPLICATE_FILE", "jalur jkn.xlsx"),
    "Bontang/ulang jkn.ods": ("rejected", "FILE_TOO_LARGE", "999.001 baris x 100 kolom"),
    "Kutai Barat/kontrol\x01\x1b[31m jkn.xlsx": ("loaded", None, None),
    "Kutai Barat/baris\n  ! PALSU: dimuat jkn.xlsx": ("rejected", "FILE_EMPTY", "kosong"),
    "Kutai Barat/6407 0155 0880 0124 jkn.xlsx": ("rejected", "FILE_EMPTY", "kosong"),
}
SPACED_NIK = "6407 0155 0880 0124"


@pytest.fixture(scope="module")
def hostile(prefect_harness, tmp_path_factory):
    """One run of the flow over every bad file at once (logs captured at DEBUG)."""
    from flows.pipeline import pipeline

    root = tmp_path_factory.mktemp("hostile")
    facts = build_hostile_raw_dir(root)
    db, exports = root / "warehouse" / "tepat.duckdb", root / "exports"
    before = {p for p in root.rglob("*")}
    fmt = "%(name)s %(levelname)s %(message)s"
    with captured_logs(logging.DEBUG, fmt) as log_lines, pytest.MonkeyPatch.context() as env:
        env.setenv("TEPAT_MAX_UNPACKED_BYTES", str(50 * 1024 * 1024))
        # read in this process: starting reading processes costs more than these files
        env.setenv("TEPAT_PARALLEL_READ_MIN_BYTES", str(1 << 40))
        summary = pipeline(
            raw_dir=facts["raw"], reference_dir=root / "reference", db=db,
            export_dir=exports, as_of=pd.Timestamp(AS_OF).date(),
        )  # fmt: skip
    with duckdb.connect(str(db), read_only=True) as con:
        files = con.execute("SELECT * FROM source_files").df().set_index("file_name")
        rows = con.execute("SELECT * FROM submission_rows").df()
        issues = con.execute("SELECT * FROM row_issues").df()
        exported = con.execute("SELECT * FROM exports").df()
    return {
        **facts, "root": root, "db": db, "exports": exports, "summary": summary,
        "files": files, "rows": rows, "issues": issues, "exported": exported,
        "created": {p for p in root.rglob("*")} - before, "log": "\n".join(log_lines),
    }  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_bad_file_gets_a_clear_reason(hostile, name):
    status, code, words = EXPECTED[name]
    record = hostile["files"].loc[name]
    assert record["status"] == status, record.to_dict()
    if code is None:
        assert pd.isna(record["reason_code"])
        return
    assert record["reason_code"] == code
    assert words in record["reason"] and len(record["reason"]) < 400


@pytest.mark.slow
def test_the_good_file_is_whole_and_nothing_else_was_loaded(hostile):
    good, truth, rows = hostile["good"], hostile["truth"], hostile["rows"]
    mine = rows.loc[rows["file_name"].eq(good)]
    expected = set(
        zip(truth["sheet"], truth["row_number"].astype(int), truth["expected_status"], strict=True)
    )
    assert set(zip(mine["sheet"], mine["row_number"], mine["status"], strict=True)) == expected
    assert hostile["files"].loc[good, "status"] == "loaded"
    names = set(hostile["files"].index)
    assert names == set(EXPECTED) | {good, hostile["odd_name"]}
    assert not any(
        "rahasia" in n or "folder luar" in n or "kebenaran" in n for n in names
    )  # symlinks out, or into _truth/: not followed


@pytest.mark.slow
def test_rows_under_merged_cells_formulas_and_encodings_get_row_reasons(hostile):
    rows, issues = hostile["rows"], hostile["issues"]

    def of(file: str) -> pd.DataFrame:
        return rows.loc[rows["file_name"].eq(f"Paser/{file}")].set_index("row_number")

    def codes(file: str, row: int) -> set[str]:
        hit = issues["file_name"].eq(f"Paser/{file}") & issues["row_number"].eq(row)
        return set(issues.loc[hit, "code"])

    merged = of("gabung jkn.xlsx")  # a merged value belongs to every cell it covers (issue 13)
    assert merged.index.tolist() == [2, 3, 4]
    assert set(merged["nama"].str.upper()) == {"SITI GABUNG"}
    assert not any("NAME_MISSING" in codes("gabung jkn.xlsx", row) for row in (2, 3, 4))
    formulas = of("rumus jkn.xlsx")
    assert formulas.loc[2, "nik"] == "6401015508800061"  # the formula's cached result
    assert formulas.loc[3, "status"] == "rejected" and "NIK_MISSING" in codes("rumus jkn.xlsx", 3)
    assert of("makro jkn.xlsm")["nik"].tolist() == ["6401015508800088"]
    broken = of("utf8 rusak jkn.csv")
    assert broken["nik"].tolist() == ["6401015508800003", "6401011508800004"]
    assert broken["status"].eq("accepted").all()
    mixed = of("campur jkn.csv")
    assert mixed["nik"].tolist() == ["6401015508800011", "6401015508800029"]


@pytest.mark.slow
def test_file_names_and_sheet_names_are_data_never_paths(hostile):
    root, exports, db = hostile["root"], hostile["exports"], hostile["db"]
    for created in hostile["created"]:
        assert created.is_relative_to(exports) or created.is_relative_to(db.parent), created
    assert not Path("/tmp/tepat_escape.xlsx").exists()
    allowed = re.compile(
        r"^(bpjs/(kesehatan|ketenagakerjaan)/(perubahan/)?[a-z0-9_.-]+|umpan_balik/\d{4}_[a-z_]+/[a-z0-9_.]+"
        r"|laporan/laporan_[0-9T-]+[a-f0-9]*\.html|laporan/laporan_terbaru\.html)$"
    )
    for path in exports.rglob("*"):
        if path.is_file():
            assert allowed.match(path.relative_to(exports).as_posix()), path
    pathy = hostile["rows"].loc[hostile["rows"]["file_name"].eq("Kutai Barat/jalur jkn.xlsx")]
    assert pathy["sheet"].tolist() == ["../../x"]  # kept as written, as data
    odd = hostile["rows"].loc[hostile["rows"]["file_name"].eq(hostile["odd_name"])]
    assert len(odd) == 1 and odd["status"].iloc[0] == "accepted"
    del root


@pytest.mark.slow
def test_everything_a_run_creates_is_readable_by_the_owner_only(hostile):
    db, exports = hostile["db"], hostile["exports"]
    checked = 0
    for path in [*db.parent.rglob("*"), *exports.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        assert mode & 0o077 == 0, f"{path} is {oct(mode)}"
        checked += 1
    kinds = {p.suffix for p in exports.rglob("*") if p.is_file()}
    assert {".xlsx", ".csv", ".html"} <= kinds and (db.parent / "tepat.duckdb.lock").exists()
    assert checked > 10


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@pytest.mark.slow
def test_formula_like_cells_are_text_in_feedback_and_bpjs_lists(hostile):
    exported = hostile["exported"]
    feedback = exported.loc[
        exported["kind"].eq("umpan_balik") & exported["path"].str.contains("suntik")
    ]
    assert len(feedback) == 1
    path = Path(feedback["path"].iloc[0])
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name)
    workbook = openpyxl.load_workbook(path)
    seen = set()
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
                    assert cell.data_type == "s" and cell.quotePrefix, (ws.title, cell.coordinate)
                    seen.add(cell.value)
    assert set(hostile["injection_names"]) <= seen
    # the verified ones reach the BPJS list of Kutai Barat: apostrophe in csv, text in xlsx
    listed = exported.loc[exported["kind"].eq("bpjs") & exported["regency_code"].eq("6407")]
    csv = next(Path(p) for p in listed["path"] if p.endswith(".csv"))
    assert "'=HYPERLINK(" in csv.read_text(encoding="utf-8")
    for path in hostile["exports"].rglob("*.csv"):
        for line in path.read_text(encoding="utf-8").splitlines()[1:]:
            for cell in re.findall(r'"((?:[^"]|"")*)"', line):
                if re.fullmatch(r'=""[0-9]+""', cell):
                    continue  # a NIK or KK as `="digits"`: Excel keeps it as text, nothing runs
                assert not cell.startswith(FORMULA_START), (path, cell)
    listing = openpyxl.load_workbook(next(Path(p) for p in listed["path"] if p.endswith("xlsx")))
    formula_like = [
        cell
        for row in listing["Daftar"].iter_rows()
        for cell in row
        if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START)
    ]
    assert formula_like and all(c.data_type == "s" and c.quotePrefix for c in formula_like)


@pytest.mark.slow
def test_no_nik_or_name_in_logs_or_prefect_artifacts(hostile):
    from prefect.client.orchestration import get_client

    rows = hostile["rows"]
    niks = set(rows["nik"].dropna())
    names = {
        n
        for n in rows["nama"].dropna()
        if len(n) >= 8 and not n.startswith(("=", "+", "@", "-", "."))
    }
    assert len(niks) > 50 and len(names) > 30
    log = hostile["log"]
    assert f"Run {hostile['summary'].run_id} selesai" in log  # the run's own lines were captured
    leaked = [nik for nik in niks if nik in log] + [name for name in names if name in log]
    assert not leaked, leaked[:5]
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts()
    text = "\n".join(str(a.data) + str(a.description or "") for a in artifacts)
    assert any(a.key == "tepat-ringkasan-run" for a in artifacts)
    assert not [nik for nik in niks if nik in text] and not [n for n in names if n in text]


# --------------------------------------------------------------------------- a file being copied


def test_only_a_file_that_changes_while_looked_at_counts_as_still_being_written(tmp_path):
    steady, future, old, growing = (tmp_path / f"{n}.csv" for n in ("a", "b", "c", "d"))
    for path in (steady, future, old, growing):
        path.write_text("NIK;NAMA\n")
    now = time.time()
    os.utime(future, (now + 3600, now + 3600))  # a share whose clock runs ahead
    os.utime(old, (now - 3600, now - 3600))
    stop = threading.Event()

    def append() -> None:
        with growing.open("a") as handle:
            while not stop.is_set():
                handle.write("6472015508800003;SITI\n")
                handle.flush()
                time.sleep(0.02)

    writer = threading.Thread(target=append)
    writer.start()
    try:
        busy = still_being_written([steady, future, old, growing], 10, 0.3)
    finally:
        stop.set()
        writer.join()
    assert [b.path for b in busy] == [growing]
    assert still_being_written([old], 10, 30) == []  # nothing recent: no waiting at all


@pytest.mark.slow
def test_a_file_still_being_written_waits_for_the_next_run(prefect_harness, tmp_path):
    from flows.pipeline import pipeline

    raw = tmp_path / "raw" / "Kota Samarinda"
    raw.mkdir(parents=True)
    write_xlsx(raw / "usulan jkn.xlsx", [HEADER, person(1, "6472015508800003", "SITI AMINAH")])
    growing = raw / "salinan jkn.csv"
    lines = ["NIK;NO KK;NAMA;TANGGAL LAHIR;JENIS KELAMIN"] + [
        f"64720115088{i:05d};6472010101200001;WARGA {i};15-08-1980;L" for i in range(1, 400)
    ]
    stop = threading.Event()

    def copy_slowly() -> None:  # as a network copy does: a few lines at a time
        with growing.open("w") as handle:
            for line in lines:
                if stop.is_set():
                    return
                handle.write(line + "\n")
                handle.flush()
                time.sleep(0.05)

    writer = threading.Thread(target=copy_slowly)
    writer.start()
    time.sleep(0.3)

    def run():
        return pipeline(
            raw_dir=tmp_path / "raw", reference_dir=tmp_path / "ref", db=tmp_path / "w.duckdb",
            export_dir=tmp_path / "out", as_of=pd.Timestamp(AS_OF).date(),
        )  # fmt: skip

    try:
        first = run()
    finally:
        stop.set()
        writer.join()
    assert any("salinan jkn.csv" in note and "run berikutnya" in note for note in first.notes)
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        names = set(con.execute("SELECT file_name FROM source_files").df()["file_name"])
    assert names == {"Kota Samarinda/usulan jkn.xlsx"}  # not rejected, not loaded: not seen yet
    growing.write_text("\n".join(lines) + "\n")  # the copy finishes
    os.utime(growing, (time.time() - 60, time.time() - 60))
    second = run()
    assert second.files_loaded == 1 and not any("run berikutnya" in n for n in second.notes)
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        n = con.execute(
            "SELECT count(*) FROM submission_rows WHERE file_name = 'Kota Samarinda/salinan jkn.csv'"
        ).fetchone()[0]
    assert n == len(lines) - 1


def test_links_into_skipped_folders_are_not_followed(tmp_path):
    from flows.sources.read import list_submissions

    raw = tmp_path / "raw"
    truth, smd = raw / "_truth", raw / "Samarinda"
    truth.mkdir(parents=True)
    smd.mkdir()
    write_xlsx(truth / "kebenaran jkn.xlsx", [HEADER, person(1, "6472015508800003", "RAHASIA")])
    write_xlsx(smd / "usulan jkn.xlsx", [HEADER, person(2, "6472015508800011", "SITI")])
    (smd / "tautan jkn.xlsx").symlink_to(truth / "kebenaran jkn.xlsx")
    (smd / "folder").symlink_to(truth, target_is_directory=True)
    (raw / ".tersembunyi").mkdir()
    (raw / ".tersembunyi" / "x jkn.csv").write_text("NIK\n6472015508800003\n")
    (smd / "tersembunyi jkn.csv").symlink_to(raw / ".tersembunyi" / "x jkn.csv")
    (smd / "salinan jkn.xlsx").symlink_to(smd / "usulan jkn.xlsx")  # inside: still read
    names = [p.relative_to(raw).as_posix() for p in list_submissions(raw)]
    assert names == ["Samarinda/salinan jkn.xlsx", "Samarinda/usulan jkn.xlsx"]


@pytest.mark.slow
def test_file_names_never_forge_lines_corrupt_workbooks_or_leak_a_nik(hostile):
    summary = hostile["summary"].text()
    forged = "Kutai Barat/baris?  ! PALSU: dimuat jkn.xlsx"
    assert [line for line in summary.splitlines() if "PALSU" in line] == [
        f"  ! {forged}: "
        + hostile["files"].loc["Kutai Barat/baris\n  ! PALSU: dimuat jkn.xlsx", "reason"]
    ]
    report = next((hostile["exports"] / "laporan").glob("laporan_2*.html")).read_text()
    for text in (summary, hostile["log"], report):
        assert SPACED_NIK not in text and "6407015508800124" not in text
        assert "\x01" not in text and "\x1b" not in text
    assert "6407********0124" in report and "6407********0124" in summary
    assert not any("\n  ! PALSU" in line for line in hostile["log"].splitlines())
    exported = hostile["exported"]
    feedback = exported.loc[
        exported["kind"].eq("umpan_balik") & exported["path"].str.contains("kontrol"), "path"
    ]
    workbook = openpyxl.load_workbook(feedback.iloc[0])  # opens: nothing corrupted it
    cells = [c.value for ws in workbook.worksheets for row in ws.iter_rows() for c in row]
    assert "Kutai Barat/kontrol??[31m jkn.xlsx" in cells


@pytest.mark.slow
def test_the_ods_bomb_is_recorded_and_the_next_run_does_not_read_it(hostile, monkeypatch):
    """Recorded as rejected with its sha256: a later run sees it unchanged and never reopens it."""
    import flows.sources.ingest
    from flows.pipeline import pipeline

    opened: list[str] = []
    real = flows.sources.ingest.iter_sheets

    def iter_sheets(path: Path, limits: ReadLimits | None = None):
        opened.append(path.name)
        return real(path, limits)

    monkeypatch.setattr(flows.sources.ingest, "iter_sheets", iter_sheets)
    summary = pipeline(
        raw_dir=hostile["raw"], reference_dir=hostile["root"] / "reference", db=hostile["db"],
        export_dir=hostile["exports"], as_of=pd.Timestamp(AS_OF).date(),
    )  # fmt: skip
    assert summary.files_unchanged == len(hostile["files"]) and opened == []
    assert hostile["files"].loc["Bontang/ulang jkn.ods", "sha256"]
