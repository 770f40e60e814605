"""The skeleton every tool stands on: migrations, transactions, the registry, the CLI wiring."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import BaseModel

from cli import main
from storage.db import Database
from storage.errors import DatabaseBusy, UserError
from storage.migrations import MIGRATIONS, schema_version
from tools import Settings, ToolContext, get_tool, run_tool


def test_migrations_apply_once_and_record_the_version(tmp_path):
    path = tmp_path / "m.duckdb"
    with Database(path) as db:
        assert schema_version(db.con) == len(MIGRATIONS)
    with Database(path) as db:  # reopening applies nothing twice
        assert db.scalar("SELECT count(*) FROM schema_migrations") == len(MIGRATIONS)


def test_transaction_rolls_back_everything_on_error(db):
    with pytest.raises(RuntimeError), db.transaction() as con:
        con.execute("INSERT INTO products (sku, source) VALUES ('A', 'test')")
        raise RuntimeError("boom")
    assert db.scalar("SELECT count(*) FROM products") == 0


@pytest.fixture
def held_database(tmp_path) -> Iterator[tuple[Path, int]]:
    """A database file held open by another process: (path, that process's PID)."""
    path = tmp_path / "held.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb,time; c=duckdb.connect({str(path)!r}); print('ok', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ok"
        yield path, holder.pid
    finally:
        holder.kill()


def test_a_second_process_gets_a_clear_busy_error(held_database):
    path, pid = held_database
    with pytest.raises(DatabaseBusy) as caught:
        Database(path)
    assert f"process {pid}" in caught.value.message
    assert "--db" in caught.value.hint


def test_tool_schema_comes_from_the_argument_model():
    schema = get_tool("generate_demo_data").schema()["function"]
    assert schema["name"] == "generate_demo_data"
    assert schema["parameters"]["properties"]["customers"]["minimum"] == 10
    assert "synthetic" in schema["description"]


def test_invalid_arguments_name_the_field(ctx):
    with pytest.raises(UserError, match="customers"):
        run_tool(ctx, "generate_demo_data", customers=-5)


def test_user_only_tools_refuse_the_agent(ctx):
    from tools.registry import Tool

    class NoArgs(BaseModel):
        pass

    human_only = Tool("approve_thing", "", NoArgs, lambda c, a: None, cli=None, agent=False)
    ctx.actor = "agent"
    with pytest.raises(UserError, match="only be done by a person"):
        human_only(ctx)


def test_cli_json_output_is_the_tool_result(tmp_path):
    db = tmp_path / "cli.duckdb"
    result = CliRunner().invoke(main, ["--db", str(db), "demo", "--customers", "50", "--products", "5", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["data"]["customers"] == 50
    with Database(db) as check:
        assert check.scalar("SELECT count(*) FROM customers") == 50


def test_cli_shows_a_user_error_without_traceback(tmp_path):
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "x.duckdb"), "demo", "--customers", "1"])
    assert result.exit_code == 1
    assert "Error:" in result.stderr and "customers" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("generate_demo_data", {"customers": 200, "products": 10}),
        ("import_data", {"kind": "customers", "path": "{folder}/in.csv"}),
        ("validate_data", {"fix": True}),
        ("export_data", {"what": "customers", "path": "{folder}/out.csv"}),
    ],
)
def test_data_tools_that_grow_with_the_data_show_progress_to_the_end(ctx, tmp_path, progress_log, tool, arguments):
    """On a million rows each of these takes seconds, so each drives a progress bar to completion."""
    run_tool(ctx, "generate_demo_data", customers=100, products=5, defects=0.1)
    (tmp_path / "in.csv").write_text("customer_id,email\nZ1,z@example.com\n")
    ctx.progress, ctx.confirmed = progress_log, True  # a person confirmed replacing the demo shop
    run_tool(ctx, tool, **{k: v.format(folder=tmp_path) if isinstance(v, str) else v for k, v in arguments.items()})
    assert ctx.progress.tasks, f"{tool} showed no progress"
    assert all(t["total"] and t["done"] == t["total"] for t in ctx.progress.tasks)


def test_cli_on_a_database_held_by_another_process_says_so_without_traceback(held_database):
    path, pid = held_database
    runner = CliRunner()
    for command in (["status"], ["status", "--json"], ["chat", "help"]):
        result = runner.invoke(main, ["--db", str(path), *command])
        assert result.exit_code == 1, (command, result.output)
        assert isinstance(result.exception, SystemExit), result.exception  # a clean exit, no traceback
        text = " ".join((result.stdout if "--json" in command else result.stderr).split())
        assert f"in use by process {pid}" in text, (command, text)
    assert json.loads(runner.invoke(main, ["--db", str(path), "status", "--json"]).stdout)["hint"]


def test_bench_data_runs_with_its_documented_flags(monkeypatch, capsys):
    """In this process (its modules are loaded already), as `python -m bench.data ... --json` would run."""
    from bench import data

    monkeypatch.setattr(sys, "argv", ["bench.data", "--customers", "2000", "--simple", "200", "--seed", "3", "--json"])
    data.main()
    figures = json.loads(capsys.readouterr().out)
    assert figures["customers"] == 2000 and figures["simple"]["customers"] == 200
    for stage in ("generate", "validate", "import"):
        assert figures["seconds"][stage] > 0 and figures["simple"]["seconds"][stage] > 0, stage
        assert figures["per_row_speedup"][stage] > 0, stage
    assert figures["peak_rss_mb"] > 0 and set(figures["within_target"]) == {
        "generate",
        "validate",
        "import",
        "peak_rss_mb",
    }


def test_the_bench_simple_import_stores_what_the_tool_stores(ctx, tmp_path):
    """The per-row baseline is only a fair comparison if it does the same job on the same file."""
    from bench.data import EXPORT, simple_import

    run_tool(ctx, "generate_demo_data", customers=300, products=5, seed=4)
    csv_path = tmp_path / "c.csv"
    ctx.db.execute(EXPORT.format(path=csv_path))
    query = """SELECT * EXCLUDE (source) FROM customers JOIN customer_behavior USING (customer_id)
               JOIN customer_preferences USING (customer_id) ORDER BY customer_id"""
    with Database(tmp_path / "simple.duckdb") as simple, Database(tmp_path / "tool.duckdb") as tool_db:
        assert simple_import(csv_path, 300, simple) == 300
        run_tool(ToolContext(db=tool_db, settings=Settings()), "import_data", kind="customers", path=str(csv_path))
        assert simple.rows(query) == tool_db.rows(query)


def test_the_command_list_never_cuts_a_description_mid_sentence():
    """The one-line help of a command is the docstring's first paragraph, not its first source line
    (which ended `report` at "... open rate, unique")."""
    listing = " ".join(CliRunner().invoke(main, ["--help"]).output.split())  # wrapped lines joined
    assert "click-to-open rate and unsubscribes, overall, by variant and by segment. segment " in listing
