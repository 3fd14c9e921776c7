"""Input limits: what a submission may hold, checked before a parser can be made to exhaust memory.

python-calamine builds a dense grid from the first to the last used cell of a sheet before any
Python code sees a row, and a failed allocation in Rust aborts the whole process (it cannot be
caught). A 5 KB xlsx whose sheet XML holds one cell at `XFD1048576` asks for 550 GB. So a zip
workbook is checked here first, without trusting what it declares about itself:

- the central directory: number of entries, declared unpacked size, compression ratio;
- every entry is inflated once (streamed, capped): the real unpacked size must match the
  declared one and stay under the limit (an entry that lies about its size is refused);
- every entry is scanned for the cell references calamine would place (`r` attributes of
  `<row>` and `<c>` elements under any namespace prefix, with any quoting, and the cells and
  rows that have no reference and continue from the one before; xlsb sheets: the row and
  column of each record), giving an upper bound of the grid each sheet would need: rows x
  columns must stay under `max_cells`.

The scan is vectorised (numpy over the inflated bytes), a fraction of calamine's own time.
An ODS spreads its cells with repeat counts (`number-rows-repeated`, `number-columns-repeated`),
so its `content.xml` is also streamed through lxml and each table bounded from them
(`check_ods`). xls (65,536 x 256 by format) is checked after calamine opened the sheet, before
any Python object is made (`check_sheet_extent`). Delimited text and HTML are bounded by the same cell count.

Also here: cells longer than Excel allows (`check_cell_sizes`) and files that are still being
written when a run starts (`still_being_written`).
"""

from __future__ import annotations

import html
import io
import re
import struct
import time
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from flows.settings import Settings
from transforms.ingest.headers import cell_types


class FileRejected(Exception):
    """A file that cannot be loaded, with the contract's reason code and a detail."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


def _setting(name: str) -> object:
    """The default of a reading limit, from the one settings object."""
    return Settings.model_fields[name].default


@dataclass(frozen=True)
class ReadLimits:
    """What a single file may hold before it is refused (a zip bomb or a runaway sheet stops here)."""

    max_file_bytes: int = _setting("max_file_bytes")
    max_rows: int = _setting("max_rows_per_sheet")
    max_columns: int = _setting("max_columns")
    max_cells: int = _setting("max_cells")
    max_unpacked_bytes: int = _setting("max_unpacked_bytes")
    max_zip_entries: int = _setting("max_zip_entries")
    max_compression_ratio: float = _setting("max_compression_ratio")

    @classmethod
    def of(cls, settings: Settings) -> ReadLimits:
        """The reading limits a run's settings give."""
        return cls(
            max_file_bytes=settings.max_file_bytes,
            max_rows=settings.max_rows_per_sheet,
            max_columns=settings.max_columns,
            max_cells=settings.max_cells,
            max_unpacked_bytes=settings.max_unpacked_bytes,
            max_zip_entries=settings.max_zip_entries,
            max_compression_ratio=settings.max_compression_ratio,
        )


# Entries smaller than this are not held to the compression-ratio limit (tiny parts compress well).
RATIO_GRACE_BYTES = 10 * 1024 * 1024
INFLATE_CHUNK = 2 * 1024 * 1024  # scanned piece by piece: a few MB stay in the CPU caches
# One text or tag longer than this inside a workbook's XML is no cell Excel could have written.
MAX_XML_RUN_BYTES = 64 * 1024 * 1024
MAX_SHEET_NAME_CHARS = 255
# Huge, so a reference beyond what Excel can address exceeds every limit.
_BEYOND = 1 << 40


def _refuse(code: str, detail: str) -> Exception:
    """A FileRejected with the contract's reason code."""
    return FileRejected(code, detail)


def thousands(value: int) -> str:
    """An integer with Indonesian thousands separators: 1.048.576."""
    return f"{value:,}".replace(",", ".")


def _size(n_bytes: int) -> str:
    return f"{n_bytes / 1e6:,.0f} MB".replace(",", ".") if n_bytes >= 1e6 else f"{n_bytes} bait"


# --------------------------------------------------------------------------- zip workbooks


