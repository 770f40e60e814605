"""Turn registered tools into click commands: one option per field of the tool's argument model."""

from __future__ import annotations

import enum
import sys
import types
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import click
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from cli.output import show_error, show_result
from storage.errors import UserError
from tools.registry import Positional, Tool, load_all

SCALARS: dict[Any, click.ParamType] = {
    int: click.INT,
    float: click.FLOAT,
    str: click.STRING,
    Path: click.Path(path_type=Path),
}


def add_tool_commands(root: click.Group, group_help: dict[str, str]) -> None:
    for tool in sorted(load_all().values(), key=lambda t: t.name):
        if not tool.cli:
            continue
        *groups, leaf = tool.cli.split()
        parent = root
        for name in groups:
            child = parent.commands.get(name)
            if child is None:
                child = click.Group(name, help=group_help.get(name))
                parent.add_command(child)
            parent = child
        parent.add_command(command_for(tool, leaf))


def command_for(tool: Tool, name: str) -> click.Command:
    fields = tool.args_model.model_fields
    params: list[click.Parameter] = [_param(field_name, info) for field_name, info in fields.items()]
    params += [
        click.Option(["--json", "as_json"], is_flag=True, help="Print the result as JSON."),
        click.Option(
            ["--save-charts"],
            type=click.Path(file_okay=False),
            help="Write the result's charts as HTML files into this folder.",
        ),
    ]
    if tool.confirm:
        params.append(
            click.Option(
                ["--yes", "-y", "confirmed"],
                is_flag=True,
                help="Go ahead even where this replaces or deletes data (without it, it refuses and says what).",
            )
        )

    @click.pass_context
    def callback(
        click_ctx: click.Context, as_json: bool, save_charts: str | None, confirmed: bool = False, **values: Any
    ) -> None:
        state = click_ctx.find_root().obj
        arguments = {k: _from_cli(fields[k], v) for k, v in values.items() if v is not None and v != ()}
        try:
            result = tool(replace(state.context(), confirmed=confirmed), arguments)
        except UserError as error:
            show_error(error, as_json)
            sys.exit(1)
        finally:
            state.close()
        show_result(result, as_json, save_charts)

    # The first paragraph, as one line: a docstring's first source line may end mid-sentence.
    summary = " ".join(tool.description.split("\n\n", 1)[0].split())
    return click.Command(name, callback=callback, params=params, help=tool.description, short_help=summary)


def _param(name: str, info: FieldInfo) -> click.Parameter:
    annotation, optional = _unwrap_optional(info.annotation)
    origin = get_origin(annotation)
    many = origin in (list, tuple, set)
    mapping = origin is dict
    inner = get_args(annotation)[0] if many else annotation
    ptype = _click_type(inner)
    dash = name.replace("_", "-")
    default = None if info.default in (PydanticUndefined, None) or info.default_factory else info.default
    required = info.is_required()

    if any(isinstance(m, Positional) for m in info.metadata):
        return click.Argument([name], type=ptype, required=required, nargs=-1 if many else 1)
    if annotation is bool:
        return click.Option(
            [f"--{dash}/--no-{dash}", name], default=bool(default), show_default=True, help=info.description
        )
    if mapping:
        return click.Option(
            [f"--{dash}", name],
            multiple=True,
            metavar="KEY=VALUE",
            help=f"{info.description or ''} Repeat for several.".strip(),
        )
    help_text = info.description or ""
    if many:
        help_text += " Repeat for several."
    return click.Option(
        [f"--{dash}", name],
        type=ptype,
        multiple=many,
        required=required and not optional,
        default=None,  # pydantic applies the real default; shown in help only
        show_default=str(default) if default is not None else False,
        help=help_text.strip(),
    )


def _from_cli(info: FieldInfo, value: Any) -> Any:
    annotation, _ = _unwrap_optional(info.annotation)
    if get_origin(annotation) is dict:
        pairs = {}
        for item in value:
            key, sep, val = item.partition("=")
            if not sep:
                raise click.BadParameter(f"expected KEY=VALUE, got {item!r}")
            pairs[key.strip()] = val.strip()
        return pairs
    return list(value) if isinstance(value, tuple) else value


def _unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], len(args) != len(get_args(annotation))
        return annotation, type(None) in get_args(annotation)
    return annotation, False


def _click_type(annotation: Any) -> click.ParamType:
    if get_origin(annotation) is Literal:
        return click.Choice([str(v) for v in get_args(annotation)])
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return click.Choice([str(m.value) for m in annotation])
    # Unions such as `int | Literal["auto"]` stay strings: pydantic validates them.
    return SCALARS.get(annotation, click.STRING)
