"""Asking about bad data before anything checked it: the check runs (read-only) rather than "no issues"."""

from __future__ import annotations

import asyncio

from assistant.loop import Agent, Conversation, Token, ToolStart
from assistant.planner.memory import Memory, Request, Step
from assistant.planner.model import OfflinePlanner, choose
from assistant.planner.vocabulary import Vocabulary
from tools.registry import run_tool

ASK = "are there any dodgy records I should know about"
LIST = "show me the bad records"  # the recorded issues, for sure (ASK is as much "check the data")
NONE_RECORDED = Step("list_data_issues", {}, {"ok": True, "summary": "No data issues recorded.", "data": {"total": 0}})
CLEAN = {"ok": True, "summary": "Checked 2,000 customers and 200 products: no problems found.", "data": {}}


def say(agent: Agent, conversation: Conversation, text: str) -> tuple[list, str]:
    async def run() -> list:
        return [e async for e in agent.run(conversation, text)]

    events = asyncio.run(run())
    calls = [(e.name, e.arguments) for e in events if isinstance(e, ToolStart)]
    return calls, "".join(e.text for e in events if isinstance(e, Token))


def test_bad_records_before_any_check_runs_the_check_and_answers_with_it(demo_ctx):
    agent, conversation = Agent(demo_ctx, OfflinePlanner(lambda: Vocabulary.from_db(demo_ctx.db))), Conversation()
    calls, answer = say(agent, conversation, ASK)
    # Read as "list the issues" or as "check the data" (the two are a coin toss for this wording): either way the
    # read-only check runs and answers, never a fix.
    assert ("validate_data", {}) in calls and not any(arguments.get("fix") for _, arguments in calls)
    assert "No data issues recorded." not in answer
    assert "Checked 2,000 customers" in answer and "unusual spenders" in answer
    assert demo_ctx.db.scalar("SELECT count(*) FROM data_issues") == 0, "nothing was changed or recorded"
    calls, answer = say(agent, conversation, ASK)
    assert not any(arguments.get("fix") for _, arguments in calls)
    assert "unusual spenders" in answer, "what the check found is still said, though nothing is recorded"


def test_after_a_clean_check_no_issues_is_the_answer():
    memory = Memory()
    memory.learn(Step("validate_data", {}, CLEAN))
    assert choose(Request(LIST, memory, [NONE_RECORDED])).answer.startswith("No data issues recorded.")


def test_an_import_after_the_check_makes_the_data_unchecked_again():
    memory = Memory()
    memory.learn(Step("validate_data", {}, CLEAN))
    memory.learn(Step("generate_demo_data", {"customers": 500}, {"ok": True, "summary": "Generated."}))
    assert choose(Request(LIST, memory, [NONE_RECORDED])).calls == [("validate_data", {})]


def test_the_check_a_question_names_is_answered_first_even_when_it_found_nothing(ctx):
    """ "how many duplicates do we have" was answered with the unusual spenders, and not a word of duplicates."""
    run_tool(ctx, "generate_demo_data", customers=600, products=40, seed=11, defects=0.05)
    found = {c["check"]: c["rows"] for c in run_tool(ctx, "validate_data").data["checks"]}
    agent = Agent(ctx, OfflinePlanner(lambda: Vocabulary.from_db(ctx.db)))
    _, answer = say(agent, Conversation(), "how many duplicates do we have")
    duplicates = found["duplicate_id"] + found["duplicate_email"]
    assert duplicates > 0 and answer.startswith(f"{duplicates:,} duplicate customers (by id or email address) found.")
    _, answer = say(agent, Conversation(), "are there any customers without a first name?")
    named = f"{found['missing_name']:,} customers without" if found["missing_name"] else "No customers without"
    assert answer.startswith(named)
    plan = choose(Request("any bad email addresses?", Memory(), [Step("validate_data", {}, CLEAN_CHECKS)]))
    assert plan.answer.startswith("No invalid or untidy email addresses found. Checked 2,000 customers")


CLEAN_CHECKS = CLEAN | {
    "data": {"checks": [{"check": "invalid_email", "rows": 0}, {"check": "email_format", "rows": 0}]}
}


def test_the_issues_are_said_row_by_row_without_their_values(ctx, tmp_path):
    """ "What went wrong with the import" said "2 data issues." and no more; the values stay out of the sentence (a
    bad email address is a person's, and the sentence goes to the model)."""
    crm = tmp_path / "crm.csv"
    crm.write_text(
        "customer_id,email,total_spent,order_count\n"
        "C1,ann@example.com,10,1\nC2,bob@example.com,abc,2\nC3,cy@example.com,30,x\nC4,dee@example.com,40,4\n"
    )
    run_tool(ctx, "import_data", kind="customers", path=str(crm))
    result = run_tool(ctx, "list_data_issues")
    assert result.summary.startswith(
        "2 data issues. crm.csv line 3, total_spent: not a number (rejected); "
        "crm.csv line 4, order_count: not a whole number (rejected)."
    )
    assert "abc" not in result.summary and "@" not in result.summary


def test_what_did_you_find_and_change_after_a_check_and_a_repair(demo_ctx):
    """Both got the generic help; "why is <name> not emailable" got a "did you mean"."""
    demo_ctx.db.execute("UPDATE customers SET email = 'not-an-address' WHERE customer_id = 'C0000007'")
    demo_ctx.db.execute("UPDATE customers SET email = upper(email) || ' ' WHERE customer_id = 'C0000009'")
    agent, conversation = Agent(demo_ctx, OfflinePlanner(lambda: Vocabulary.from_db(demo_ctx.db))), Conversation()
    _, checked = say(agent, conversation, "check the data")
    calls, found = say(agent, conversation, "what did you find")
    assert calls == [] and found.startswith(checked.split("\n\n")[0])
    say(agent, conversation, "fix it")
    calls, changed = say(agent, conversation, "what did you change")
    run = demo_ctx.db.scalar("SELECT run_id FROM data_issues ORDER BY issue_id DESC LIMIT 1")
    assert calls == [("list_data_issues", {"run": run})]
    assert "customer C0000007, email: invalid email addresses (quarantined)" in changed
    assert "customer C0000009, email: addresses with stray spaces or capitals (fixed)" in changed
    name = demo_ctx.db.scalar("SELECT first_name || ' ' || last_name FROM customers WHERE customer_id = 'C0000007'")
    calls, answer = say(agent, conversation, f"why can't I email {name}")
    assert calls == [("customer_card", {"customer": name})] and "cannot be emailed now: quarantined" in answer