def check_workbook(path: Path, data: bytes | None, kind: str, limits: ReadLimits) -> None:
    """Refuse a zip workbook (xlsx/xlsm/xlsb/ods) that would unpack or spread too far, before
    calamine opens it; `data` is the decrypted workbook when the file had to be opened first."""
    if kind not in ("xlsx", "xlsb", "ods"):
        return  # xls: BIFF8 addresses at most 65,536 x 256 cells; text formats are read in Python
    handle: IO[bytes] = io.BytesIO(data) if data is not None else path.open("rb")
    with handle:
        check_zip(handle, limits)
        if kind == "ods":
            check_ods(handle, limits)


def check_zip(handle: IO[bytes], limits: ReadLimits) -> None:
    """Central-directory limits, then every entry inflated once: XML parts scanned for the
    cells they place, and the binary sheets of an xlsb (`xl/` + a workbook relationship's
    target, as calamine finds them) for their records."""
    try:
        with zipfile.ZipFile(handle) as archive:
            entries = archive.infolist()
            binary_sheets = _xlsb_sheet_parts(archive)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _refuse("FILE_UNREADABLE", f"arsip zip rusak: {exc}") from exc
    if len(entries) > limits.max_zip_entries:
        raise _refuse(
            "FILE_TOO_LARGE", f"arsip berisi {thousands(len(entries))} bagian, bukan lembar kerja"
        )
    declared = sum(entry.file_size for entry in entries)
    if declared > limits.max_unpacked_bytes:
        raise _refuse(
            "FILE_TOO_LARGE",
            f"isi arsip {_size(declared)} setelah dibuka (batas {_size(limits.max_unpacked_bytes)})",
        )
    for entry in entries:
        if entry.flag_bits & 0x1:
            raise _refuse("FILE_ENCRYPTED", entry.filename)
        ratio = entry.file_size / max(entry.compress_size, 1)
        if entry.file_size > RATIO_GRACE_BYTES and ratio > limits.max_compression_ratio:
            raise _refuse(
                "FILE_TOO_LARGE",
                f"bagian {entry.filename[:80]} mengembang {ratio:,.0f} kali saat dibuka "
                f"(batas {limits.max_compression_ratio:,.0f} kali)",
            )
    unpacked = 0
    for entry in entries:
        # Every part, whatever its name or first bytes (calamine skips text before the root
        # element); an xlsb sheet also as records: calamine picks its reader by file extension.
        scanners = [SheetExtent()] + ([XlsbExtent()] if entry.filename in binary_sheets else [])
        actual = 0
        for chunk in _inflate(handle, entry):
            actual += len(chunk)
            unpacked += len(chunk)
            if actual > entry.file_size or unpacked > limits.max_unpacked_bytes:
                raise _refuse(
                    "FILE_UNREADABLE",
                    f"bagian {entry.filename[:80]} lebih besar dari yang tercatat di arsip",
                )
            for scanner in scanners:
                if isinstance(scanner, SheetExtent):
                    scanner.feed(chunk, last=actual == entry.file_size)
                else:
                    scanner.feed(chunk)
        if actual != entry.file_size:
            raise _refuse("FILE_UNREADABLE", f"bagian {entry.filename[:80]} terpotong atau rusak")
        for scanner in scanners:
            _check_extent(*scanner.bounds(), limits)


def _check_extent(rows: int, columns: int, limits: ReadLimits) -> None:
    if columns and rows > limits.max_rows:
        raise _refuse(
            "FILE_TOO_LARGE",
            f"lembar berisi sampai {thousands(rows)} baris (batas {thousands(limits.max_rows)})",
        )
    if rows * columns > limits.max_cells:
        raise _refuse(
            "FILE_TOO_LARGE",
            f"lembar merentang {thousands(min(rows, _BEYOND))} baris x "
            f"{thousands(min(columns, _BEYOND))} kolom (batas {thousands(limits.max_cells)} sel)",
        )


