"""Benchmark 2 of issue 13: how fast a signed webhook becomes a durable 202, against a bare
FastAPI endpoint, and its latency at a fixed rate while the workers are busy.

Part 1 (throughput): ``wrk`` (compiled, so the generator is not the bottleneck) with 32
connections, each request a distinct pre-signed ``enrollment.created`` (``bench/intake_wrk.lua``),
against (A) :mod:`bench.bare_app` and (B) ``misena serve --no-worker``, each uvicorn in its own
process with the production options, alternated A B A B, on SQLite and on a fresh PostgreSQL
database. Reported per run: requests/s, p50/p99, and for B the rows stored against the 202s
counted. The ratio is B / A of the medians.

Part 2 (latency with workers busy): ``misena serve`` as shipped (the worker in its own child
process), the emulator in its own process answering every call after 100 ms with Google's
limits on, a backlog of enrollments queued first; then webhooks at a fixed rate from the
open-loop generator of :mod:`bench.paced_load` (latency from each request's due instant).

``python -m bench.intake [--seconds 10] [--stores sqlite,postgresql] [--rate 200] [--backlog 1500]``
(``make bench-intake``). JSON to ``bench/results/<date>-<host>-intake.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import socket
import subprocess
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from statistics import median
from typing import Any

from bench.intake_services import (
    Service,
    bare_service,
    emulator_service,
    free_port,
    fresh_database,
    job_states,
    misena_service,
    raw_http,
    signed_requests,
    stored_rows,
    write_requests,
)
from bench.paced_load import paced
from workspace.emulator.server import EmulatorServer

HERE = Path(__file__).parent
WRK_SCRIPT = HERE / "intake_wrk.lua"
RESULTS = HERE / "results"


def wrk(
    service: Service, requests_file: Path, *, seconds: int, connections: int, threads: int
) -> dict[str, Any]:
    env = os.environ | {
        "BENCH_REQUESTS": str(requests_file),
        "BENCH_THREADS": str(threads),
        "BENCH_PATH": "/webhooks/sofia-plus",
    }
    command = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
        "-s", str(WRK_SCRIPT), f"http://127.0.0.1:{service.port}",
    ]  # fmt: skip
    cpu_before = service.cpu_seconds()
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    cpu = service.cpu_seconds() - cpu_before
    line = next(line for line in out.splitlines() if line.startswith("BENCH_JSON "))
    figures: dict[str, Any] = json.loads(line.removeprefix("BENCH_JSON "))
    figures["server_cpu_ms_per_request"] = round(1000 * cpu / max(figures["requests"], 1), 3)
    figures["requests_per_s"] = round(figures["requests"] / (figures["duration_us"] / 1e6), 1)
    return figures


def throughput(store: str, workdir: Path, args: argparse.Namespace, bare: Service) -> dict[str, Any]:
    """A B A B: the bare endpoint, then misena on a fresh database, twice."""
    runs: list[dict[str, Any]] = []
    with fresh_database(store, workdir) as url:
        # `serve` checks its Google settings at start; with --no-worker it never calls Google.
        key_file = EmulatorServer().write_key_file(workdir / "unused-key.json")
        ours = misena_service(workdir, url, "--no-worker", MISENA_GOOGLE_KEY_FILE=str(key_file))
        try:
            first = 0
            for _ in range(args.pairs):
                for name, service in (("bare", bare), ("misena", ours)):
                    rows = signed_requests(args.requests_per_run, first)
                    first += len(rows)
                    requests_file = write_requests(workdir / "requests.tsv", rows)
                    before = stored_rows(url)
                    figures = wrk(service, requests_file, seconds=args.seconds,
                                  connections=args.connections, threads=args.threads)  # fmt: skip
                    if name == "misena":
                        figures["rows_stored"] = stored_rows(url) - before
                    figures["server"] = name
                    runs.append(figures)
                    print(
                        f"  {store:10} {name:6} {figures['requests_per_s']:>8} req/s  "
                        f"p50 {figures['p50_ms']:.1f} ms  p99 {figures['p99_ms']:.1f} ms  "
                        f"cpu {figures['server_cpu_ms_per_request']} ms/req  "
                        f"202s {figures['accepted']} rows {figures.get('rows_stored', '-')}",
                        flush=True,
                    )
        finally:
            ours.stop()
    ours_runs = [r for r in runs if r["server"] == "misena"]
    bare_rate = median(r["requests_per_s"] for r in runs if r["server"] == "bare")
    our_rate = median(r["requests_per_s"] for r in runs if r["server"] == "misena")
    return {
        "store": store,
        "runs": runs,
        "bare_requests_per_s": bare_rate,
        "misena_requests_per_s": our_rate,
        "ratio": round(our_rate / bare_rate, 3),
        # wrk stops counting at its deadline while up to one request per connection is still in
        # flight: those are stored (and answered) after it. Every 202 counted has its row, and
        # no row is missing an answer beyond those in flight.
        "every_202_stored": all(0 <= r["rows_stored"] - r["accepted"] <= args.connections for r in ours_runs),
        "rows_minus_202s": [r["rows_stored"] - r["accepted"] for r in ours_runs],
    }


def busy(store: str, workdir: Path, args: argparse.Namespace, mode: list[str]) -> dict[str, Any]:
    """Webhooks at a fixed rate while the workers work through a backlog against a slow Google."""
    emulator, base, key_file = emulator_service(workdir, args.latency_ms)
    try:
        with fresh_database(store, workdir) as url:
            ours = misena_service(
                workdir, url, *mode, MISENA_GOOGLE_KEY_FILE=str(key_file),
                MISENA_GOOGLE_API_ENDPOINT=base, MISENA_WORKER_HEALTH_PORT=str(free_port()),
            )  # fmt: skip
            try:
                backlog = [raw_http(ours.port, row) for row in signed_requests(args.backlog, 0)]
                queued = paced("127.0.0.1", ours.port, backlog, rate=args.backlog_rate)
                time.sleep(2.0)  # the workers are taking jobs by now
                jobs_before = job_states(url)
                rows = signed_requests(int(args.rate * args.seconds), args.backlog)
                measured = paced(
                    "127.0.0.1", ours.port, [raw_http(ours.port, r) for r in rows], rate=args.rate
                )
                jobs_after = job_states(url)
            finally:
                ours.stop()
    finally:
        emulator.terminate()
        emulator.wait()
    result = {
        "store": store,
        "serve_args": mode,
        "backlog": args.backlog,
        "backlog_statuses": queued.statuses,
        "emulator_latency_ms": args.latency_ms,
        "jobs_done_during_window": jobs_after.get("done", 0) - jobs_before.get("done", 0),
        "jobs_pending_at_end": jobs_after.get("pending", 0),
        **asdict(measured),
    }
    print(
        f"  {store:10} busy {' '.join(mode) or '(default)'}: {measured.sent} at {args.rate}/s  "
        f"p50 {measured.p50_ms} ms  p99 {measured.p99_ms} ms  max {measured.max_ms} ms  "
        f"statuses {measured.statuses}  jobs done meanwhile {result['jobs_done_during_window']}",
        flush=True,
    )
    return result


def git_commit() -> str:
    out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=False, cwd=HERE)
    dirty = subprocess.run(
        ["git", "status", "--porcelain"], capture_output=True, text=True, check=False, cwd=HERE
    )
    return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--stores", default="sqlite,postgresql")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--pairs", type=int, default=2)
    parser.add_argument("--requests-per-run", type=int, default=40_000)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--backlog", type=int, default=1500)
    parser.add_argument("--backlog-rate", type=float, default=300.0)
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-busy", action="store_true")
    parser.add_argument("--busy-mode", action="append", default=None,
                        help="serve arguments for the busy run (repeatable; default: none)")  # fmt: skip
    args = parser.parse_args()
    stores = [s for s in args.stores.split(",") if s]
    results: dict[str, Any] = {
        "benchmark": "intake",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "host": socket.gethostname(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
        "git_commit": git_commit(),
        "misena_source": os.environ.get("BENCH_MISENA_SOURCE") or "this checkout",
        "settings": {k: v for k, v in vars(args).items() if k not in ("skip_throughput", "skip_busy")},
        "wrk": subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False).stdout.split("\n")[
            0
        ],
        "throughput": [],
        "busy": [],
    }
    with tempfile.TemporaryDirectory(prefix="bench-intake-") as tmp:
        workdir = Path(tmp)
        if not args.skip_throughput:
            print("throughput (wrk, A = bare FastAPI, B = misena):", flush=True)
            bare = bare_service(workdir)
            try:
                for store in stores:
                    results["throughput"].append(throughput(store, workdir, args, bare))
            finally:
                bare.stop()
        if not args.skip_busy:
            print(f"latency at {args.rate}/s with the workers busy:", flush=True)
            for store in stores:
                for mode in args.busy_mode or [""]:
                    results["busy"].append(busy(store, workdir, args, mode.split()))
    for entry in results["throughput"]:
        print(f"{entry['store']}: misena {entry['misena_requests_per_s']} req/s, bare "
              f"{entry['bare_requests_per_s']} req/s, ratio {entry['ratio']}, every 202 stored: "
              f"{entry['every_202_stored']} (rows - 202s: {entry['rows_minus_202s']})")  # fmt: skip
    RESULTS.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H%M%S")
    out = RESULTS / f"{stamp}-{socket.gethostname()}-intake.json"
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"results: {out}")


if __name__ == "__main__":
    main()
