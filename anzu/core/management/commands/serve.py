"""``anzu serve``: the web server (gunicorn) and the task consumer (Huey) together.

The embedded default in one command. Both run as child processes; SIGINT/SIGTERM are forwarded
to them, and when either exits the other is stopped and ``serve`` exits with the failing code.
Larger installations run ``gunicorn anzu.wsgi`` and ``anzu run_huey`` as separate services.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from typing import Any

import gunicorn
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

STOP_TIMEOUT_SECONDS = 20


class Command(BaseCommand):
    help = "Run the web server (gunicorn) and the task consumer (Huey) together."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000, help="port (8000)")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
        parser.add_argument(
            "--no-collectstatic", action="store_true", help="skip `collectstatic --noinput`"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        host: str = options["host"]
        port: int = options["port"]
        workers: int = options["workers"]
        if not 0 < port < 65536:
            raise CommandError(f"--port must be between 1 and 65535, got {port}.")
        if not 1 <= workers <= 64:
            raise CommandError(f"--workers must be between 1 and 64, got {workers}.")
        if not options["no_collectstatic"]:
            call_command("collectstatic", interactive=False, verbosity=0)

        bind_host = f"[{host}]" if ":" in host else host
        web_args = [
            sys.executable, "-m", "gunicorn", "anzu.wsgi:application",
            "--bind", f"{bind_host}:{port}",
            "--workers", str(workers),
            "--timeout", "60",
            "--graceful-timeout", "15",
        ]  # fmt: skip
        if gunicorn.version_info >= (27,):
            # gunicorn 27 opens a control socket at one fixed path per user; two servers
            # (or a benchmark next to a demo) would fight over it.
            web_args.append("--no-control-socket")
        web = subprocess.Popen(web_args)
        tasks = subprocess.Popen([sys.executable, "-m", "anzu.cli", "run_huey"])
        children = {"web (gunicorn)": web, "tasks (huey)": tasks}
        shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::", "::1") else bind_host
        self.stdout.write(self.style.SUCCESS(f"Anzu is running at http://{shown}:{port}/"))
        self.stdout.write("Press Ctrl+C to stop.")
        self.stdout.flush()

        stopping: list[int] = []

        def forward(signum: int, _frame: Any) -> None:
            stopping.append(signum)
            for child in children.values():
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGINT, forward)
        signal.signal(signal.SIGTERM, forward)

        exited_name, code = "", 0
        while not exited_name:
            for name, child in children.items():
                status = child.poll()
                if status is not None:
                    exited_name, code = name, status
                    break
            else:
                time.sleep(0.3)
        for child in children.values():
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for child in children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        if stopping:
            self.stdout.write("Stopped.")
            return
        raise CommandError(f"{exited_name} exited with code {code}; stopped the other process.")