_TARGET = re.compile(rb"""Target\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _xlsb_sheet_parts(archive: zipfile.ZipFile) -> set[str]:
    """Entries calamine may read as xlsb sheets: `xl/` + every relationship target of the
    workbook that names an entry (as written, and with XML entities resolved)."""
    names = set(archive.namelist())
    rels = "xl/_rels/workbook.bin.rels"
    if "xl/workbook.bin" not in names or rels not in names:
        return set()
    parts = set()
    for match in _TARGET.finditer(archive.read(rels)):
        target = (match.group(1) or match.group(2) or b"").decode("utf-8", "replace")
        for candidate in (target, html.unescape(target)):
            if f"xl/{candidate}" in names:
                parts.add(f"xl/{candidate}")
    return parts


_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")


def _inflate(handle: IO[bytes], entry: zipfile.ZipInfo) -> Iterator[bytes]:
    """The real bytes of one entry, in chunks: inflated from the raw data whatever the sizes
    recorded in the archive say (a mismatch is the caller's to refuse)."""
    handle.seek(entry.header_offset)
    header = handle.read(_LOCAL_HEADER.size)
    if len(header) < _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
        raise _refuse("FILE_UNREADABLE", f"bagian {entry.filename[:80]} tidak ditemukan")
    name_length, extra_length = _LOCAL_HEADER.unpack(header)[-2:]
    handle.seek(entry.header_offset + _LOCAL_HEADER.size + name_length + extra_length)
    remaining = entry.compress_size
    if entry.compress_type == zipfile.ZIP_STORED:
        while remaining > 0:
            block = handle.read(min(remaining, INFLATE_CHUNK))
            if not block:
                return
            remaining -= len(block)
            yield block
        return
    if entry.compress_type != zipfile.ZIP_DEFLATED:
        raise _refuse("FILE_UNSUPPORTED", f"metode kompresi zip {entry.compress_type} tidak lazim")
    inflater = zlib.decompressobj(-15)
    try:
        while remaining > 0 and not inflater.eof:
            block = handle.read(min(remaining, 1024 * 1024))
            if not block:
                break
            remaining -= len(block)
            data = block
            while data and not inflater.eof:
                out = inflater.decompress(data, INFLATE_CHUNK)
                if out:
                    yield out
                data = inflater.unconsumed_tail
        while not inflater.eof:
            out = inflater.decompress(b"", INFLATE_CHUNK)
            if not out:
                break
            yield out
    except zlib.error as exc:
        raise _refuse("FILE_UNREADABLE", f"bagian {entry.filename[:80]} rusak: {exc}") from exc


# --------------------------------------------------------------------------- ODS repeat counts

_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_ODS_TABLE = f"{{{_TABLE_NS}}}table"
_ODS_ROW = f"{{{_TABLE_NS}}}table-row"
_ODS_CELLS = (f"{{{_TABLE_NS}}}table-cell", f"{{{_TABLE_NS}}}covered-table-cell")
_ROWS_REPEATED = f"{{{_TABLE_NS}}}number-rows-repeated"
_COLUMNS_REPEATED = f"{{{_TABLE_NS}}}number-columns-repeated"
_VALUE_TYPE = f"{{{_OFFICE_NS}}}value-type"


def check_ods(handle: IO[bytes], limits: ReadLimits) -> None:
    """Refuse an ODS whose repeat counts spread a sheet over too many cells, before calamine
    expands them: one row of 100 cells written once with `number-rows-repeated="999000"` is a
    792-byte file that asks calamine for 12 GB.

    `content.xml` is streamed (lxml iterparse, inside the zip limits already checked; no
    entities, no network) and each table's grid is bounded as calamine builds it: down to the
    last row holding a value, across to the last cell holding a value in any row (repeated
    empty rows and cells after the last value are not expanded by calamine)."""
    from lxml import etree

    handle.seek(0)
    try:
        with zipfile.ZipFile(handle) as archive, archive.open("content.xml") as content:
            events = etree.iterparse(
                content, events=("end",), tag=(_ODS_TABLE, _ODS_ROW, *_ODS_CELLS),
                resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
            )  # fmt: skip
            rows = columns = row_at = column_at = last_in_row = 0
            for _, element in events:
                tag = element.tag
                if tag in _ODS_CELLS:
                    column_at += _repeats(element.get(_COLUMNS_REPEATED))
                    if element.get(_VALUE_TYPE) is not None or len(element):
                        last_in_row = column_at
                    element.clear()  # the empty element goes with its row
                    continue
                if tag == _ODS_ROW:
                    row_at += _repeats(element.get(_ROWS_REPEATED))
                    if last_in_row:
                        rows, columns = row_at, max(columns, last_in_row)
                        _check_extent(rows, columns, limits)
                    column_at = last_in_row = 0
                else:  # a table ended: the next one starts at A1
                    rows = columns = row_at = 0
                element.clear()
                while element.getprevious() is not None:
                    del element.getparent()[0]
    except KeyError:
        return  # no content.xml: calamine reports the file as unreadable
    except (etree.XMLSyntaxError, zipfile.BadZipFile, OSError) as exc:
        raise _refuse("FILE_UNREADABLE", f"content.xml rusak: {str(exc)[:120]}") from exc


def _repeats(value: str | None) -> int:
    """A repeat count as calamine reads it (absent or unreadable: once)."""
    try:
        return max(int(value), 1) if value is not None else 1
    except ValueError:
        return 1


# --------------------------------------------------------------------------- sheet XML extents

_WHITESPACE = np.zeros(256, dtype=bool)
_WHITESPACE[[0x20, 0x09, 0x0A, 0x0D]] = True
_QUOTE = np.zeros(256, dtype=bool)
_QUOTE[[0x22, 0x27]] = True
# After an element name: whitespace, `/` or `>`.
_NAME_END = _WHITESPACE.copy()
_NAME_END[[0x2F, 0x3E]] = True
# Bytes that cannot be part of an element name (a namespace prefix may hold any other byte).
_NOT_NAME = _NAME_END.copy()
_NOT_NAME[[0x3C, 0x3D, 0x22, 0x27, 0x3F, 0x21]] = True
_UPPER = np.zeros(256, dtype=bool)
_UPPER[ord("A") : ord("Z") + 1] = True
_LETTER = _UPPER.copy()
_LETTER[ord("a") : ord("z") + 1] = True
_DIGIT = np.zeros(256, dtype=bool)
_DIGIT[ord("0") : ord("9") + 1] = True
# `r = "A1"`, `r ='A1'`: spacing around `=` that the vectorised scan does not expect.
_SPACED_R = re.compile(rb"\sr(?:\s+=\s*|=\s+)[\"']")
_SPACED_R_FIX = re.compile(rb"(\sr)\s*=\s*([\"'])")
_LOOK_AHEAD = 16  # bytes read past a buffer's end: a reference's letters, digits and quote
_LT, _GT, _COLON = 0x3C, 0x3E, 0x3A


class SheetExtent:
    """Upper bound of the grid calamine would allocate for one XML entry, fed chunk by chunk.

    Rows: the largest row number written anywhere in a reference, plus one for every `<row>`
    without its own `r` (it continues from the row before). Columns: the largest column in a
    reference, plus the most `<c>` elements without their own `r` in one row. A reference counts
    as a cell's own only when it is the element's first attribute (`<c r="B7" ...`, as every
    spreadsheet program writes it); any other `r="..."` anywhere still raises the maxima.

    Cost: a few passes of numpy over the bytes (`=`, `<` and `:` located once), then work only
    on those positions, narrowed byte by byte; the bytes are copied once per chunk.
    """

    def __init__(self) -> None:
        self.carry = b""
        self.max_row = 0
        self.max_column = 0
        self.rows_without_reference = 0
        self.open_row_cells = 0  # cells without a reference in the row still open
        self.most_cells_in_a_row = 0

    def feed(self, chunk: bytes, last: bool = False) -> None:
        """The next bytes of the entry; `last` when no more follow (the whole rest is scanned
        at once, as `bounds` would scan what is carried: one pass fewer for a small entry)."""
        carried = len(self.carry)
        size = carried + len(chunk)
        cut = chunk.rfind(b"<")
        cut = carried + cut if cut >= 0 else self.carry.rfind(b"<")
        if cut < 0:
            self.carry = b""  # no element starts here: nothing to carry
            return
        if cut == 0:  # one element or text still going on
            self.carry += chunk
            if len(self.carry) > MAX_XML_RUN_BYTES:
                raise _refuse("CELL_TOO_LONG", f"satu isian lebih dari {_size(MAX_XML_RUN_BYTES)}")
            return
        if last:
            cut = size
        # carry + chunk in one padded array: the one copy of the bytes this scan makes
        arr = np.empty(size + _LOOK_AHEAD, dtype=np.uint8)
        arr[:carried] = np.frombuffer(self.carry, dtype=np.uint8)
        arr[carried:size] = np.frombuffer(chunk, dtype=np.uint8)
        self.carry = arr[cut:size].tobytes()
        arr[cut : cut + _LOOK_AHEAD] = 0  # the scanned part ends at `cut`, zeros after it
        self._scan(arr[: cut + _LOOK_AHEAD], cut)

    def bounds(self) -> tuple[int, int]:
        """(rows, columns) the sheet in this entry may span at most (0 when it holds none)."""
        if self.carry:
            n = len(self.carry)
            arr = np.zeros(n + _LOOK_AHEAD, dtype=np.uint8)
            arr[:n] = np.frombuffer(self.carry, dtype=np.uint8)
            self._scan(arr, n)
            self.carry = b""
        most = max(self.most_cells_in_a_row, self.open_row_cells)
        return self.max_row + self.rows_without_reference, self.max_column + most

    def _scan(self, arr: np.ndarray, n: int) -> None:
        """Scan the first `n` bytes of `arr`, which is followed by `_LOOK_AHEAD` zero bytes."""
        raw = arr[:n]
        equals = np.flatnonzero(raw == 0x3D)
        before, after = arr[equals - 1], arr[equals + 1]  # index -1: a zero byte
        if ((before <= 0x20).any() or (after <= 0x20).any()) and (
            _WHITESPACE[before].any() or _WHITESPACE[after].any()
        ):
            buffer = raw.tobytes()
            if _SPACED_R.search(buffer):  # `r = "A1"`: rare, so fixed up only then
                buffer = _SPACED_R_FIX.sub(rb"\1=\2", buffer)
                n = len(buffer)
                arr = np.zeros(n + _LOOK_AHEAD, dtype=np.uint8)
                arr[:n] = np.frombuffer(buffer, dtype=np.uint8)
                raw = arr[:n]
                equals = np.flatnonzero(raw == 0x3D)
                before, after = arr[equals - 1], arr[equals + 1]
        # `r="..."` / `r='...'` after whitespace, anywhere; `at` is the whitespace
        is_r = before == ord("r")
        equals, after = equals[is_r], after[is_r]
        equals = equals[_is_whitespace(arr[equals - 2]) & ((after == 0x22) | (after == 0x27))]
        own_reference = self._references(arr, equals - 2)

        # `<c` and `<row` (and the `<` of other tags only when a namespace prefix is in play)
        opening = raw == _LT
        colons = np.flatnonzero(raw == _COLON)
        cells = _elements(arr, opening, colons, b"c")
        rows = _elements(arr, opening, colons, b"row")
        referenced = np.zeros(len(arr), dtype=bool)
        referenced[own_reference] = True
        cells_without = cells[~referenced[cells + 1]]
        rows_without = rows[~referenced[rows + 1]]
        self.rows_without_reference += len(rows_without)
        if len(cells_without) or len(rows):
            bucket = np.searchsorted(rows, cells_without)  # 0: the row open before this buffer
            counts = np.bincount(bucket, minlength=len(rows) + 1)
            self.open_row_cells += int(counts[0])
            if len(rows):
                inner = int(counts[1:-1].max()) if len(counts) > 2 else 0
                self.most_cells_in_a_row = max(self.most_cells_in_a_row, self.open_row_cells, inner)
                self.open_row_cells = int(counts[-1])

    def _references(self, arr: np.ndarray, at: np.ndarray) -> np.ndarray:
        """Raise the maxima by every reference whose `r` starts at `at + 1`; return the `at` of
        well-formed ones (letters, digits, the closing quote), which calamine places as written.

        A value calamine cannot parse (`$A$1`, `&#72;1`, `A1 `) fails the file there, so it is
        not counted; one too long for the look-ahead window counts as beyond every limit."""
        if not len(at):
            return at
        start = at + 4  # first byte of the value
        # letters: up to three (A=1 ... XFD=16384); a fourth means beyond any limit. Each
        # step looks only at the references still going.
        column = np.zeros(len(at), dtype=np.int64)
        letters = np.zeros(len(at), dtype=np.int64)
        going = np.arange(len(at))
        for k in range(4):
            byte = arr[start[going] + k]
            is_letter = ((byte | 0x20) - ord("a")) < 26  # uint8 arithmetic wraps below "a"
            going, byte = going[is_letter], byte[is_letter]
            if not len(going):
                break
            letters[going] += 1
            if k < 3:
                column[going] = column[going] * 26 + ((byte & 0xDF) - 64)
        # digits: up to seven; an eighth means beyond any limit. Eight bytes at once per
        # reference (SWAR): which are digits, and the value of the leading ones.
        digit_start = start + letters
        digits, row = _leading_digits(arr, digit_start)
        closing = arr[digit_start + digits]
        too_long = (letters > 3) | (digits > 7)
        meaningful = letters + digits > 0
        terminated = ~too_long & (closing == arr[at + 3]) & meaningful
        counted = terminated | (too_long & meaningful)
        if counted.any():
            self.max_row = max(self.max_row, int(np.where(too_long, _BEYOND, row)[counted].max()))
            column = np.where(too_long, _BEYOND, column)
            self.max_column = max(self.max_column, int(column[counted].max()))
        return at[terminated]


_ONES = np.uint64(0x0101010101010101)


def _leading_digits(arr: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For every position in `at`: how many ASCII digits start there (at most 8) and the value
    of the first seven of them, from the 8 bytes at that position read as one number.

    A byte is a digit when its high nibble is 3 and adding 6 keeps it there. Adding 6 can carry
    into the following byte only from a byte of 0xFA or more, which already ends the digits."""
    words = np.ndarray(shape=(len(arr) - 7,), dtype="<u8", buffer=arr, strides=(1,))[at]
    high = np.uint64(0xF0) * _ONES
    nibbles = (words & high) | (((words + np.uint64(6) * _ONES) & high) >> np.uint64(4))
    not_digit = nibbles ^ (np.uint64(0x33) * _ONES)  # a zero byte for every digit
    lowest = not_digit & (~not_digit + np.uint64(1))  # lowest set bit: the first non-digit
    first = (np.frexp(lowest.astype(np.float64))[1] - 1) // 8
    digits = np.where(not_digit == 0, 8, first).astype(np.int64)
    # The value: keep the leading digits (seven at most), move them up so that the bytes
    # below are leading zeros, then the classic 8-digit SWAR parse.
    kept = np.minimum(digits, 7).astype(np.uint64)
    mask = (np.uint64(1) << (np.uint64(8) * kept)) - np.uint64(1)
    value = ((words & mask) - ((np.uint64(0x30) * _ONES) & mask)) << (
        np.uint64(8) * (np.uint64(8) - kept)
    )
    value = np.where(kept == 0, np.uint64(0), value)
    value = value * np.uint64(10) + (value >> np.uint64(8))
    value = (
        (value & np.uint64(0x000000FF000000FF)) * np.uint64(100 + (1000000 << 32))
        + ((value >> np.uint64(16)) & np.uint64(0x000000FF000000FF)) * np.uint64(1 + (10000 << 32))
    ) >> np.uint64(32)
    return digits, value.astype(np.int64)


def _is_whitespace(byte: np.ndarray) -> np.ndarray:
    return (byte == 0x20) | (byte == 0x09) | (byte == 0x0A) | (byte == 0x0D)


def _is_name_end(byte: np.ndarray) -> np.ndarray:
    """After an element name: whitespace, `/` or `>`."""
    return _is_whitespace(byte) | (byte == 0x2F) | (byte == 0x3E)


_PREFIX_WINDOW = 64  # longest namespace prefix looked at (`x:`, `ns0:`, ...)


def _elements(arr: np.ndarray, is_lt: np.ndarray, colons: np.ndarray, name: bytes) -> np.ndarray:
    """Position of the last byte of the local name `name` in every start tag, with or without
    a namespace prefix; `is_lt` marks the bytes that are `<`, `colons` are the positions of `:`."""
    k = len(name)

    def named(before: np.ndarray, checked: int = 0) -> np.ndarray:
        for i, byte in enumerate(name[checked:], start=checked):  # most tags go at the first
            before = before[arr[before + 1 + i] == byte]
        return before[_is_name_end(arr[before + k + 1])]

    n = len(is_lt)
    # `<` and the name's first byte: listing every `<` would cost more than the whole check
    plain = named(np.flatnonzero(is_lt[:-1] & (arr[1:n] == name[0])), checked=1)
    prefixed = named(colons)
    tags = np.flatnonzero(is_lt) if len(prefixed) else prefixed
    if len(prefixed) and len(tags):
        # the prefix runs back to a `<` through name bytes only
        which = np.searchsorted(tags, prefixed) - 1
        opening = tags[np.maximum(which, 0)]
        length = prefixed - opening
        prefixed = prefixed[(which >= 0) & (length > 1) & (length <= _PREFIX_WINDOW)]
        opening = opening[(which >= 0) & (length > 1) & (length <= _PREFIX_WINDOW)]
        offsets = np.arange(-_PREFIX_WINDOW + 1, 0)
        window = arr[np.maximum(prefixed[:, None] + offsets, 0)]
        inside = (prefixed[:, None] + offsets) > opening[:, None]
        clean = ~(_NOT_NAME[window] & inside).any(axis=1)
        plain = np.union1d(plain, prefixed[clean])
    return plain + k


# xlsb records (MS-XLSB 2.1.4): 0 = BrtRowHdr (row in the first 4 bytes), 1-11 = cells (column
# in the first 4 bytes). calamine stops reading a sheet at a row above 0x100000.
_ROW_HEADER, _LAST_CELL_RECORD, _LAST_ROW = 0, 11, 0x100000
_U32 = struct.Struct("<I")


class XlsbExtent:
    """Upper bound of the grid calamine would allocate for one xlsb sheet part, fed chunk by
    chunk: the largest row of a row header and the largest column of a cell record.

    calamine reads every record into one reused buffer that only grows, and takes a row or
    column from its first 4 bytes: a record shorter than that leaves bytes of an earlier one
    there. So does this scan."""

    def __init__(self) -> None:
        self.carry = b""
        self.max_row = -1
        self.max_column = -1
        self.ended = False
        self.head = bytearray(4)  # the first 4 bytes of calamine's buffer
        self.length = 0  # its length

    def feed(self, chunk: bytes) -> None:
        if self.ended:
            return
        data = self.carry + chunk
        at, n = 0, len(data)
        while at < n:
            start = at
            record, at = _varint(data, at, 2)
            size, at = _varint(data, at, 4) if at is not None else (0, None)
            if at is None or at + size > n:
                at = start  # the record continues in the next chunk
                break
            payload = data[at : at + min(size, 4)]
            if size > self.length:
                self.head[:] = payload.ljust(4, b"\0")
                self.length = size
            else:
                self.head[: len(payload)] = payload
            if record <= _LAST_CELL_RECORD:
                value = _U32.unpack(self.head)[0]
                if record == _ROW_HEADER:
                    if value > _LAST_ROW:
                        self.ended = True
                        break
                    self.max_row = max(self.max_row, value)
                else:
                    self.max_column = max(self.max_column, value)
            at += size
        self.carry = data[at:] if not self.ended else b""

    def bounds(self) -> tuple[int, int]:
        """(rows, columns) the sheet may span at most."""
        if self.max_column < 0:
            return 0, 0
        return max(self.max_row, 0) + 1, self.max_column + 1


def _varint(data: bytes, at: int, most: int) -> tuple[int, int | None]:
    """A little-endian base-128 number of at most `most` bytes; (value, next position), or
    (0, None) when the bytes end first."""
    value = 0
    for k in range(most):
        if at >= len(data):
            return 0, None
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << (7 * k)
        if not byte & 0x80:
            break
    return value, at


# --------------------------------------------------------------------------- after calamine


def check_sheet_name(name: str, limits: ReadLimits) -> None:
    """A sheet name is copied onto every row it holds: refuse one no spreadsheet would make."""
    if len(name) > MAX_SHEET_NAME_CHARS:
        raise _refuse(
            "CELL_TOO_LONG", f"nama lembar {thousands(len(name))} karakter ('{name[:40]}...')"
        )


def check_sheet_extent(name: str, end: tuple[int, int], limits: ReadLimits) -> None:
    """Refuse a sheet calamine opened whose grid would be too large to hand to Python."""
    rows, columns = end[0] + 1, end[1] + 1
    if rows > limits.max_rows:
        raise _refuse("FILE_TOO_LARGE", f"lembar '{name}' berisi {thousands(rows)} baris")
    check_cells(rows, columns, limits, f"lembar '{name}'")


def check_cells(rows: int, columns: int, limits: ReadLimits, where: str = "berkas") -> None:
    """Refuse a grid of more than `max_cells` cells."""
    if rows * columns > limits.max_cells:
        raise _refuse(
            "FILE_TOO_LARGE",
            f"{where} merentang {thousands(rows)} baris x {thousands(columns)} kolom "
            f"(batas {thousands(limits.max_cells)} sel)",
        )


def check_html_table(table, limits: ReadLimits) -> None:
    """Refuse an HTML table whose row and column spans would cover more than `max_cells` cells."""
    cells = 0
    for cell in table.iter("td", "th"):
        rowspan, colspan = cell.get("rowspan"), cell.get("colspan")
        if rowspan is None and colspan is None:
            cells += 1
            continue
        cells += _span(rowspan) * _span(colspan)
        if cells > limits.max_cells:
            break
    if cells > limits.max_cells:
        raise _refuse(
            "FILE_TOO_LARGE",
            f"tabel HTML mencakup lebih dari {thousands(limits.max_cells)} sel (rowspan/colspan)",
        )


def _span(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 1000))
    except ValueError:
        return 1


def check_cell_sizes(rows: pd.DataFrame, max_chars: int) -> None:
    """Refuse a file with a cell longer than Excel allows (32,767 characters): no spreadsheet
    program wrote it, and it would end up in the warehouse, the feedback and the BPJS lists."""
    for column in rows.columns:
        values = rows[column]
        lengths = _text_lengths(values)
        if lengths is None or not len(lengths):
            continue
        longest = int(np.nanmax(lengths)) if np.isfinite(lengths).any() else 0
        if longest > max_chars:
            at = int(np.nanargmax(lengths))
            where = ""
            if "row_number" in rows.columns:
                sheet = rows["sheet"].iloc[at] if "sheet" in rows.columns else ""
                where = f" baris {rows['row_number'].iloc[at]}"
                if sheet:
                    where += f" lembar '{str(sheet)[:40]}'"
            raise _refuse(
                "CELL_TOO_LONG",
                f"kolom {column}{where}: {thousands(longest)} karakter (batas {thousands(max_chars)})",
            )


def _text_lengths(values: pd.Series) -> np.ndarray | None:
    """Characters per text cell (NaN elsewhere), vectorised for Arrow-backed text."""
    array = getattr(values, "array", None)
    if isinstance(getattr(array, "_pa_array", None), pa.ChunkedArray):
        lengths = pc.utf8_length(array._pa_array)
        return lengths.to_numpy().astype("float64") if len(lengths) else np.array([])
    if values.dtype != object:
        return None
    cells = values.to_numpy()
    lengths = np.full(len(cells), np.nan)
    types = cell_types(cells)
    text = np.flatnonzero(types.text)
    if len(text):
        try:
            counted = pc.utf8_length(pa.array(cells[text], type=pa.large_string()))
            lengths[text] = counted.to_numpy(zero_copy_only=False)
        except (pa.ArrowException, UnicodeError):  # lone surrogates: one by one
            lengths[text] = [len(v) for v in cells[text]]
    return lengths


# --------------------------------------------------------------------------- partial copies


@dataclass(frozen=True)
class BusyFile:
    """A file that changed while the run looked at it: still being copied or saved."""

    path: Path
    seconds_ago: float


def still_being_written(
    paths: list[Path], recent_seconds: float, settle_seconds: float, since: float | None = None
) -> list[BusyFile]:
    """Files modified within `recent_seconds` whose size or modification time changes over
    `settle_seconds` (stat, wait, stat again): skip them this run; the next run reads them."""
    if recent_seconds <= 0 or not paths:
        return []
    now = time.time()
    first: dict[Path, tuple[int, int]] = {}
    for path in paths:
        try:
            stat = path.stat()
        except OSError:
            continue
        if now - stat.st_mtime <= recent_seconds:
            first[path] = (stat.st_size, stat.st_mtime_ns)
    if not first:
        return []
    waited = time.monotonic() - since if since is not None else 0.0
    if waited < settle_seconds:
        time.sleep(settle_seconds - waited)
    busy = []
    for path, before in first.items():
        try:
            stat = path.stat()
        except OSError:
            busy.append(BusyFile(path, 0.0))
            continue
        if (stat.st_size, stat.st_mtime_ns) != before:
            busy.append(BusyFile(path, max(time.time() - stat.st_mtime, 0.0)))
    return busy
