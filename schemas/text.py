"""Text kernels on pyarrow arrays, shared by the row schemas' checks and the transforms.

pyarrow compute (RE2 regexes, dictionary encoding) and numpy passes over UTF-8 buffers rather
than the pandas `.str` accessor, which falls back to a Python loop for many patterns and is
20-50x slower on a million rows. Text columns are `string[pyarrow]` (missing = <NA>). A leaf
module: it imports nothing from this project.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

TEXT_DTYPE = pd.StringDtype("pyarrow")
# Whitespace as offices type it, no-break space included (RE2 syntax).
SPACE = r"[\s\x{000b}\x{00a0}\x{2007}\x{202f}]"


def arrow_text(values: pd.Series) -> pa.Array:
    """A text Series as one contiguous pyarrow large_string array (zero-copy when possible)."""
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        array = values.array.__arrow_array__()
        if isinstance(array, pa.ChunkedArray):  # combine_chunks copies even a single chunk
            array = array.chunk(0) if array.num_chunks == 1 else array.combine_chunks()
    else:
        try:
            array = pa.array(
                values.to_numpy(dtype=object), type=pa.large_string(), from_pandas=True
            )
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            array = arrow_text(values.astype(TEXT_DTYPE))
    if array.type != pa.large_string():
        array = array.cast(pa.large_string())
    return array


def text_series(array: pa.Array | pa.ChunkedArray, index: pd.Index) -> pd.Series:
    """A pyarrow string array back to a `string[pyarrow]` Series on `index`."""
    return pd.Series(pd.arrays.ArrowStringArray(array), index=index, copy=False)


def blank_to_null(array: pa.Array) -> pa.Array:
    """Empty strings become null (only the validity bitmap changes; the text is not copied)."""
    if array.type != pa.large_string():
        return pc.if_else(pc.equal(array, ""), pa.scalar(None, array.type), array)
    _, starts, ends = _utf8_bytes(array)
    valid = pc.is_valid(array).to_numpy(zero_copy_only=False)
    empty = (ends == starts) & valid
    if not empty.any():
        return array
    bitmap = pa.py_buffer(np.packbits(valid & ~empty, bitorder="little"))
    offsets = pa.py_buffer(np.concatenate([starts, ends[-1:]]).astype(np.int64))
    data = pa.py_buffer(_utf8_bytes(array)[0])
    return pa.Array.from_buffers(pa.large_string(), len(array), [bitmap, offsets, data])


def _utf8_bytes(array: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The UTF-8 bytes of a string array's values and each row's [start, end) into them."""
    if array.type != pa.large_string():
        array = array.cast(pa.large_string())
    _, offsets_buffer, data_buffer = array.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64)
    offsets = offsets[array.offset : array.offset + len(array) + 1]
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else None
    base, end = int(offsets[0]), int(offsets[-1])
    data = data[base:end] if data is not None else np.zeros(0, dtype=np.uint8)
    return data, offsets[:-1] - base, offsets[1:] - base


def rows_with(array: pa.Array, predicate: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Rows holding at least one byte that satisfies `predicate` (a vectorised uint8 test).

    One numpy pass over the whole buffer: far cheaper than a regex per string for questions
    like "any non-digit?" or "any double space?". Null rows are False.
    """
    found = np.zeros(len(array), dtype=bool)
    if len(array) == 0:
        return found
    data, starts, _ = _utf8_bytes(array)
    hits = np.flatnonzero(predicate(data))
    if hits.size:
        found[np.unique(np.searchsorted(starts, hits, side="right") - 1)] = True
        if array.null_count:
            found &= pc.is_valid(array).to_numpy(zero_copy_only=False)
    return found


def count_bytes(array: pa.Array, predicate: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Per row, how many of its bytes satisfy `predicate`; null rows count 0."""
    counts = np.zeros(len(array), dtype=np.int64)
    data, starts, ends = _utf8_bytes(array)
    nonempty = ends > starts
    if not nonempty.any():
        return counts
    mask = np.append(predicate(data).view(np.uint8), np.uint8(0))
    counts[nonempty] = np.add.reduceat(mask, starts[nonempty], dtype=np.int64)
    # reduceat sums up to the next start; rows are contiguous, so that is the row's end
    if array.null_count:
        counts[~pc.is_valid(array).to_numpy(zero_copy_only=False)] = 0
    return counts


def _odd_space_byte(data: np.ndarray) -> np.ndarray:
    """Bytes that may start whitespace to squash: control characters and non-ASCII lead bytes
    (C2 A0 is a no-break space; other non-ASCII text only goes through the regex unchanged).
    Double spaces are found apart."""
    return (data < 0x20) | (data > 0xC1)


def squash_whitespace(array: pa.Array) -> pa.Array:
    """Trim, collapse every run of whitespace to one space, blank -> null.

    Only rows holding a double space, a control character or a non-ASCII space go through
    the regex; the rest are only trimmed.
    """
    trimmed = pc.utf8_trim_whitespace(array)
    suspect = rows_with(trimmed, _odd_space_byte)
    doubled = pc.fill_null(pc.match_substring(trimmed, "  "), False)
    suspect |= doubled.to_numpy(zero_copy_only=False)
    if suspect.any():
        mask = pa.array(suspect)
        fixed = pc.replace_substring_regex(pc.filter(trimmed, mask), SPACE + "+", " ")
        trimmed = pc.replace_with_mask(trimmed, mask, pc.utf8_trim(fixed, " "))
    return blank_to_null(trimmed)


def only_digits(array: pa.Array, length: int | None = None) -> np.ndarray:
    """Rows made of ASCII digits only (and of exactly `length` bytes when given); null -> False."""
    ok = ~rows_with(array, lambda b: (b < 0x30) | (b > 0x39))
    if length is not None:
        _, starts, ends = _utf8_bytes(array)
        ok &= (ends - starts) == length
    if array.null_count:
        ok &= pc.is_valid(array).to_numpy(zero_copy_only=False)
    return ok


def on_uniques(array: pa.Array, fn: Callable[[pa.Array], pa.Array]) -> pa.Array:
    """Apply a text transform once per distinct value and spread the result back."""
    encoded = pc.dictionary_encode(array)
    return pc.take(fn(encoded.dictionary), encoded.indices)


def lookup(array: pa.Array, mapping: Mapping[str, object], value_type: pa.DataType) -> pa.Array:
    """Map exact keys to values (null when absent), vectorised with `index_in`."""
    keys = pa.array(list(mapping.keys()), type=array.type)
    values = pa.array(list(mapping.values()), type=value_type)
    return pc.take(values, pc.index_in(array, value_set=keys))


def extract(array: pa.Array, pattern: str) -> dict[str, pa.Array]:
    """Named groups of an RE2 pattern (null where the text does not match)."""
    matched = pc.extract_regex(array, pattern)
    names = [matched.type.field(i).name for i in range(matched.type.num_fields)]
    return {name: pc.struct_field(matched, [i]) for i, name in enumerate(names)}
