"""`promopilot --help` and every command's help stay as they are: the CLI is generated from the
tool registry, so moving a tool between modules must not change a single option or sentence.

After a deliberate change to the CLI, refresh the snapshot:
    PROMOPILOT_UPDATE_HELP=1 pytest tests/test_help_snapshot.py
"""

from __future__ import annotations

import os
from pathlib import Path

import click
from click.testing import CliRunner

from cli import main

SNAPSHOT = Path(__file__).parent / "snapshots" / "cli_help.txt"


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    ctx = click.Context(group)
    for name in sorted(group.list_commands(ctx)):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            found += _commands(command, (*path, name))
        else:
            found.append((*path, name))
    return found


def _all_help() -> str:
    runner = CliRunner()
    pages = []
    for path in _commands(main):
        result = runner.invoke(main, [*path, "--help"], prog_name="promopilot", terminal_width=110)
        assert result.exit_code == 0, (path, result.output)
        pages.append(f"=== promopilot {' '.join(path)}\n{result.output}")
    return "\n".join(pages)


def test_every_help_page_matches_the_snapshot():
    text = _all_help()
    if os.environ.get("PROMOPILOT_UPDATE_HELP"):
        SNAPSHOT.write_text(text)
    assert text == SNAPSHOT.read_text()


def test_the_snapshot_covers_every_command():
    text = SNAPSHOT.read_text()
    assert "=== promopilot campaign send\n" in text
    assert text.count("=== promopilot") > 20
