"""`promopilot chat "MESSAGE"`: one turn with the assistant in the terminal, through the same agent loop as the UI."""

from __future__ import annotations

import asyncio
import json
import shlex
import sys

import click

from assistant.loop import Agent, Conversation, Done, Error, Event, Token, ToolEnd, ToolProgress, ToolStart
from assistant.models import chat_model
from assistant.planner.vocabulary import Vocabulary
from cli.output import console, err_console
from tools.context import ToolContext
from tools.registry import Positional, get_tool
from tools.results import ConfirmationRequest


@click.command("chat")
@click.argument("message", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print every event as one JSON line instead.")
@click.pass_context
def chat(click_ctx: click.Context, message: tuple[str, ...], as_json: bool) -> None:
    """Ask PromoPilot something: streams the answer and lists the tools it used.

    Without OPENAI_API_KEY the offline planner answers (try `promopilot chat help`).
    Approving a campaign is never done here: use `promopilot campaign approve`.
    """
    state = click_ctx.find_root().obj
    try:
        failed = asyncio.run(_turn(state.context(), " ".join(message), as_json))
    finally:
        state.close()
    sys.exit(1 if failed else 0)


async def _turn(ctx: ToolContext, text: str, as_json: bool) -> bool:
    agent = Agent(ctx, chat_model(ctx.settings, vocabulary=lambda: Vocabulary.from_db(ctx.db)))
    failed = False
    async for event in agent.run(Conversation(), text):
        failed |= isinstance(event, Error)
        if as_json:
            sys.stdout.write(json.dumps(_as_dict(event), ensure_ascii=False, default=str) + "\n")
        else:
            _show(event)
    return failed


def _show(event: Event) -> None:
    if isinstance(event, Token):
        sys.stdout.write(event.text)
        sys.stdout.flush()
    elif isinstance(event, ToolStart):
        args = event.arguments if isinstance(event.arguments, str) else json.dumps(event.arguments)
        err_console.print(f"[dim]→ {event.name} {args}[/]", highlight=False)
    elif isinstance(event, ToolProgress) and event.total:
        err_console.print(f"[dim]  {event.description}: {event.completed:,.0f}/{event.total:,.0f}[/]", highlight=False)
    elif isinstance(event, ToolEnd):
        if event.result is not None:
            err_console.print(f"[green]✓[/] [dim]{event.result.summary}[/]", highlight=False)
            if event.result.approval:
                a = event.result.approval
                err_console.print(
                    f"[bold]Draft ready:[/] campaign {a.campaign_id} v{a.version}, subject “{a.subject}”. "
                    f"Approve it yourself: promopilot campaign approve {a.campaign_id} --version {a.version}",
                    highlight=False,
                )
        elif event.confirmation:
            err_console.print(f"[red]✗ {event.confirmation.message}[/]", highlight=False)
            err_console.print(
                f"[yellow]Only you can go ahead: {_confirm_command(event.confirmation)}[/]", highlight=False
            )
        else:
            error = event.error or {}
            err_console.print(f"[red]✗ {error.get('error')}[/] [yellow]{error.get('hint') or ''}[/]", highlight=False)
    elif isinstance(event, Error):
        err_console.print(f"[bold red]{event.message}[/] {event.hint or ''}", highlight=False)
    elif isinstance(event, Done):
        console.print()
        if event.usage.total_tokens:
            err_console.print(f"[dim]{event.usage.total_tokens:,} tokens[/]")


def _confirm_command(request: ConfirmationRequest) -> str:
    """The CLI command that repeats the refused call, confirmed (`--yes` only where the command has it: a send
    the assistant asked for needs no flag, the person typing it is the confirmation)."""
    tool = get_tool(request.tool)
    words = ["promopilot", tool.cli or tool.name]
    fields = tool.args_model.model_fields
    positional = {n for n, f in fields.items() if any(isinstance(m, Positional) for m in f.metadata)}
    arguments = sorted(request.arguments.items(), key=lambda item: item[0] not in positional)  # "send 3 --limit 5"
    for name, value in arguments:
        flag = f"--{name.replace('_', '-')}"
        if name in positional:
            words += [shlex.quote(str(item)) for item in (value if isinstance(value, list) else [value])]
        elif isinstance(value, bool):
            words.append(flag if value else f"--no-{flag[2:]}")
        else:
            words += [
                part
                for item in (value if isinstance(value, list) else [value])
                for part in (flag, shlex.quote(str(item)))
            ]
    return " ".join([*words, "--yes"] if tool.confirm else words)


def _as_dict(event: Event) -> dict:
    kind = {Token: "token", ToolStart: "tool_start", ToolProgress: "tool_progress", ToolEnd: "tool_end"}
    kind |= {Error: "error", Done: "done"}
    payload = dict(vars(event))
    if isinstance(event, ToolEnd):
        payload["result"] = event.result.to_json() if event.result else None
    if isinstance(event, Done):
        usage = event.usage
        payload["usage"] = {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens}
    return {"event": kind[type(event)], **payload}


COMMANDS = [chat]
