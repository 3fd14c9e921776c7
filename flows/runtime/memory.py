"""Memory a finished step let go, handed back to the system."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os

import pyarrow as pa

# Arrow's allocator for a run: jemalloc hands freed pages back when asked, from every thread's
# arena. mimalloc, pyarrow's default, keeps what Arrow's worker threads freed: in a 1M-row run
# the process stayed ~0.3-0.5 GB higher from the first large step on (docs/benchmark.md).
ARROW_ALLOCATOR = "jemalloc"
ARROW_ALLOCATOR_VARIABLE = "ARROW_DEFAULT_MEMORY_POOL"
# glibc (NumPy's arrays): a block of 1 MiB or more gets pages of its own, handed back the moment
# it is freed. By default the threshold rises to 32 MiB as large blocks are freed, and a
# province's columns then stay in the heap, freed but held (the writers of a 1M-row run held
# ~0.3 GB less with it). Child processes read the variable when they start.
MMAP_THRESHOLD_BYTES = 1 << 20
MMAP_THRESHOLD_VARIABLE = "MALLOC_MMAP_THRESHOLD_"
M_MMAP_THRESHOLD = -3  # mallopt's parameter number (malloc.h)


def use_returning_allocators() -> None:
    """Arrow allocates from `ARROW_ALLOCATOR`, and glibc maps large blocks on their own, in
    this process and in the processes it starts, unless the variables already say otherwise
    (or this pyarrow has no jemalloc, or the C library is not glibc: then the defaults stay)."""
    if os.environ.setdefault(ARROW_ALLOCATOR_VARIABLE, ARROW_ALLOCATOR) == ARROW_ALLOCATOR:
        with contextlib.suppress(NotImplementedError):
            pa.set_memory_pool(pa.jemalloc_memory_pool())
    threshold = os.environ.setdefault(MMAP_THRESHOLD_VARIABLE, str(MMAP_THRESHOLD_BYTES))
    with contextlib.suppress(OSError, AttributeError, ValueError):  # mallopt: glibc only
        ctypes.CDLL(None).mallopt(M_MMAP_THRESHOLD, int(threshold))


def release_memory(cycles: bool = True) -> None:
    """Hand memory freed by a finished stage back to the system: frames caught in reference
    cycles wait for Python's rarest collection (0.4 GB of them after a 200k-row run), and
    Arrow's allocator and glibc keep freed pages for reuse, so without this the process stays
    at its highest point. `cycles=False` between the files or batches of one step: a collection
    walks every object (~0.06 s per 200,000), and the cycles worth it are a finished stage's."""
    if cycles:
        gc.collect()
    pa.default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError):  # malloc_trim: glibc only
        ctypes.CDLL(None).malloc_trim(0)
