"""The periods a marketer types, as dates counted from today (assistant/planner/periods.py)."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.planner.periods import Period, periods

TODAY = date(2026, 11, 27)  # a Friday


def spans(text: str, today: date = TODAY) -> list[str]:
    return [p.span() for p in periods(text, today)]


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("how much did we sell last year", "1 Jan–31 Dec 2025"),
        ("last year's revenue", "1 Jan–31 Dec 2025"),
        ("revenue this year", "1 Jan–27 Nov 2026"),
        ("total sales year to date", "1 Jan–27 Nov 2026"),
        ("revenue in 2011", "1 Jan–31 Dec 2011"),
        ("2011 revenue", "1 Jan–31 Dec 2011"),
        ("orders in March", "1–31 Mar 2026"),  # the latest March that has begun
        ("orders in December", "1–31 Dec 2025"),  # not a month still to come
        ("orders in March 2011", "1–31 Mar 2011"),
        ("how many orders last month", "1–31 Oct 2026"),
        ("revenue this month", "1–27 Nov 2026"),
        ("sales in the last 30 days", "29 Oct–27 Nov 2026"),
        ("revenue over the last 90 days", "30 Aug–27 Nov 2026"),
        ("orders in the past year", "28 Nov 2025–27 Nov 2026"),  # rolling, unlike "last year"
        ("customers last quarter", "1 Jul–30 Sep 2026"),
        ("revenue in Q4", "1 Oct–27 Nov 2026"),  # under way: up to today, not beyond
        ("revenue in Q2 2011", "1 Apr–30 Jun 2011"),
        ("sales since January", "1 Jan–27 Nov 2026"),
        ("orders between March and June", "1 Mar–30 Jun 2026"),
        ("orders between November and February", "1 Nov 2025–28 Feb 2026"),
        ("revenue between 2010 and 2011", "1 Jan 2010–31 Dec 2011"),
        ("orders last week", "16–22 Nov 2026"),
        ("orders yesterday", "26 Nov 2026"),
    ],
)
def test_a_period_is_read_as_dates_from_today(text, span):
    assert spans(text) == [span]


@pytest.mark.parametrize(
    "text",
    [
        "customers who spent over 2000",
        "orders for 2000 customers",
        "top 10 customers",
        "average order value per segment",
        "which products may sell best",  # "may" the verb
        "revenue over Christmas",  # not known here: refused by the analytics recipe
    ],
)
def test_no_period_is_read_where_there_is_none(text):
    assert spans(text) == []


@pytest.mark.parametrize(
    ("text", "first", "second"),
    [
        ("sales this year vs last year", "1 Jan–27 Nov 2026", "1 Jan–31 Dec 2025"),
        ("how are sales compared to last month", "1–27 Nov 2026", "1–27 Oct 2026"),
        ("revenue in 2011 vs 2010", "1 Jan–31 Dec 2011", "1 Jan–31 Dec 2010"),
        ("is revenue up on last year", "1 Jan–27 Nov 2026", "1 Jan–27 Nov 2025"),
        ("month on month revenue", "1–27 Nov 2026", "1–27 Oct 2026"),  # this month so far: like for like
    ],
)
def test_two_periods_are_read_for_a_comparison(text, first, second):
    assert spans(text) == [first, second]


def test_a_period_binds_its_dates_as_parameters():
    period = Period(date(2011, 1, 1), date(2012, 1, 1), "in 2011")
    assert period.params() == {"period_start": "2011-01-01", "period_stop": "2012-01-01"}
    assert period.last == date(2011, 12, 31) and not period.to_date(TODAY)
