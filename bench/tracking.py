"""Tracking links under a burst of open hits: PromoPilot's spool vs one database insert per hit, same run.

    uv run python -m bench.tracking --hits 20000 --concurrency 50 --json

A campaign "sent" to `--recipients` people; `promopilot serve-tracking`'s app in its own process on
127.0.0.1 (uvicorn, one worker); an asyncio load generator keeps `--concurrency` keep-alive
connections busy until `--hits` open-pixel hits are answered or `--seconds` pass. Reports hits per
second, p50/p99 latency, and events lost: hits answered 200 that are not in the database after the
server stopped. Target (issue 10): >= 1,000 hits/s, p99 <= 200 ms on 2 cores, none lost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

SECRET = "bench-tracking-secret"


def make_shop(path: Path, recipients: int) -> list[str]:
    """A database with one campaign sent to `recipients` people; returns their open-pixel paths."""
    from services.settings import Settings
    from storage.db import Database
    from tools.campaigns.links import LinkSigner

    with Database(path) as db:
        campaign = db.scalar("INSERT INTO campaigns (name, status) VALUES ('Burst', 'sent') RETURNING campaign_id")
        db.execute(
            "INSERT INTO messages (campaign_id, customer_id, email, status, sent_at) "
            "SELECT ?, 'C' || lpad(i::VARCHAR, 7, '0'), 'c' || i || '@example.com', 'sent', now() FROM range(?) t(i)",
            [campaign, recipients],
        )
        signer = LinkSigner.for_db(db, Settings(db_path=str(path), secret=SECRET))
        return [f"/t/o/{signer.token('open', campaign, f'C{i:07d}')}.gif" for i in range(recipients)]


def count_events(path: Path) -> int:
    """Events stored, after replaying the spool as the server's next start would."""
    from storage.db import Database
    from web.event_spool import replay

    with Database(path) as db:
        spool = Path(f"{path}.events")
        if spool.exists():
            replay(db, spool)
        return db.scalar("SELECT count(*) FROM events")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server(path: Path, way: str, port: int) -> Iterator[subprocess.Popen]:
    """The tracking app in its own process (`way`: spool or simple); stopped (SIGTERM) on exit unless killed."""
    env = {**os.environ, "PROMOPILOT_SECRET": SECRET, "PROMOPILOT_DB": str(path)}
    command = [sys.executable, "-m", "bench.tracking", "--serve", way, "--db", str(path), "--port", str(port)]
    process = subprocess.Popen(command, env=env, cwd=Path(__file__).resolve().parent.parent)
    try:
        wait_ready(port, process)
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_ready(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the tracking server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the tracking server did not start")


@dataclass
class Burst:
    """What the load generator saw: latency of each answered hit, and which paths were answered 200."""

    latencies: list[float] = field(default_factory=list)
    answered: list[str] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    def figures(self) -> dict[str, float]:
        ordered = sorted(self.latencies) or [float("nan")]
        return {
            "hits": len(self.answered),
            "hits_per_second": round(len(self.answered) / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": round(ordered[len(ordered) // 2] * 1000, 1),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 1),
            "errors": self.errors,
        }


async def burst(port: int, paths: list[str], hits: int, concurrency: int, seconds: float, stop_after=None) -> Burst:
    """Keep `concurrency` keep-alive connections busy until `hits` answered or `seconds` passed.

    `stop_after(n_answered)` may return True to end early (the kill test)."""
    result = Burst()
    started = time.perf_counter()
    deadline = started + seconds
    next_hit = iter(range(hits))

    async def connection() -> None:
        reader = writer = None
        for n in next_hit:
            if time.perf_counter() > deadline or (stop_after and stop_after(len(result.answered))):
                break
            path = paths[n % len(paths)]
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                sent = time.perf_counter()
                writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: bench\r\n\r\n".encode())
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(
                    next(
                        (h.split(b":")[1] for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")), b"0"
                    )
                )
                await reader.readexactly(length)
                result.latencies.append(time.perf_counter() - sent)
                if head.startswith(b"HTTP/1.1 200"):
                    result.answered.append(path)
                else:
                    result.errors += 1
            except (OSError, asyncio.IncompleteReadError, ValueError):
                result.errors += 1
                writer = None
                if stop_after is not None:
                    await asyncio.sleep(0.01)
        if writer is not None:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(concurrency)))
    result.seconds = time.perf_counter() - started
    return result


def run(coroutine):
    """asyncio.run, on uvloop when installed: the load generator shares the cores with the server."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def measure(way: str, recipients: int, hits: int, concurrency: int, seconds: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench-tracking-") as folder:
        path = Path(folder) / "bench.duckdb"
        paths = make_shop(path, recipients)
        port = free_port()
        with server(path, way, port):
            seen = run(burst(port, paths, hits, concurrency, seconds))
        figures = seen.figures()
        figures["lost"] = max(0, len(seen.answered) - count_events(path))
        return figures


def serve(way: str, db: str, port: int) -> None:
    """The server process: `promopilot serve-tracking`'s app, spool or simple."""
    import uvicorn

    from services.settings import Settings
    from storage.db import Database
    from web.tracking import tracking_app

    database = Database(db)
    settings = Settings(db_path=db, secret=SECRET)
    app = tracking_app(lambda: database, settings, batched=way == "spool")
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hits", type=int, default=20_000)
    parser.add_argument("--recipients", type=int, default=5_000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0, help="Stop each run after this long.")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--serve", choices=["spool", "simple"], help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.db, args.port)
        return
    results = {
        way: measure(way, args.recipients, args.hits, args.concurrency, args.seconds) for way in ("spool", "simple")
    }
    spool, simple = results["spool"], results["simple"]
    results["ratio"] = (
        round(spool["hits_per_second"] / simple["hits_per_second"], 2) if simple["hits_per_second"] else None
    )
    results["load_average"] = os.getloadavg()[0]
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{'':10} {'hits/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'lost':>6} {'errors':>7}")
    for way in ("spool", "simple"):
        r = results[way]
        print(
            f"{way:10} {r['hits_per_second']:>8,.0f} {r['p50_ms']:>8} {r['p99_ms']:>8} {r['lost']:>6} {r['errors']:>7}"
        )
    print(f"spool / simple: {results['ratio']}x hits per second (load average {results['load_average']:.1f})")


if __name__ == "__main__":
    main()
