"""A new shop owner's first chat with their own files (no demo data): what the answers say and show.

The files are the real-shaped exports in tests/fixtures; the chat is the offline planner in the real
agent loop. Expected figures come from the files, worked out here, not from what the tools printed.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from assistant.loop import Agent, Conversation, Token, ToolEnd
from assistant.planner.model import OfflinePlanner
from assistant.planner.vocabulary import Vocabulary
from tools.registry import run_tool

FIXTURES = Path(__file__).parent / "fixtures"


class Chat:
    def __init__(self, ctx) -> None:
        self.ctx = ctx
        self.agent = Agent(ctx, OfflinePlanner(lambda: Vocabulary.from_db(ctx.db)))
        self.conversation = Conversation()

    def say(self, text: str) -> tuple[str, list[ToolEnd]]:
        async def run() -> tuple[str, list[ToolEnd]]:
            tokens, ended = [], []
            async for event in self.agent.run(self.conversation, text):
                if isinstance(event, Token):
                    tokens.append(event.text)
                elif isinstance(event, ToolEnd):
                    ended.append(event)
            return "".join(tokens), ended

        return asyncio.run(run())


@pytest.fixture
def chat(ctx) -> Chat:
    return Chat(ctx)


def load(ctx, kind: str, name: str) -> None:
    run_tool(ctx, "import_data", kind=kind, path=str(FIXTURES / name))


def test_how_many_can_i_email_before_any_campaign_counts_the_customers(chat):
    """Not "there is no campaign yet": how many of the shop's customers could be emailed, and why not the rest."""
    load(chat.ctx, "orders", "online_retail.csv")  # 57 customers known only by id: no address
    load(chat.ctx, "customers", "shopify_customers.csv")  # 6 with an address: 4 said yes, 2 no
    load(chat.ctx, "suppressions", "suppressions.csv")  # one of the four is on it
    answer, _ = chat.say("how many customers can I actually email?")
    assert "no campaign" not in answer.lower()
    assert "**3 of 63 customers** can be emailed now" in answer
    assert "57 not contactable" in answer and "2 no consent" in answer and "1 suppressed" in answer


def test_how_many_can_i_email_with_nothing_imported_says_what_to_attach(chat):
    answer, _ = chat.say("how many people can I send to")
    assert "no customers yet" in answer and "Attach" in answer


def test_anything_wrong_shows_what_was_found_in_words_not_every_check(chat):
    """The table under the answer lists the problems found (the Shopify file's capitalised address), in words;
    not fourteen check ids with 0 rows, with what was found pushed past the first ten rows."""
    load(chat.ctx, "customers", "shopify_customers.csv")
    answer, ended = chat.say("anything wrong with my data?")
    table = next(e.result for e in ended if e.name == "validate_data").tables[0]
    assert table.rows and all(row[table.columns.index("rows")] > 0 for row in table.rows)
    problems = table.to_df()["problem"].tolist()
    assert "addresses with stray spaces or capitals" in problems
    assert not {"email_format", "empty_row"} & {str(v) for row in table.rows for v in row}
    assert answer.count("fix") <= 2  # one way to say what to do next, not the CLI's too


def test_an_import_summary_in_the_chat_keeps_its_counts_without_the_cli_command(ctx):
    """A suppression list with one bad value: the answer says 3 imported and 1 rejected, not a command line."""
    from assistant.present import plain

    summary = run_tool(ctx, "import_data", kind="suppressions", path=str(FIXTURES / "suppressions.csv")).summary
    assert "promopilot" in summary  # the CLI's own pointer
    shown = plain(summary)
    assert "Imported 3 of 4 rows" in shown and "1 rejected" in shown
    assert "promopilot" not in shown and "`" not in shown


def test_best_customers_from_an_orders_log_have_no_empty_name_column(chat):
    """The UCI log knows customers by id only: the table starts with the customer, not a column of dashes."""
    from assistant.present import compact, with_names

    load(chat.ctx, "orders", "online_retail.csv")
    _, ended = chat.say("who are my best customers")
    table = with_names(next(e.result for e in ended if e.result and e.result.tables).tables[0], chat.ctx.db)
    assert "name" not in table.columns
    shown = compact(table, "GBP")
    assert shown.columns[0] == "Customer" and shown.iloc[0, 0] == "16029"  # £3,702.12, the top spender by pandas
