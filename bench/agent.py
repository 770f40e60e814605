"""What the agent loop costs on top of the tools, with the offline planner as the model.

    uv run python -m bench.agent --json

Per tool call: the time of a whole turn (plan, schema, worker thread, result view, JSON, answer)
minus the time spent inside the tool. Compared with calling the same tool directly in the same
run (the simple approach), with the ratio printed. Also the time to the first streamed token.
Targets: overhead median <= 50 ms per tool call; first token <= 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

from assistant.loop import Agent, Conversation, Token, ToolEnd
from assistant.planner.model import OfflinePlanner
from services.settings import Settings
from storage.db import Database
from tools.context import ToolContext
from tools.registry import agent_schemas, run_tool

# (request, the tool call the planner makes for it): the direct call is the simple approach
TOOL_TURNS = [
    ("status", "data_overview", {}),
    ("show products with margin over 60% and stock above 100", "find_products", {"min_margin": 0.6, "min_stock": 100}),
    ("show outerwear products priced under 120", "find_products", {"price_max": 120.0, "category": ["Outerwear"]}),
]


async def _turn(agent: Agent, conversation: Conversation, text: str) -> tuple[float, float, float | None, int]:
    """(turn seconds, seconds inside tools, seconds to the first token, tool calls)."""
    started = time.perf_counter()
    first_token = None
    in_tools, calls = 0.0, 0
    async for event in agent.run(conversation, text):
        if isinstance(event, Token) and first_token is None:
            first_token = time.perf_counter() - started
        elif isinstance(event, ToolEnd):
            in_tools += event.seconds
            calls += 1
    return time.perf_counter() - started, in_tools, first_token, calls


async def _measure(ctx: ToolContext, rounds: int) -> dict[str, list[float]]:
    """Agent turns interleaved with direct calls of the same tool, so both see the same machine load."""
    agent = Agent(ctx, OfflinePlanner())
    conversation = Conversation()  # one growing conversation, as in a real chat
    out: dict[str, list[float]] = {k: [] for k in ("overhead", "turn", "tool", "direct", "ttft_tool_turn", "ttft_help")}
    for i in range(rounds):
        text, name, arguments = TOOL_TURNS[i % len(TOOL_TURNS)]
        total, in_tools, first, calls = await _turn(agent, conversation, text)
        out["overhead"].append((total - in_tools) / max(calls, 1))
        out["turn"].append(total)
        out["tool"].append(in_tools / max(calls, 1))
        out["ttft_tool_turn"].append(first or total)
        started = time.perf_counter()
        run_tool(ctx, name, arguments)
        out["direct"].append(time.perf_counter() - started)
        _, _, first_help, _ = await _turn(agent, conversation, "help")
        out["ttft_help"].append(first_help or 0.0)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp, Database(Path(tmp) / "bench.duckdb") as db:
        ctx = ToolContext(db=db, settings=Settings(db_path=db.path))
        run_tool(ctx, "generate_demo_data", customers=args.customers, products=500)
        asyncio.run(_measure(ctx, 3))  # warm caches for both sides
        measured = asyncio.run(_measure(ctx, args.rounds))
        direct = measured["direct"]
        started = time.perf_counter()
        for _ in range(20):
            agent_schemas()
        schema_ms = (time.perf_counter() - started) / 20 * 1000

    def ms(values: list[float], q: float = 0.5) -> float:
        return round(statistics.quantiles(values, n=100)[int(q * 100) - 1] * 1000, 3)

    figures = {
        "customers": args.customers,
        "tool_calls": args.rounds,
        "overhead_ms_per_tool_call_median": ms(measured["overhead"]),
        "overhead_ms_per_tool_call_p95": ms(measured["overhead"], 0.95),
        "tool_ms_median": ms(measured["tool"]),
        "agent_turn_ms_median": ms(measured["turn"]),
        "direct_tool_call_ms_median": ms(direct),
        "ratio_agent_turn_to_direct_call": round(statistics.median(measured["turn"]) / statistics.median(direct), 2),
        "first_token_ms_help_median": ms(measured["ttft_help"]),
        "first_token_ms_tool_turn_median": ms(measured["ttft_tool_turn"]),
        "schema_build_ms": round(schema_ms, 3),
    }
    figures["targets_met"] = {
        "overhead_median_le_50ms": figures["overhead_ms_per_tool_call_median"] <= 50,
        "first_token_le_1s": figures["first_token_ms_tool_turn_median"] <= 1000,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:40} {value}")


if __name__ == "__main__":
    main()
