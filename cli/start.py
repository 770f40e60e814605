"""`promopilot start`: the one command a newcomer runs (via bin/start)."""

from __future__ import annotations

import click

from cli.output import console
from tools.registry import run_tool


@click.command("start")
@click.pass_context
def start(click_ctx: click.Context) -> None:
    """Fill an empty database with the demo shop, then start PromoPilot."""
    state = click_ctx.find_root().obj
    ctx = state.context()
    if not ctx.db.scalar("SELECT count(*) FROM customers"):
        console.print(run_tool(ctx, "generate_demo_data").summary)
    console.print(f"Database ready at {ctx.db.path}. Try: promopilot --help")
    state.close()


COMMANDS = [start]
