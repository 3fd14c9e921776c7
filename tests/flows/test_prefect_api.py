"""A killed run leaves no temporary Prefect API server listening."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOLDER = """
import time
from flows.runtime.prefect_api import temporary_api
with temporary_api() as url:
    print(url, flush=True)
    time.sleep(600)
"""


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux only")
def test_a_killed_run_leaves_no_temporary_api_listening(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["PREFECT_HOME"] = str(tmp_path / "prefect")
    env["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "180"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        url = holder.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        assert _listening(port)
        holder.send_signal(signal.SIGKILL)  # no atexit, no finally: as the OOM killer does
        holder.wait()
        assert _wait_for(lambda: not _listening(port), 60), f"server on {port} outlived its run"
    finally:
        if holder.poll() is None:
            holder.kill()


def test_a_configured_api_is_used_as_it_is() -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.runtime.prefect_api import temporary_api

    configured = temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:4200/api"})
    with configured, temporary_api() as url:
        assert url is None
