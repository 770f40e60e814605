"""How the terminal presents a `ToolResult`: rich tables for people, JSON for programs."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichBar
from rich.table import Table as RichTable

from storage.errors import NeedsConfirmation, UserError
from tools.context import Progress
from tools.results import Table, ToolResult

CONFIRM_AT_CLI = "Run the same command again with --yes to go ahead."
console = Console()
err_console = Console(stderr=True)


class BarProgress(Progress):
    """Progress bars on stderr, so `--json` output on stdout stays clean."""

    @contextmanager
    def task(self, description: str, total: float | None = None) -> Iterator[Callable[[float], None]]:
        columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn()]
        with RichBar(*columns, TimeElapsedColumn(), console=err_console, transient=True) as bar:
            task_id = bar.add_task(description, total=total)
            yield lambda advance=1: bar.advance(task_id, advance)


def print_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n")


def show_error(error: UserError, as_json: bool) -> None:
    hint = CONFIRM_AT_CLI if isinstance(error, NeedsConfirmation) else error.hint
    if as_json:
        print_json({**error.to_dict(), "hint": hint})
    else:
        err_console.print(f"[bold red]Error:[/] {error.message}", highlight=False)
        if hint:
            err_console.print(f"[yellow]What to do:[/] {hint}", highlight=False)


def show_result(result: ToolResult, as_json: bool, charts_dir: str | None = None) -> None:
    """Print the result, then write its charts: a folder that cannot be written loses the charts, not the result."""
    _print_result(result, as_json, charts_dir)
    if charts_dir:
        try:
            _save_charts(result, Path(charts_dir))
        except OSError as exc:
            err_console.print(
                f"[bold red]Error:[/] cannot write the charts to {charts_dir}: {exc.strerror or exc}.\n"
                "[yellow]What to do:[/] the command itself finished (its result is above); pick a folder you "
                "can write with --save-charts, or leave it out.",
                highlight=False,
            )
            sys.exit(1)


def _print_result(result: ToolResult, as_json: bool, charts_dir: str | None) -> None:
    if as_json:
        print_json(result.to_json())
        return
    console.print(f"[bold]{result.summary}[/]", highlight=False)
    for table in result.tables:
        console.print(_rich_table(table))
    if not result.tables:
        scalars = {k: v for k, v in result.data.items() if isinstance(v, str | int | float | bool)}
        for key, value in scalars.items():
            console.print(f"  {key}: {value}", highlight=False)
    if result.approval:
        console.print(f"\n[bold]Subject:[/] {result.approval.subject}", highlight=False)
        console.print(result.approval.preview_text, highlight=False)
    if result.charts and not charts_dir:
        names = ", ".join(c.title for c in result.charts)
        console.print(f"[dim]Charts: {names} (write them as HTML with --save-charts DIR)[/]", highlight=False)


def _rich_table(table: Table) -> RichTable:
    shown = len(table.rows)
    caption = f"{shown} of {table.total}" if table.total and table.total > shown else None
    out = RichTable(title=table.name, caption=caption, show_lines=False)
    for column in table.columns:
        out.add_column(column, overflow="fold")
    for row in table.rows:
        out.add_row(*(_cell(v) for v in row))
    return out


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def _save_charts(result: ToolResult, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for chart in result.charts:
        slug = re.sub(r"[^a-z0-9]+", "-", chart.title.lower()).strip("-") or "chart"
        path = folder / f"{slug}.html"
        chart.to_figure().write_html(path, include_plotlyjs=True)
        err_console.print(f"[dim]wrote {path}[/]")
