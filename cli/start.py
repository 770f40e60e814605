"""`promopilot start`: the one command a newcomer runs (via bin/start): demo data, mail sink, chat UI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import click

from cli.output import console, err_console
from storage.errors import UserError
from tools.context import ToolContext
from tools.registry import load_all, run_tool

ROOT = Path(__file__).resolve().parent.parent
SEED_STEPS = [
    ("generate_demo_data", {"defects": 0.02}),
    ("validate_data", {"fix": True}),
    ("segment_run", {"k": "auto"}),
]


@click.command("start")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to serve the chat UI on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port of the chat UI.")
@click.option("--customers", default=5000, show_default=True, type=int, help="Demo customers for an empty database.")
@click.pass_context
def start(click_ctx: click.Context, host: str, port: int, customers: int) -> None:
    """Fill an empty database with a demo shop, start the local mail sink, then serve the chat UI."""
    state = click_ctx.find_root().obj
    try:
        seed(state.context(), customers)
    finally:
        state.close()  # the UI process takes the database over (one writer process at a time)
    url = f"http://{host}:{port}"
    env = {**os.environ, "PROMOPILOT_DB": str(Path(state.db_path).resolve())}
    env.setdefault("PROMOPILOT_PUBLIC_URL", url)
    sink = _start_sink() if not env.get("PROMOPILOT_SMTP_URL") else None
    command = [sys.executable, "-m", "chainlit", "run", "app.py", "--headless", "--host", host, "--port", str(port)]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    signal.signal(signal.SIGTERM, lambda *_: server.terminate())  # stopping us stops the UI too
    try:
        if _wait_ready(f"{url}/health", server):
            console.print(f"\n[bold green]PromoPilot is ready:[/] {url}   (Ctrl+C stops it)\n", highlight=False)
        server.wait()
    except KeyboardInterrupt:
        server.terminate()
        server.wait(timeout=10)
    finally:
        if sink is not None:
            sink.stop()
    sys.exit(server.returncode or 0)


def seed(ctx: ToolContext, customers: int) -> None:
    """An empty database gets the demo shop, validated and segmented, so the chat has something to show."""
    if ctx.db.scalar("SELECT count(*) FROM customers"):
        console.print(f"Using the data in {ctx.db.path}.", highlight=False)
        return
    tools = load_all()
    for name, arguments in SEED_STEPS:
        if name not in tools:
            err_console.print(f"[yellow]Skipping {name}: not available in this version.[/]")
            continue
        extra = {"customers": customers} if name == "generate_demo_data" else {}
        try:
            console.print(run_tool(ctx, name, {**arguments, **extra}).summary, highlight=False)
        except UserError as error:
            err_console.print(f"[yellow]{name}: {error}[/]", highlight=False)
        except Exception as error:  # the demo data is a convenience: a bug here must not keep the UI from starting
            err_console.print(f"[red]{name} failed ({type(error).__name__}: {error}); starting anyway.[/]")


def _start_sink():
    """The embedded SMTP sink on 127.0.0.1:1025 (PROMOPILOT_SMTP_URL unset means mail goes there)."""
    from tools.campaigns.smtp_sink import start_sink

    try:
        sink = start_sink()
    except OSError:
        err_console.print("[dim]Something already listens on 127.0.0.1:1025; using it as the mail sink.[/]")
        return None
    console.print(f"Demo mail goes to {sink.url} and is kept in {sink.directory}/ (nobody is emailed).")
    return sink


def _wait_ready(health_url: str, server: subprocess.Popen, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(health_url, timeout=1):
                return True
        except OSError:
            time.sleep(0.3)
    return False


COMMANDS = [start]
