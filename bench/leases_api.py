"""Benchmark: GET /api/v1/leases over 100,000+ leases on PostgreSQL, against a bare endpoint.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/anzu_bench \\
        .venv/bin/python bench/leases_api.py [--units 40000] [--requests 300] [--workers 2]

Steps: migrate; seed the ``bench`` organization with the demo seeder unless it already holds
``--min-leases`` leases; create an API token for its management login; start gunicorn on a free
loopback port; send ``--requests`` requests to ``/api/v1/leases?page=K`` (Bearer token) and as
many to a bare JSON endpoint served by the same server, interleaved; print p50/p95 latency of
each and their ratio. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
ORG = "bench"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _anzu(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "anzu.cli", *args], check=True, cwd=ROOT)


def _prepare(units: int, min_leases: int) -> tuple[str, int]:
    """Seed if needed; return a fresh API token and the number of leases."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anzu.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from anzu.core.models import User
    from anzu.core.tokens import token_create
    from anzu.leasing.models import Lease

    leases = Lease.objects.filter(organization__slug=ORG).count()
    if leases < min_leases:
        if leases:
            sys.exit(
                f"organization {ORG!r} has {leases} leases (< {min_leases}); use a new database"
            )
        print(f"seeding {units:,} units into organization {ORG!r} …", flush=True)
        _anzu("demo", "seed", "--units", str(units), "--org", ORG)
        leases = Lease.objects.filter(organization__slug=ORG).count()
        if leases < min_leases:
            sys.exit(f"only {leases} leases after seeding; raise --units")
    user = User.objects.get(username=f"{ORG}-management")
    _token, raw = token_create(user=user, name="bench")
    return raw, leases


def _get(port: int, path: str, headers: dict[str, str]) -> tuple[float, int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    started = time.perf_counter()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed, response.status, body


def _wait_ready(port: int, path: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit("the server exited during start-up")
        try:
            if _get(port, path, {})[1] == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    sys.exit("the server did not answer within 60 s")


def _quantiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[94] * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=40_000, help="units to seed (40000)")
    parser.add_argument("--min-leases", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--page-size", type=int, default=50)
    parser.add_argument("--max-page", type=int, default=100, help="pages drawn from 1..N")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--bare-path", default="/bench/bare")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("DATABASE_URL must point to PostgreSQL for this benchmark")
    _anzu("migrate", "--noinput", "-v", "0")
    token, leases = _prepare(args.units, args.min_leases)

    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "bench_wsgi:application",
            "--pythonpath", f"{BENCH},{ROOT}",
            "--bind", f"127.0.0.1:{port}",
            "--workers", str(args.workers),
            "--log-level", "warning",
            "--no-control-socket",
        ],
        cwd=ROOT,
    )  # fmt: skip
    try:
        _wait_ready(port, args.bare_path, server)
        auth = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        rng = random.Random(1)
        pages = [rng.randint(1, args.max_page) for _ in range(args.requests)]

        # Warm-up: connection pools, caches, gunicorn workers.
        for page in pages[:20]:
            _get(port, f"/api/v1/leases?page={page}&page_size={args.page_size}", auth)
            _get(port, args.bare_path, auth)

        api: list[float] = []
        bare: list[float] = []
        for page in pages:
            elapsed, status, body = _get(
                port, f"/api/v1/leases?page={page}&page_size={args.page_size}", auth
            )
            if status != 200:
                sys.exit(f"GET /api/v1/leases?page={page} answered {status}: {body[:300]!r}")
            data = json.loads(body)
            if set(data) < {"items", "page", "page_size", "total"} or not data["items"]:
                sys.exit(f"unexpected list response: {sorted(data)}")
            api.append(elapsed)
            elapsed, status, _body = _get(port, args.bare_path, auth)
            if status != 200:
                sys.exit(f"GET {args.bare_path} answered {status}")
            bare.append(elapsed)
    finally:
        server.terminate()
        server.wait(timeout=30)

    api50, api95 = _quantiles(api)
    bare50, bare95 = _quantiles(bare)
    print(
        f"leases in organization {ORG!r}: {leases:,}; total reported by the API: {data['total']:,}"
    )
    print(f"requests: {args.requests} each, page_size {args.page_size}, workers {args.workers}")
    print(f"GET /api/v1/leases  p50 {api50:7.1f} ms   p95 {api95:7.1f} ms")
    print(f"GET {args.bare_path:<16} p50 {bare50:7.1f} ms   p95 {bare95:7.1f} ms")
    print(f"ratio (API / bare)  p50 {api50 / bare50:7.1f} ×    p95 {api95 / bare95:7.1f} ×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
