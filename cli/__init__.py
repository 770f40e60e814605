"""The `promopilot` command: every registered tool as a command, plus a few of its own.

Commands are generated from the tool registry (`tools.registry`), so the CLI mirrors the library:
the options are the tool's argument model, `--json` prints the tool's return value. Modules in
this package may add hand-written commands by defining `COMMANDS: list[click.Command]`.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import click

from cli.commands import add_tool_commands
from cli.output import show_error
from cli.state import CliState
from storage.errors import UserError

GROUP_HELP = {
    "segment": "Customer segmentation: metric sweep, KMeans runs, profiles and names.",
    "campaign": "Email campaigns: draft, preview, approve, send.",
    "shortlist": "Products chosen for a campaign.",
    "consent": "A person's own consent changes (never the assistant's).",
}


class _Root(click.Group):
    """Any command's UserError (e.g. the database is held by the running app) is shown as its
    message and hint, as JSON with --json, never as a traceback; tool commands already do this."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["as_json"] = "--json" in args
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except UserError as error:
            show_error(error, ctx.meta.get("as_json", False))
            sys.exit(1)


@click.group(cls=_Root, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.option(
    "--db",
    envvar="PROMOPILOT_DB",
    default="promopilot.duckdb",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="The DuckDB file that holds all data (env PROMOPILOT_DB).",
)
@click.version_option(package_name="promopilot")
@click.pass_context
def main(click_ctx: click.Context, db: str) -> None:
    """PromoPilot: plan and run a targeted email campaign from your customer and product data."""
    click_ctx.obj = CliState(db_path=db)


def _add_module_commands() -> None:
    import cli

    for info in pkgutil.iter_modules(cli.__path__):
        module = importlib.import_module(f"cli.{info.name}")
        for command in getattr(module, "COMMANDS", []):
            main.add_command(command)


add_tool_commands(main, GROUP_HELP)
_add_module_commands()
