"""The skeleton every tool stands on: migrations, transactions, the registry, the CLI wiring."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner
from pydantic import BaseModel

from cli import main
from storage.db import Database
from storage.errors import DatabaseBusy, UserError
from storage.migrations import MIGRATIONS, schema_version
from tools import get_tool, run_tool


def test_migrations_apply_once_and_record_the_version(tmp_path):
    path = tmp_path / "m.duckdb"
    with Database(path) as db:
        assert schema_version(db) == len(MIGRATIONS)
    with Database(path) as db:  # reopening applies nothing twice
        assert db.scalar("SELECT count(*) FROM schema_migrations") == len(MIGRATIONS)


def test_transaction_rolls_back_everything_on_error(db):
    with pytest.raises(RuntimeError), db.transaction() as con:
        con.execute("INSERT INTO products (sku, source) VALUES ('A', 'test')")
        raise RuntimeError("boom")
    assert db.scalar("SELECT count(*) FROM products") == 0


def test_a_second_process_gets_a_clear_busy_error(tmp_path):
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
        with pytest.raises(DatabaseBusy) as caught:
            Database(path)
        assert f"process {holder.pid}" in caught.value.message
        assert "--db" in caught.value.hint
    finally:
        holder.kill()


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
