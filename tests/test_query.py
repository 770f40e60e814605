"""The analysis query tool: one read-only SELECT over a locked sandbox, nothing else."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from click.testing import CliRunner

from cli import main
from storage.db import Database
from storage.errors import UserError
from tools import Settings, ToolContext, run_tool
from tools.data import query

FORBIDDEN = [
    "INSERT INTO products (sku, source) VALUES ('X', 'x')",
    "UPDATE products SET price = 0",
    "DELETE FROM customers",
    "DROP TABLE customers",
    "CREATE TABLE stolen AS SELECT * FROM customers",
    "ALTER TABLE products ADD COLUMN x INT",
    "COPY customers TO '/tmp/customers.csv'",
    "COPY products FROM '/etc/passwd'",
    "ATTACH '/tmp/other.duckdb' AS other",
    "DETACH main",
    "INSTALL httpfs",
    "LOAD httpfs",
    "PRAGMA database_list",
    "SET enable_external_access = true",
    "RESET lock_configuration",
    "CALL pragma_version()",
    "EXPORT DATABASE '/tmp/dump'",
    "BEGIN TRANSACTION",
    "CHECKPOINT",
    "SELECT 1; DROP TABLE customers",
    "SELECT 1; SELECT 2",
    "UPDATE EXTENSIONS",  # a statement type the Python enum does not know
    "FORCE INSTALL httpfs FROM 'http://127.0.0.1:9/x'",
    "CREATE SECRET (TYPE s3, KEY_ID 'x', SECRET 'y')",
    "SET VARIABLE x = 1",
    "USE memory",
    "PREPARE q AS SELECT 1",
    "TRUNCATE products",
    "MERGE INTO products USING products p ON true WHEN MATCHED THEN DELETE",
    "IMPORT DATABASE '/tmp/dump'",
    "VACUUM",
    "PIVOT products ON category USING count(*)",  # several statements in one
]

READERS = [
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_csv_auto('/etc/passwd', header = false)",
    "SELECT * FROM read_text('/etc/passwd')",
    "SELECT * FROM read_blob('/etc/passwd')",
    "SELECT * FROM read_json_auto('/etc/passwd')",
    "SELECT * FROM read_ndjson_objects('/etc/passwd')",
    "SELECT * FROM read_parquet('/etc/passwd')",
    "SELECT * FROM parquet_scan('/etc/passwd')",
    "SELECT * FROM sniff_csv('/etc/passwd')",
    "SELECT * FROM glob('/etc/*')",
    "SELECT * FROM '/etc/passwd'",
    "SELECT * FROM 'file:///etc/passwd'",
    "SELECT * FROM 'https://example.com/data.csv'",
    "SELECT * FROM query('SELECT * FROM read_text(''/etc/passwd'')')",
    "WITH x AS (SELECT * FROM read_csv('/etc/passwd')) SELECT count(*) FROM x",
    "SELECT (SELECT content FROM read_text('/etc/passwd')) AS leak FROM products",
    "SELECT * FROM sqlite_scan('/etc/passwd', 'x')",
    "SELECT * FROM app_secrets",
    "SELECT * FROM duckdb_secrets()",
]


PASSWD_FIRST_LINE = Path("/etc/passwd").read_text().splitlines()[0]


def path_taking_table_functions() -> list[str]:
    """Every table function this DuckDB build offers whose first argument can be a path: the readers
    (read_csv, read_text, read_blob, read_json*, read_parquet, sniff_csv, glob, parquet_metadata...) and
    whatever a new version adds, so the test grows with DuckDB instead of with our memory."""
    with duckdb.connect() as con:
        rows = con.execute(
            """SELECT DISTINCT function_name FROM duckdb_functions()
               WHERE function_type = 'table' AND len(parameter_types) > 0
                 AND parameter_types[1] IN ('VARCHAR', 'VARCHAR[]', 'ANY[]', 'ANY', 'VARIANT')
               ORDER BY 1"""
        ).fetchall()
    return [r[0] for r in rows]


@pytest.fixture(scope="module")
def demo_shop(tmp_path_factory):
    """One small shop for the whole module: the query tool never changes it."""
    db = Database(tmp_path_factory.mktemp("query") / "shop.duckdb")
    run_tool(ToolContext(db=db, settings=Settings(db_path=db.path)), "generate_demo_data", customers=300, products=40)
    yield db
    db.close()


@pytest.fixture
def shop(demo_shop):
    return ToolContext(db=demo_shop, settings=Settings(db_path=demo_shop.path))


@pytest.mark.parametrize("sql", FORBIDDEN)
def test_anything_but_one_select_is_refused(shop, sql):
    before = shop.db.df("SELECT (SELECT count(*) FROM customers) c, (SELECT count(*) FROM products) p")
    with pytest.raises(UserError) as caught:
        run_tool(shop, "query_data", sql=sql)
    assert caught.value.message.startswith(("Refused", "Only one statement"))
    assert shop.db.df("SELECT (SELECT count(*) FROM customers) c, (SELECT count(*) FROM products) p").equals(before)


@pytest.mark.parametrize("sql", READERS)
def test_files_urls_and_secrets_are_out_of_reach(shop, sql):
    with pytest.raises(UserError) as caught:
        run_tool(shop, "query_data", sql=sql)
    assert "root:" not in str(caught.value)


def test_no_path_taking_function_reads_etc_passwd(shop):
    functions = path_taking_table_functions()
    assert {"read_csv", "read_text", "read_blob", "read_json", "read_parquet", "glob", "sniff_csv"} <= set(functions)
    for name in functions:
        for argument in ("'/etc/passwd'", "['/etc/passwd']", "'/etc/pass*'"):
            sql = f"SELECT * FROM {name}({argument})"  # noqa: S608 - attacks on purpose
            try:
                result = run_tool(shop, "query_data", sql=sql)
            except UserError as refused:
                shown = f"{refused.message} {refused.hint}"
            else:  # harmless functions (json_each, unnest...) may answer, but never with the file
                shown = f"{result.summary} {[t.rows for t in result.tables]}"
            assert PASSWD_FIRST_LINE not in shown and "root:x" not in shown, sql


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM enable_profiling()",
        "SELECT * FROM enable_logging(level = 'trace')",
        "SELECT * FROM add_grammar_extension('x')",
    ],
)
def test_settings_cannot_change_from_inside_a_select(shop, sql):
    """Table functions that switch settings pass the statement check; the locked configuration stops them
    (unlocked, enable_logging to a file even aborts the process)."""
    with pytest.raises(UserError, match="Refused: the query tries to change DuckDB settings"):
        run_tool(shop, "query_data", sql=sql)


def test_the_temp_directory_is_not_a_way_in(shop, tmp_path, monkeypatch):
    """DuckDB lets a locked-down database still read its spill directory (./.tmp by default)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".tmp").mkdir()
    (tmp_path / ".tmp" / "left-behind.csv").write_text("secret\nhunter2\n")
    for sql in (
        "SELECT * FROM read_text('.tmp/left-behind.csv')",
        f"SELECT * FROM read_csv('{tmp_path}/.tmp/left-behind.csv')",  # noqa: S608
        "SELECT * FROM glob('.tmp/*')",
    ):
        with pytest.raises(UserError, match="Refused") as caught:
            run_tool(shop, "query_data", sql=sql)
        assert "hunter2" not in str(caught.value)


