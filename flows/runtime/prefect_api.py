"""A temporary Prefect API for a `tepat run` without PREFECT_API_URL, that dies with the run.

Prefect's ephemeral mode starts its API server (uvicorn) as a child process and stops it at
exit (`atexit`); a run killed with SIGKILL, or by the OOM killer, never gets there and leaves
the server listening on a local port. So tepat starts the same server itself, through a small
launcher that asks the kernel to send it SIGTERM when the run's process dies
(`prctl(PR_SET_PDEATHSIG)`, kept across `exec`; Linux), and points the run at it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager

import httpx

# Runs in the child before it becomes uvicorn: die with the parent, or at once if it is gone.
LAUNCHER = """
import ctypes, os, signal, sys
try:
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
except (AttributeError, OSError):
    pass  # not Linux: Prefect's own behaviour
if os.getppid() != int(sys.argv[1]):
    os._exit(1)
os.execv(sys.executable, [sys.executable, *sys.argv[2:]])
"""


class TemporaryApiError(RuntimeError):
    """The temporary Prefect API did not start."""


def _free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_command(port: int) -> list[str]:
    """Prefect's own ephemeral server command (prefect.server.api.server.SubprocessASGIServer)."""
    import prefect

    return [
        "-m", "uvicorn", "--app-dir", str(prefect.__module_path__.parent), "--factory",
        "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(port),
        "--log-level", "error", "--lifespan", "on",
    ]  # fmt: skip


@contextmanager
def temporary_api() -> Iterator[str | None]:
    """The block runs against a temporary local Prefect API that dies with this process; when
    PREFECT_API_URL is set, against that API (yields None)."""
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
        get_current_settings,
        temporary_settings,
    )

    if get_current_settings().api.url:
        yield None
        return
    port = _free_port()
    env = {
        **os.environ,
        "PREFECT_UI_ENABLED": "0",
        "PREFECT__SERVER_EPHEMERAL": "1",
        "PREFECT__SERVER_FINAL": "1",
        **get_current_settings().to_environment_variables(exclude_unset=True),
    }
    process = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, str(os.getpid()), *server_command(port)], env=env
    )
    url = f"http://127.0.0.1:{port}/api"
    try:
        _wait_until_healthy(process, url, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value())
        with temporary_settings(updates={PREFECT_API_URL: url}):
            yield url
    finally:
        _drain_prefect_workers()  # logs and events of the run reach the API before it stops
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _drain_prefect_workers(timeout: float = 10.0) -> None:
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        worker.drain_all(timeout=timeout)


def _wait_until_healthy(process: subprocess.Popen[bytes], url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client() as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise TemporaryApiError(
                    f"API Prefect sementara berhenti (kode {process.returncode})"
                )
            try:
                if client.get(f"{url}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
    raise TemporaryApiError(f"API Prefect sementara tidak siap dalam {timeout:.0f} detik")
