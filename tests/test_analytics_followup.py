"""A fragment after a figure ("and the month before?", "what about January?", "and by country?") is that figure's
question again, with the period, grouping or place said; anything else is left alone."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.planner.analytics_followup import applied, rewritten
from assistant.planner.memory import Memory, Request
from assistant.planner.vocabulary import Vocabulary

TODAY = date(2011, 3, 5)
COUNTRIES = ("United Kingdom", "France", "Germany")


@pytest.mark.parametrize(
    ("question", "said", "expected"),
    [
        ("what were sales like last month", "and the month before?", "what were sales like in January 2011"),
        ("revenue in q4 2010", "and the quarter before", "revenue in Q3 2010"),
        ("orders in 2010", "what about the year before?", "orders in 2009"),
        ("revenue in december 2010", "what about january?", "revenue in January 2011"),
        # a month alone is the one nearest the month asked: February 2010 after March 2010, not February 2011
        ("revenue in march 2010", "and february?", "revenue in February 2010"),
        # another figure of the same period: it was the data overview's orders over all time
        ("revenue in december 2010", "how many orders was that", "how many orders in December 2010"),
        ("revenue last month", "and how many customers bought then", "how many customers bought in February 2011"),
        ("what were sales like last month", "same for last year", "what were sales like last year"),
        ("how many orders in december", "and 2010?", "how many orders in 2010"),
        ("revenue last month", "and by country?", "revenue last month by country"),
        ("average order value by segment", "how about per country", "average order value per country"),
        ("revenue by country in december 2010", "and by segment", "revenue in december 2010 by segment"),
        ("revenue in France", "what about germany", "revenue in germany"),
        ("revenue by country", "and the uk?", "revenue in uk"),
    ],
)
def test_a_fragment_is_the_last_question_with_what_it_says(question, said, expected):
    assert applied(question, said, TODAY, lambda: COUNTRIES) == expected


@pytest.mark.parametrize(
    "said",
    [
        "show me coats",  # a request of its own
        "show me orders from december",  # one that names a period
        "and the month before we launched",
        "and what did germany spend in total over the whole of last year",  # a question of its own, too long
        "thanks",
        "germany",  # a place with no "and" or "what about": not taken for a follow-up
        "and the month before",  # the question had no month to step back from
    ],
)
def test_anything_else_is_no_fragment(said):
    assert applied("how many customers do we have", said, TODAY, lambda: COUNTRIES) is None


def test_fragments_in_a_row_each_build_on_the_one_before():
    """ "and the month before?" twice steps back two months; a figure asked anew starts again."""
    asked = ["revenue last month", "and the month before?"]
    request = Request("and the month before?", Memory(), [], before=Memory(figures_asked=asked), today=TODAY)
    assert rewritten(request) == "revenue in December 2010"
    request.vocabulary = lambda: Vocabulary(countries=list(COUNTRIES))
    request.text = "what about france"
    assert rewritten(request) == "revenue in January 2011 in france"
    assert rewritten(Request("what about france", Memory(), [], today=TODAY)) is None, "no figure before it"


def test_a_month_alone_is_one_the_orders_reach_when_the_nearer_one_is_after_them():
    """ "and march?" after January 2011, with orders up to 14 February 2011: March 2010 (the nearer March 2011 has no
    orders yet)."""
    orders = Vocabulary(orders_span=(date(2009, 12, 1), date(2011, 2, 14)))
    request = Request("and march?", Memory(), [], before=Memory(figures_asked=["revenue in january 2011"]),
                      vocabulary=lambda: orders, today=TODAY)  # fmt: skip
    assert rewritten(request) == "revenue in March 2010"
