"""Every analytic question the planner can build runs, or is refused in words: no SQL error reaches a marketer.

"what's our average order value by country" once built avg() over order ids (the word "order" also
names the orders figure) and DuckDB refused it. Here every figure x aggregate x group template is run
through the sandboxed query tool on the UCI orders log (it has countries) with a segmentation."""

from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd
import pytest

from assistant.planner.analytics import unsupported
from assistant.planner.analytics_figures import FIGURES, FROM_ORDERS
from assistant.planner.analytics_questions import AGGREGATES, GROUPS, Question, aggregate_for, understand
from assistant.planner.vocabulary import Vocabulary
from storage.errors import UserError
from tools.registry import run_tool

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    from services.settings import Settings
    from storage.db import Database
    from tools import ToolContext

    path = tmp_path_factory.mktemp("shop") / "shop.duckdb"
    ctx = ToolContext(db=Database(str(path)), settings=Settings(db_path=str(path)))
    run_tool(ctx, "generate_demo_data", customers=300, products=40, seed=3)
    run_tool(ctx, "import_data", kind="orders", path=str(FIXTURES / "online_retail.csv"))
    run_tool(ctx, "segment_run", k=3)
    return ctx


def questions() -> list[Question]:
    figures = [*FIGURES, *FROM_ORDERS.values()]
    aggregates = sorted({a for _, a, _ in AGGREGATES})
    combinations = itertools.product(figures, [None, *aggregates], [None, *GROUPS])
    return [Question(f, aggregate_for(f, a), g) for f, a, g in combinations]


def once_each(built: list[Question]) -> list[Question]:
    """The questions whose SQL differs: many combinations build the same query (an aggregate a figure ignores),
    and running it twice tests nothing more (a third of them, and of the suite's slowest minute)."""
    return list({question.sql(): question for question in built}.values())


def test_every_template_the_planner_can_build_runs_or_is_refused_in_words(shop):
    vocabulary = Vocabulary.from_db(shop.db)
    failed = []
    for question in once_each([q for q in questions() if not unsupported(q, vocabulary)]):
        try:
            run_tool(shop, "query_data", sql=question.sql())
        except UserError as error:
            failed.append(f"{question.aggregate} {question.figure.label} by {question.group}: {error}")
    assert not failed, "\n".join(failed[:10])


@pytest.mark.parametrize(
    "text",
    ["what's our average order value by country", "average orders by country", "typical order value per country"],
)
def test_questions_that_name_orders_twice_run(shop, text):
    question = understand(text)
    assert question is not None and question.group.label == "country"
    result = run_tool(shop, "query_data", sql=question.sql())
    assert result.tables[0].to_df().shape[0] > 1, "a row per country"


def test_every_template_a_period_can_cut_runs_with_its_dates_bound(shop):
    """The same templates limited to a period (a WHERE on the order date, the dates as bound parameters), for every
    figure a period can cut; the others are refused in words. The December 2010 figures equal the log's own."""
    from dataclasses import replace
    from datetime import date

    from assistant.planner.analytics_periods import for_period
    from assistant.planner.periods import Period

    december = Period(date(2010, 12, 1), date(2011, 1, 1), "in December 2010")
    vocabulary = Vocabulary.from_db(shop.db)
    failed, refused, ran, dated_questions = [], 0, 0, []
    for question in questions():
        figure = for_period(question, december, "")
        if isinstance(figure, str):
            refused += 1
            assert "period" in figure
            continue
        dated = replace(question, figure=figure, aggregate=aggregate_for(figure, question.aggregate), period=december)
        if not unsupported(dated, vocabulary):
            dated_questions.append(dated)
    for dated in once_each(dated_questions):
        try:
            run_tool(shop, "query_data", sql=dated.sql(), params=december.params())
            ran += 1
        except UserError as error:
            failed.append(f"{dated.aggregate} {dated.figure.label} by {dated.group}: {error}")
    assert not failed, "\n".join(failed[:10])
    assert ran > 50 and refused > 0

    revenue = understand("total revenue")
    result = run_tool(shop, "query_data", sql=replace(revenue, period=december).sql(), params=december.params())
    net = shop.db.execute(
        "SELECT round(sum(amount), 2) FROM orders WHERE ordered_at >= '2010-12-01' AND ordered_at < '2011-01-01'"
    ).fetchone()[0]
    assert result.tables[0].to_df()["Total revenue"].tolist() == [net]


def test_a_period_reaches_the_sql_only_as_bound_parameters():
    from dataclasses import replace
    from datetime import date

    from assistant.planner.periods import Period

    period = Period(date(2011, 1, 1), date(2012, 1, 1), "in 2011")
    sql = replace(understand("revenue by month"), period=period).sql()
    assert "$period_start" in sql and "$period_stop" in sql and "2011" not in sql


def test_revenue_by_brand_reads_each_order_lines_brand_from_the_catalogue(demo_ctx, tmp_path):
    """ "Which brand makes the most money" was refused ("not by brand"): the orders log has no brand, but each line
    names its product, and the catalogue gives the product's brand."""
    from tests.test_new_shop_chat import Chat

    products = demo_ctx.db.df("SELECT sku, brand FROM products ORDER BY sku LIMIT 12")
    customers = demo_ctx.db.df("SELECT customer_id FROM customers ORDER BY customer_id LIMIT 12")["customer_id"]
    lines = pd.DataFrame(
        {
            "order_id": [f"B-{i}" for i in range(len(products))],
            "customer_id": list(customers),
            "ordered_at": [f"2025-12-{i + 1:02d}" for i in range(len(products))],
            "sku": products["sku"],
            "amount": [round(10.5 * (i + 1) ** 1.5, 2) for i in range(len(products))],
        }
    )
    lines.to_csv(tmp_path / "lines.csv", index=False)
    run_tool(demo_ctx, "import_data", kind="orders", path=str(tmp_path / "lines.csv"))
    by_brand = lines.merge(products, on="sku").groupby("brand")["amount"].sum()
    answer, _ = Chat(demo_ctx).say("which brand makes the most money")
    assert f"{len(by_brand)} brands: highest is {by_brand.idxmax()} at **€{by_brand.max():,.2f}**" in answer
    assert f"lowest is {by_brand.idxmin()} at **€{by_brand.min():,.2f}**" in answer
