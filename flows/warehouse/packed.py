"""Wide columns held compressed until they are needed: a province's score explanations
(`candidate_decisions.score_components`, ~0.5 KB of JSON per person and program) and the cells of
the run's rows would otherwise stay in memory through the whole publish stage, while the files
are written. The feedback takes one file's rows back at a time; the warehouse write, a batch."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

COMPRESSION = "zstd"  # the repeated JSON keys compress ~10x, at ~1 s per GB
BATCH_ROWS = 65_536  # unpacked a batch at a time when written
TABLE_ROWS = 8 * BATCH_ROWS  # converted to Arrow a slice at a time (batches unchanged)


@dataclass(frozen=True)
class PackedColumns:
    """Some columns of a frame, with the frame's keys, as a compressed Arrow IPC file, in the
    frame's row order (batches of `BATCH_ROWS`, each unpacked on its own)."""

    keys: tuple[str, ...]
    columns: tuple[str, ...]
    data: pa.Buffer
    starts: np.ndarray = field(repr=False)  # the first row of every batch, then the row count

    @classmethod
    def set_aside(
        cls, frame: pd.DataFrame, keys: list[str], columns: list[str]
    ) -> tuple[pd.DataFrame, PackedColumns]:
        """`frame` without `columns`, and those columns (with `keys`) packed."""
        packed = cls._of_tables(keys, columns, _tables_of(frame[[*keys, *columns]]))
        assert packed is not None  # one frame given: always packed, rows or none
        return frame.drop(columns=columns), packed

    @classmethod
    def set_aside_each(
        cls, frames: Iterable[pd.DataFrame], keys: list[str], columns: list[str]
    ) -> tuple[pd.DataFrame, PackedColumns | None]:
        """`set_aside` of the frames `frames` yields, one after the other, as if concatenated
        (ignoring their indexes): each frame's columns are packed before the next is made.
        None when no frame has rows."""
        slim: list[pd.DataFrame] = []

        def tables() -> Iterator[pa.Table]:
            for frame in frames:
                slim.append(frame.drop(columns=columns))
                if len(frame):
                    yield from _tables_of(frame[[*keys, *columns]])

        packed = cls._of_tables(keys, columns, tables())
        return (pd.concat(slim, ignore_index=True) if slim else pd.DataFrame()), packed

    @classmethod
    def _of_tables(
        cls, keys: list[str], columns: list[str], tables: Iterable[pa.Table]
    ) -> PackedColumns | None:
        """The tables, in the first one's schema, written one after the other as one compressed
        IPC file in batches of `BATCH_ROWS`; None when there is no table."""
        sink = pa.BufferOutputStream()
        options = pa.ipc.IpcWriteOptions(compression=COMPRESSION)
        writer, schema, sizes = None, None, []
        for table in tables:
            if writer is None:
                schema = table.schema
                writer = pa.ipc.new_file(sink, schema, options=options)
            for batch in table.cast(schema).to_batches(max_chunksize=BATCH_ROWS):
                writer.write_batch(batch)
                sizes.append(batch.num_rows)
        if writer is None:
            return None
        writer.close()
        starts = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)]).astype(np.int64)
        return cls(tuple(keys), tuple(columns), sink.getvalue(), starts)

    @classmethod
    def whole(cls, frame: pd.DataFrame) -> PackedColumns:
        """Every column of `frame` packed (its index is not kept: a RangeIndex comes back)."""
        return cls.set_aside(frame, [], list(frame.columns))[1]

    def unpacked(self) -> pd.DataFrame:
        """The packed columns as a frame again, their dtypes as they were set aside."""
        return self.table().select(list(self.columns)).to_pandas()

    @property
    def n_rows(self) -> int:
        return int(self.starts[-1])

    def table(self) -> pa.Table:
        """The packed columns and their keys, unpacked."""
        return pa.ipc.open_file(self.data).read_all()

    def batches(self) -> Iterator[pa.RecordBatch]:
        """The packed columns and their keys, unpacked one batch at a time, in row order."""
        reader = pa.ipc.open_file(self.data)
        for i in range(reader.num_record_batches):
            yield reader.get_batch(i)

    def take(self, positions: np.ndarray) -> pd.DataFrame:
        """The packed columns and keys of the rows at `positions` (of the frame set aside from),
        in that order, unpacking only the batches that hold them."""
        return self._taken(positions).to_pandas()

    def _taken(self, positions: np.ndarray) -> pa.Table:
        positions = np.asarray(positions, dtype=np.int64)
        reader = pa.ipc.open_file(self.data)
        if not len(positions):
            return reader.schema.empty_table()
        if positions.min() < 0 or positions.max() >= self.n_rows:
            raise IndexError(f"rows {positions.min()}..{positions.max()} of {self.n_rows} packed")
        first = int(np.searchsorted(self.starts, positions.min(), side="right")) - 1
        last = int(np.searchsorted(self.starts, positions.max(), side="right")) - 1
        held = pa.Table.from_batches(
            [reader.get_batch(i) for i in range(first, last + 1)], schema=reader.schema
        )
        offsets = positions - self.starts[first]
        if (np.diff(offsets) == 1).all():
            # one file's rows are consecutive: a view of the batches, not a copy (~0.5 GB for
            # a 550,000-row workbook)
            return held.slice(int(offsets[0]), len(offsets))
        return held.take(pa.array(offsets))

    def _check_keys(self, part: pd.DataFrame, held: pa.Table) -> None:
        """Refuse rows whose keys are not those the packed columns were set aside with."""
        for key in self.keys:
            mine = pa.array(part[key], from_pandas=True).cast(held.schema.field(key).type)
            if not pa.chunked_array([mine]).equals(held.column(key)):
                raise ValueError(f"packed columns out of line with their frame ({key})")

    def restored(self, part: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
        """`part`, the rows at `positions` of the frame set aside from, with the packed columns
        back in place of any it holds; refuses rows whose keys do not line up."""
        held = self._taken(positions)
        self._check_keys(part, held)
        taken = held.select(list(self.columns)).to_pandas().set_axis(part.index)
        kept = part.drop(columns=[c for c in self.columns if c in part.columns])
        return pd.concat([kept, taken], axis=1)

    def joined(self, frame: pd.DataFrame) -> Iterator[pa.Table]:
        """`frame` (the rows set aside from, in their order) with the packed columns back, a
        batch at a time; refuses rows whose keys do not line up."""
        start = 0
        for batch in self.batches():
            part = frame.iloc[start : start + batch.num_rows]
            self._check_keys(part, pa.Table.from_batches([batch]))
            table = pa.Table.from_pandas(part, preserve_index=False)
            for column in self.columns:
                table = table.append_column(column, batch.column(column))
            yield table
            start += batch.num_rows
        if start != len(frame):
            raise ValueError(f"packed columns hold {start} rows, their frame {len(frame)}")

    @property
    def nbytes(self) -> int:
        return self.data.size


def _tables_of(frame: pd.DataFrame) -> Iterator[pa.Table]:
    """`frame` as Arrow tables of `TABLE_ROWS` rows each, all in the whole frame's schema (one
    empty table when it has no rows): the columns NumPy holds are converted a slice at a time,
    never all at once (the run's row cells at 4M rows are ~2 GB as one table)."""
    # a column of Python objects is typed by all its values, not by its first slice's
    schema = pa.Schema.from_pandas(frame, preserve_index=False)
    for start in range(0, max(len(frame), 1), TABLE_ROWS):
        part = frame.iloc[start : start + TABLE_ROWS]
        yield pa.Table.from_pandas(part, schema=schema, preserve_index=False)


@dataclass(frozen=True)
class PackedFrame:
    """A whole frame held packed while it is not needed (`PackedColumns.whole`), its index
    kept; a frame without rows or columns is held as it is."""

    packed: PackedColumns | None
    index: pd.Index
    empty: pd.DataFrame | None = None

    @classmethod
    def of(cls, frame: pd.DataFrame) -> PackedFrame:
        if frame.empty:
            return cls(None, frame.index, frame)
        return cls(PackedColumns.whole(frame), frame.index)

    def unpacked(self) -> pd.DataFrame:
        """The frame again, in its dtypes and with its index."""
        if self.packed is None:
            assert self.empty is not None
            return self.empty
        return self.packed.unpacked().set_axis(self.index)