def test_python_variables_are_not_tables(shop):
    secret_frame = pd.DataFrame({"password": ["hunter2"]})  # noqa: F841 - what a replacement scan would find
    with pytest.raises(UserError, match="secret_frame"):
        run_tool(shop, "query_data", sql="SELECT * FROM secret_frame")


def test_a_question_gets_its_answer(shop):
    sql = """SELECT b.customer_type, count(*) AS customers, round(avg(b.total_spent), 2) AS avg_spent
             FROM customer_behavior b JOIN customers c USING (customer_id) GROUP BY 1 ORDER BY avg_spent DESC"""
    result = run_tool(shop, "query_data", sql=sql)
    assert result.tables[0].to_df().equals(shop.db.df(sql))
    assert result.data["truncated"] is False
    pivot = run_tool(
        shop,
        "query_data",
        sql="PIVOT (SELECT brand_tier FROM products) ON brand_tier IN ('budget', 'luxury') USING count(*)",
    )
    assert (
        pivot.tables[0].to_df().iloc[0].tolist()
        == shop.db.df(
            "SELECT count(*) FILTER (brand_tier = 'budget'), count(*) FILTER (brand_tier = 'luxury') FROM products"
        )
        .iloc[0]
        .tolist()
    )


def test_rows_and_time_are_limited(shop):
    result = run_tool(shop, "query_data", sql="SELECT * FROM products ORDER BY price DESC", max_rows=5)
    expected = shop.db.df("SELECT * FROM products ORDER BY price DESC LIMIT 5")
    assert result.tables[0].to_df()["sku"].tolist() == expected["sku"].tolist()
    assert result.data["truncated"] is True and "limit of 5" in result.summary
    with pytest.raises(UserError, match=r"longer than 0\.3 s"):
        run_tool(shop, "query_data", sql="SELECT count(*) FROM range(1000000000000) a", timeout_seconds=0.3)


def test_a_query_too_big_for_memory_is_stopped_with_advice(shop, monkeypatch, request):
    monkeypatch.setitem(query.SANDBOX_CONFIG, "memory_limit", "30MB")
    query._sandbox_database.cache_clear()  # it is opened once per process, with the settings of that moment
    request.addfinalizer(query._sandbox_database.cache_clear)
    sql = "SELECT i % 1000003 AS k, list(i) FROM range(20000000) t(i) GROUP BY 1 ORDER BY 1"
    with pytest.raises(UserError, match="more memory than the sandbox's 30MB") as caught:
        run_tool(shop, "query_data", sql=sql)
    assert "temp_directory" not in f"{caught.value.message} {caught.value.hint}"


