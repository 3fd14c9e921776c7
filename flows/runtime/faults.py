"""Named points where a run can be made to die, for the crash-recovery harness (tests/faults/harness.py).

`TEPAT_FAULT_AT=<point>` makes the process kill itself with SIGKILL (no clean-up, no `finally`,
no atexit: as a power cut or the OOM killer would) the first time the run reaches `<point>`;
`<point>:<n>` the n-th time, `<point>:*` every time. Unset, as always outside the harness, a
point costs one dict lookup. A few points are not kills but conditions the code under test must survive
(`warehouse-out-of-memory`: DuckDB really runs out of memory while the run is written); the code
asks `fault_wanted(point)` and brings the condition about itself.
"""

from __future__ import annotations

import os
import signal

FAULT_ENV = "TEPAT_FAULT_AT"

# In the order a run reaches them.
FAULT_POINTS = (
    "run-locked",  # the run lock is held, nothing read yet
    "files-planned",  # raw dir hashed, warehouse state read
    "files-read",  # every new file ingested
    "rows-validated",
    "persons-linked",
    "candidates-scored",
    "exports-written",  # BPJS lists and feedback under temporary names, warehouse untouched
    "warehouse-mid-transaction",  # rows inserted into the staged copy, the run not yet in place
    "warehouse-out-of-memory",  # not a kill: DuckDB runs out of memory writing the run, it fails
    "warehouse-committed",  # committed; no export moved into place yet
    "export-moved",  # after each export moved into place (`export-moved:2` = after the second)
    "report-written",  # after the run report
)

_reached: dict[str, int] = {}


def fault_wanted(name: str) -> bool:
    """True when `TEPAT_FAULT_AT` names this point and this is the n-th time it is reached (or
    any time, for `<point>:*`)."""
    wanted = os.environ.get(FAULT_ENV)
    if not wanted:
        return False
    point, _, nth = wanted.partition(":")
    if point != name:
        return False
    _reached[name] = _reached.get(name, 0) + 1
    return nth == "*" or _reached[name] == int(nth or 1)


def fault_point(name: str) -> None:
    """Die here (SIGKILL) when `TEPAT_FAULT_AT` names this point (and this is the n-th time)."""
    if fault_wanted(name):
        os.kill(os.getpid(), signal.SIGKILL)
