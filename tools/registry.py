"""The tool registry: declare a tool once, get an agent schema, a CLI command and a test entry point.

    class DemoArgs(BaseModel):
        customers: int = Field(5000, ge=1, description="How many customers to generate.")

    @tool(cli="demo")
    def generate_demo_data(ctx: ToolContext, args: DemoArgs) -> ToolResult:
        '''Create a realistic synthetic clothing shop: customers, preferences and inventory.'''

The argument model comes from the type hint, the description from the docstring. `cli` names
the command ("segment run" makes a `run` command in a `segment` group); `agent=False` keeps a
tool away from the model (approving a campaign is a human's decision). `confirm=True` marks a tool
that may destroy data: it calls `ctx.confirm(...)`, which refuses until a person confirms (the CLI
gives it `--yes`; the chat a Confirm button). The assistant's calls are never confirmed. A tool whose
step cannot be taken back (a real send) calls `ctx.ask_first(...)`: only the assistant's call waits for
a person, since a person's own call is the decision already.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar, get_type_hints

from pydantic import BaseModel, ValidationError

from storage.errors import NeedsConfirmation, UserError
from tools.context import ToolContext
from tools.results import ToolResult

F = TypeVar("F", bound=Callable[..., ToolResult])


class Positional:
    """Annotation marker: show this field as a positional CLI argument (`Annotated[str, Positional()]`)."""


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    args_model: type[BaseModel]
    fn: Callable[[ToolContext, Any], ToolResult]
    cli: str | None
    agent: bool
    confirm: bool = False  # may destroy data: asks a person first (`ctx.confirm`)

    def schema(self) -> dict[str, Any]:
        """The OpenAI Chat Completions tool declaration."""
        params = _strip_titles(self.args_model.model_json_schema())
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": params},
        }

    def parse(self, arguments: BaseModel | dict[str, Any] | None = None, **kwargs: Any) -> BaseModel:
        """Validate arguments into the tool's model; a `UserError` names every bad field."""
        if isinstance(arguments, self.args_model):
            return arguments
        values = {**(arguments.model_dump() if isinstance(arguments, BaseModel) else arguments or {}), **kwargs}
        try:
            return self.args_model.model_validate(values)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}" for e in exc.errors()
            )
            raise UserError(
                f"Invalid arguments for {self.name}: {problems}.",
                hint=f"Check the values and try again (see `promopilot {self.cli or self.name} --help`).",
            ) from None

    def __call__(
        self, ctx: ToolContext, arguments: BaseModel | dict[str, Any] | None = None, /, **kwargs: Any
    ) -> ToolResult:
        if ctx.actor == "agent" and not self.agent:
            raise UserError(
                f"{self.name} can only be done by a person, not by the assistant.",
                hint="Use the button in the chat or the promopilot CLI.",
            )
        if ctx.actor == "agent" and ctx.confirmed:
            ctx = replace(ctx, confirmed=False)  # only a person confirms
        args = self.parse(arguments, **kwargs)
        try:
            return self.fn(ctx, args)
        except NeedsConfirmation as exc:
            exc.tool, exc.arguments = self.name, args.model_dump(mode="json", exclude_unset=True)
            raise


REGISTRY: dict[str, Tool] = {}


def tool(
    *, cli: str | None = None, agent: bool = True, name: str | None = None, confirm: bool = False
) -> Callable[[F], F]:
    """Register a `fn(ctx, args) -> ToolResult` as a tool. Returns `fn` unchanged."""

    def register(fn: F) -> F:
        params = list(inspect.signature(fn).parameters)
        if len(params) != 2:
            raise TypeError(f"{fn.__name__}: a tool takes (ctx, args), got {params}")
        args_model = get_type_hints(fn)[params[1]]
        if not (isinstance(args_model, type) and issubclass(args_model, BaseModel)):
            raise TypeError(f"{fn.__name__}: the args parameter must be annotated with a pydantic model")
        tool_name = name or fn.__name__
        if tool_name in REGISTRY and REGISTRY[tool_name].fn is not fn:
            raise ValueError(f"tool {tool_name!r} is registered twice")
        REGISTRY[tool_name] = Tool(
            name=tool_name,
            description=inspect.getdoc(fn) or "",
            args_model=args_model,
            fn=fn,
            cli=cli,
            agent=agent,
            confirm=confirm,
        )
        return fn

    return register


def load_all() -> dict[str, Tool]:
    """Import every module under `tools/`, packages included, so their `@tool`s register; returns the registry."""
    _import_tool_modules()
    return REGISTRY


@functools.cache
def _import_tool_modules() -> None:
    """Once per process: walking the package tree costs ~4 ms, and every tool call asks for the registry."""
    for info in pkgutil.walk_packages([str(Path(__file__).parent)], prefix="tools."):
        importlib.import_module(info.name)


def get_tool(name: str) -> Tool:
    load_all()
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise UserError(f"There is no tool called {name!r}.", hint=f"Known tools: {known}.") from None


def run_tool(ctx: ToolContext, name: str, arguments: dict[str, Any] | None = None, /, **kwargs: Any) -> ToolResult:
    """Call a tool by name: the one entry point for the agent loop, the UI and tests.

    Positional-only, so a tool argument may be called `name` (segment_rename) or `ctx`."""
    return get_tool(name)(ctx, arguments, **kwargs)


def agent_schemas() -> list[dict[str, Any]]:
    return [t.schema() for t in load_all().values() if t.agent]


def _strip_titles(schema: Any) -> Any:
    """Drop pydantic's auto-generated `title` keys: noise in the model's context."""
    if isinstance(schema, dict):
        return {k: _strip_titles(v) for k, v in schema.items() if not (k == "title" and isinstance(v, str))}
    if isinstance(schema, list):
        return [_strip_titles(v) for v in schema]
    return schema