def test_names_and_emails_stay_hidden_from_the_agent(shop):
    shop.actor = "agent"
    result = run_tool(shop, "query_data", sql="SELECT * FROM customers JOIN messages USING (customer_id) LIMIT 3")
    assert {"email", "first_name", "last_name"}.isdisjoint(result.data["columns"])
    with pytest.raises(UserError) as caught:
        run_tool(shop, "query_data", sql="SELECT email AS x FROM customers")
    assert "PROMOPILOT_SHARE_PII" in caught.value.hint
    shop.settings = Settings(db_path=shop.db.path, share_pii=True)
    shared = run_tool(shop, "query_data", sql="SELECT email FROM customers LIMIT 1")
    assert "@" in shared.tables[0].rows[0][0]


def test_what_one_query_was_shown_is_gone_for_the_next(shop):
    """The sandbox database stays open between queries; each query's snapshots are its own connection's."""
    shop.settings = Settings(db_path=shop.db.path, share_pii=True)
    assert "@" in run_tool(shop, "query_data", sql="SELECT email FROM customers LIMIT 1").tables[0].rows[0][0]
    shop.settings, shop.actor = Settings(db_path=shop.db.path), "agent"
    with pytest.raises(UserError, match="email"):
        run_tool(shop, "query_data", sql="SELECT email FROM customers LIMIT 1")
    with pytest.raises(UserError, match="customers does not exist"):  # named only inside a string: not loaded
        run_tool(shop, "query_data", sql="SELECT * FROM query('SELECT email FROM customers')")


def test_blobs_stay_out(shop):
    with pytest.raises(UserError, match="transformer"):
        run_tool(shop, "query_data", sql="SELECT transformer FROM segment_runs")


def test_the_cli_runs_and_refuses(ctx):
    run_tool(ctx, "generate_demo_data", customers=20, products=40)
    ctx.db.close()
    out = CliRunner().invoke(main, ["--db", ctx.db.path, "query", "SELECT count(*) AS n FROM products", "--json"])
    assert out.exit_code == 0, out.output
    assert '"n"' in out.stdout and "40" in out.stdout
    refused = CliRunner().invoke(main, ["--db", ctx.db.path, "query", "DROP TABLE products"])
    assert refused.exit_code == 1 and "Refused" in refused.stderr


def test_values_are_bound_as_parameters_never_read_as_sql(ctx):
    """The analytics templates' dates arrive as `params`: a value is data, whatever it holds; the CLI takes them too."""
    run_tool(ctx, "generate_demo_data", customers=20, products=40)
    sql = "SELECT count(*) AS n, $note AS note FROM orders WHERE ordered_at < CAST($stop AS DATE)"
    result = run_tool(ctx, "query_data", sql=sql, params={"stop": "1990-01-01", "note": "'; DROP TABLE orders; --"})
    assert result.tables[0].rows == [[0, "'; DROP TABLE orders; --"]]
    ctx.db.close()
    out = CliRunner().invoke(
        main, ["--db", ctx.db.path, "query", sql, "--params", "stop=2100-01-01", "--params", "note=x", "--json"]
    )
    assert out.exit_code == 0, out.output
    assert '"note"' in out.stdout and '"x"' in out.stdout


def test_a_huge_value_is_cut_for_the_terminal_and_the_model_and_says_so(ctx):
    from assistant.views import model_view

    result = run_tool(ctx, "query_data", sql="SELECT repeat('x', 300000000) AS big, 7 AS n")

    (row,) = result.tables[0].rows
    assert len(row[0]) < 1100 and row[0].endswith("…[cut]") and row[1] == 7
    assert "values longer than 1,000 characters were cut" in result.summary
    assert result.data["truncated"] is True
    assert len(json.dumps(model_view(result))) < 5000


def test_a_result_too_big_in_total_stops_at_the_byte_limit_and_says_so(ctx):
    sql = "SELECT repeat('y', 900) AS a, repeat('z', 900) AS b, i FROM range(5000) t(i)"
    result = run_tool(ctx, "query_data", sql=sql, max_rows=5000)

    assert 100 < len(result.tables[0].rows) < 5000
    assert "stopped at 2 MB of results" in result.summary and result.data["truncated"] is True
    assert len(json.dumps(result.to_json())) < 2_500_000


def test_the_cli_prints_a_cut_value_not_a_huge_one(ctx):
    path = ctx.db.path
    ctx.db.close()
    out = CliRunner().invoke(main, ["--db", path, "query", "SELECT repeat('x', 5000000) AS big", "--json"])
    assert out.exit_code == 0, out.output
    assert len(out.stdout) < 5000 and "cut" in out.stdout
