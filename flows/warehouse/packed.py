"""Wide text columns held compressed until the warehouse write: a province's score explanations
(`candidate_decisions.score_components`, ~0.5 KB of JSON per person and program) would otherwise
stay in memory through the whole publish stage, while the files are written."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa

COMPRESSION = "zstd"  # the repeated JSON keys compress ~10x, at ~1 s per GB
BATCH_ROWS = 65_536  # unpacked a batch at a time when written


@dataclass(frozen=True)
class PackedColumns:
    """Some columns of a frame, with the frame's keys, as compressed Arrow IPC bytes, in the
    frame's row order (batches of `BATCH_ROWS`)."""

    keys: tuple[str, ...]
    columns: tuple[str, ...]
    data: pa.Buffer

    @classmethod
    def set_aside(
        cls, frame: pd.DataFrame, keys: list[str], columns: list[str]
    ) -> tuple[pd.DataFrame, PackedColumns]:
        """`frame` without `columns`, and those columns (with `keys`) packed."""
        table = pa.Table.from_pandas(frame[[*keys, *columns]], preserve_index=False)
        sink = pa.BufferOutputStream()
        options = pa.ipc.IpcWriteOptions(compression=COMPRESSION)
        with pa.ipc.new_stream(sink, table.schema, options=options) as stream:
            stream.write_table(table, max_chunksize=BATCH_ROWS)
        return frame.drop(columns=columns), cls(tuple(keys), tuple(columns), sink.getvalue())

    def table(self) -> pa.Table:
        """The packed columns and their keys, unpacked."""
        return pa.ipc.open_stream(self.data).read_all()

    def batches(self) -> Iterator[pa.RecordBatch]:
        """The packed columns and their keys, unpacked one batch at a time, in row order."""
        yield from pa.ipc.open_stream(self.data)

    def joined(self, frame: pd.DataFrame) -> Iterator[pa.Table]:
        """`frame` (the rows set aside from, in their order) with the packed columns back, a
        batch at a time; refuses rows whose keys do not line up."""
        start = 0
        for batch in self.batches():
            part = frame.iloc[start : start + batch.num_rows]
            for key in self.keys:
                mine = pa.array(part[key], from_pandas=True).cast(batch.schema.field(key).type)
                if not mine.equals(batch.column(key)):
                    raise ValueError(f"packed columns out of line with their frame ({key})")
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
