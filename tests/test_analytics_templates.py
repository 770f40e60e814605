"""Every analytic question the planner can build runs, or is refused in words: no SQL error reaches a marketer.

"what's our average order value by country" once built avg() over order ids (the word "order" also
names the orders figure) and DuckDB refused it. Here every figure x aggregate x group template is run
through the sandboxed query tool on the UCI orders log (it has countries) with a segmentation."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from assistant.planner.analytics import (
    AGGREGATES,
    FIGURES,
    FROM_ORDERS,
    GROUPS,
    Question,
    aggregate_for,
    understand,
    unsupported,
)
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


def test_every_template_the_planner_can_build_runs_or_is_refused_in_words(shop):
    vocabulary = Vocabulary.from_db(shop.db)
    failed = []
    for question in questions():
        if unsupported(question, vocabulary):
            continue
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
