"""`anzu serve`: starts gunicorn and the Huey consumer, stops both on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from io import StringIO

import pytest
from django.core.management import CommandError, call_command


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("args", "message"), [(["--port", "0"], "--port"), (["--workers", "0"], "--workers")]
)
def test_bad_arguments_are_refused(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("serve", *args, stdout=StringIO())


def test_serves_pages_and_stops_both_processes_on_sigterm(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["ANZU_HOME"] = str(tmp_path)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "anzu.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            "1",
            "--no-collectstatic",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        status = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and status is None:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            try:
                url = f"http://127.0.0.1:{port}/accounts/login/"
                with urllib.request.urlopen(url, timeout=5) as response:
                    status = response.status
            except OSError:
                time.sleep(0.3)
        assert status == 200
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=40)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert f"http://localhost:{port}/" in output
    assert "Stopped." in output
