"""Progress of a run and safe logs.

On a terminal `tepat run` shows rich progress bars (files read, stages); without a terminal
(scheduled runs, CI) it writes a few plain log lines instead. Log records from Prefect and
tepat have every 16-digit number (a NIK or KK) masked before any handler sees them.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import PurePath
from typing import ParamSpec, TypeVar

from rich.console import Console
from rich.default_styles import DEFAULT_STYLES
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.theme import Theme

from transforms.validate.identity import mask_identity_numbers

T = TypeVar("T")
P = ParamSpec("P")
R = TypeVar("R")

# Prefect's console theme does not inherit rich's defaults; bars need these styles.
PROGRESS_THEME = Theme(
    {k: v for k, v in DEFAULT_STYLES.items() if k.startswith(("bar.", "progress."))}
)

# Loggers whose records are masked: Prefect's run loggers and everything under them, and ours.
MASKED_LOGGERS = ("prefect", "prefect.flow_runs", "prefect.task_runs", "flows", "tepat")
_PLAIN = (int, float, bool, type(None), bytes)


class MaskedFailure(RuntimeError):
    """A failure whose details could not be masked in place: only its masked text is kept."""


def masked_exception(exc: BaseException) -> BaseException:
    """`exc` with every NIK-like number in its message and attributes masked, as Prefect
    stores it (state message, events, the pickled exception): the same object, its type kept
    for callers and retry conditions, when its parts are plain values; else a `MaskedFailure`
    holding only the masked text (a pandera or DuckDB error may carry whole rows)."""
    if isinstance(exc, OSError):
        for name in ("strerror", "filename", "filename2"):
            value = getattr(exc, name)
            if value is not None:
                setattr(exc, name, mask_identity_numbers(os.fsdecode(value)))
    plain = True
    try:
        exc.args = tuple(_masked_value(a) for a in exc.args)
    except TypeError:
        plain = False
    try:
        vars(exc).update({k: _masked_value(v) for k, v in vars(exc).items()})
    except TypeError:
        plain = False
    if plain:
        return exc
    return MaskedFailure(mask_identity_numbers(f"{type(exc).__name__}: {exc}"))


def _masked_value(value: object) -> object:
    if isinstance(value, str):
        return mask_identity_numbers(value)
    if isinstance(value, PurePath):
        return type(value)(mask_identity_numbers(str(value)))
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return type(value)(mask_identity_numbers(v) for v in value)
    if isinstance(value, _PLAIN):
        return value
    raise TypeError(type(value).__name__)


@contextmanager
def masked_failures() -> Iterator[None]:
    """Re-raise any exception of the block masked (`masked_exception`), the exceptions it was
    raised from masked too and not shown with it (a chain is never pickled, only logged)."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - every failure, re-raised
        seen, inner = {id(exc)}, exc.__context__
        while inner is not None and id(inner) not in seen:
            seen.add(id(inner))
            masked_exception(inner)
            inner = inner.__context__
        raise masked_exception(exc).with_traceback(exc.__traceback__) from None


def masking_failures(fn: Callable[P, R]) -> Callable[P, R]:
    """A task body whose failures Prefect records masked (put under `@task`)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with masked_failures():
            return fn(*args, **kwargs)

    return wrapper


class IdentityMaskingFilter(logging.Filter):
    """Rewrites a record's message, exception and stack text with identity numbers masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is left to logging to report
            return True
        masked = mask_identity_numbers(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_identity_numbers(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_identity_numbers(record.stack_info)
        return True


_FILTER = IdentityMaskingFilter()


def install_log_masking() -> None:
    """Mask identity numbers on the loggers tepat and Prefect write run logs to (idempotent).

    A logger's filters only see records created on that logger, so the filter goes on each
    run logger by name and on every handler attached to them and to the root logger.
    """
    for name in MASKED_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
        for handler in logger.handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)
    for handler in logging.getLogger().handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)


# --- progress ---------------------------------------------------------------------------------


def _prefect_console() -> Console | None:
    """The rich console Prefect logs to, so log lines print above the bars instead of through them."""
    for logger in (logging.getLogger("prefect"), logging.getLogger()):
        for handler in logger.handlers:
            console = getattr(handler, "console", None)
            if isinstance(console, Console):
                return console
    return None


class RunProgress:
    """Stages of one run and the files it reads: bars on a terminal, a few log lines otherwise."""

    def __init__(
        self, stages: int, interactive: bool, logger: logging.Logger | logging.LoggerAdapter | None
    ):
        self.interactive = interactive
        self.stages = stages
        self.logger = logger or logging.getLogger("tepat.progress")
        self.done = 0
        self._bars: Progress | None = None
        self._console: Console | None = None
        self._stage_task = None

    def __enter__(self) -> RunProgress:
        if self.interactive:
            self._console = _prefect_console() or Console(stderr=True)
            self._console.push_theme(PROGRESS_THEME)
            self._bars = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=self._console,
                transient=False,
            )
            self._bars.start()
            self._stage_task = self._bars.add_task("Tahap", total=self.stages)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bars is not None:
            if exc[0] is None and self._stage_task is not None:
                self._bars.update(self._stage_task, completed=self.stages, description="Selesai")
            self._bars.stop()
            self._bars = None
        if self._console is not None:
            self._console.pop_theme()
            self._console = None

    def stage(self, label: str) -> None:
        """Mark the start of the next stage."""
        self.done += 1
        if self._bars is not None and self._stage_task is not None:
            self._bars.update(
                self._stage_task, completed=self.done - 1, description=f"Tahap: {label}"
            )
        else:
            self.logger.info("[%d/%d] %s", self.done, self.stages, label)

    def track(self, items: Sequence[T], label: str) -> Iterator[T]:
        """Yield the items, advancing a bar (terminal) or logging at each quarter (no terminal)."""
        total = len(items)
        if self._bars is not None:
            task = self._bars.add_task(label, total=total)
            for item in items:
                yield item
                self._bars.advance(task)
            return
        marks = {max(1, round(total * q / 4)) for q in (1, 2, 3, 4)} if total >= 8 else {total}
        for i, item in enumerate(items, start=1):
            yield item
            if i in marks:
                self.logger.info("%s: %d/%d", label, i, total)


_current: ContextVar[RunProgress | None] = ContextVar("tepat_run_progress", default=None)


def interactive_terminal() -> bool:
    """True when progress bars make sense: the log console is a terminal."""
    console = _prefect_console()
    if console is not None:
        return console.is_terminal
    return sys.stderr.isatty()


@contextmanager
def run_progress(
    stages: int,
    logger: logging.Logger | logging.LoggerAdapter | None = None,
    interactive: bool | None = None,
) -> Iterator[RunProgress]:
    """Show this run's progress for the block; `track` and `stage` report to it."""
    shown = interactive_terminal() if interactive is None else interactive
    with RunProgress(stages, shown, logger) as progress:
        token = _current.set(progress)
        try:
            yield progress
        finally:
            _current.reset(token)


def stage(label: str) -> None:
    """Mark the next stage of the current run (no-op outside `run_progress`)."""
    progress = _current.get()
    if progress is not None:
        progress.stage(label)


def track(items: Iterable[T], label: str) -> Iterator[T]:
    """Iterate, reporting progress to the current run (plain iteration outside `run_progress`)."""
    progress = _current.get()
    if progress is None:
        yield from items
        return
    yield from progress.track(list(items), label)
